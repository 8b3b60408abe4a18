/**
 * Container log files of the process runtime: the CRI record format the
 * kubelet writes and the `/var/log/pods` layout of a node's directory tree.
 * Imports only `node:` builtins.
 */
export { CriLogWriter, criRecord, criTimestamp, MAX_LOG_LINE_BYTES, type CriLogWriterOptions, type LogStream } from './cri-log-writer.js';
export { containerLogDir, containerLogFile, containerLogLink, logInstances, pickLogInstance, podLogDir, type PodLogRef } from './log-paths.js';

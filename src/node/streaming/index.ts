/**
 * The protocols of the kubelet's streaming server (`../kubelet-server.ts`):
 * reading CRI log files with the kubelet's options (`cri-log`, `log-reader`),
 * which container instance a request means (`container-target`), the
 * WebSocket channel protocols of exec/attach/port-forward (`channel-protocol`,
 * `exec-channels`), and a minimal SPDY/3.1 framer and session for
 * port-forward (`spdy-*`, `port-forward`). Imports `node:` builtins, `ws`,
 * kubernetes-types and `../runtime.ts` types; nothing else of skiff.
 */
export * from './channel-protocol.js';
export * from './container-target.js';
export * from './cri-log.js';
export { serveChannelSession, streamOptionsFromQuery, type StreamOptions } from './exec-channels.js';
export { openLogStream, type LogSink, type LogStreamControl } from './log-reader.js';
export { forwardError, parsePort, servePortForwardChannels, servePortForwardSpdy, type PortForwardTarget } from './port-forward.js';
export { SPDY3_DICTIONARY } from './spdy-dictionary.js';
export * from './spdy-framer.js';
export { SpdySession, SpdyStream, type SpdySessionOptions } from './spdy-session.js';

/**
 * Container probes and lifecycle-hook actions of the process runtime
 * (upstream `pkg/kubelet/prober`, `pkg/probe`): the actions (`httpGet`,
 * `tcpSocket`, `exec`), named-port resolution, the threshold bookkeeping as a
 * pure step, and the periodic worker. Imports `../../client/clock.js` and
 * `node:` builtins only; exec runs through a callback the runtime provides.
 */
export { execCheck, httpGetCheck, probeURL, runAction, tcpCheck, type ActionHandler, type ExecOutcome, type HandlerTarget, type ProbeOutcome, type ProbeResult } from './handlers.js';
export { ProbePortError, resolveProbePort } from './ports.js';
export { initialProbeValue, probeStep, type ProbeKind, type ProbeRunState, type ProbeThresholds } from './thresholds.js';
export { ProbeWorker, type ProbeWorkerOptions } from './worker.js';

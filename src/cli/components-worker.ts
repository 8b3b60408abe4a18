/**
 * The components thread: runs `startComponents` over a `PortTransport` to the API
 * server in the main thread. Started by `startComponentsThread`; talks back with
 * `{ t: 'started', names }`, `{ t: 'nodes-ready', ms }`, `{ t: 'log', line }` and
 * `{ t: 'stopped' }`, and stops on `{ t: 'stop' }`. Losing a Lease ends the thread
 * with exit code `LEADERSHIP_LOST_EXIT`, and the main thread starts a new one.
 */
import { parentPort, workerData, type MessagePort } from 'node:worker_threads';
import { Client } from '../client/client.js';
import { PortTransport } from '../client/port-transport.js';
import { LEADERSHIP_LOST_EXIT, type ComponentOptions } from './components-base.js';

const { port, options } = workerData as { port: MessagePort; options: ComponentOptions };
// The cluster DNS's thread loads only the DNS: a sixth of the modules the other components need.
const startComponents = options.only === 'dns' ? (await import('./dns-components.js')).startDnsComponents : (await import('./components.js')).startComponents;
const transport = new PortTransport(port);
const control = parentPort!;
const components = startComponents(
  new Client(transport),
  options,
  (line) => control.postMessage({ t: 'log', line }),
  // Like kube-controller-manager: a component that lost its Lease exits, and is restarted by its supervisor.
  (lease) => {
    control.postMessage({ t: 'log', line: `components: lost the lease ${lease}; restarting` });
    process.exit(LEADERSHIP_LOST_EXIT);
  },
);
control.postMessage({ t: 'started', names: components.names });
void components.nodesReady.then((ms) => control.postMessage({ t: 'nodes-ready', ms }));
control.on('message', (m: { t: string }) => {
  if (m.t !== 'stop') return;
  void components.stop().then(async () => {
    // Writes already sent (a last event, a status) finish rather than fail loudly.
    await transport.drain(500);
    transport.close();
    control.postMessage({ t: 'stopped' });
  });
});

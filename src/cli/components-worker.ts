/**
 * The components thread: runs `startComponents` over a `PortTransport` to the API
 * server in the main thread. Started by `startComponentsThread`; talks back with
 * `{ t: 'started', names }`, `{ t: 'nodes-ready', ms }`, `{ t: 'log', line }` and
 * `{ t: 'stopped' }`, and stops on `{ t: 'stop' }`.
 */
import { parentPort, workerData, type MessagePort } from 'node:worker_threads';
import { Client } from '../client/client.js';
import { PortTransport } from '../client/port-transport.js';
import { startComponents, type ComponentOptions } from './components.js';

const { port, options } = workerData as { port: MessagePort; options: ComponentOptions };
const transport = new PortTransport(port);
const control = parentPort!;
const components = startComponents(new Client(transport), options, (line) => control.postMessage({ t: 'log', line }));
control.postMessage({ t: 'started', names: components.names });
void components.nodesReady.then((ms) => control.postMessage({ t: 'nodes-ready', ms }));
control.on('message', (m: { t: string }) => {
  if (m.t !== 'stop') return;
  void components.stop().then(() => {
    transport.close();
    control.postMessage({ t: 'stopped' });
  });
});

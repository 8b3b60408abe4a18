/**
 * Starts the components (`components.ts`) in a worker thread wired to the API
 * server in this thread by a `MessagePort` transport. The API server keeps one
 * core; controllers, scheduler and node agents — decoding watch events,
 * planning, encoding writes — take the other.
 */
import { MessageChannel, Worker, type MessagePort, type TransferListItem } from 'node:worker_threads';
import { servePort } from '../apiserver/port-server.js';
import type { RequestHandler } from '../apiserver/local-transport.js';
import { LEADERSHIP_LOST_EXIT, type ComponentOptions, type Components } from './components-base.js';

type FromWorker = { t: 'started'; names: string[] } | { t: 'nodes-ready'; ms: number } | { t: 'log'; line: string } | { t: 'stopped' };

/** The worker, from TypeScript sources (tests, `tsx`) or from the compiled `dist/`. */
function spawnWorker(workerData: unknown, transferList: MessagePort[]): Worker {
  const fromSource = import.meta.url.endsWith('.ts');
  const entry = new URL(fromSource ? './components-worker.ts' : './components-worker.js', import.meta.url);
  const opts = { workerData, transferList: transferList as TransferListItem[] };
  if (!fromSource) return new Worker(entry, opts);
  // Workers do not inherit the tsx loader: register it first, then load the entry.
  const tsx = import.meta.resolve('tsx/esm/api');
  const boot = `import(${JSON.stringify(tsx)}).then((m) => { m.register(); return import(${JSON.stringify(entry.href)}); }).catch((e) => { console.error(e); process.exit(1); });`;
  return new Worker(boot, { ...opts, eval: true });
}

/**
 * Starts the components thread; resolves once its controllers are running.
 *
 * @example
 * const components = await startComponentsThread(apiServer, { controllers: 'all', nodes: 3 }, console.log);
 * await components.nodesReady;
 * await components.stop();
 */
export async function startComponentsThread(server: RequestHandler, options: ComponentOptions, log: (line: string) => void = () => {}): Promise<Components> {
  let stopping = false;
  let resolveNodes: (ms: number) => void = () => {};
  const nodesReady = new Promise<number>((r) => (resolveNodes = r));
  interface Running {
    worker: Worker;
    stopServing: () => void;
    exited: boolean;
    stopped: Promise<void>;
  }
  let current: Running | undefined;
  const launch = (): Promise<string[]> => {
    const { port1, port2 } = new MessageChannel();
    // The user agent names the field manager of writes that name none: the controllers', as upstream's.
    const stopServing = servePort(server, port1, 'kube-controller-manager');
    const worker = spawnWorker({ port: port2, options }, [port2]);
    let onStopped: () => void = () => {};
    const run: Running = { worker, stopServing, exited: false, stopped: new Promise<void>((r) => (onStopped = r)) };
    current = run;
    return new Promise<string[]>((resolve, reject) => {
      worker.on('message', (m: FromWorker) => {
        if (m.t === 'started') resolve(m.names);
        else if (m.t === 'nodes-ready') resolveNodes(m.ms);
        else if (m.t === 'log') log(m.line);
        else onStopped();
      });
      worker.on('error', (err) => {
        log(`components thread failed: ${err.stack ?? err.message}`);
        reject(err);
      });
      worker.on('exit', (code) => {
        run.exited = true;
        onStopped();
        stopServing();
        if (code !== 0) reject(new Error(`components thread exited with code ${code}`));
        // A lost Lease: start again and campaign anew, as a supervisor restarts kube-controller-manager.
        if (code === LEADERSHIP_LOST_EXIT && !stopping) launch().catch((err: unknown) => log(`components thread restart failed: ${(err as Error).message}`));
        else resolveNodes(0);
      });
    });
  };
  const names = await launch();
  return {
    names,
    nodesReady,
    async stop() {
      stopping = true;
      const run = current;
      if (!run) return;
      if (!run.exited) {
        run.worker.postMessage({ t: 'stop' });
        await Promise.race([run.stopped, new Promise((r) => setTimeout(r, 3000).unref())]);
        await run.worker.terminate();
      }
      run.stopServing();
    },
  };
}

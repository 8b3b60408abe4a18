/**
 * A helper process of a benchmark (a peer server, the backends): started, awaited
 * until it says it is ready on stdout, and stopped.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { terminate } from '../test/helpers/terminate.js';

export interface Child {
  proc: ChildProcess;
  stop(): Promise<void>;
}

/** Spawns `cmd` and resolves once a stdout line matches `ready`. */
export function startChild(cmd: string, args: string[], ready: RegExp, env: NodeJS.ProcessEnv = process.env): Promise<{ child: Child; match: RegExpExecArray }> {
  const proc = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'inherit'], env });
  const child: Child = {
    proc,
    stop: () => terminate(proc, 3000),
  };
  return new Promise((resolve, reject) => {
    let buf = '';
    const t = setTimeout(() => {
      void child.stop();
      reject(new Error(`${cmd} ${args.join(' ')} did not become ready in 30 s; output:\n${buf}`));
    }, 30_000);
    proc.stdout!.on('data', (d: Buffer) => {
      buf += d.toString();
      const m = ready.exec(buf);
      if (m) {
        clearTimeout(t);
        resolve({ child, match: m });
      }
    });
    proc.once('error', (err) => reject(new Error(`cannot start ${cmd}: ${err.message}`)));
    proc.once('exit', (code) => {
      clearTimeout(t);
      reject(new Error(`${cmd} exited with ${code} before it was ready; output:\n${buf}`));
    });
  });
}

import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { LogOptions } from './cri-log.js';
import { openLogStream } from './log-reader.js';

const dir = mkdtempSync(join(tmpdir(), 'skiff-log-reader-'));
after(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;

function file(lines: string[]): string {
  const p = join(dir, `${n++}.log`);
  writeFileSync(p, lines.join(''));
  return p;
}

const rec = (text: string, sec = 0, stream = 'stdout', tag = 'F'): string => `2024-01-01T00:00:${String(sec).padStart(2, '0')}.000000001Z ${stream} ${tag} ${text}\n`;

async function read(path: string, opts: Partial<LogOptions>, stillRunning = (): boolean => false): Promise<string> {
  const run = await openLogStream(path, { follow: false, timestamps: false, ...opts });
  let out = '';
  await run((_s, b) => void (out += b.toString()), { signal: new AbortController().signal, stillRunning, pollMs: 20 });
  return out;
}

describe('openLogStream', () => {
  const lines = [rec('one', 1), rec('two', 2, 'stderr'), rec('thr', 3, 'stdout', 'P'), rec('ee', 3), rec('four', 4)];

  const table: Array<[string, Partial<LogOptions>, string]> = [
    ['everything, partial lines joined', {}, 'one\ntwo\nthree\nfour\n'],
    ['tailLines=2 counts records, partials too', { tailLines: 2 }, 'ee\nfour\n'],
    ['tailLines=0 writes nothing', { tailLines: 0 }, ''],
    ['tailLines beyond the file is everything', { tailLines: 100 }, 'one\ntwo\nthree\nfour\n'],
    ['since skips older records', { sinceMs: Date.UTC(2024, 0, 1, 0, 0, 3) }, 'three\nfour\n'],
    ['limitBytes stops mid-record', { limitBytes: 6 }, 'one\ntw'],
    ['timestamps prefix every record', { tailLines: 1, timestamps: true }, '2024-01-01T00:00:04.000000001Z four\n'],
  ];
  for (const [name, opts, want] of table) {
    test(name, async () => assert.equal(await read(file(lines), opts), want));
  }

  test('unparsable lines are skipped', async () => {
    assert.equal(await read(file([rec('a'), 'garbage\n', rec('b')]), {}), 'a\nb\n');
  });

  test('a missing file rejects before streaming', async () => {
    await assert.rejects(openLogStream(join(dir, 'missing.log'), { follow: false, timestamps: false }), /ENOENT/);
  });

  test('follow streams lines written later and stops once the container stopped', async () => {
    const path = file([rec('first')]);
    const run = await openLogStream(path, { follow: true, timestamps: false });
    let running = true;
    const got: string[] = [];
    let onData: (() => void) | undefined;
    const done = run(
      (_s, b) => {
        got.push(b.toString());
        onData?.();
      },
      { signal: new AbortController().signal, stillRunning: () => running, pollMs: 20 },
    );
    const waitFor = (count: number): Promise<void> =>
      new Promise((resolve, reject) => {
        const t = setTimeout(() => reject(new Error(`only ${got.length} of ${count} records arrived: ${JSON.stringify(got)}`)), 5000);
        const check = (): void => {
          if (got.length >= count) {
            clearTimeout(t);
            onData = undefined;
            resolve();
          }
        };
        onData = check;
        check();
      });
    await waitFor(1);
    appendFileSync(path, rec('second'));
    await waitFor(2);
    // Written just before the container stops: the final pass still delivers it.
    appendFileSync(path, rec('last'));
    running = false;
    await done;
    assert.deepEqual(got, ['first\n', 'second\n', 'last\n']);
  });

  test('follow with tailLines starts at the tail and ends when the client leaves', async () => {
    const path = file([rec('a'), rec('b'), rec('c')]);
    const run = await openLogStream(path, { follow: true, timestamps: false, tailLines: 1 });
    const ac = new AbortController();
    let out = '';
    const done = run(
      (_s, b) => {
        out += b.toString();
        ac.abort();
      },
      { signal: ac.signal, stillRunning: () => true, pollMs: 20 },
    );
    await done;
    assert.equal(out, 'c\n');
  });
});

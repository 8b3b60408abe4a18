/**
 * agnhost's command line: `agnhost <subcommand> [flags]`, dispatched like the
 * upstream cobra root (`app`). Each subcommand's module is loaded only when
 * chosen, so a pod process pays for the code it runs. Help goes to stdout;
 * usage errors go to stderr with exit code 1.
 */
import { flagUsages, parseFlags, type FlagSpecs, type FlagValues } from './flags.js';

/** What a subcommand module exports. */
export interface SubcommandModule {
  flagSpecs: FlagSpecs;
  run(flags: FlagValues): void;
}

interface Subcommand {
  short: string;
  long: string;
  load: () => Promise<SubcommandModule>;
}

/** The subcommands this agnhost implements, with upstream's descriptions. */
export const SUBCOMMANDS: Record<string, Subcommand> = {
  liveness: {
    short: 'Starts a server that is alive for 10 seconds',
    long: 'A simple server that is alive for 10 seconds, then reports unhealthy for the rest of its (hopefully) short existence. Failures can be emulated by passing parameters to specific URLs.',
    load: () => import('./liveness.js'),
  },
  netexec: {
    short: 'Creates HTTP(S), UDP, and (optionally) SCTP servers with various endpoints',
    long: 'Starts a HTTP(S) server on the given port with the endpoints /, /clientip, /header, /dial, /echo, /exit, /healthz, /readyz, /hostname, /hostName, /redirect, /shell, /shutdown and /upload, and a UDP server answering "hostname", "echo <msg>" and "clientip". The UDP server can be disabled by setting --udp-port to -1.',
    load: () => import('./netexec.js'),
  },
  pause: {
    short: 'Pauses the execution',
    long: 'Pauses the execution. Useful for keeping the containers running, so other commands can be executed.',
    load: () => import('./pause.js'),
  },
  'serve-hostname': {
    short: 'Serves the hostname',
    long: 'Serves the hostname through HTTP / TCP / UDP on the given port.',
    load: () => import('./serve-hostname.js'),
  },
  'test-webserver': {
    short: 'Starts a simple HTTP fileserver',
    long: 'Starts a simple HTTP fileserver on the given --port, which serves any file specified in the URL path, if it exists.',
    load: () => import('./test-webserver.js'),
  },
};

/** klog's flags, which upstream accepts on every subcommand (tests pass e.g. `--v=2`); accepted and ignored. */
export const KLOG_FLAGS: FlagSpecs = {
  add_dir_header: { kind: 'bool', default: false, usage: 'If true, adds the file directory to the header of the log messages' },
  alsologtostderr: { kind: 'bool', default: false, usage: 'log to standard error as well as files' },
  log_backtrace_at: { kind: 'string', default: '', usage: 'when logging hits line file:N, emit a stack trace' },
  log_dir: { kind: 'string', default: '', usage: 'If non-empty, write log files in this directory' },
  log_file: { kind: 'string', default: '', usage: 'If non-empty, use this log file' },
  log_file_max_size: { kind: 'int', default: 1800, usage: 'Defines the maximum size a log file can grow to (in MB)' },
  logtostderr: { kind: 'bool', default: true, usage: 'log to standard error instead of files' },
  one_output: { kind: 'bool', default: false, usage: 'If true, only write logs to their native severity level' },
  skip_headers: { kind: 'bool', default: false, usage: 'If true, avoid header prefixes in the log messages' },
  skip_log_headers: { kind: 'bool', default: false, usage: 'If true, avoid headers when opening log files' },
  stderrthreshold: { kind: 'int', default: 2, usage: 'logs at or above this threshold go to stderr' },
  v: { kind: 'int', default: 0, usage: 'number for the log level verbosity' },
  vmodule: { kind: 'string', default: '', usage: 'comma-separated list of pattern=N settings for file-filtered logging' },
};

/** Where help and errors go; injectable for tests. */
export interface CliIO {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
}

const defaultIO: CliIO = { stdout: (t) => process.stdout.write(t), stderr: (t) => process.stderr.write(t) };

/** cobra's root usage text. */
export function rootUsage(): string {
  const names = Object.keys(SUBCOMMANDS).sort();
  const width = Math.max(...names.map((n) => n.length), 'help'.length);
  const cmds = [['help', 'Help about any command'] as const, ...names.map((n) => [n, SUBCOMMANDS[n]!.short] as const)].sort(([a], [b]) => a.localeCompare(b));
  return [
    'Usage:',
    '  app [command]',
    '',
    'Available Commands:',
    ...cmds.map(([n, s]) => `  ${n.padEnd(width)} ${s}`),
    '',
    'Flags:',
    '  -h, --help   help for app',
    '',
    'Use "app [command] --help" for more information about a command.',
    '',
  ].join('\n');
}

function commandUsage(name: string, specs: FlagSpecs): string {
  return ['Usage:', `  app ${name} [flags]`, '', 'Flags:', flagUsages(specs, name), '', 'Global Flags:', flagUsages(KLOG_FLAGS, name).split('\n').filter((l) => !l.includes('--help')).join('\n'), ''].join('\n');
}

/**
 * Runs `agnhost <argv>`. Resolves with an exit code when the process should
 * exit now (help, usage errors), or undefined once a subcommand started its
 * servers (they keep the process alive).
 *
 * @example
 * const code = await runAgnhost(process.argv.slice(2));
 * if (code !== undefined) process.exit(code);
 */
export async function runAgnhost(argv: readonly string[], io: CliIO = defaultIO): Promise<number | undefined> {
  // The subcommand is the first argument that is not a flag (cobra allows root flags before it).
  const index = argv.findIndex((a) => !a.startsWith('-'));
  const name = index >= 0 ? argv[index]! : undefined;
  if (name === undefined) {
    const parsed = parseFlags(argv, KLOG_FLAGS);
    if (parsed.ok && parsed.help) {
      io.stdout(rootUsage());
      return 0;
    }
    io.stderr(`${parsed.ok ? '' : `Error: ${parsed.error}\n`}${rootUsage()}`);
    return 1;
  }
  const rest = [...argv.slice(0, index), ...argv.slice(index + 1)];
  if (name === 'help') {
    const target = rest.find((a) => !a.startsWith('-'));
    const sub = target === undefined ? undefined : SUBCOMMANDS[target];
    if (!sub) {
      io.stdout(target === undefined ? rootUsage() : `Unknown help topic ${JSON.stringify([target])}\n${rootUsage()}`);
      return 0;
    }
    io.stdout(`${sub.long}\n\n${commandUsage(target!, (await sub.load()).flagSpecs)}`);
    return 0;
  }
  const sub = Object.hasOwn(SUBCOMMANDS, name) ? SUBCOMMANDS[name] : undefined;
  if (!sub) {
    io.stderr(`Error: unknown command ${JSON.stringify(name)} for "app"\n${rootUsage()}`);
    return 1;
  }
  const mod = await sub.load();
  const parsed = parseFlags(rest, { ...KLOG_FLAGS, ...mod.flagSpecs });
  if (!parsed.ok) {
    io.stderr(`Error: ${parsed.error}\n${commandUsage(name, mod.flagSpecs)}`);
    return 1;
  }
  if (parsed.help) {
    io.stdout(`${sub.long}\n\n${commandUsage(name, mod.flagSpecs)}`);
    return 0;
  }
  if (parsed.args.length > 0) {
    io.stderr(`Error: accepts at most 0 arg(s), received ${parsed.args.length}\n${commandUsage(name, mod.flagSpecs)}`);
    return 1;
  }
  mod.run(parsed.flags);
  return undefined;
}

/**
 * Process logs: pino, one JSON line per event (machines and `grep` read it), or pino-pretty's coloured
 * lines when a person watches a terminal. Every line carries `role` and `node`; components add their own
 * bindings (`gpid`, `ballot`, ...) with `logger.child(...)`, so a partition's history can be filtered
 * across the processes of a onebox.
 */
import { pino, type DestinationStream, type Logger } from 'pino';
import pretty from 'pino-pretty';
import { resolveLogLevel } from './log-level.ts';

export type { Logger } from 'pino';

export interface LoggerOptions {
  /** `meta`, `replica`, `onebox`, `shell`, ... */
  readonly role: string;
  /** This process's address (`host:port`), once known. */
  readonly node?: string;
  /** From `[core] logging_start_level` (pino or upstream names); `PEGASUS_LOG_LEVEL` overrides it. */
  readonly level?: string;
  /** Pretty lines instead of JSON; default: when writing to stdout and stdout is a terminal. */
  readonly pretty?: boolean;
  /** Where lines go; default stdout. Tests pass a stream that collects them. */
  readonly destination?: DestinationStream;
  readonly env?: NodeJS.ProcessEnv;
}

/** The bindings components use, so every file names the same thing the same way. */
export interface LogBindings {
  readonly component?: string;
  /** `<app_id>.<partition_index>`, upstream's gpid text form. */
  readonly gpid?: string;
  readonly ballot?: number;
  readonly app_id?: number;
  readonly remote?: string;
}

export function createLogger(options: LoggerOptions): Logger {
  const env = options.env ?? process.env;
  const usePretty = options.pretty ?? (options.destination === undefined && process.stdout.isTTY === true);
  const base = { pid: process.pid, role: options.role, ...(options.node === undefined ? {} : { node: options.node }) };
  const settings = { level: resolveLogLevel(options.level, env), base, timestamp: pino.stdTimeFunctions.isoTime };
  if (!usePretty) return pino(settings, options.destination ?? pino.destination({ fd: 1, sync: true }));
  const stream = pretty({
    // Colour only for a terminal, and never when NO_COLOR asks not to (no-color.org).
    colorize: options.destination === undefined && process.stdout.isTTY === true && env.NO_COLOR === undefined,
    translateTime: 'SYS:HH:MM:ss.l',
    ignore: 'pid,hostname',
    // Bindings on the same line as the message: one line per event, as in JSON mode.
    singleLine: true,
    sync: true,
    ...(options.destination === undefined ? {} : { destination: options.destination }),
  });
  return pino(settings, stream);
}

export function childLogger(parent: Logger, bindings: LogBindings): Logger {
  return parent.child(bindings);
}

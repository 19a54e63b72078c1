/**
 * What the two peer systems (etcd, Redis) share about their server processes: finding the installed binary,
 * reading its version, spawning it with its output in a log file, waiting (with a deadline) until it
 * answers, and stopping it with SIGTERM, then SIGKILL.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { accessSync, closeSync, constants, openSync, readFileSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

/** Debian's packages install here; looked at first so a stray copy earlier on PATH does not win. */
const SYSTEM_BIN_DIR = '/usr/bin';
const VERSION_TIMEOUT_MS = 5_000;
const PROBE_INTERVAL_MS = 100;
const LOG_TAIL_LINES = 20;

/** The absolute path of an executable `name` in /usr/bin or on PATH, or undefined when there is none. */
export function findExecutable(name: string): string | undefined {
  const dirs = [SYSTEM_BIN_DIR, ...(process.env['PATH'] ?? '').split(delimiter).filter((d) => d !== '')];
  for (const dir of dirs) {
    const path = join(dir, name);
    try {
      accessSync(path, constants.X_OK);
      return path;
    } catch {
      // Not in this directory (or not executable): the next one may have it.
    }
  }
  return undefined;
}

/**
 * `major.minor` from the version output of `binary args` matched by `pattern` (two capture groups), or
 * undefined when the binary is missing or prints something else: the version only decorates a label.
 */
export function binaryVersion(binary: string, args: readonly string[], pattern: RegExp): string | undefined {
  const path = findExecutable(binary);
  if (path === undefined) return undefined;
  let output: string;
  try {
    output = execFileSync(path, args, { encoding: 'utf8', timeout: VERSION_TIMEOUT_MS, stdio: ['ignore', 'pipe', 'pipe'] });
  } catch {
    return undefined;
  }
  const match = pattern.exec(output);
  return match?.[1] !== undefined && match[2] !== undefined ? `${match[1]}.${match[2]}` : undefined;
}

/** The last `lines` lines of a log file, or a note saying why there are none. */
export function logTail(logFile: string, lines = LOG_TAIL_LINES): string {
  let text: string;
  try {
    text = readFileSync(logFile, 'utf8');
  } catch (error) {
    return `(no log at ${logFile}: ${(error as Error).message})`;
  }
  const tail = text.trimEnd().split('\n').slice(-lines).join('\n');
  return tail === '' ? `(${logFile} is empty)` : tail;
}

/** One spawned server process, its log file and how it ended. */
export class ServerProcess {
  private exitDescription: string | undefined;
  /** The last error the child process reported after it started (a signal that could not be sent). */
  private lastError: Error | undefined;
  private readonly exited: Promise<void>;

  private constructor(
    readonly name: string,
    readonly pid: number,
    readonly logFile: string,
    private readonly child: ChildProcess,
  ) {
    // Without a listener, a later 'error' event would be thrown and take the whole process down.
    child.on('error', (error) => {
      this.lastError = error;
    });
    this.exited = new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        this.exitDescription = signal !== null ? `killed by ${signal}` : `exited with code ${code}`;
        resolve();
      });
    });
  }

  /** Spawns `command args` with stdout and stderr appended to `logFile`; resolves once the process runs. */
  static async spawn(name: string, command: string, args: readonly string[], logFile: string, cwd: string): Promise<ServerProcess> {
    // The server writes to the file itself (not through a pipe we would have to drain), so its output
    // survives us and a busy benchmark never blocks the server on a full pipe.
    const logFd = openSync(logFile, 'a');
    let child: ChildProcess;
    try {
      child = spawn(command, args, { cwd, stdio: ['ignore', logFd, logFd] });
    } finally {
      closeSync(logFd);
    }
    await new Promise<void>((resolve, reject) => {
      child.once('spawn', resolve);
      child.once('error', (error) => reject(new Error(`could not start ${name} (${command}): ${error.message}`)));
    });
    if (child.pid === undefined) throw new Error(`could not start ${name} (${command}): no pid`);
    return new ServerProcess(name, child.pid, logFile, child);
  }

  /** Undefined while the process runs; else how it ended (`exited with code 1`, `killed by SIGKILL`). */
  get exit(): string | undefined {
    return this.exitDescription;
  }

  get error(): Error | undefined {
    return this.lastError;
  }

  /** Resolves true once the process has exited, false when `timeoutMs` passed first. */
  async waitExit(timeoutMs: number): Promise<boolean> {
    if (this.exitDescription !== undefined) return true;
    const timer = new AbortController();
    try {
      return await Promise.race([this.exited.then(() => true), sleep(timeoutMs, false, { signal: timer.signal })]);
    } finally {
      timer.abort();
    }
  }

  signal(signal: NodeJS.Signals): void {
    if (this.exitDescription === undefined) this.child.kill(signal);
  }

  /** A one-line failure with this process's log tail below it. */
  failure(message: string): Error {
    return new Error(`${this.name}: ${message}; last lines of ${this.logFile}:\n${logTail(this.logFile)}`);
  }
}

/**
 * Polls `probe` for every server until each answers true, all within one `timeoutMs`. Throws (naming the
 * server and showing its log tail) when a server exits or is still not ready at the deadline. A probe
 * that throws counts as "not yet": servers refuse connections while they start.
 */
export async function waitUntilReady(servers: readonly ServerProcess[], probe: (server: ServerProcess) => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const pending = new Set(servers);
  const lastProbeError = new Map<ServerProcess, string>();
  while (pending.size > 0) {
    for (const server of pending) {
      if (server.exit !== undefined) throw server.failure(`${server.exit} while starting`);
      const ready = await probe(server).catch((error: unknown) => {
        lastProbeError.set(server, error instanceof Error ? error.message : String(error));
        return false;
      });
      if (ready) pending.delete(server);
    }
    if (pending.size === 0) return;
    if (Date.now() >= deadline) {
      const [late] = pending;
      if (late !== undefined) {
        const probeError = lastProbeError.get(late);
        throw late.failure(`not ready after ${timeoutMs} ms${probeError === undefined ? '' : ` (last probe: ${probeError})`}`);
      }
    }
    await sleep(PROBE_INTERVAL_MS);
  }
}

/**
 * Stops the servers together: SIGTERM (each shuts down cleanly: etcd leaves its WAL consistent, Redis
 * flushes its AOF), up to `graceMs` to exit, then SIGKILL. Throws when a process outlives even SIGKILL.
 */
export async function stopServers(servers: readonly ServerProcess[], graceMs: number, killWaitMs = 5_000): Promise<void> {
  for (const server of servers) server.signal('SIGTERM');
  const graceful = await Promise.all(servers.map((s) => s.waitExit(graceMs)));
  const stubborn = servers.filter((_, i) => !graceful[i]);
  for (const server of stubborn) server.signal('SIGKILL');
  const killed = await Promise.all(stubborn.map((s) => s.waitExit(killWaitMs)));
  const alive = stubborn.filter((_, i) => !killed[i]);
  if (alive.length > 0) {
    const described = alive.map((s) => `${s.name} pid ${s.pid}${s.error === undefined ? '' : ` (${s.error.message})`}`);
    throw new Error(`still running ${killWaitMs} ms after SIGKILL: ${described.join(', ')}`);
  }
}

/**
 * Stops what a failed start had already started (through `stop`) and throws `cause`, with the stop's own
 * failure added rather than lost.
 */
export async function abandonStart(stop: () => Promise<void>, cause: unknown): Promise<never> {
  const error = cause instanceof Error ? cause : new Error(String(cause));
  try {
    await stop();
  } catch (stopError) {
    throw new Error(`${error.message}\n(and stopping the started servers failed: ${(stopError as Error).message})`);
  }
  throw error;
}

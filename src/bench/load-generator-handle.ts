/**
 * The coordinator's side of one load-generator process: fork it, send it a phase, await its answer. A process
 * that fails or exits mid-phase rejects the phase with its reason, never hangs it.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { CountsMessage, FromLoadGenerator, ToLoadGenerator } from './bench-messages.ts';

const MAIN = fileURLToPath(new URL('./load-generator-main.ts', import.meta.url));
/** A process that does not exit this long after `close` is killed. */
const CLOSE_GRACE_MS = 10_000;

type Answer = Exclude<FromLoadGenerator, { type: 'progress' } | { type: 'failed' }>;

export class LoadGeneratorHandle {
  private readonly child: ChildProcess;
  private waiting: { type: Answer['type']; resolve: (m: Answer) => void; reject: (e: Error) => void } | undefined;
  private exited = false;
  /** The counts of the phase under way, as last reported. */
  progress: CountsMessage = { operations: 0, errors: 0 };

  constructor(readonly name: string) {
    this.child = fork(MAIN, [], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    this.child.on('message', (message: FromLoadGenerator) => this.receive(message));
    this.child.on('exit', (code, signal) => {
      this.exited = true;
      this.fail(new Error(`${this.name} exited (${signal ?? `code ${code}`}) during a phase`));
    });
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  /** Sends a message that expects an answer of type `type`. */
  request<T extends Answer['type']>(message: ToLoadGenerator, type: T): Promise<Extract<Answer, { type: T }>> {
    if (this.waiting !== undefined) throw new Error(`${this.name}: a ${this.waiting.type} answer is still awaited`);
    this.progress = { operations: 0, errors: 0 };
    return new Promise((resolve, reject) => {
      this.waiting = { type, resolve: resolve as (m: Answer) => void, reject };
      this.send(message);
    });
  }

  send(message: ToLoadGenerator): void {
    if (!this.exited) this.child.send(message);
  }

  async close(): Promise<void> {
    if (this.exited) return;
    const gone = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    this.send({ type: 'close' });
    const timer = setTimeout(() => this.child.kill('SIGKILL'), CLOSE_GRACE_MS);
    await gone;
    clearTimeout(timer);
  }

  private receive(message: FromLoadGenerator): void {
    if (message.type === 'progress') {
      this.progress = message;
      return;
    }
    if (message.type === 'failed') {
      this.fail(new Error(`${this.name}: ${message.message}`));
      return;
    }
    const waiting = this.waiting;
    if (waiting === undefined || waiting.type !== message.type) {
      this.fail(new Error(`${this.name}: unexpected ${message.type} answer`));
      return;
    }
    this.waiting = undefined;
    if ('operations' in message) this.progress = message;
    waiting.resolve(message);
  }

  private fail(error: Error): void {
    const waiting = this.waiting;
    this.waiting = undefined;
    waiting?.reject(error);
  }
}

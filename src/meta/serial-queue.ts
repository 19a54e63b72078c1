/**
 * A bounded serial executor: DDL operations run one at a time, so each sees the memory its predecessor
 * left and none interleaves with another between its store write and its memory update (architecture.md
 * §4: "guard with an explicit queue"). Upstream serialises the same work on THREAD_POOL_META_STATE.
 */
import { PegasusError } from '../base/error-code.ts';

export class SerialQueue {
  private readonly waiting: Array<() => Promise<void>> = [];
  private running = false;

  constructor(private readonly waitingMax: number) {}

  /** Runs `task` after every task queued before it; rejects with ERR_BUSY when the queue is full. */
  run<T>(task: () => Promise<T>): Promise<T> {
    if (this.waiting.length >= this.waitingMax) {
      return Promise.reject(new PegasusError('ERR_BUSY', `${this.waiting.length} meta operations are already queued`));
    }
    return new Promise<T>((resolve, reject) => {
      this.waiting.push(() => task().then(resolve, reject));
      this.pump();
    });
  }

  private pump(): void {
    if (this.running) return;
    const next = this.waiting.shift();
    if (next === undefined) return;
    this.running = true;
    void next().finally(() => {
      this.running = false;
      this.pump();
    });
  }
}

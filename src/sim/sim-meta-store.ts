/**
 * The meta server's metadata store in the simulator: one MemMetaStore standing for the durable store (the
 * embedded file store, or ZooKeeper), shared by every meta process, and a handle per process.
 *
 * MemMetaStore alone cannot model a meta crash and restart: its tree is private to the instance, and the
 * crashed process's `close()` (or a stale call) would reach the state its successor uses. So each process
 * gets a handle fenced by its SimProcess: the tree outlives the process (a write that resolved is durable,
 * as the MetaStateStore contract demands), the handle dies with it, and `close()` closes only the handle.
 *
 * Optional latency: with `delayMaxMs > 0` a call takes effect when made and its result reaches the caller
 * as a loop event after a drawn delay, like a ZooKeeper round trip: a meta that crashes in between has
 * written without learning it. Results of one handle arrive in call order (ZooKeeper's FIFO client order).
 */
import { assert } from '../base/assert.ts';
import { PegasusError } from '../base/error-code.ts';
import { MemMetaStore } from '../metastore/mem-meta-store.ts';
import {
  DEFAULT_META_STORE_LIMITS,
  type DeleteOptions,
  type MetaStateStore,
  type MetaStoreLimits,
  type TransactionOp,
} from '../metastore/meta-state-store.ts';
import type { SimLoop } from './sim-loop.ts';
import type { SimProcess } from './sim-process.ts';
import type { SimRandom } from './sim-random.ts';

export interface SimMetaStoreLatency {
  readonly loop: SimLoop;
  readonly random: SimRandom;
  /** Each call's result is delivered after a whole number of ms drawn from [delayMinMs, delayMaxMs]. */
  readonly delayMinMs: number;
  readonly delayMaxMs: number;
}

export class SimMetaStore {
  private readonly durable: MemMetaStore;

  constructor(
    limits: MetaStoreLimits = DEFAULT_META_STORE_LIMITS,
    private readonly latency?: SimMetaStoreLatency,
  ) {
    if (latency !== undefined) {
      assert(Number.isSafeInteger(latency.delayMinMs) && latency.delayMinMs >= 0, `delayMinMs ${latency.delayMinMs}`);
      assert(Number.isSafeInteger(latency.delayMaxMs) && latency.delayMaxMs >= latency.delayMinMs, `delayMaxMs ${latency.delayMaxMs}`);
    }
    this.durable = new MemMetaStore(limits);
  }

  /** The store as one meta process sees it; unusable once the process died or closed it. */
  forProcess(process: SimProcess): MetaStateStore {
    return new SimMetaStoreHandle(this.durable, process, this.latency);
  }

  /** The durable state, read-only by convention: for checkers that inspect what a restarted meta would load. */
  get state(): Pick<MetaStateStore, 'getData' | 'getChildren' | 'exists'> {
    return this.durable;
  }
}

class SimMetaStoreHandle implements MetaStateStore {
  private closed = false;
  /** When the last result of this handle is delivered; later results never overtake it. */
  private lastDeliveryAtMs = 0;

  constructor(
    private readonly durable: MemMetaStore,
    private readonly process: SimProcess,
    private readonly latency: SimMetaStoreLatency | undefined,
  ) {}

  createNode(path: string, data?: Buffer): Promise<void> {
    return this.run(`create ${path}`, () => this.durable.createNode(path, data));
  }

  deleteNode(path: string, options?: DeleteOptions): Promise<void> {
    return this.run(`delete ${path}`, () => this.durable.deleteNode(path, options));
  }

  getData(path: string): Promise<Buffer> {
    return this.run(`get ${path}`, () => this.durable.getData(path));
  }

  setData(path: string, data: Buffer): Promise<void> {
    return this.run(`set ${path}`, () => this.durable.setData(path, data));
  }

  getChildren(path: string): Promise<string[]> {
    return this.run(`children ${path}`, () => this.durable.getChildren(path));
  }

  exists(path: string): Promise<boolean> {
    return this.run(`exists ${path}`, () => this.durable.exists(path));
  }

  submitTransaction(ops: readonly TransactionOp[]): Promise<void> {
    return this.run(`transaction of ${ops.length}`, () => this.durable.submitTransaction(ops));
  }

  async close(): Promise<void> {
    this.closed = true;
  }

  /** Applies the call now (MemMetaStore settles in microtasks); the result reaches the caller now or after a delay. */
  private run<T>(what: string, op: () => Promise<T>): Promise<T> {
    if (!this.process.alive) return Promise.reject(new PegasusError('ERR_SERVICE_NOT_ACTIVE', `${what}: meta process ${this.process.name} crashed`));
    if (this.closed) return Promise.reject(new PegasusError('ERR_SERVICE_NOT_ACTIVE', 'the meta store is closed'));
    const outcome = op();
    const latency = this.latency;
    if (latency === undefined || latency.delayMaxMs === 0) return outcome;
    const atMs = Math.max(this.lastDeliveryAtMs, latency.loop.nowMs + latency.random.int(latency.delayMinMs, latency.delayMaxMs));
    this.lastDeliveryAtMs = atMs;
    return new Promise<T>((resolve, reject) => {
      // Settled by then: MemMetaStore completes in microtasks, which drain before any loop event runs.
      let settled: { ok: true; value: T } | { ok: false; error: unknown } | undefined;
      outcome.then(
        (value) => (settled = { ok: true, value }),
        (error: unknown) => (settled = { ok: false, error }),
      );
      latency.loop.schedule(atMs, `metastore ${what} ${this.process.name}`, () => {
        assert(settled !== undefined, `meta store call ${what} had not settled by its delivery`);
        if (settled.ok) resolve(settled.value);
        else reject(settled.error);
      }, this.process);
    });
  }
}

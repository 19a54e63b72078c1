/**
 * The primary's client-write queue (upstream `mutation_queue`, pegasus-internals.md §2.3): writes are
 * gathered into mutations and handed out at most `inFlightMax` at a time (`staleness_for_commit`, 20).
 * While a slot is free and nothing waits, a write becomes a mutation at once; under load, single puts and
 * removes arriving meanwhile share one pending mutation until it reaches `batchBytesMax` (1 MiB); any
 * other write seals the pending mutation and travels alone. Bounded: past `queuedWritesMax` waiting writes
 * `add` refuses with ERR_BUSY rather than queueing without limit.
 */
import { assert } from '../base/assert.ts';
import { PegasusError } from '../base/error-code.ts';

export interface QueuedWrite {
  /** Single puts and removes may share a mutation. */
  readonly batchable: boolean;
  /** Payload bytes, for the batch bound. */
  readonly bytes: number;
}

export interface MutationQueueOptions {
  /** `staleness_for_commit`: mutations in 2PC at once. */
  inFlightMax: number;
  /** Upstream's ~1 MiB batch bound. */
  batchBytesMax: number;
  /** `batch_write_disabled`. */
  batchWriteDisabled: boolean;
  /** Writes waiting in sealed or pending mutations. */
  queuedWritesMax: number;
}

export class MutationQueue<W extends QueuedWrite> {
  private readonly sealed: W[][] = [];
  private pending: W[] | undefined;
  private pendingBytes = 0;
  private queuedWrites = 0;
  private inFlight = 0;

  constructor(private readonly options: MutationQueueOptions) {
    assert(options.inFlightMax > 0 && options.batchBytesMax > 0 && options.queuedWritesMax > 0, 'bad mutation queue bounds');
  }

  /** Adds a write; returns a mutation (its writes) to start now, if a slot was free and nothing waited. */
  add(write: W): W[] | undefined {
    if (this.queuedWrites >= this.options.queuedWritesMax) {
      throw new PegasusError('ERR_BUSY', `${this.queuedWrites} writes already wait for a mutation`);
    }
    if (this.pending !== undefined && !write.batchable) this.seal();
    if (this.pending === undefined) {
      this.pending = [];
      this.pendingBytes = 0;
    }
    this.pending.push(write);
    this.pendingBytes += write.bytes;
    this.queuedWrites++;
    if (this.inFlight < this.options.inFlightMax && this.sealed.length === 0) return this.take(this.detachPending());
    if (this.options.batchWriteDisabled || !write.batchable || this.pendingBytes >= this.options.batchBytesMax) this.seal();
    return undefined;
  }

  /**
   * A mutation left 2PC (committed, or abandoned on a reconfiguration): frees its slot and returns the next
   * mutation to start, if any.
   */
  complete(): W[] | undefined {
    assert(this.inFlight > 0, 'a mutation completed that was never started');
    this.inFlight--;
    return this.next();
  }

  /** The next mutation to start while a slot is free: sealed ones first, then the pending one. */
  next(): W[] | undefined {
    if (this.inFlight >= this.options.inFlightMax) return undefined;
    const sealed = this.sealed.shift();
    if (sealed !== undefined) return this.take(sealed);
    if (this.pending !== undefined) return this.take(this.detachPending());
    return undefined;
  }

  /** Every waiting write, removed (to fail them when the replica stops being primary). */
  drain(): W[] {
    const writes = [...this.sealed.flat(), ...(this.pending ?? [])];
    this.sealed.length = 0;
    this.pending = undefined;
    this.pendingBytes = 0;
    this.queuedWrites = 0;
    return writes;
  }

  /** Forgets the mutations in flight (a new primary starts its own count). */
  resetInFlight(): void {
    this.inFlight = 0;
  }

  get inFlightCount(): number {
    return this.inFlight;
  }

  get queuedCount(): number {
    return this.queuedWrites;
  }

  private seal(): void {
    if (this.pending !== undefined && this.pending.length > 0) this.sealed.push(this.pending);
    this.pending = undefined;
    this.pendingBytes = 0;
  }

  private detachPending(): W[] {
    const writes = this.pending ?? [];
    this.pending = undefined;
    this.pendingBytes = 0;
    return writes;
  }

  private take(writes: W[]): W[] {
    this.inFlight++;
    this.queuedWrites -= writes.length;
    return writes;
  }
}

/**
 * What one load-generator process does against one system: the load phase (insert a range of records) and
 * the run phase (draw a workload's operations with `concurrency` operations in flight, each worker issuing
 * the next when its last one answered, as YCSB's client threads do). The run phase starts unmeasured (the
 * warm-up); `measure()` starts the window the report is made of; `stop()` ends it.
 */
import type { RecordStore } from './bench-target.ts';
import { LatencyRecorder } from './latency-recorder.ts';
import type { UnitRandom } from './key-distributions.ts';
import { OperationGenerator, recordKey, type Operation, type OperationKind } from './ycsb-workloads.ts';

/** Distinct random values rotated through, so stored records are not all alike (which compression would flatter). */
const VALUE_POOL_SIZE = 64;

export class ValuePool {
  private readonly values: Buffer[] = [];
  private next = 0;

  constructor(random: UnitRandom, valueBytes: number) {
    for (let i = 0; i < VALUE_POOL_SIZE; i++) {
      const value = Buffer.allocUnsafe(valueBytes);
      // YCSB fills fields with printable characters; so do we.
      for (let b = 0; b < valueBytes; b++) value[b] = 0x21 + Math.floor(random.float() * 94);
      this.values.push(value);
    }
  }

  take(): Buffer {
    const value = this.values[this.next]!;
    this.next = (this.next + 1) % this.values.length;
    return value;
  }
}

export interface PhaseCounts {
  operations: number;
  errors: number;
  /** The first failure's message, so a report can say why (every later one is only counted). */
  firstError?: string;
}

function countError(counts: PhaseCounts, error: unknown): void {
  counts.errors++;
  counts.firstError ??= error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}

/** Inserts records `first`, `first + stride`, ... below `end` with `concurrency` in flight. */
export async function loadRecords(
  store: RecordStore,
  range: { readonly first: number; readonly end: number; readonly stride: number },
  concurrency: number,
  values: ValuePool,
  counts: PhaseCounts,
): Promise<void> {
  let next = range.first;
  const worker = async (): Promise<void> => {
    while (next < range.end) {
      const n = next;
      next += range.stride;
      try {
        await store.insert(recordKey(n), values.take());
      } catch (e) {
        countError(counts, e);
      }
      counts.operations++;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
}

export interface RunResult extends PhaseCounts {
  /** The measured window, from `measure()` to the last operation's answer. */
  readonly durationSec: number;
  readonly latency: LatencyRecorder;
  readonly byOperation: ReadonlyMap<OperationKind, LatencyRecorder>;
}

export class WorkloadRunner {
  private counts: PhaseCounts = { operations: 0, errors: 0 };
  private latency = new LatencyRecorder();
  private byOperation = new Map<OperationKind, LatencyRecorder>();
  private measuring = false;
  private measureStartNs = 0n;
  private stopping = false;
  private workers: Promise<void>[] = [];

  constructor(
    private readonly store: RecordStore,
    private readonly generator: OperationGenerator,
    private readonly values: ValuePool,
    private readonly concurrency: number,
    /** Measured operations after which this runner stops by itself; undefined = until `stop()`. */
    private readonly measuredOperationsMax?: number,
  ) {}

  /** Starts the workers; nothing is measured until `measure()`. */
  start(): void {
    this.workers = Array.from({ length: this.concurrency }, () => this.work());
  }

  /** Starts the measured window: counts and latencies from here on. */
  measure(): void {
    this.counts = { operations: 0, errors: 0 };
    this.latency = new LatencyRecorder();
    this.byOperation = new Map();
    this.measureStartNs = process.hrtime.bigint();
    this.measuring = true;
  }

  /** Measured operations so far (for progress lines). */
  get progress(): Readonly<PhaseCounts> {
    return this.counts;
  }

  /** Resolves once every worker has stopped: after `stop()`, or after the measured operation count. */
  async finished(): Promise<RunResult> {
    await Promise.all(this.workers);
    const durationSec = this.measuring ? Number(process.hrtime.bigint() - this.measureStartNs) / 1e9 : 0;
    return { ...this.counts, durationSec, latency: this.latency, byOperation: this.byOperation };
  }

  stop(): Promise<RunResult> {
    this.stopping = true;
    return this.finished();
  }

  private async work(): Promise<void> {
    while (!this.stopping) {
      if (this.measuring && this.measuredOperationsMax !== undefined && this.counts.operations >= this.measuredOperationsMax) return;
      const op = this.generator.next();
      const measured = this.measuring;
      const startNs = process.hrtime.bigint();
      let ok = true;
      try {
        await this.execute(op);
      } catch (e) {
        ok = false;
        if (measured && this.measuring) countError(this.counts, e);
      }
      // An operation begun in the warm-up belongs to it, even if it answers inside the window.
      if (!measured || !this.measuring) continue;
      this.counts.operations++;
      if (!ok) continue;
      const latencyUs = Number(process.hrtime.bigint() - startNs) / 1000;
      this.latency.record(latencyUs);
      let recorder = this.byOperation.get(op.kind);
      if (recorder === undefined) this.byOperation.set(op.kind, (recorder = new LatencyRecorder()));
      recorder.record(latencyUs);
    }
  }

  private async execute(op: Operation): Promise<void> {
    switch (op.kind) {
      case 'read':
        await this.store.read(op.key);
        return;
      case 'update':
        return this.store.update(op.key, this.values.take());
      case 'insert':
        return this.store.insert(op.key, this.values.take());
      case 'scan':
        await this.store.scan(op.key, op.scanLength ?? 1);
        return;
      case 'readModifyWrite':
        // YCSB's read-modify-write: read the record, then write it back changed; timed as one operation.
        await this.store.read(op.key);
        return this.store.update(op.key, this.values.take());
    }
  }
}

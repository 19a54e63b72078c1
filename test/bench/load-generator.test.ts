/** One load generator's phases against an in-memory store: what it counts, measures and inserts. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { RecordStore } from '../../src/bench/bench-target.ts';
import { ValuePool, WorkloadRunner, loadRecords, type PhaseCounts } from '../../src/bench/load-generator.ts';
import { InsertSequence, OperationGenerator, WORKLOADS, recordKey } from '../../src/bench/ycsb-workloads.ts';
import { SimRandom } from '../../src/sim/sim-random.ts';

/** A sorted in-memory store that answers on a later turn, like a network call, and can be told to fail. */
class MemoryRecordStore implements RecordStore {
  readonly records = new Map<string, Buffer>();
  readonly calls: string[] = [];
  failEvery = 0;
  private callCount = 0;

  private async answer<T>(call: string, result: () => T): Promise<T> {
    await new Promise((resolve) => setImmediate(resolve));
    this.calls.push(call);
    if (this.failEvery > 0 && ++this.callCount % this.failEvery === 0) throw new Error(`${call} failed on purpose`);
    return result();
  }

  insert(key: string, value: Buffer): Promise<void> {
    return this.answer('insert', () => void this.records.set(key, value));
  }
  update(key: string, value: Buffer): Promise<void> {
    return this.answer('update', () => void this.records.set(key, value));
  }
  read(key: string): Promise<Buffer | undefined> {
    return this.answer('read', () => this.records.get(key));
  }
  scan(startKey: string, count: number): Promise<number> {
    return this.answer('scan', () => Math.min(count, [...this.records.keys()].filter((k) => k >= startKey).length));
  }
  close(): Promise<void> {
    return Promise.resolve();
  }
}

const values = (bytes = 20): ValuePool => new ValuePool(SimRandom.fromSeed(9), bytes);

test('the value pool hands out values of the record size, printable and not all alike', () => {
  const pool = values(100);
  const seen = new Set<string>();
  for (let i = 0; i < 64; i++) {
    const value = pool.take();
    assert.equal(value.length, 100);
    assert.ok(value.every((b) => b >= 0x21 && b < 0x7f));
    seen.add(value.toString('latin1'));
  }
  assert.equal(seen.size, 64);
});

test('processes load disjoint interleaved ranges that together insert every record once', async () => {
  const store = new MemoryRecordStore();
  const processes = 3;
  for (let p = 0; p < processes; p++) {
    const counts: PhaseCounts = { operations: 0, errors: 0 };
    await loadRecords(store, { first: p, end: 100, stride: processes }, 4, values(), counts);
    assert.equal(counts.operations, p === 0 ? 34 : 33);
    assert.equal(counts.errors, 0);
  }
  assert.deepEqual([...store.records.keys()].sort(), Array.from({ length: 100 }, (_, n) => recordKey(n)).sort());
});

test('a failed insert is counted with the first error, and the load goes on', async () => {
  const store = new MemoryRecordStore();
  store.failEvery = 10;
  const counts: PhaseCounts = { operations: 0, errors: 0 };
  await loadRecords(store, { first: 0, end: 50, stride: 1 }, 2, values(), counts);
  assert.equal(counts.operations, 50);
  assert.equal(counts.errors, 5);
  assert.equal(counts.firstError, 'Error: insert failed on purpose');
  assert.equal(store.records.size, 45);
});

test('insert sequences of several processes never collide and stay interleaved', () => {
  const taken = new Set<number>();
  const sequences = [0, 1, 2].map((offset) => new InsertSequence(1000, 3, offset));
  for (let round = 0; round < 100; round++) {
    for (const s of sequences) {
      const n = s.next();
      assert.ok(n >= 1000 && !taken.has(n));
      taken.add(n);
    }
  }
  assert.equal(Math.max(...taken), 1299);
  assert.throws(() => new InsertSequence(0, 2, 2), RangeError);
});

test('a generator with an insert sequence inserts its numbers and reads follow the newest record', () => {
  const records = { count: 100 };
  const generator = new OperationGenerator(WORKLOADS.D, SimRandom.fromSeed(3), records, new InsertSequence(100, 2, 1));
  const inserted: string[] = [];
  for (let i = 0; i < 2000; i++) {
    const op = generator.next();
    if (op.kind === 'insert') inserted.push(op.key);
  }
  assert.ok(inserted.length > 50);
  assert.deepEqual(inserted.slice(0, 3), [recordKey(101), recordKey(103), recordKey(105)]);
  assert.equal(records.count, 100 + 2 * inserted.length);
});

test('the run phase measures only after measure(), stops on stop(), and times each operation kind', async () => {
  const store = new MemoryRecordStore();
  await loadRecords(store, { first: 0, end: 200, stride: 1 }, 8, values(), { operations: 0, errors: 0 });
  store.calls.length = 0;
  const generator = new OperationGenerator(WORKLOADS.F, SimRandom.fromSeed(5), { count: 200 });
  const runner = new WorkloadRunner(store, generator, values(), 4);
  runner.start();
  await new Promise((resolve) => setTimeout(resolve, 30));
  assert.equal(runner.progress.operations, 0, 'the warm-up is not counted');
  const warmUpCalls = store.calls.length;
  assert.ok(warmUpCalls > 0, 'the warm-up does issue operations');
  runner.measure();
  await new Promise((resolve) => setTimeout(resolve, 50));
  const result = await runner.stop();
  assert.ok(result.operations > 0);
  assert.equal(result.errors, 0);
  assert.equal(result.latency.count, result.operations);
  const reads = result.byOperation.get('read')?.count ?? 0;
  const rmws = result.byOperation.get('readModifyWrite')?.count ?? 0;
  assert.equal(reads + rmws, result.operations);
  assert.ok(rmws > 0 && reads > 0);
  assert.ok(result.durationSec > 0.04 && result.durationSec < 5, `window ${result.durationSec} s`);
  // A read-modify-write is a read then an update of the same record.
  const measuredCalls = store.calls.slice(warmUpCalls);
  assert.ok(measuredCalls.filter((c) => c === 'update').length >= rmws);
  // Once stopped, nothing more is issued.
  const callsAtStop = store.calls.length;
  await new Promise((resolve) => setTimeout(resolve, 20));
  assert.equal(store.calls.length, callsAtStop);
});

test('with an operation count the run phase ends by itself; failures are counted, not timed', async () => {
  const store = new MemoryRecordStore();
  await loadRecords(store, { first: 0, end: 100, stride: 1 }, 4, values(), { operations: 0, errors: 0 });
  store.failEvery = 4;
  const runner = new WorkloadRunner(store, new OperationGenerator(WORKLOADS.C, SimRandom.fromSeed(6), { count: 100 }), values(), 3, 300);
  runner.start();
  runner.measure();
  const result = await runner.finished();
  // Each of the 3 workers checks the bound before its next operation, so at most 2 more finish.
  assert.ok(result.operations >= 300 && result.operations <= 302, `${result.operations} operations`);
  assert.ok(result.errors > 50, `${result.errors} errors`);
  assert.equal(result.latency.count, result.operations - result.errors);
  assert.match(result.firstError ?? '', /read failed on purpose/);
});

test('scans pass their start key and length through', async () => {
  const store = new MemoryRecordStore();
  await loadRecords(store, { first: 0, end: 300, stride: 1 }, 4, values(), { operations: 0, errors: 0 });
  const runner = new WorkloadRunner(store, new OperationGenerator(WORKLOADS.E, SimRandom.fromSeed(8), { count: 300 }), values(), 2, 200);
  runner.start();
  runner.measure();
  const result = await runner.finished();
  assert.ok((result.byOperation.get('scan')?.count ?? 0) > 150);
  assert.ok((result.byOperation.get('insert')?.count ?? 0) > 0);
  assert.ok(store.records.size > 300, 'E inserts new records');
});

/**
 * A minimal partition for the crash tests: the write path of a replica reduced to its durability core —
 * log the mutation, then apply it with its decree, then acknowledge — and the recovery that reopens the
 * store at its last flushed decree and replays the plog from there. Each decree's content is a function
 * of the decree, so the expected state at any decree can be computed and compared, and an `incr` per
 * three decrees makes any mutation applied twice visible.
 *
 * The mutation updates carry the requests in a test-only encoding; the replica's real one (the rrdb
 * thrift bodies, by task-code name) comes with the RPC layer.
 */
import assert from 'node:assert/strict';
import { generateKey } from '../../src/base/key-schema.ts';
import type { Mutation, MutationLog, MutationUpdate } from '../../src/log/index.ts';
import type { PartitionStore } from '../../src/storage/partition-store.ts';
import { PartitionDb } from '../../src/storage/rrdb/partition-db.ts';
import type { WriteRequest } from '../../src/storage/rrdb/write-service.ts';

export const GPID = { appId: 2, partitionIndex: 5 };
const HASH_KEY = Buffer.from('crash');
const COUNTER_KEY = generateKey(HASH_KEY, Buffer.from('counter'));

const rowKey = (decree: number, suffix: 'a' | 'b') => generateKey(HASH_KEY, Buffer.from(`row${decree}${suffix}`));
const rowValue = (decree: number) => Buffer.from(`value-of-${decree}`);

/** The requests of decree d: two batched puts, an incr, or the removal of an earlier row. */
export function requestsOf(decree: number): WriteRequest[] {
  switch (decree % 3) {
    case 1:
      return (['a', 'b'] as const).map((s) => ({
        code: 'RPC_RRDB_RRDB_PUT' as const,
        request: { key: rowKey(decree, s), value: rowValue(decree), expireTsSeconds: 0 },
      }));
    case 2:
      return [{ code: 'RPC_RRDB_RRDB_INCR', request: { key: COUNTER_KEY, increment: 1n, expireTsSeconds: 0 } }];
    default:
      return [{ code: 'RPC_RRDB_RRDB_REMOVE', request: rowKey(decree - 2, 'b') }];
  }
}

function encodeRequest(write: WriteRequest): MutationUpdate {
  const json = JSON.stringify(write.request, (_key, value: unknown) => {
    if (typeof value === 'bigint') return { bigint: value.toString() };
    if (value && typeof value === 'object' && (value as { type?: string }).type === 'Buffer') {
      return { base64: Buffer.from((value as { data: number[] }).data).toString('base64') };
    }
    return value;
  });
  return { code: write.code, serializationType: 0, data: Buffer.from(json) };
}

function decodeRequest(update: MutationUpdate): WriteRequest {
  const request: unknown = JSON.parse(update.data.toString(), (_key, value: unknown) => {
    if (value && typeof value === 'object' && 'bigint' in value) return BigInt((value as { bigint: string }).bigint);
    if (value && typeof value === 'object' && 'base64' in value) return Buffer.from((value as { base64: string }).base64, 'base64');
    return value;
  });
  return { code: update.code, request } as WriteRequest;
}

export function mutationOf(decree: number, timestampUs: number): Mutation {
  return {
    header: { gpid: GPID, ballot: 1, decree, logOffset: 0, lastCommittedDecree: decree - 1, timestampUs },
    updates: requestsOf(decree).map(encodeRequest),
  };
}

export class CrashPartition {
  readonly db: PartitionDb;

  constructor(
    readonly store: PartitionStore,
    readonly log: MutationLog,
    nowMs: () => number,
  ) {
    this.db = new PartitionDb(store, { gpid: GPID, server: 'crash-test', clock: { nowMs } });
  }

  /**
   * Replays the plog from the store's flushed decree; returns the decree recovered. Decrees must follow
   * each other without a gap from the store's decree on: a gap means a lost mutation.
   */
  async recover(): Promise<number> {
    const pending: Mutation[] = [];
    await this.log.replay(this.store.lastAppliedDecree() + 1, (m) => pending.push(m));
    for (const m of pending) {
      const decree = m.header.decree;
      if (decree <= this.db.lastAppliedDecree()) continue;
      assert.equal(decree, this.db.lastAppliedDecree() + 1, `the plog skips from ${this.db.lastAppliedDecree()} to ${decree}`);
      await this.db.apply(decree, m.header.timestampUs, m.updates.map(decodeRequest));
    }
    return this.db.lastAppliedDecree();
  }

  /** Log, then apply: the order that makes an acknowledged write durable through the plog. */
  async writeNext(timestampUs: number): Promise<number> {
    const decree = this.db.lastAppliedDecree() + 1;
    await this.log.append(mutationOf(decree, timestampUs));
    await this.db.apply(decree, timestampUs, requestsOf(decree));
    return decree;
  }

  /** The stored state must be exactly that of decrees 1..decree, each applied once. */
  async verify(decree: number): Promise<void> {
    const counter = await this.db.get(COUNTER_KEY);
    const increments = Math.floor((decree + 1) / 3);
    if (increments === 0) assert.equal(counter.error, 1, 'no incr applied yet');
    else assert.equal(counter.value.toString(), String(increments), `counter after decree ${decree} (an incr applied twice or lost)`);
    for (let d = 1; d <= decree + 3; d += 3) {
      const a = await this.db.get(rowKey(d, 'a'));
      const b = await this.db.get(rowKey(d, 'b'));
      if (d > decree) {
        assert.equal(a.error, 1, `row of decree ${d} present at decree ${decree}`);
        continue;
      }
      assert.equal(a.value.toString(), rowValue(d).toString(), `row ${d}a lost at decree ${decree}`);
      const removed = d + 2 <= decree;
      assert.equal(b.error, removed ? 1 : 0, `row ${d}b at decree ${decree}`);
    }
  }

  async close(): Promise<void> {
    await this.log.close();
    await this.db.close();
  }
}

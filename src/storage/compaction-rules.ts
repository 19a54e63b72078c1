/**
 * The TTL rules of upstream's `key_ttl_compaction_filter`, in TypeScript for MemStore; RocksStore runs the
 * same rules in C++ (native/src/compaction_filter.cc) on RocksDB's threads. One table of cases
 * (test/storage/compaction-cases.ts) drives both, so the two cannot drift apart.
 *
 * Per record, in order: (1) a table `default_ttl` back-fills records that have no TTL, so a TTL set on a
 * table reaches old data over time; (2) expired records are dropped.
 */
import { isExpired } from '../base/value-schema.ts';

export type CompactionDecision =
  | { action: 'keep' }
  | { action: 'drop' }
  | { action: 'change'; value: Buffer };

const KEEP: CompactionDecision = { action: 'keep' };
const DROP: CompactionDecision = { action: 'drop' };

/** Both value data versions start with a u32 big-endian expire_ts; shorter values are left alone. */
export function decideCompaction(value: Buffer, nowEpochSeconds: number, defaultTtlSeconds: number): CompactionDecision {
  if (value.length < 4) return KEEP;
  const expireTs = value.readUInt32BE(0);
  if (defaultTtlSeconds > 0 && expireTs === 0) {
    const changed = Buffer.from(value);
    changed.writeUInt32BE((nowEpochSeconds + defaultTtlSeconds) >>> 0, 0);
    return { action: 'change', value: changed };
  }
  return isExpired(expireTs, nowEpochSeconds) ? DROP : KEEP;
}

/**
 * One table of TTL compaction cases, run against MemStore's TypeScript rules and RocksStore's C++ filter
 * (test/storage/store-contract.ts), so the two implementations cannot drift apart.
 */
export interface CompactionCase {
  name: string;
  /** expire_ts stored in the record (Pegasus-epoch seconds, 0 = no TTL). */
  expireTs: number;
  /** The table's default_ttl in seconds (0 = none). */
  defaultTtlSeconds: number;
  /** What compaction must leave: the record gone, or its expire_ts. */
  expect: { dropped: true } | { dropped: false; expireTs: number };
}

/** Compactions in the contract suite run at this Pegasus-epoch second. */
export const COMPACTION_NOW = 300_000_000;

export const COMPACTION_CASES: CompactionCase[] = [
  { name: 'no TTL, no default: kept as is', expireTs: 0, defaultTtlSeconds: 0, expect: { dropped: false, expireTs: 0 } },
  { name: 'TTL in the future: kept', expireTs: COMPACTION_NOW + 100, defaultTtlSeconds: 0, expect: { dropped: false, expireTs: COMPACTION_NOW + 100 } },
  { name: 'expired long ago: dropped', expireTs: 1000, defaultTtlSeconds: 0, expect: { dropped: true } },
  { name: 'expires exactly now: dropped', expireTs: COMPACTION_NOW, defaultTtlSeconds: 0, expect: { dropped: true } },
  { name: 'expires one second later: kept', expireTs: COMPACTION_NOW + 1, defaultTtlSeconds: 0, expect: { dropped: false, expireTs: COMPACTION_NOW + 1 } },
  { name: 'no TTL with default_ttl: back-filled to now + default', expireTs: 0, defaultTtlSeconds: 3600, expect: { dropped: false, expireTs: COMPACTION_NOW + 3600 } },
  { name: 'own TTL with default_ttl: own TTL wins', expireTs: COMPACTION_NOW + 50, defaultTtlSeconds: 3600, expect: { dropped: false, expireTs: COMPACTION_NOW + 50 } },
  { name: 'expired with default_ttl: still dropped', expireTs: 10, defaultTtlSeconds: 3600, expect: { dropped: true } },
];

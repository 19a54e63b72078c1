/**
 * Harness for the rrdb behaviour tests (test/rrdb/*.test.ts): the expected behaviour of upstream's function
 * tests (`src/test/function_test/base_api/`, `atomic_write/`) replayed against one `PartitionDb`, on both
 * store implementations.
 *
 * Upstream's tests talk to a cluster through a client; these call one partition directly, so the helpers
 * below build the rrdb requests the C++ client would send:
 * - `set(hk, sk, v, ttl)` is a put of the composite key with `expire_ts = now + ttl` (0 for no TTL);
 * - `multi_get(hk, sort_keys)` / `multi_get(hk, start, stop, options)` use the client's defaults
 *   (max_fetch_count 100, max_fetch_size 1000000; range options start inclusive, stop exclusive);
 * - a hash scanner covers `[key(hk, start), key(hk, stop)]`, or up to the prefix successor of `key(hk, '')`
 *   (exclusive) when the stop sort key is empty; a full scanner covers `[0x0000, 0xffff)`, as the client's
 *   unordered scanners do.
 * Time is a fake clock the tests move; the stores' compaction is told the same "now".
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { StorageStatus } from '../../src/base/error-code.ts';
import { generateKey, hashKeyPrefix, prefixSuccessor, restoreKey } from '../../src/base/key-schema.ts';
import { epochNowSeconds } from '../../src/base/value-schema.ts';
import {
  FilterType,
  SCAN_CONTEXT_ID_COMPLETED,
  type CheckAndMutateRequest,
  type CheckAndSetRequest,
  type CheckAndSetResponse,
  type CountResponse,
  type GetScannerRequest,
  type IncrResponse,
  type KeyValue,
  type MultiGetRequest,
  type MultiGetResponse,
  type MultiRemoveResponse,
  type Mutate,
  type ReadResponse,
  type ScanResponse,
  type TtlResponse,
  type UpdateResponse,
} from '../../src/idl/rrdb.ts';
import type { PartitionStore } from '../../src/storage/partition-store.ts';
import { PartitionDb } from '../../src/storage/rrdb/partition-db.ts';
import { MemDisk } from '../../src/storage/mem/mem-disk.ts';
import { MemStore } from '../../src/storage/mem/mem-store.ts';
import { RocksStore } from '../../src/storage/rocks/rocks-store.ts';

export const STORE_KINDS = ['mem', 'rocks'] as const;
export type StoreKind = (typeof STORE_KINDS)[number];

type PartitionDbOptions = ConstructorParameters<typeof PartitionDb>[1];
export type RangeLimits = NonNullable<PartitionDbOptions['limits']>;
export type WriteRequest = Parameters<PartitionDb['apply']>[2][number];
export type WriteResponse = Awaited<ReturnType<PartitionDb['apply']>>[number];

/** A whole second, so that sub-second clock moves are easy to reason about. 2025-06-01 00:00:00 UTC. */
export const START_MS = Date.UTC(2025, 5, 1, 0, 0, 0);

export const APP_ID = 2;
export const SERVER = '127.0.0.1:34801';

/** The tests' time source: it only moves when told to, or by `tickMs` on every read when set. */
export class FakeClock {
  constructor(
    public ms: number = START_MS,
    /** Added after every `nowMs()` call: a clock that runs while a range read is in progress. */
    public tickMs = 0,
  ) {}

  nowMs(): number {
    const now = this.ms;
    this.ms += this.tickMs;
    return now;
  }

  advance(ms: number): void {
    this.ms += ms;
  }

  advanceSeconds(seconds: number): void {
    this.ms += seconds * 1000;
  }
}

export interface HarnessOptions {
  limits?: RangeLimits;
  partitionIndex?: number;
  /** partition_count - 1 of the table. */
  partitionVersion?: number;
  /** Table env `replica.split.validate_partition_hash`. */
  validatePartitionHash?: boolean;
  clock?: FakeClock;
}

export function b(s: string): Buffer {
  return Buffer.from(s, 'utf8');
}

export const EMPTY = Buffer.alloc(0);

/** Client `multi_get_options` (plus the count/size arguments of the client call). */
export interface RangeOptions {
  startInclusive?: boolean;
  stopInclusive?: boolean;
  filterType?: number;
  filterPattern?: string;
  reverse?: boolean;
  noValue?: boolean;
  maxKvCount?: number;
  maxKvSize?: number;
}

/** Client `scan_options`. */
export interface ScanOptions {
  startInclusive?: boolean;
  stopInclusive?: boolean;
  batchSize?: number;
  noValue?: boolean;
  hashKeyFilterType?: number;
  hashKeyFilterPattern?: string;
  sortKeyFilterType?: number;
  sortKeyFilterPattern?: string;
  validatePartitionHash?: boolean;
  returnExpireTs?: boolean;
  onlyReturnCount?: boolean;
}

export interface ScanResult {
  kvs: KeyValue[];
  responses: ScanResponse[];
  /** Sum of `kv_count` over the batches (only_return_count). */
  count: number;
}

/** A decoded scan row. */
export interface Row {
  hashKey: string;
  sortKey: string;
  value: string;
  expireTsSeconds?: number;
}

export function decodeRows(kvs: KeyValue[]): Row[] {
  return kvs.map((kv) => {
    const { hashKey, sortKey } = restoreKey(kv.key);
    const row: Row = { hashKey: hashKey.toString(), sortKey: sortKey.toString(), value: kv.value.toString() };
    if (kv.expireTsSeconds !== undefined) row.expireTsSeconds = kv.expireTsSeconds;
    return row;
  });
}

/** multi_get kvs as `[sort_key, value]` pairs, in response order. */
export function pairs(kvs: KeyValue[]): Array<[string, string]> {
  return kvs.map((kv) => [kv.key.toString(), kv.value.toString()]);
}

async function openStore(kind: StoreKind, clock: FakeClock): Promise<{ store: PartitionStore; cleanup: () => void }> {
  // The stores read the clock only for the TTL rules of compactions; they see the fake time without ticking it.
  const nowMs = (): number => clock.ms;
  if (kind === 'mem') {
    const store = await MemStore.open(new MemDisk(), '/replica/2.0', { nowMs });
    return { store, cleanup: () => {} };
  }
  const dir = mkdtempSync(join(tmpdir(), 'pegasus-rrdb-test-'));
  const store = await RocksStore.open(join(dir, 'data'), { nowMs });
  return { store, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

export class Harness {
  private decree: number;
  private defaultTtlSeconds = 0;

  private constructor(
    readonly kind: StoreKind,
    readonly store: PartitionStore,
    readonly db: PartitionDb,
    readonly clock: FakeClock,
    private readonly cleanup: () => void,
  ) {
    this.decree = store.lastAppliedDecree();
  }

  static async open(kind: StoreKind, options: HarnessOptions = {}): Promise<Harness> {
    const clock = options.clock ?? new FakeClock();
    const { store, cleanup } = await openStore(kind, clock);
    const dbOptions: PartitionDbOptions = {
      gpid: { appId: APP_ID, partitionIndex: options.partitionIndex ?? 0 },
      server: SERVER,
      clock,
    };
    if (options.limits !== undefined) dbOptions.limits = options.limits;
    if (options.partitionVersion !== undefined) dbOptions.partitionVersion = options.partitionVersion;
    if (options.validatePartitionHash !== undefined) dbOptions.validatePartitionHash = options.validatePartitionHash;
    const db = new PartitionDb(store, dbOptions);
    return new Harness(kind, store, db, clock, cleanup);
  }

  async close(): Promise<void> {
    try {
      await this.db.close();
    } finally {
      this.cleanup();
    }
  }

  // ---- time -------------------------------------------------------------------------------------------------

  /** Seconds since the Pegasus epoch, by the fake clock (without ticking it). */
  nowEpoch(): number {
    return epochNowSeconds(this.clock.ms);
  }

  /** What the client sends for a TTL in seconds: 0 (none) or now + ttl. */
  expireTs(ttlSeconds: number): number {
    return ttlSeconds > 0 ? this.nowEpoch() + ttlSeconds : 0;
  }

  advanceSeconds(seconds: number): void {
    this.clock.advanceSeconds(seconds);
  }

  // ---- writes -----------------------------------------------------------------------------------------------

  get lastDecree(): number {
    return this.decree;
  }

  /** Applies one mutation of several single puts/removes (or one request of another kind) at the next decree. */
  async applyBatch(requests: WriteRequest[]): Promise<WriteResponse[]> {
    const decree = this.decree + 1;
    const responses = await this.db.apply(decree, this.clock.ms * 1000, requests);
    this.decree = decree;
    assert.equal(responses.length, requests.length, 'one response per request');
    return responses;
  }

  async apply(request: WriteRequest): Promise<WriteResponse> {
    const [response] = await this.applyBatch([request]);
    assert.ok(response !== undefined);
    return response;
  }

  putRequest(hashKey: string | Buffer, sortKey: string | Buffer, value: string | Buffer, ttlSeconds = 0): WriteRequest {
    return {
      code: 'RPC_RRDB_RRDB_PUT',
      request: { key: key(hashKey, sortKey), value: buf(value), expireTsSeconds: this.expireTs(ttlSeconds) },
    };
  }

  removeRequest(hashKey: string | Buffer, sortKey: string | Buffer): WriteRequest {
    return { code: 'RPC_RRDB_RRDB_REMOVE', request: key(hashKey, sortKey) };
  }

  /** Client `set`. */
  async put(hashKey: string | Buffer, sortKey: string | Buffer, value: string | Buffer, ttlSeconds = 0): Promise<UpdateResponse> {
    return (await this.apply(this.putRequest(hashKey, sortKey, value, ttlSeconds))) as UpdateResponse;
  }

  /** A put with an explicit absolute expire_ts. */
  async putExpireTs(hashKey: string, sortKey: string, value: string, expireTsSeconds: number): Promise<UpdateResponse> {
    return (await this.apply({
      code: 'RPC_RRDB_RRDB_PUT',
      request: { key: key(hashKey, sortKey), value: b(value), expireTsSeconds },
    })) as UpdateResponse;
  }

  /** Client `del`. */
  async del(hashKey: string | Buffer, sortKey: string | Buffer): Promise<UpdateResponse> {
    return (await this.apply(this.removeRequest(hashKey, sortKey))) as UpdateResponse;
  }

  /** Client `multi_set`. */
  async multiSet(hashKey: string, kvs: Iterable<readonly [string, string]>, ttlSeconds = 0): Promise<UpdateResponse> {
    return (await this.apply({
      code: 'RPC_RRDB_RRDB_MULTI_PUT',
      request: {
        hashKey: b(hashKey),
        kvs: [...kvs].map(([k, v]) => ({ key: b(k), value: b(v) })),
        expireTsSeconds: this.expireTs(ttlSeconds),
      },
    })) as UpdateResponse;
  }

  /** Client `multi_del`. */
  async multiDel(hashKey: string, sortKeys: Iterable<string>): Promise<MultiRemoveResponse> {
    return (await this.apply({
      code: 'RPC_RRDB_RRDB_MULTI_REMOVE',
      request: { hashKey: b(hashKey), sortKeys: [...sortKeys].map(b), maxCount: 0 },
    })) as MultiRemoveResponse;
  }

  /** Client `incr`: ttl 0 keeps the TTL, > 0 sets now + ttl, < 0 clears it (sent as -1). */
  async incr(hashKey: string, sortKey: string, increment: bigint, ttlSeconds = 0): Promise<IncrResponse> {
    const expireTsSeconds = ttlSeconds > 0 ? this.expireTs(ttlSeconds) : ttlSeconds < 0 ? -1 : 0;
    return (await this.apply({
      code: 'RPC_RRDB_RRDB_INCR',
      request: { key: key(hashKey, sortKey), increment, expireTsSeconds },
    })) as IncrResponse;
  }

  async checkAndSet(request: CheckAndSetRequest): Promise<CheckAndSetResponse> {
    return (await this.apply({ code: 'RPC_RRDB_RRDB_CHECK_AND_SET', request })) as CheckAndSetResponse;
  }

  async checkAndMutate(request: CheckAndMutateRequest): Promise<CheckAndSetResponse> {
    return (await this.apply({ code: 'RPC_RRDB_RRDB_CHECK_AND_MUTATE', request })) as CheckAndSetResponse;
  }

  /** A client `mutations.set(sk, v, ttl)` entry as sent: the TTL made absolute (now + ttl) at the time of the call. */
  mutatePut(sortKey: string, value: string, ttlSeconds = 0): Mutate {
    return { operation: 0, sortKey: b(sortKey), value: b(value), setExpireTsSeconds: this.expireTs(ttlSeconds) };
  }

  mutateDelete(sortKey: string): Mutate {
    return { operation: 1, sortKey: b(sortKey), value: EMPTY, setExpireTsSeconds: 0 };
  }

  setDefaultTtl(seconds: number): void {
    this.defaultTtlSeconds = seconds;
    this.db.setDefaultTtl(seconds);
  }

  /** A full manual compaction, with the TTL rules evaluated at the fake clock's now. */
  async compact(): Promise<void> {
    this.store.setCompactionParams({ nowEpochSecondsOverride: this.nowEpoch(), defaultTtlSeconds: this.defaultTtlSeconds });
    await this.store.compact();
  }

  // ---- reads ------------------------------------------------------------------------------------------------

  async get(hashKey: string | Buffer, sortKey: string | Buffer): Promise<ReadResponse> {
    return this.db.get(key(hashKey, sortKey));
  }

  /** The value, or undefined when get answers kNotFound (any other error fails the test). */
  async value(hashKey: string | Buffer, sortKey: string | Buffer): Promise<string | undefined> {
    const response = await this.get(hashKey, sortKey);
    if (response.error === StorageStatus.kNotFound) return undefined;
    assert.equal(response.error, StorageStatus.kOk, 'get error');
    return response.value.toString();
  }

  /** Client `exist`: get answers 0. */
  async exist(hashKey: string, sortKey: string): Promise<boolean> {
    return (await this.value(hashKey, sortKey)) !== undefined;
  }

  async ttl(hashKey: string, sortKey: string): Promise<TtlResponse> {
    return this.db.ttl(key(hashKey, sortKey));
  }

  async sortkeyCount(hashKey: string): Promise<CountResponse> {
    return this.db.sortkeyCount(b(hashKey));
  }

  /** Client `multi_get(hash_key, sort_keys, values, max_fetch_count = 100, max_fetch_size = 1000000)`. */
  async multiGetKeys(
    hashKey: string,
    sortKeys: string[],
    options: { maxKvCount?: number; maxKvSize?: number; noValue?: boolean } = {},
  ): Promise<MultiGetResponse> {
    return this.db.multiGet({
      hashKey: b(hashKey),
      sortKeys: sortKeys.map(b),
      maxKvCount: options.maxKvCount ?? 100,
      maxKvSize: options.maxKvSize ?? 1000000,
      noValue: options.noValue ?? false,
      startSortkey: EMPTY,
      stopSortkey: EMPTY,
      startInclusive: false,
      stopInclusive: false,
      sortKeyFilterType: FilterType.FT_NO_FILTER,
      sortKeyFilterPattern: EMPTY,
      reverse: false,
    });
  }

  multiGetRangeRequest(hashKey: string, start: string, stop: string, options: RangeOptions = {}): MultiGetRequest {
    return {
      hashKey: b(hashKey),
      sortKeys: [],
      maxKvCount: options.maxKvCount ?? 100,
      maxKvSize: options.maxKvSize ?? 1000000,
      noValue: options.noValue ?? false,
      startSortkey: b(start),
      stopSortkey: b(stop),
      startInclusive: options.startInclusive ?? true,
      stopInclusive: options.stopInclusive ?? false,
      sortKeyFilterType: options.filterType ?? FilterType.FT_NO_FILTER,
      sortKeyFilterPattern: b(options.filterPattern ?? ''),
      reverse: options.reverse ?? false,
    };
  }

  /** Client `multi_get(hash_key, start_sortkey, stop_sortkey, options, values, max_fetch_count, max_fetch_size)`. */
  async multiGetRange(hashKey: string, start: string, stop: string, options: RangeOptions = {}): Promise<MultiGetResponse> {
    return this.db.multiGet(this.multiGetRangeRequest(hashKey, start, stop, options));
  }

  /** Client `multi_get_sortkeys(hash_key, sortkeys, max_fetch_count, max_fetch_size)`. */
  async multiGetSortKeys(hashKey: string, maxKvCount = 100): Promise<MultiGetResponse> {
    return this.multiGetRange(hashKey, '', '', { noValue: true, maxKvCount });
  }

  // ---- scanners ---------------------------------------------------------------------------------------------

  /** The get_scanner request of client `get_scanner(hash_key, start_sort_key, stop_sort_key, options)`. */
  hashScanRequest(hashKey: string | Buffer, start: string, stop: string, options: ScanOptions = {}): GetScannerRequest {
    let stopKey: Buffer;
    let stopInclusive = options.stopInclusive ?? false;
    if (stop === '') {
      const successor = prefixSuccessor(hashKeyPrefix(buf(hashKey)));
      assert.ok(successor !== undefined);
      stopKey = successor;
      stopInclusive = false;
    } else {
      stopKey = key(hashKey, stop);
    }
    return scannerRequest(key(hashKey, start), stopKey, options.startInclusive ?? true, stopInclusive, options, false);
  }

  /** The get_scanner request of one client unordered (full) scanner on this partition. */
  fullScanRequest(options: ScanOptions = {}): GetScannerRequest {
    return scannerRequest(Buffer.from([0, 0]), Buffer.from([0xff, 0xff]), true, false, options, true);
  }

  async getScanner(request: GetScannerRequest): Promise<ScanResponse> {
    return this.db.getScanner(request);
  }

  async scan(contextId: number): Promise<ScanResponse> {
    return this.db.scan({ contextId });
  }

  /**
   * Runs a scanner to its end as the client does: batches until context_id = -1, continuing through empty
   * batches. Every batch must answer 0.
   */
  async scanAll(request: GetScannerRequest, maxBatches = 100000): Promise<ScanResult> {
    const result: ScanResult = { kvs: [], responses: [], count: 0 };
    let response = await this.getScanner(request);
    for (let i = 0; ; i++) {
      assert.ok(i < maxBatches, 'scanner did not complete');
      result.responses.push(response);
      assert.equal(response.error, StorageStatus.kOk, `scan batch ${i} error`);
      result.kvs.push(...response.kvs);
      result.count += response.kvCount ?? 0;
      if (response.contextId === SCAN_CONTEXT_ID_COMPLETED) return result;
      if (i === 0 && response.kvs.length === 0 && response.contextId < 0) return result;
      assert.ok(response.contextId >= 0, `context id ${response.contextId} of an unfinished scan`);
      response = await this.scan(response.contextId);
    }
  }

  // ---- the raw store ----------------------------------------------------------------------------------------

  /** Stored keys (as they are in the store, expired or not) of one hash key. */
  async rawKeys(hashKey: string): Promise<Buffer[]> {
    const lower = hashKeyPrefix(b(hashKey));
    const upper = prefixSuccessor(lower);
    const iterator = this.store.iterator(upper === undefined ? { lower, reverse: false } : { lower, upper, reverse: false });
    const keys: Buffer[] = [];
    try {
      iterator.seekToStart();
      for (;;) {
        const batch = await iterator.read(1000, 1 << 20);
        keys.push(...batch.keys.map((k) => Buffer.from(k)));
        if (batch.done || batch.keys.length === 0) break;
      }
    } finally {
      iterator.close();
    }
    return keys;
  }

  /** Sort keys stored under a hash key, expired ones included. */
  async rawSortKeys(hashKey: string): Promise<string[]> {
    return (await this.rawKeys(hashKey)).map((k) => restoreKey(k).sortKey.toString());
  }
}

function buf(v: string | Buffer): Buffer {
  return typeof v === 'string' ? b(v) : v;
}

/** Composite key of a hash key and a sort key. */
export function key(hashKey: string | Buffer, sortKey: string | Buffer): Buffer {
  return generateKey(buf(hashKey), buf(sortKey));
}

function scannerRequest(
  startKey: Buffer,
  stopKey: Buffer,
  startInclusive: boolean,
  stopInclusive: boolean,
  options: ScanOptions,
  fullScan: boolean,
): GetScannerRequest {
  const request: GetScannerRequest = {
    startKey,
    stopKey,
    startInclusive,
    stopInclusive,
    batchSize: options.batchSize ?? 100,
    noValue: options.noValue ?? false,
    hashKeyFilterType: options.hashKeyFilterType ?? FilterType.FT_NO_FILTER,
    hashKeyFilterPattern: b(options.hashKeyFilterPattern ?? ''),
    sortKeyFilterType: options.sortKeyFilterType ?? FilterType.FT_NO_FILTER,
    sortKeyFilterPattern: b(options.sortKeyFilterPattern ?? ''),
    fullScan,
    returnExpireTs: options.returnExpireTs ?? false,
    onlyReturnCount: options.onlyReturnCount ?? false,
  };
  if (options.validatePartitionHash !== undefined) request.validatePartitionHash = options.validatePartitionHash;
  return request;
}

export type HarnessTest = (h: Harness) => Promise<void>;

export interface StoreSuite {
  kind: StoreKind;
  open(options?: HarnessOptions): Promise<Harness>;
  /** Registers a test that runs on a fresh partition and closes it afterwards. */
  test(name: string, fn: HarnessTest, options?: HarnessOptions): void;
}

/** Registers the tests of `fn` once per store implementation, as `<name> [mem]` and `<name> [rocks]`. */
export function forEachStore(name: string, fn: (suite: StoreSuite) => void): void {
  for (const kind of STORE_KINDS) {
    describe(`${name} [${kind}]`, () => {
      const suite: StoreSuite = {
        kind,
        open: (options) => Harness.open(kind, options),
        test(testName, body, options) {
          test(testName, async () => {
            const h = await Harness.open(kind, options);
            try {
              await body(h);
            } finally {
              await h.close();
            }
          });
        },
      };
      fn(suite);
    });
  }
}

export { seededRandom } from '../support/seeded-random.ts';

/**
 * A table handle: every rrdb operation as a Promise (protocol.md §4), with upstream's operation set and
 * option names (Java `PegasusTableInterface`). Routing, retries and deadlines are the router's; this file
 * builds requests, converts TTLs and judges storage statuses.
 *
 * TTL: clients send `expire_ts_seconds = ttl + now` in seconds since the Pegasus epoch (2016-01-01), 0 for
 * none (the Java, Go and Python clients; the Node client's raw-TTL bug is not copied).
 */
import { crc64 } from '../base/crc64.ts';
import { StorageStatus } from '../base/error-code.ts';
import { generateKey, keyHash } from '../base/key-schema.ts';
import { PEGASUS_EPOCH_UNIX_SECONDS } from '../base/value-schema.ts';
import { RRDB_RPCS } from '../idl/codec/rrdb-rpcs.ts';
import { FilterType, MutateOperation, type FullKey, type Mutate } from '../idl/rrdb.ts';
import { toBuffer, toHashKey, toNonEmptyHashKey, type Bytes } from './bytes.ts';
import { Deadline, checkTimeoutMs } from './deadline.ts';
import { PegasusStorageError, invalidParameters } from './errors.ts';
import {
  MULTI_GET_MAX_FETCH_COUNT_DEFAULT,
  MULTI_GET_MAX_FETCH_SIZE_DEFAULT,
  Mutations,
  type CallOptions,
  type CheckAndMutateOptions,
  type CheckAndMutateResult,
  type CheckAndSetOptions,
  type CheckAndSetResult,
  type IncrOptions,
  type MultiGetOptions,
  type MultiGetResult,
  type Mutation,
  type ScanOptions,
  type SetOptions,
} from './options.ts';
import { hashScanSplits, unorderedScanSplits } from './scan-splits.ts';
import { PegasusScanner } from './scanner.ts';
import { routePartitionIndex, type RouteTarget, type TableRouter } from './table-router.ts';

const RPC = RRDB_RPCS;
const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
/** expire_ts is an i32 on the wire. */
const EXPIRE_TS_MAX = 0x7fffffff;

export class Table {
  constructor(
    private readonly router: TableRouter,
    private readonly timeoutMsDefault: number,
  ) {}

  get name(): string {
    return this.router.tableName;
  }

  /** The table's app id and partition count, as last fetched from the meta server. */
  get partitionCount(): number {
    return this.router.cachedConfig?.partitionCount ?? 0;
  }

  /** The value, or undefined when the key is absent or expired. */
  async get(hashKey: Bytes, sortKey: Bytes, options: CallOptions = {}): Promise<Buffer | undefined> {
    const key = generateKey(toHashKey(hashKey), toBuffer(sortKey));
    const response = await this.router.call(RPC.RPC_RRDB_RRDB_GET, RPC.RPC_RRDB_RRDB_GET.encodeArgs(key), keyTarget(key), this.deadline(options));
    if (response.error === StorageStatus.kNotFound) return undefined;
    expectOk(response.error, 'get');
    return response.value;
  }

  async set(hashKey: Bytes, sortKey: Bytes, value: Bytes, options: SetOptions = {}): Promise<void> {
    const key = generateKey(toHashKey(hashKey), toBuffer(sortKey));
    const args = RPC.RPC_RRDB_RRDB_PUT.encodeArgs({ key, value: toBuffer(value), expireTsSeconds: this.expireTs(options.ttlSeconds ?? 0) });
    const response = await this.router.call(RPC.RPC_RRDB_RRDB_PUT, args, keyTarget(key), this.deadline(options));
    expectOk(response.error, 'set');
  }

  /** Removing an absent key succeeds. */
  async del(hashKey: Bytes, sortKey: Bytes, options: CallOptions = {}): Promise<void> {
    const key = generateKey(toHashKey(hashKey), toBuffer(sortKey));
    const response = await this.router.call(RPC.RPC_RRDB_RRDB_REMOVE, RPC.RPC_RRDB_RRDB_REMOVE.encodeArgs(key), keyTarget(key), this.deadline(options));
    expectOk(response.error, 'del');
  }

  /** Through the TTL RPC, as the Java client does: no value travels. */
  async exist(hashKey: Bytes, sortKey: Bytes, options: CallOptions = {}): Promise<boolean> {
    return (await this.ttl(hashKey, sortKey, options)) !== undefined;
  }

  /** Seconds left, -1 for a key without TTL, undefined when the key is absent or expired. */
  async ttl(hashKey: Bytes, sortKey: Bytes, options: CallOptions = {}): Promise<number | undefined> {
    const key = generateKey(toHashKey(hashKey), toBuffer(sortKey));
    const response = await this.router.call(RPC.RPC_RRDB_RRDB_TTL, RPC.RPC_RRDB_RRDB_TTL.encodeArgs(key), keyTarget(key), this.deadline(options));
    if (response.error === StorageStatus.kNotFound) return undefined;
    expectOk(response.error, 'ttl');
    return response.ttlSeconds;
  }

  /**
   * The given sort keys (found ones only, in request order), or, when `sortKeys` is undefined or empty, a
   * range of the hash key described by `options`.
   */
  async multiGet(hashKey: Bytes, sortKeys: readonly Bytes[] | undefined, options: MultiGetOptions = {}): Promise<MultiGetResult> {
    const hk = toNonEmptyHashKey(hashKey, 'multiGet');
    const args = RPC.RPC_RRDB_RRDB_MULTI_GET.encodeArgs({
      hashKey: hk,
      sortKeys: (sortKeys ?? []).map(toBuffer),
      maxKvCount: options.maxFetchCount ?? MULTI_GET_MAX_FETCH_COUNT_DEFAULT,
      maxKvSize: options.maxFetchSize ?? MULTI_GET_MAX_FETCH_SIZE_DEFAULT,
      noValue: options.noValue ?? false,
      startSortkey: toBuffer(options.startSortKey),
      stopSortkey: toBuffer(options.stopSortKey),
      startInclusive: options.startInclusive ?? true,
      stopInclusive: options.stopInclusive ?? false,
      sortKeyFilterType: options.sortKeyFilterType ?? FilterType.FT_NO_FILTER,
      sortKeyFilterPattern: toBuffer(options.sortKeyFilterPattern),
      reverse: options.reverse ?? false,
    });
    const response = await this.router.call(RPC.RPC_RRDB_RRDB_MULTI_GET, args, hashTarget(hk), this.deadline(options));
    if (response.error !== StorageStatus.kIncomplete) expectOk(response.error, 'multiGet');
    return {
      kvs: response.kvs.map((kv) => ({ sortKey: kv.key, value: kv.value })),
      complete: response.error === StorageStatus.kOk,
    };
  }

  /** Sets several sort keys of one hash key atomically, all with the same TTL. */
  async multiSet(hashKey: Bytes, kvs: Iterable<readonly [Bytes, Bytes]>, options: SetOptions = {}): Promise<void> {
    const hk = toNonEmptyHashKey(hashKey, 'multiSet');
    const list = [...kvs].map(([sortKey, value]) => ({ key: toBuffer(sortKey), value: toBuffer(value) }));
    if (list.length === 0) throw invalidParameters('multiSet needs at least one sort key');
    const args = RPC.RPC_RRDB_RRDB_MULTI_PUT.encodeArgs({ hashKey: hk, kvs: list, expireTsSeconds: this.expireTs(options.ttlSeconds ?? 0) });
    const response = await this.router.call(RPC.RPC_RRDB_RRDB_MULTI_PUT, args, hashTarget(hk), this.deadline(options));
    expectOk(response.error, 'multiSet');
  }

  /** Removes several sort keys of one hash key atomically; resolves with the number of keys sent. */
  async multiDel(hashKey: Bytes, sortKeys: readonly Bytes[], options: CallOptions = {}): Promise<number> {
    const hk = toNonEmptyHashKey(hashKey, 'multiDel');
    if (sortKeys.length === 0) throw invalidParameters('multiDel needs at least one sort key');
    const args = RPC.RPC_RRDB_RRDB_MULTI_REMOVE.encodeArgs({ hashKey: hk, sortKeys: sortKeys.map(toBuffer), maxCount: 0 });
    const response = await this.router.call(RPC.RPC_RRDB_RRDB_MULTI_REMOVE, args, hashTarget(hk), this.deadline(options));
    expectOk(response.error, 'multiDel');
    return response.count;
  }

  /**
   * Values of any keys, in the order asked (undefined for absent ones): one BATCH_GET per partition, all in
   * parallel under the one deadline. A partition's group is routed by its first key.
   */
  async batchGet(keys: ReadonlyArray<readonly [Bytes, Bytes]>, options: CallOptions = {}): Promise<Array<Buffer | undefined>> {
    if (keys.length === 0) return [];
    const deadline = this.deadline(options);
    const config = await this.router.currentConfig(deadline);
    const groups = new Map<number, { target: RouteTarget; keys: FullKey[] }>();
    const fullKeys = keys.map(([hashKey, sortKey]) => ({ hashKey: toHashKey(hashKey), sortKey: toBuffer(sortKey) }));
    for (const fullKey of fullKeys) {
      const target = keyTarget(generateKey(fullKey.hashKey, fullKey.sortKey));
      const partitionIndex = routePartitionIndex(config, target.partitionHash);
      const group = groups.get(partitionIndex);
      if (group === undefined) groups.set(partitionIndex, { target, keys: [fullKey] });
      else group.keys.push(fullKey);
    }
    const found = new Map<string, Buffer>();
    await Promise.all(
      [...groups.values()].map(async (group) => {
        const args = RPC.RPC_RRDB_RRDB_BATCH_GET.encodeArgs({ keys: group.keys });
        const response = await this.router.call(RPC.RPC_RRDB_RRDB_BATCH_GET, args, group.target, deadline);
        expectOk(response.error, 'batchGet');
        for (const data of response.data) found.set(fullKeyId(data.hashKey, data.sortKey), data.value);
      }),
    );
    return fullKeys.map((k) => found.get(fullKeyId(k.hashKey, k.sortKey)));
  }

  /** Unexpired sort keys of the hash key. */
  async sortKeyCount(hashKey: Bytes, options: CallOptions = {}): Promise<number> {
    const hk = toNonEmptyHashKey(hashKey, 'sortKeyCount');
    const args = RPC.RPC_RRDB_RRDB_SORTKEY_COUNT.encodeArgs(hk);
    const response = await this.router.call(RPC.RPC_RRDB_RRDB_SORTKEY_COUNT, args, hashTarget(hk), this.deadline(options));
    expectOk(response.error, 'sortKeyCount');
    return response.count;
  }

  /** Adds `increment` to the int64 stored as decimal text (absent = 0); resolves with the new value. */
  async incr(hashKey: Bytes, sortKey: Bytes, increment: bigint | number, options: IncrOptions = {}): Promise<bigint> {
    const delta = typeof increment === 'bigint' ? increment : Number.isSafeInteger(increment) ? BigInt(increment) : undefined;
    if (delta === undefined || delta < INT64_MIN || delta > INT64_MAX) throw invalidParameters(`increment ${String(increment)} is not an int64`);
    const ttlSeconds = options.ttlSeconds ?? 0;
    const expireTsSeconds = ttlSeconds < 0 ? -1 : this.expireTs(ttlSeconds);
    const key = generateKey(toHashKey(hashKey), toBuffer(sortKey));
    const args = RPC.RPC_RRDB_RRDB_INCR.encodeArgs({ key, increment: delta, expireTsSeconds });
    const response = await this.router.call(RPC.RPC_RRDB_RRDB_INCR, args, keyTarget(key), this.deadline(options));
    expectOk(response.error, 'incr');
    return response.newValue;
  }

  /**
   * If the value at `checkSortKey` passes `checkType` against `checkOperand`, sets `setSortKey` (which may
   * be the same key) to `setValue`. A failed check is a result (`setSucceed: false`), not an error.
   */
  async checkAndSet(
    hashKey: Bytes,
    checkSortKey: Bytes,
    checkType: number,
    checkOperand: Bytes,
    setSortKey: Bytes,
    setValue: Bytes,
    options: CheckAndSetOptions = {},
  ): Promise<CheckAndSetResult> {
    const hk = toNonEmptyHashKey(hashKey, 'checkAndSet');
    const checkKey = toBuffer(checkSortKey);
    const setKey = toBuffer(setSortKey);
    const args = RPC.RPC_RRDB_RRDB_CHECK_AND_SET.encodeArgs({
      hashKey: hk,
      checkSortKey: checkKey,
      checkType,
      checkOperand: toBuffer(checkOperand),
      setDiffSortKey: !checkKey.equals(setKey),
      setSortKey: setKey,
      setValue: toBuffer(setValue),
      setExpireTsSeconds: this.expireTs(options.ttlSeconds ?? 0),
      returnCheckValue: options.returnCheckValue ?? false,
    });
    const response = await this.router.call(RPC.RPC_RRDB_RRDB_CHECK_AND_SET, args, hashTarget(hk), this.deadline(options));
    if (response.error !== StorageStatus.kTryAgain) expectOk(response.error, 'checkAndSet');
    return {
      setSucceed: response.error === StorageStatus.kOk,
      checkValueReturned: response.checkValueReturned,
      checkValueExist: response.checkValueExist,
      checkValue: response.checkValueReturned && response.checkValueExist ? response.checkValue : undefined,
    };
  }

  /** Like checkAndSet, applying a list of sets and deletes atomically when the check passes. */
  async checkAndMutate(
    hashKey: Bytes,
    checkSortKey: Bytes,
    checkType: number,
    checkOperand: Bytes,
    mutations: Mutations | readonly Mutation[],
    options: CheckAndMutateOptions = {},
  ): Promise<CheckAndMutateResult> {
    const hk = toNonEmptyHashKey(hashKey, 'checkAndMutate');
    const list = mutations instanceof Mutations ? mutations.list : mutations;
    if (list.length === 0) throw invalidParameters('checkAndMutate needs at least one mutation');
    const mutateList: Mutate[] = list.map((m) =>
      m.operation === 'set'
        ? { operation: MutateOperation.MO_PUT, sortKey: toBuffer(m.sortKey), value: toBuffer(m.value), setExpireTsSeconds: this.expireTs(m.ttlSeconds) }
        : { operation: MutateOperation.MO_DELETE, sortKey: toBuffer(m.sortKey), value: Buffer.alloc(0), setExpireTsSeconds: 0 },
    );
    const args = RPC.RPC_RRDB_RRDB_CHECK_AND_MUTATE.encodeArgs({
      hashKey: hk,
      checkSortKey: toBuffer(checkSortKey),
      checkType,
      checkOperand: toBuffer(checkOperand),
      mutateList,
      returnCheckValue: options.returnCheckValue ?? false,
    });
    const response = await this.router.call(RPC.RPC_RRDB_RRDB_CHECK_AND_MUTATE, args, hashTarget(hk), this.deadline(options));
    if (response.error !== StorageStatus.kTryAgain) expectOk(response.error, 'checkAndMutate');
    return {
      mutateSucceed: response.error === StorageStatus.kOk,
      checkValueReturned: response.checkValueReturned,
      checkValueExist: response.checkValueExist,
      checkValue: response.checkValueReturned && response.checkValueExist ? response.checkValue : undefined,
    };
  }

  /**
   * A scanner over the sort keys of one hash key in [startSortKey, stopSortKey) (inclusiveness from the
   * options; an empty stop sort key = to the end of the hash key).
   */
  getScanner(hashKey: Bytes, startSortKey: Bytes | undefined, stopSortKey: Bytes | undefined, options: ScanOptions = {}): PegasusScanner {
    const hk = toNonEmptyHashKey(hashKey, 'getScanner');
    return new PegasusScanner(this.router, hashScanSplits(hk, startSortKey, stopSortKey, options), this.scanSettings(options));
  }

  /** min(maxSplitCount, partition count) scanners that together cover the whole table, in no order. */
  async getUnorderedScanners(maxSplitCount: number, options: ScanOptions = {}): Promise<PegasusScanner[]> {
    const settings = this.scanSettings(options);
    const config = await this.router.currentConfig(new Deadline(this.router.clock, settings.timeoutMs, options.signal));
    return unorderedScanSplits(config.partitionCount, maxSplitCount, options).map((splits) => new PegasusScanner(this.router, splits, settings));
  }

  private scanSettings(options: ScanOptions): { timeoutMs: number; signal?: AbortSignal } {
    const timeoutMs = checkTimeoutMs(options.timeoutMs ?? this.timeoutMsDefault, 'timeoutMs');
    return options.signal === undefined ? { timeoutMs } : { timeoutMs, signal: options.signal };
  }

  private deadline(options: CallOptions): Deadline {
    return new Deadline(this.router.clock, checkTimeoutMs(options.timeoutMs ?? this.timeoutMsDefault, 'timeoutMs'), options.signal);
  }

  /** 0 for no TTL, else now + ttl in seconds since the Pegasus epoch. */
  private expireTs(ttlSeconds: number): number {
    if (!Number.isInteger(ttlSeconds) || ttlSeconds < 0) throw invalidParameters(`ttlSeconds ${ttlSeconds} must be a whole number ≥ 0`);
    if (ttlSeconds === 0) return 0;
    const nowEpochSeconds = Math.floor(this.router.clock.nowMs() / 1000) - PEGASUS_EPOCH_UNIX_SECONDS;
    const expireTs = nowEpochSeconds + ttlSeconds;
    if (expireTs > EXPIRE_TS_MAX) throw invalidParameters(`ttlSeconds ${ttlSeconds} reaches past the largest expire_ts`);
    return expireTs;
  }
}

/** Single-key operations hash the hash key, or the sort key when the hash key is empty (protocol.md §3.2). */
function keyTarget(key: Buffer): RouteTarget {
  return { partitionHash: keyHash(key) };
}

/** Multi-key operations hash the hash key alone. */
function hashTarget(hashKey: Buffer): RouteTarget {
  return { partitionHash: crc64(hashKey) };
}

function fullKeyId(hashKey: Buffer, sortKey: Buffer): string {
  return `${hashKey.length}:${hashKey.toString('hex')}${sortKey.toString('hex')}`;
}

function expectOk(status: number, operation: string): void {
  if (status !== StorageStatus.kOk) throw new PegasusStorageError(status, `${operation} failed`);
}

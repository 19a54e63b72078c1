/**
 * Point and hash-key reads of the rrdb service: get, multi_get, batch_get, sortkey_count, ttl
 * (upstream `pegasus_server_impl::on_*`). Expired records are invisible to every read.
 */
import { StorageStatus } from '../../base/error-code.ts';
import { generateKey, hashKeyPrefix, isWellFormedKey, prefixSuccessor, restoreKey } from '../../base/key-schema.ts';
import { extractExpireTs, extractUserData, isExpired } from '../../base/value-schema.ts';
import {
  FilterType,
  type BatchGetRequest,
  type BatchGetResponse,
  type CountResponse,
  type FullData,
  type KeyValue,
  type MultiGetRequest,
  type MultiGetResponse,
  type ReadResponse,
  type TtlResponse,
} from '../../idl/rrdb.ts';
import { type RrdbContext, epochNow, origin } from './context.ts';
import { RangeCursor } from './cursor.ts';
import { isFilterTypeSupported, matchFilter } from './filter.ts';
import { RangeReadLimiter } from './range-limiter.ts';


const EMPTY = Buffer.alloc(0);
/** Rows asked from the store per batch in range reads. */
const RANGE_FETCH_ROWS_MAX = 1024;
const INT32_MAX = 0x7fffffff;

type RowState = 'normal' | 'expired' | 'filtered';

export class ReadService {
  constructor(private readonly context: RrdbContext) {}

  async get(key: Buffer): Promise<ReadResponse> {
    const response: ReadResponse = { error: StorageStatus.kOk, value: EMPTY, ...origin(this.context) };
    if (!isWellFormedKey(key)) {
      response.error = StorageStatus.kInvalidArgument;
      return response;
    }
    const raw = await this.context.store.get(key);
    const version = this.context.store.dataVersion;
    if (raw === undefined || isExpired(extractExpireTs(version, raw), epochNow(this.context))) {
      response.error = StorageStatus.kNotFound;
      return response;
    }
    response.value = extractUserData(version, raw);
    return response;
  }

  async ttl(key: Buffer): Promise<TtlResponse> {
    const response: TtlResponse = { error: StorageStatus.kOk, ttlSeconds: 0, ...origin(this.context) };
    if (!isWellFormedKey(key)) {
      response.error = StorageStatus.kInvalidArgument;
      return response;
    }
    const raw = await this.context.store.get(key);
    const now = epochNow(this.context);
    const expireTs = raw === undefined ? 0 : extractExpireTs(this.context.store.dataVersion, raw);
    if (raw === undefined || isExpired(expireTs, now)) {
      response.error = StorageStatus.kNotFound;
      return response;
    }
    response.ttlSeconds = expireTs > 0 ? expireTs - now : -1;
    return response;
  }

  async multiGet(request: MultiGetRequest): Promise<MultiGetResponse> {
    const response: MultiGetResponse = { error: StorageStatus.kOk, kvs: [], ...origin(this.context) };
    if (!isFilterTypeSupported(request.sortKeyFilterType) || request.hashKey.length >= 0xffff) {
      response.error = StorageStatus.kInvalidArgument;
      return response;
    }
    const limits = this.context.limits;
    let maxKvCount = limits.multiGetMaxIterationCount;
    if (request.maxKvCount > 0 && request.maxKvCount < maxKvCount) maxKvCount = request.maxKvCount;
    const maxKvSize = request.maxKvSize > 0 ? request.maxKvSize : INT32_MAX;
    const sizeConfig = limits.multiGetMaxIterationSizeBytes > 0 ? limits.multiGetMaxIterationSizeBytes : INT32_MAX;
    const maxIterationSize = Math.min(maxKvSize, sizeConfig);
    if (request.sortKeys.length > 0) return this.multiGetKeys(request, response, maxKvCount, maxKvSize);
    return this.multiGetRange(request, response, maxKvCount, maxIterationSize);
  }

  private async multiGetKeys(
    request: MultiGetRequest,
    response: MultiGetResponse,
    maxKvCount: number,
    maxKvSize: number,
  ): Promise<MultiGetResponse> {
    const keys = request.sortKeys.map((sortKey) => generateKey(request.hashKey, sortKey));
    const values = await this.context.store.multiGet(keys);
    const version = this.context.store.dataVersion;
    const now = epochNow(this.context);
    let count = 0;
    let size = 0;
    for (let i = 0; i < keys.length; i++) {
      const raw = values[i];
      if (raw === undefined || isExpired(extractExpireTs(version, raw), now)) continue;
      if (count >= maxKvCount || size >= maxKvSize) {
        response.error = StorageStatus.kIncomplete;
        break;
      }
      const kv: KeyValue = { key: request.sortKeys[i]!, value: request.noValue ? EMPTY : extractUserData(version, raw) };
      count++;
      size += kv.key.length + kv.value.length;
      response.kvs.push(kv);
    }
    return response;
  }

  private async multiGetRange(
    request: MultiGetRequest,
    response: MultiGetResponse,
    maxKvCount: number,
    maxIterationSize: number,
  ): Promise<MultiGetResponse> {
    let start = generateKey(request.hashKey, request.startSortkey);
    let startInclusive = request.startInclusive;
    let stop: Buffer;
    let stopInclusive: boolean;
    const hashPrefix = hashKeyPrefix(request.hashKey);
    const hashEnd = prefixSuccessor(hashPrefix);
    if (request.stopSortkey.length === 0) {
      // The end of the hash key: upstream's `pegasus_generate_next_blob(hash_key)`.
      stop = hashEnd ?? Buffer.from([0xff, 0xff, 0xff]);
      stopInclusive = false;
    } else {
      stop = generateKey(request.hashKey, request.stopSortkey);
      stopInclusive = request.stopInclusive;
    }
    // A prefix filter narrows the range itself.
    if (request.sortKeyFilterType === FilterType.FT_MATCH_PREFIX && request.sortKeyFilterPattern.length > 0) {
      const prefixStart = generateKey(request.hashKey, request.sortKeyFilterPattern);
      if (Buffer.compare(prefixStart, start) > 0) {
        start = prefixStart;
        startInclusive = true;
      }
      const prefixStop = prefixSuccessor(prefixStart);
      if (prefixStop !== undefined && Buffer.compare(prefixStop, stop) <= 0) {
        stop = prefixStop;
        stopInclusive = false;
      }
    }
    const c = Buffer.compare(start, stop);
    if (c > 0 || (c === 0 && (!startInclusive || !stopInclusive))) return response;

    const limits = this.context.limits;
    const limiter = new RangeReadLimiter(
      this.context.clock,
      limits.multiGetMaxIterationCount,
      maxIterationSize,
      limits.iterationThresholdTimeMs,
    );
    // Forward reads stay within the hash key (upstream's prefix_same_as_start); reverse reads use total
    // order, so a limit reached just above another hash key still counts as incomplete.
    const iterator = this.context.store.iterator(
      request.reverse ? { reverse: true } : { reverse: false, ...(hashEnd ? { upper: hashEnd } : {}) },
    );
    const fetchRows = Math.min(RANGE_FETCH_ROWS_MAX, maxKvCount + 2);
    const cursor = new RangeCursor(iterator, fetchRows);
    const version = this.context.store.dataVersion;
    const now = epochNow(this.context);
    const found: KeyValue[] = [];
    let count = 0;
    let complete = false;
    try {
      iterator.seek(request.reverse ? stop : start);
      // The bound on the side the read starts from is skipped once if exclusive.
      let firstExclusive = request.reverse ? !stopInclusive : !startInclusive;
      const first = request.reverse ? stop : start;
      while (count < maxKvCount && limiter.valid() && (cursor.buffered() || (await cursor.fill()))) {
        const key = cursor.key();
        // Distance to the far bound: past it, the read is complete.
        const far = request.reverse ? Buffer.compare(start, key) : Buffer.compare(key, stop);
        const farInclusive = request.reverse ? startInclusive : stopInclusive;
        if (far > 0 || (far === 0 && !farInclusive)) {
          complete = true;
          break;
        }
        if (firstExclusive) {
          firstExclusive = false;
          if (key.equals(first)) {
            cursor.next();
            continue;
          }
        }
        limiter.addCount();
        const state = this.rangeRow(request, key, cursor.value(), version, now, found);
        if (state === 'normal') {
          count++;
          const kv = found[found.length - 1]!;
          limiter.addSize(kv.key.length + kv.value.length);
        }
        if (far === 0) {
          complete = true;
          break;
        }
        cursor.next();
      }
      if (!complete && (await cursor.valid())) response.error = StorageStatus.kIncomplete;
    } finally {
      cursor.close();
    }
    response.kvs = request.reverse ? found.reverse() : found;
    return response;
  }

  private rangeRow(
    request: MultiGetRequest,
    key: Buffer,
    raw: Buffer,
    version: 0 | 1,
    now: number,
    out: KeyValue[],
  ): RowState {
    if (isExpired(extractExpireTs(version, raw), now)) return 'expired';
    const { sortKey } = restoreKey(key);
    if (!matchFilter(request.sortKeyFilterType, request.sortKeyFilterPattern, sortKey)) return 'filtered';
    out.push({ key: Buffer.from(sortKey), value: request.noValue ? EMPTY : extractUserData(version, raw) });
    return 'normal';
  }

  async batchGet(request: BatchGetRequest): Promise<BatchGetResponse> {
    const response: BatchGetResponse = { error: StorageStatus.kOk, data: [], ...origin(this.context) };
    if (request.keys.length === 0 || request.keys.some((k) => k.hashKey.length >= 0xffff)) {
      response.error = StorageStatus.kInvalidArgument;
      return response;
    }
    const values = await this.context.store.multiGet(request.keys.map((k) => generateKey(k.hashKey, k.sortKey)));
    const version = this.context.store.dataVersion;
    const now = epochNow(this.context);
    const data: FullData[] = [];
    request.keys.forEach((fullKey, i) => {
      const raw = values[i];
      if (raw === undefined || isExpired(extractExpireTs(version, raw), now)) return;
      data.push({ hashKey: fullKey.hashKey, sortKey: fullKey.sortKey, value: extractUserData(version, raw) });
    });
    response.data = data;
    return response;
  }

  async sortkeyCount(hashKey: Buffer): Promise<CountResponse> {
    const response: CountResponse = { error: StorageStatus.kOk, count: 0, ...origin(this.context) };
    if (hashKey.length >= 0xffff) {
      response.error = StorageStatus.kInvalidArgument;
      return response;
    }
    const prefix = hashKeyPrefix(hashKey);
    const upper = prefixSuccessor(prefix);
    const iterator = this.context.store.iterator({ lower: prefix, ...(upper ? { upper } : {}), reverse: false });
    const cursor = new RangeCursor(iterator, RANGE_FETCH_ROWS_MAX);
    const limits = this.context.limits;
    const limiter = new RangeReadLimiter(this.context.clock, limits.maxIterationCount, 0, limits.iterationThresholdTimeMs);
    const version = this.context.store.dataVersion;
    const now = epochNow(this.context);
    try {
      iterator.seekToStart();
      // Only the time bounds a count: it walks the whole hash key otherwise.
      while (limiter.timeCheck() && (cursor.buffered() || (await cursor.fill()))) {
        limiter.addCount();
        if (!isExpired(extractExpireTs(version, cursor.value()), now)) response.count++;
        cursor.next();
      }
    } finally {
      cursor.close();
    }
    if (limiter.exceedLimit()) response.count = -1;
    return response;
  }
}

/**
 * The write side of the rrdb service (upstream `pegasus_write_service` and its `impl`): every mutation is
 * applied as one atomic store batch together with its decree. Single puts and removes of one mutation share
 * one batch and one outcome; every other kind is a mutation of its own. A request that cannot be applied
 * (invalid argument, failed check) still records the decree, as upstream's "empty put" does, so the applied
 * decree always advances by exactly one per mutation.
 */
import { PegasusError, StorageStatus } from '../../base/error-code.ts';
import { assert } from '../../base/assert.ts';
import { HASH_KEY_LENGTH_LIMIT, generateKey, isWellFormedKey } from '../../base/key-schema.ts';
import {
  extractExpireTs,
  extractUserData,
  generateTimetag,
  generateValue,
  isExpired,
  type DataVersion,
} from '../../base/value-schema.ts';
import {
  MutateOperation,
  type CheckAndMutateRequest,
  type CheckAndMutateResponse,
  type CheckAndSetRequest,
  type CheckAndSetResponse,
  type IncrRequest,
  type IncrResponse,
  type MultiPutRequest,
  type MultiRemoveRequest,
  type MultiRemoveResponse,
  type UpdateRequest,
  type UpdateResponse,
} from '../../idl/rrdb.ts';
import type { StoreWriteBatch } from '../partition-store.ts';
import { isCheckTypeSupported, validateCheck } from './check.ts';
import { type RrdbContext, epochNow, origin } from './context.ts';
import { isInt64, parseInt64Strict } from './int64.ts';

export type WriteRequest =
  | { code: 'RPC_RRDB_RRDB_PUT'; request: UpdateRequest }
  | { code: 'RPC_RRDB_RRDB_REMOVE'; request: Buffer }
  | { code: 'RPC_RRDB_RRDB_MULTI_PUT'; request: MultiPutRequest }
  | { code: 'RPC_RRDB_RRDB_MULTI_REMOVE'; request: MultiRemoveRequest }
  | { code: 'RPC_RRDB_RRDB_INCR'; request: IncrRequest }
  | { code: 'RPC_RRDB_RRDB_CHECK_AND_SET'; request: CheckAndSetRequest }
  | { code: 'RPC_RRDB_RRDB_CHECK_AND_MUTATE'; request: CheckAndMutateRequest };

export type WriteCode = WriteRequest['code'];

export type WriteResponse = UpdateResponse | MultiRemoveResponse | IncrResponse | CheckAndSetResponse;

/** Single puts and removes may share a mutation (upstream batches them up to 1 MiB). */
export function isBatchable(code: WriteCode): boolean {
  return code === 'RPC_RRDB_RRDB_PUT' || code === 'RPC_RRDB_RRDB_REMOVE';
}

/** `max_allowed_write_size`: upstream's replica refuses bigger write requests with ERR_INVALID_DATA. */
export const WRITE_SIZE_BYTES_MAX_DEFAULT = 1024 * 1024;

function payloadBytes(write: WriteRequest): number {
  switch (write.code) {
    case 'RPC_RRDB_RRDB_PUT':
      return write.request.key.length + write.request.value.length;
    case 'RPC_RRDB_RRDB_REMOVE':
      return write.request.length;
    case 'RPC_RRDB_RRDB_MULTI_PUT':
      return write.request.kvs.reduce((sum, kv) => sum + kv.key.length + kv.value.length, write.request.hashKey.length);
    case 'RPC_RRDB_RRDB_MULTI_REMOVE':
      return write.request.sortKeys.reduce((sum, k) => sum + k.length, write.request.hashKey.length);
    case 'RPC_RRDB_RRDB_INCR':
      return write.request.key.length + 8;
    case 'RPC_RRDB_RRDB_CHECK_AND_SET': {
      const r = write.request;
      return r.hashKey.length + r.checkSortKey.length + r.checkOperand.length + r.setSortKey.length + r.setValue.length;
    }
    case 'RPC_RRDB_RRDB_CHECK_AND_MUTATE': {
      const r = write.request;
      return r.mutateList.reduce(
        (sum, m) => sum + m.sortKey.length + m.value.length,
        r.hashKey.length + r.checkSortKey.length + r.checkOperand.length,
      );
    }
  }
}

function hashKeyOf(write: WriteRequest): Buffer | undefined {
  switch (write.code) {
    case 'RPC_RRDB_RRDB_MULTI_PUT':
    case 'RPC_RRDB_RRDB_MULTI_REMOVE':
    case 'RPC_RRDB_RRDB_CHECK_AND_SET':
    case 'RPC_RRDB_RRDB_CHECK_AND_MUTATE':
      return write.request.hashKey;
    default:
      return undefined;
  }
}

function compositeKeyOf(write: WriteRequest): Buffer | undefined {
  switch (write.code) {
    case 'RPC_RRDB_RRDB_PUT':
    case 'RPC_RRDB_RRDB_INCR':
      return write.request.key;
    case 'RPC_RRDB_RRDB_REMOVE':
      return write.request;
    default:
      return undefined;
  }
}

/**
 * Refuses, before a decree is assigned, what must never reach the log: requests over the write size limit
 * and keys that cannot be stored (a malformed composite key, a hash key of 65535 bytes or more).
 */
export function checkWriteRequest(write: WriteRequest, writeSizeBytesMax = WRITE_SIZE_BYTES_MAX_DEFAULT): void {
  const bytes = payloadBytes(write);
  if (bytes > writeSizeBytesMax) {
    throw new PegasusError('ERR_INVALID_DATA', `${write.code} carries ${bytes} bytes, over max_allowed_write_size ${writeSizeBytesMax}`);
  }
  const key = compositeKeyOf(write);
  if (key !== undefined && !isWellFormedKey(key)) {
    throw new PegasusError('ERR_INVALID_DATA', `${write.code} key is not a well-formed hash_key/sort_key pair`);
  }
  const hashKey = hashKeyOf(write);
  if (hashKey !== undefined && hashKey.length >= HASH_KEY_LENGTH_LIMIT) {
    throw new PegasusError('ERR_INVALID_DATA', `${write.code} hash_key of ${hashKey.length} bytes is over the limit`);
  }
}

/** One mutation in the making: the store batch, the decree and the time that goes into timetags. */
interface MutationContext {
  decree: number;
  batch: StoreWriteBatch;
  timetag: bigint;
}

const EMPTY = Buffer.alloc(0);

export class WriteService {
  private applying = false;

  constructor(
    private readonly context: RrdbContext,
    private readonly clusterId: number,
  ) {}

  /**
   * Applies one mutation: `decree` must be the next one. Batchable requests may come many at a time;
   * any other request comes alone. The responses come back in request order.
   */
  async apply(decree: number, timestampUs: number, writes: WriteRequest[]): Promise<WriteResponse[]> {
    const store = this.context.store;
    assert(!this.applying, 'a mutation is applied while another is in flight');
    assert(decree === store.lastAppliedDecree() + 1, `decree ${decree} applied after ${store.lastAppliedDecree()}`);
    assert(writes.length <= 1 || writes.every((w) => isBatchable(w.code)), 'only single puts and removes share a mutation');
    this.applying = true;
    try {
      const mutation: MutationContext = {
        decree,
        batch: store.newBatch(),
        timetag: store.dataVersion === 1 ? generateTimetag(timestampUs, this.clusterId, false) : 0n,
      };
      if (writes.length === 0) {
        await store.write(decree, mutation.batch);
        return [];
      }
      const first = writes[0]!;
      if (isBatchable(first.code)) return await this.applyBatched(mutation, writes);
      return [await this.applySingle(mutation, first)];
    } finally {
      this.applying = false;
    }
  }

  private value(mutation: MutationContext, userValue: Buffer, expireTsSeconds: number): Buffer {
    // The i32 from the wire is stored as upstream's uint32 cast; a table default_ttl fills in a missing
    // TTL at write time (upstream `rocksdb_wrapper::db_expire_ts`), compaction does it for older rows.
    let expireTs = expireTsSeconds >>> 0;
    if (expireTs === 0 && this.context.defaultTtlSeconds > 0) expireTs = epochNow(this.context) + this.context.defaultTtlSeconds;
    return generateValue(this.context.store.dataVersion, userValue, expireTs, mutation.timetag);
  }

  private async applyBatched(mutation: MutationContext, writes: WriteRequest[]): Promise<UpdateResponse[]> {
    let error: number = StorageStatus.kOk;
    for (const write of writes) {
      const key = compositeKeyOf(write);
      if (key === undefined || !isWellFormedKey(key)) {
        error = StorageStatus.kInvalidArgument;
        break;
      }
      if (write.code === 'RPC_RRDB_RRDB_PUT') mutation.batch.put(key, this.value(mutation, write.request.value, write.request.expireTsSeconds));
      else mutation.batch.delete(key);
    }
    // Upstream gives every response of the batch the batch's one outcome.
    await this.context.store.write(mutation.decree, error === StorageStatus.kOk ? mutation.batch : this.context.store.newBatch());
    return writes.map(() => ({ error, decree: mutation.decree, ...origin(this.context) }));
  }

  private async applySingle(mutation: MutationContext, write: WriteRequest): Promise<WriteResponse> {
    switch (write.code) {
      case 'RPC_RRDB_RRDB_MULTI_PUT':
        return this.multiPut(mutation, write.request);
      case 'RPC_RRDB_RRDB_MULTI_REMOVE':
        return this.multiRemove(mutation, write.request);
      case 'RPC_RRDB_RRDB_INCR':
        return this.incr(mutation, write.request);
      case 'RPC_RRDB_RRDB_CHECK_AND_SET':
        return this.checkAndSet(mutation, write.request);
      case 'RPC_RRDB_RRDB_CHECK_AND_MUTATE':
        return this.checkAndMutate(mutation, write.request);
      default:
        throw new Error(`unreachable: ${write.code} is batchable`);
    }
  }

  /** Records only the decree (upstream's empty put after a refused request). */
  private async writeDecreeOnly(mutation: MutationContext): Promise<void> {
    await this.context.store.write(mutation.decree, this.context.store.newBatch());
  }

  private async multiPut(mutation: MutationContext, request: MultiPutRequest): Promise<UpdateResponse> {
    const response: UpdateResponse = { error: StorageStatus.kOk, decree: mutation.decree, ...origin(this.context) };
    if (request.kvs.length === 0 || request.hashKey.length >= HASH_KEY_LENGTH_LIMIT) {
      response.error = StorageStatus.kInvalidArgument;
      await this.writeDecreeOnly(mutation);
      return response;
    }
    for (const kv of request.kvs) {
      mutation.batch.put(generateKey(request.hashKey, kv.key), this.value(mutation, kv.value, request.expireTsSeconds));
    }
    await this.context.store.write(mutation.decree, mutation.batch);
    return response;
  }

  private async multiRemove(mutation: MutationContext, request: MultiRemoveRequest): Promise<MultiRemoveResponse> {
    const response: MultiRemoveResponse = { error: StorageStatus.kOk, count: 0, decree: mutation.decree, ...origin(this.context) };
    if (request.sortKeys.length === 0 || request.hashKey.length >= HASH_KEY_LENGTH_LIMIT) {
      response.error = StorageStatus.kInvalidArgument;
      await this.writeDecreeOnly(mutation);
      return response;
    }
    for (const sortKey of request.sortKeys) mutation.batch.delete(generateKey(request.hashKey, sortKey));
    await this.context.store.write(mutation.decree, mutation.batch);
    // The number of sort keys asked for, not the number that existed (as upstream).
    response.count = request.sortKeys.length;
    return response;
  }

  /** The current value of `key`: found and not expired, with its expire_ts. */
  private async readCurrent(key: Buffer): Promise<{ exist: boolean; userValue: Buffer; expireTs: number }> {
    const raw = await this.context.store.get(key);
    const version: DataVersion = this.context.store.dataVersion;
    if (raw === undefined) return { exist: false, userValue: EMPTY, expireTs: 0 };
    const expireTs = extractExpireTs(version, raw);
    if (isExpired(expireTs, epochNow(this.context))) return { exist: false, userValue: EMPTY, expireTs: 0 };
    return { exist: true, userValue: extractUserData(version, raw), expireTs };
  }

  private async incr(mutation: MutationContext, request: IncrRequest): Promise<IncrResponse> {
    const response: IncrResponse = { error: StorageStatus.kOk, newValue: 0n, decree: mutation.decree, ...origin(this.context) };
    if (!isWellFormedKey(request.key) || !isInt64(request.increment)) {
      response.error = StorageStatus.kInvalidArgument;
      await this.writeDecreeOnly(mutation);
      return response;
    }
    const current = await this.readCurrent(request.key);
    let newValue: bigint;
    let newExpireTs: number;
    if (!current.exist) {
      // A missing or expired value counts as 0, and only a positive expire_ts applies.
      newValue = request.increment;
      newExpireTs = request.expireTsSeconds > 0 ? request.expireTsSeconds : 0;
    } else {
      if (current.userValue.length === 0) {
        newValue = request.increment;
      } else {
        const oldValue = parseInt64Strict(current.userValue);
        if (oldValue === undefined) {
          response.error = StorageStatus.kInvalidArgument;
          await this.writeDecreeOnly(mutation);
          return response;
        }
        newValue = oldValue + request.increment;
        if (!isInt64(newValue)) {
          response.error = StorageStatus.kInvalidArgument;
          response.newValue = oldValue;
          await this.writeDecreeOnly(mutation);
          return response;
        }
      }
      if (request.expireTsSeconds === 0) newExpireTs = current.expireTs;
      else if (request.expireTsSeconds < 0) newExpireTs = 0;
      else newExpireTs = request.expireTsSeconds;
    }
    mutation.batch.put(request.key, this.value(mutation, Buffer.from(newValue.toString()), newExpireTs));
    await this.context.store.write(mutation.decree, mutation.batch);
    response.newValue = newValue;
    return response;
  }

  private checkResponse(mutation: MutationContext): CheckAndSetResponse {
    return {
      error: StorageStatus.kOk,
      checkValueReturned: false,
      checkValueExist: false,
      checkValue: EMPTY,
      decree: mutation.decree,
      ...origin(this.context),
    };
  }

  private async checkAndSet(mutation: MutationContext, request: CheckAndSetRequest): Promise<CheckAndSetResponse> {
    const response = this.checkResponse(mutation);
    if (!isCheckTypeSupported(request.checkType) || request.hashKey.length >= HASH_KEY_LENGTH_LIMIT) {
      response.error = StorageStatus.kInvalidArgument;
      await this.writeDecreeOnly(mutation);
      return response;
    }
    const checkKey = generateKey(request.hashKey, request.checkSortKey);
    const passed = await this.check(checkKey, request, response);
    if (passed) {
      const setKey = request.setDiffSortKey ? generateKey(request.hashKey, request.setSortKey) : checkKey;
      mutation.batch.put(setKey, this.value(mutation, request.setValue, request.setExpireTsSeconds));
    }
    await this.context.store.write(mutation.decree, mutation.batch);
    return response;
  }

  private async checkAndMutate(mutation: MutationContext, request: CheckAndMutateRequest): Promise<CheckAndMutateResponse> {
    const response = this.checkResponse(mutation);
    const validOperations = request.mutateList.every(
      (m) => m.operation === MutateOperation.MO_PUT || m.operation === MutateOperation.MO_DELETE,
    );
    if (
      request.mutateList.length === 0 ||
      !validOperations ||
      !isCheckTypeSupported(request.checkType) ||
      request.hashKey.length >= HASH_KEY_LENGTH_LIMIT
    ) {
      response.error = StorageStatus.kInvalidArgument;
      await this.writeDecreeOnly(mutation);
      return response;
    }
    const checkKey = generateKey(request.hashKey, request.checkSortKey);
    const passed = await this.check(checkKey, request, response);
    if (passed) {
      for (const m of request.mutateList) {
        const key = generateKey(request.hashKey, m.sortKey);
        if (m.operation === MutateOperation.MO_PUT) mutation.batch.put(key, this.value(mutation, m.value, m.setExpireTsSeconds));
        else mutation.batch.delete(key);
      }
    }
    await this.context.store.write(mutation.decree, mutation.batch);
    return response;
  }

  /** Reads the check value, fills the response's check fields and error, and says whether to mutate. */
  private async check(
    checkKey: Buffer,
    request: CheckAndSetRequest | CheckAndMutateRequest,
    response: CheckAndSetResponse,
  ): Promise<boolean> {
    const current = await this.readCurrent(checkKey);
    if (request.returnCheckValue) {
      response.checkValueReturned = true;
      if (current.exist) {
        response.checkValueExist = true;
        response.checkValue = current.userValue;
      }
    }
    const result = validateCheck(request.checkType, request.checkOperand, current.exist, current.userValue);
    if (!result.passed) response.error = result.invalidArgument ? StorageStatus.kInvalidArgument : StorageStatus.kTryAgain;
    return result.passed;
  }
}

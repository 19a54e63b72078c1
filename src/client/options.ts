/**
 * The option and result shapes of the Table API. Names follow upstream's Java client
 * (`PegasusTableInterface`, `MultiGetOptions`, `ScanOptions`, `CheckAndSetOptions`, `Mutations`), in
 * camelCase with units in the names (`ttlSeconds`, `timeoutMs`).
 */
import { CasCheckType, FilterType } from '../idl/rrdb.ts';
import type { Bytes } from './bytes.ts';

/** `FilterType.FT_NO_FILTER`, `FT_MATCH_ANYWHERE`, `FT_MATCH_PREFIX`, `FT_MATCH_POSTFIX` (protocol.md §4.3). */
export { FilterType };
/** `CheckType.CT_VALUE_NOT_EXIST`, ... `CT_VALUE_INT_GREATER` (protocol.md §4.3): "value OP operand". */
export const CheckType = CasCheckType;

/** What every call accepts. */
export interface CallOptions {
  /** The operation's overall deadline, retries included; default the client's `timeoutMs`. */
  timeoutMs?: number;
  signal?: AbortSignal;
}

export interface SetOptions extends CallOptions {
  /** 0 (default) = never expires. */
  ttlSeconds?: number;
}

export interface IncrOptions extends CallOptions {
  /** 0 (default) keeps the existing TTL, > 0 sets a new one, < 0 clears it (upstream's incr). */
  ttlSeconds?: number;
}

/** Upstream's multi_get defaults: 100 kvs, 1 000 000 bytes. */
export const MULTI_GET_MAX_FETCH_COUNT_DEFAULT = 100;
export const MULTI_GET_MAX_FETCH_SIZE_DEFAULT = 1_000_000;

export interface MultiGetOptions extends CallOptions {
  /** Range reads only (no sort keys given); empty = from the first sort key. */
  startSortKey?: Bytes;
  /** Empty = to the last sort key of the hash key. */
  stopSortKey?: Bytes;
  /** Default true, as Java's MultiGetOptions. */
  startInclusive?: boolean;
  /** Default false. */
  stopInclusive?: boolean;
  sortKeyFilterType?: number;
  sortKeyFilterPattern?: Bytes;
  /** At most this many kvs (≤ 0 = the server's limit); default 100. */
  maxFetchCount?: number;
  /** At most about this many key + value bytes (≤ 0 = the server's limit); default 1 000 000. */
  maxFetchSize?: number;
  /** Only sort keys; values come back empty. */
  noValue?: boolean;
  /** Read from the end of the range; kvs still come back in ascending order. */
  reverse?: boolean;
}

export interface SortKeyValue {
  sortKey: Buffer;
  value: Buffer;
}

export interface MultiGetResult {
  /** Ascending by sort key. */
  kvs: SortKeyValue[];
  /** False when a count or size limit cut the result short (the server's kIncomplete). */
  complete: boolean;
}

export interface CheckAndSetOptions extends CallOptions {
  /** TTL of the value set; 0 = none. */
  ttlSeconds?: number;
  returnCheckValue?: boolean;
}

export interface CheckAndSetResult {
  /** False when the check did not pass (the server's kTryAgain): nothing was written. */
  setSucceed: boolean;
  checkValueReturned: boolean;
  checkValueExist: boolean;
  /** The value checked, when returned and it existed. */
  checkValue: Buffer | undefined;
}

export interface CheckAndMutateOptions extends CallOptions {
  returnCheckValue?: boolean;
}

export interface CheckAndMutateResult {
  mutateSucceed: boolean;
  checkValueReturned: boolean;
  checkValueExist: boolean;
  checkValue: Buffer | undefined;
}

export type Mutation =
  | { operation: 'set'; sortKey: Bytes; value: Bytes; ttlSeconds: number }
  | { operation: 'del'; sortKey: Bytes };

/** The mutate list of checkAndMutate, applied atomically in order when the check passes. */
export class Mutations {
  readonly list: Mutation[] = [];

  set(sortKey: Bytes, value: Bytes, ttlSeconds = 0): this {
    this.list.push({ operation: 'set', sortKey, value, ttlSeconds });
    return this;
  }

  del(sortKey: Bytes): this {
    this.list.push({ operation: 'del', sortKey });
    return this;
  }
}

/** Java's ScanOptions default batch size. */
export const SCAN_BATCH_SIZE_DEFAULT = 1000;

export interface ScanOptions {
  /** Per SCAN RPC (each batch has its own deadline); default the client's `timeoutMs`. */
  timeoutMs?: number;
  /** Aborts the RPC in flight and every later one. */
  signal?: AbortSignal;
  /** kvs per batch; default 1000. */
  batchSize?: number;
  /** Default true. */
  startInclusive?: boolean;
  /** Default false. */
  stopInclusive?: boolean;
  hashKeyFilterType?: number;
  hashKeyFilterPattern?: Bytes;
  sortKeyFilterType?: number;
  sortKeyFilterPattern?: Bytes;
  noValue?: boolean;
  /** Fill `expireTsSeconds` of each entry (absolute, Pegasus epoch; 0 = none). */
  returnExpireTs?: boolean;
  /** The server counts instead of returning kvs: use `scanner.count()`. */
  onlyReturnCount?: boolean;
}

export interface ScanEntry {
  hashKey: Buffer;
  sortKey: Buffer;
  value: Buffer;
  /** Only with `returnExpireTs`. */
  expireTsSeconds?: number;
}

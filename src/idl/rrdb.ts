/**
 * TypeScript shapes of the client-facing `rrdb` service structs (upstream idl/rrdb.thrift; field ids and
 * wire types are in protocol.md §4). Field names are camelCase versions of the thrift names. The binary
 * codecs arrive with the RPC layer; storage works on these shapes.
 *
 * i64 fields that carry arbitrary 64-bit integers (incr's increment and result) are bigint; decrees,
 * counts and scan context ids stay number (they are far below 2^53 in practice and the codec range-checks).
 */

export const FilterType = {
  FT_NO_FILTER: 0,
  FT_MATCH_ANYWHERE: 1,
  FT_MATCH_PREFIX: 2,
  FT_MATCH_POSTFIX: 3,
} as const;
export type FilterType = number;

export const CasCheckType = {
  CT_NO_CHECK: 0,
  CT_VALUE_NOT_EXIST: 1,
  CT_VALUE_NOT_EXIST_OR_EMPTY: 2,
  CT_VALUE_EXIST: 3,
  CT_VALUE_NOT_EMPTY: 4,
  CT_VALUE_MATCH_ANYWHERE: 5,
  CT_VALUE_MATCH_PREFIX: 6,
  CT_VALUE_MATCH_POSTFIX: 7,
  CT_VALUE_BYTES_LESS: 8,
  CT_VALUE_BYTES_LESS_OR_EQUAL: 9,
  CT_VALUE_BYTES_EQUAL: 10,
  CT_VALUE_BYTES_GREATER_OR_EQUAL: 11,
  CT_VALUE_BYTES_GREATER: 12,
  CT_VALUE_INT_LESS: 13,
  CT_VALUE_INT_LESS_OR_EQUAL: 14,
  CT_VALUE_INT_EQUAL: 15,
  CT_VALUE_INT_GREATER_OR_EQUAL: 16,
  CT_VALUE_INT_GREATER: 17,
} as const;
/** A number, not the union: the wire can carry any i32 and invalid ones must be answered, not assumed away. */
export type CasCheckType = number;

export const MutateOperation = { MO_PUT: 0, MO_DELETE: 1 } as const;
export type MutateOperation = number;

export const UpdateType = {
  UT_PUT: 0,
  UT_INCR: 1,
  UT_CHECK_AND_SET: 2,
  UT_CHECK_AND_MUTATE_PUT: 3,
  UT_CHECK_AND_MUTATE_REMOVE: 4,
} as const;

/** `scan_response.context_id` when the scan is finished. */
export const SCAN_CONTEXT_ID_COMPLETED = -1;
/** Known to the Python client: a context that does not exist. */
export const SCAN_CONTEXT_ID_NOT_EXIST = -2;

export interface KeyValue {
  key: Buffer;
  value: Buffer;
  expireTsSeconds?: number;
}

/** Fields every rrdb response carries to say who answered. */
export interface ResponseOrigin {
  appId: number;
  partitionIndex: number;
  server: string;
}

export interface UpdateRequest {
  /** Composite key: u16 BE hash key length | hash key | sort key. */
  key: Buffer;
  value: Buffer;
  expireTsSeconds: number;
  type?: number;
  checkValueReturned?: boolean;
  checkValueExist?: boolean;
  checkValue?: Buffer;
}

export interface UpdateResponse extends ResponseOrigin {
  error: number;
  decree: number;
}

export interface ReadResponse extends ResponseOrigin {
  error: number;
  value: Buffer;
}

export interface TtlResponse extends ResponseOrigin {
  error: number;
  ttlSeconds: number;
}

export interface CountResponse extends ResponseOrigin {
  error: number;
  count: number;
}

export interface MultiPutRequest {
  hashKey: Buffer;
  /** Keys are sort keys. */
  kvs: KeyValue[];
  expireTsSeconds: number;
}

export interface MultiRemoveRequest {
  hashKey: Buffer;
  sortKeys: Buffer[];
  maxCount: number;
}

export interface MultiRemoveResponse extends ResponseOrigin {
  error: number;
  count: number;
  decree: number;
}

export interface MultiGetRequest {
  hashKey: Buffer;
  /** Empty means a range read. */
  sortKeys: Buffer[];
  maxKvCount: number;
  maxKvSize: number;
  noValue: boolean;
  startSortkey: Buffer;
  stopSortkey: Buffer;
  startInclusive: boolean;
  stopInclusive: boolean;
  sortKeyFilterType: FilterType;
  sortKeyFilterPattern: Buffer;
  reverse: boolean;
}

export interface MultiGetResponse extends ResponseOrigin {
  error: number;
  /** Keys are sort keys, ascending even for a reverse read. */
  kvs: KeyValue[];
}

export interface FullKey {
  hashKey: Buffer;
  sortKey: Buffer;
}

export interface BatchGetRequest {
  keys: FullKey[];
}

export interface FullData {
  hashKey: Buffer;
  sortKey: Buffer;
  value: Buffer;
}

export interface BatchGetResponse extends ResponseOrigin {
  error: number;
  data: FullData[];
}

export interface IncrRequest {
  key: Buffer;
  increment: bigint;
  /** 0 keeps the existing TTL, > 0 sets this absolute expire_ts, < 0 clears the TTL. */
  expireTsSeconds: number;
}

export interface IncrResponse extends ResponseOrigin {
  error: number;
  newValue: bigint;
  decree: number;
}

export interface CheckAndSetRequest {
  hashKey: Buffer;
  checkSortKey: Buffer;
  checkType: CasCheckType;
  checkOperand: Buffer;
  setDiffSortKey: boolean;
  setSortKey: Buffer;
  setValue: Buffer;
  setExpireTsSeconds: number;
  returnCheckValue: boolean;
}

export interface CheckAndSetResponse extends ResponseOrigin {
  error: number;
  checkValueReturned: boolean;
  checkValueExist: boolean;
  checkValue: Buffer;
  decree: number;
}

export interface Mutate {
  operation: MutateOperation;
  sortKey: Buffer;
  value: Buffer;
  setExpireTsSeconds: number;
}

export interface CheckAndMutateRequest {
  hashKey: Buffer;
  checkSortKey: Buffer;
  checkType: CasCheckType;
  checkOperand: Buffer;
  mutateList: Mutate[];
  returnCheckValue: boolean;
}

export type CheckAndMutateResponse = CheckAndSetResponse;

export interface GetScannerRequest {
  /** Composite keys. An empty stop key means no upper bound. */
  startKey: Buffer;
  stopKey: Buffer;
  startInclusive: boolean;
  stopInclusive: boolean;
  batchSize: number;
  noValue: boolean;
  hashKeyFilterType: FilterType;
  hashKeyFilterPattern: Buffer;
  sortKeyFilterType: FilterType;
  sortKeyFilterPattern: Buffer;
  /** Absent means true. */
  validatePartitionHash?: boolean;
  returnExpireTs?: boolean;
  fullScan?: boolean;
  onlyReturnCount?: boolean;
}

export interface ScanRequest {
  contextId: number;
}

export interface ScanResponse extends ResponseOrigin {
  error: number;
  /** Keys are composite keys. */
  kvs: KeyValue[];
  contextId: number;
  kvCount?: number;
}

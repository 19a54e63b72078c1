/**
 * Binary codecs for every struct of the client-facing `rrdb` service (protocol.md §4.1, §4.2), over the
 * TS shapes of src/idl/rrdb.ts. Keys, values and patterns are `dsn.blob` (type byte 12); `server` is a plain
 * string. Absent request fields take thrift's defaults (empty blob, false, 0), which are the defaults
 * protocol.md §4.1 lists: the Node.js client never sends multi_get's sort_keys nor fields 6-12.
 * Responses are written with every non-optional field, as the C++ generated code does (N dereferences
 * `value.data`, so a missing blob would crash it).
 */
import { boolCodec, i32Codec, i64Codec, i64NumberCodec, i64SaturatingNumberCodec, listCodec, stringCodec, structCodec } from '../thrift/codec.ts';
import { blobCodec } from '../thrift/dsn.ts';
import type {
  BatchGetRequest,
  BatchGetResponse,
  CheckAndMutateRequest,
  CheckAndMutateResponse,
  CheckAndSetRequest,
  CheckAndSetResponse,
  CountResponse,
  FullData,
  FullKey,
  GetScannerRequest,
  IncrRequest,
  IncrResponse,
  KeyValue,
  MultiGetRequest,
  MultiGetResponse,
  MultiPutRequest,
  MultiRemoveRequest,
  MultiRemoveResponse,
  Mutate,
  ReadResponse,
  ScanRequest,
  ScanResponse,
  TtlResponse,
  UpdateRequest,
  UpdateResponse,
} from '../rrdb.ts';

export const keyValueCodec = structCodec<KeyValue>('key_value', {
  key: { id: 1, codec: blobCodec },
  value: { id: 2, codec: blobCodec },
  expireTsSeconds: { id: 3, codec: i32Codec, optional: true },
});

export const updateRequestCodec = structCodec<UpdateRequest>('update_request', {
  key: { id: 1, codec: blobCodec },
  value: { id: 2, codec: blobCodec },
  expireTsSeconds: { id: 3, codec: i32Codec },
  type: { id: 4, codec: i32Codec, optional: true },
  checkValueReturned: { id: 5, codec: boolCodec, optional: true },
  checkValueExist: { id: 6, codec: boolCodec, optional: true },
  checkValue: { id: 7, codec: blobCodec, optional: true },
});

export const updateResponseCodec = structCodec<UpdateResponse>('update_response', {
  error: { id: 1, codec: i32Codec },
  appId: { id: 2, codec: i32Codec },
  partitionIndex: { id: 3, codec: i32Codec },
  decree: { id: 4, codec: i64NumberCodec },
  server: { id: 5, codec: stringCodec },
});

/** There is no field 5 in read_response, ttl_response, count_response: `server` is 6. */
export const readResponseCodec = structCodec<ReadResponse>('read_response', {
  error: { id: 1, codec: i32Codec },
  value: { id: 2, codec: blobCodec },
  appId: { id: 3, codec: i32Codec },
  partitionIndex: { id: 4, codec: i32Codec },
  server: { id: 6, codec: stringCodec },
});

export const ttlResponseCodec = structCodec<TtlResponse>('ttl_response', {
  error: { id: 1, codec: i32Codec },
  ttlSeconds: { id: 2, codec: i32Codec },
  appId: { id: 3, codec: i32Codec },
  partitionIndex: { id: 4, codec: i32Codec },
  server: { id: 6, codec: stringCodec },
});

export const countResponseCodec = structCodec<CountResponse>('count_response', {
  error: { id: 1, codec: i32Codec },
  count: { id: 2, codec: i64NumberCodec },
  appId: { id: 3, codec: i32Codec },
  partitionIndex: { id: 4, codec: i32Codec },
  server: { id: 6, codec: stringCodec },
});

export const multiPutRequestCodec = structCodec<MultiPutRequest>('multi_put_request', {
  hashKey: { id: 1, codec: blobCodec },
  kvs: { id: 2, codec: listCodec(keyValueCodec) },
  expireTsSeconds: { id: 3, codec: i32Codec },
});

export const multiRemoveRequestCodec = structCodec<MultiRemoveRequest>('multi_remove_request', {
  hashKey: { id: 1, codec: blobCodec },
  sortKeys: { id: 2, codec: listCodec(blobCodec) },
  maxCount: { id: 3, codec: i64SaturatingNumberCodec },
});

export const multiRemoveResponseCodec = structCodec<MultiRemoveResponse>('multi_remove_response', {
  error: { id: 1, codec: i32Codec },
  count: { id: 2, codec: i64NumberCodec },
  appId: { id: 3, codec: i32Codec },
  partitionIndex: { id: 4, codec: i32Codec },
  decree: { id: 5, codec: i64NumberCodec },
  server: { id: 6, codec: stringCodec },
});

export const multiGetRequestCodec = structCodec<MultiGetRequest>('multi_get_request', {
  hashKey: { id: 1, codec: blobCodec },
  sortKeys: { id: 2, codec: listCodec(blobCodec) },
  maxKvCount: { id: 3, codec: i32Codec },
  maxKvSize: { id: 4, codec: i32Codec },
  noValue: { id: 5, codec: boolCodec },
  startSortkey: { id: 6, codec: blobCodec },
  stopSortkey: { id: 7, codec: blobCodec },
  startInclusive: { id: 8, codec: boolCodec },
  stopInclusive: { id: 9, codec: boolCodec },
  sortKeyFilterType: { id: 10, codec: i32Codec },
  sortKeyFilterPattern: { id: 11, codec: blobCodec },
  reverse: { id: 12, codec: boolCodec },
});

export const multiGetResponseCodec = structCodec<MultiGetResponse>('multi_get_response', {
  error: { id: 1, codec: i32Codec },
  kvs: { id: 2, codec: listCodec(keyValueCodec) },
  appId: { id: 3, codec: i32Codec },
  partitionIndex: { id: 4, codec: i32Codec },
  server: { id: 6, codec: stringCodec },
});

export const fullKeyCodec = structCodec<FullKey>('full_key', {
  hashKey: { id: 1, codec: blobCodec },
  sortKey: { id: 2, codec: blobCodec },
});

export const batchGetRequestCodec = structCodec<BatchGetRequest>('batch_get_request', {
  keys: { id: 1, codec: listCodec(fullKeyCodec) },
});

export const fullDataCodec = structCodec<FullData>('full_data', {
  hashKey: { id: 1, codec: blobCodec },
  sortKey: { id: 2, codec: blobCodec },
  value: { id: 3, codec: blobCodec },
});

export const batchGetResponseCodec = structCodec<BatchGetResponse>('batch_get_response', {
  error: { id: 1, codec: i32Codec },
  data: { id: 2, codec: listCodec(fullDataCodec) },
  appId: { id: 3, codec: i32Codec },
  partitionIndex: { id: 4, codec: i32Codec },
  server: { id: 6, codec: stringCodec },
});

export const incrRequestCodec = structCodec<IncrRequest>('incr_request', {
  key: { id: 1, codec: blobCodec },
  increment: { id: 2, codec: i64Codec },
  expireTsSeconds: { id: 3, codec: i32Codec },
});

export const incrResponseCodec = structCodec<IncrResponse>('incr_response', {
  error: { id: 1, codec: i32Codec },
  newValue: { id: 2, codec: i64Codec },
  appId: { id: 3, codec: i32Codec },
  partitionIndex: { id: 4, codec: i32Codec },
  decree: { id: 5, codec: i64NumberCodec },
  server: { id: 6, codec: stringCodec },
});

export const checkAndSetRequestCodec = structCodec<CheckAndSetRequest>('check_and_set_request', {
  hashKey: { id: 1, codec: blobCodec },
  checkSortKey: { id: 2, codec: blobCodec },
  checkType: { id: 3, codec: i32Codec },
  checkOperand: { id: 4, codec: blobCodec },
  setDiffSortKey: { id: 5, codec: boolCodec },
  setSortKey: { id: 6, codec: blobCodec },
  setValue: { id: 7, codec: blobCodec },
  setExpireTsSeconds: { id: 8, codec: i32Codec },
  returnCheckValue: { id: 9, codec: boolCodec },
});

export const checkAndSetResponseCodec = structCodec<CheckAndSetResponse>('check_and_set_response', {
  error: { id: 1, codec: i32Codec },
  checkValueReturned: { id: 2, codec: boolCodec },
  checkValueExist: { id: 3, codec: boolCodec },
  checkValue: { id: 4, codec: blobCodec },
  appId: { id: 5, codec: i32Codec },
  partitionIndex: { id: 6, codec: i32Codec },
  decree: { id: 7, codec: i64NumberCodec },
  server: { id: 8, codec: stringCodec },
});

export const mutateCodec = structCodec<Mutate>('mutate', {
  operation: { id: 1, codec: i32Codec },
  sortKey: { id: 2, codec: blobCodec },
  value: { id: 3, codec: blobCodec },
  setExpireTsSeconds: { id: 4, codec: i32Codec },
});

export const checkAndMutateRequestCodec = structCodec<CheckAndMutateRequest>('check_and_mutate_request', {
  hashKey: { id: 1, codec: blobCodec },
  checkSortKey: { id: 2, codec: blobCodec },
  checkType: { id: 3, codec: i32Codec },
  checkOperand: { id: 4, codec: blobCodec },
  mutateList: { id: 5, codec: listCodec(mutateCodec) },
  returnCheckValue: { id: 6, codec: boolCodec },
});

/** Same fields and ids as check_and_set_response. */
export const checkAndMutateResponseCodec = structCodec<CheckAndMutateResponse>('check_and_mutate_response', {
  error: { id: 1, codec: i32Codec },
  checkValueReturned: { id: 2, codec: boolCodec },
  checkValueExist: { id: 3, codec: boolCodec },
  checkValue: { id: 4, codec: blobCodec },
  appId: { id: 5, codec: i32Codec },
  partitionIndex: { id: 6, codec: i32Codec },
  decree: { id: 7, codec: i64NumberCodec },
  server: { id: 8, codec: stringCodec },
});

export const getScannerRequestCodec = structCodec<GetScannerRequest>('get_scanner_request', {
  startKey: { id: 1, codec: blobCodec },
  stopKey: { id: 2, codec: blobCodec },
  startInclusive: { id: 3, codec: boolCodec },
  stopInclusive: { id: 4, codec: boolCodec },
  batchSize: { id: 5, codec: i32Codec },
  noValue: { id: 6, codec: boolCodec },
  hashKeyFilterType: { id: 7, codec: i32Codec },
  hashKeyFilterPattern: { id: 8, codec: blobCodec },
  sortKeyFilterType: { id: 9, codec: i32Codec },
  sortKeyFilterPattern: { id: 10, codec: blobCodec },
  validatePartitionHash: { id: 11, codec: boolCodec, optional: true },
  returnExpireTs: { id: 12, codec: boolCodec, optional: true },
  fullScan: { id: 13, codec: boolCodec, optional: true },
  onlyReturnCount: { id: 14, codec: boolCodec, optional: true },
});

export const scanRequestCodec = structCodec<ScanRequest>('scan_request', {
  contextId: { id: 1, codec: i64SaturatingNumberCodec },
});

export const scanResponseCodec = structCodec<ScanResponse>('scan_response', {
  error: { id: 1, codec: i32Codec },
  kvs: { id: 2, codec: listCodec(keyValueCodec) },
  contextId: { id: 3, codec: i64NumberCodec },
  appId: { id: 4, codec: i32Codec },
  partitionIndex: { id: 5, codec: i32Codec },
  server: { id: 6, codec: stringCodec },
  kvCount: { id: 7, codec: i32Codec, optional: true },
});

/**
 * The client-facing rrdb RPCs (protocol.md §4): each RPC code's args decoder/encoder and response
 * encoder/decoder. Args travel in the thrift "service args" wrapper, a struct whose only field (id 1) is the
 * real argument: a request struct, a bare blob (GET, REMOVE, TTL: the composite key; SORTKEY_COUNT: the raw
 * hash key) or, for the oneway CLEAR_SCANNER, an i64 (field type 10). A request without field 1 is refused
 * with ERR_INVALID_DATA: no client sends one, and the zero value would silently act on the empty key.
 * `encodeResponse` gives the response struct's bytes (fields + STOP), which the frame layer wraps as the
 * result field 0.
 */
import type { StructCodec, ValueCodec } from '../thrift/codec.ts';
import { i64SaturatingNumberCodec } from '../thrift/codec.ts';
import { blobCodec } from '../thrift/dsn.ts';
import type {
  BatchGetRequest,
  BatchGetResponse,
  CheckAndMutateRequest,
  CheckAndMutateResponse,
  CheckAndSetRequest,
  CheckAndSetResponse,
  CountResponse,
  GetScannerRequest,
  IncrRequest,
  IncrResponse,
  MultiGetRequest,
  MultiGetResponse,
  MultiPutRequest,
  MultiRemoveRequest,
  MultiRemoveResponse,
  ReadResponse,
  ScanRequest,
  ScanResponse,
  TtlResponse,
  UpdateRequest,
  UpdateResponse,
} from '../rrdb.ts';
import {
  batchGetRequestCodec,
  batchGetResponseCodec,
  checkAndMutateRequestCodec,
  checkAndMutateResponseCodec,
  checkAndSetRequestCodec,
  checkAndSetResponseCodec,
  countResponseCodec,
  getScannerRequestCodec,
  incrRequestCodec,
  incrResponseCodec,
  multiGetRequestCodec,
  multiGetResponseCodec,
  multiPutRequestCodec,
  multiRemoveRequestCodec,
  multiRemoveResponseCodec,
  readResponseCodec,
  scanRequestCodec,
  scanResponseCodec,
  ttlResponseCodec,
  updateRequestCodec,
  updateResponseCodec,
} from './rrdb-structs.ts';
import { argsCodec, responseCodecOf, type ArgsCodec, type ResponseCodec } from './args-wrapper.ts';

/** How the replica treats an RPC: writes go through the mutation log, reads do not, oneway gets no reply. */
export type RrdbRpcKind = 'write' | 'read' | 'oneway';

interface RrdbRpcCommon<Args> extends ArgsCodec<Args> {
  readonly code: string;
  readonly kind: RrdbRpcKind;
}

export interface RrdbTwoWayRpc<Args, Response> extends RrdbRpcCommon<Args>, ResponseCodec<Response> {
  readonly kind: 'write' | 'read';
}

export interface RrdbOneWayRpc<Args> extends RrdbRpcCommon<Args> {
  readonly kind: 'oneway';
}

function twoWay<Args extends {}, Response>(
  code: string,
  kind: 'write' | 'read',
  arg: ValueCodec<Args>,
  responseCodec: StructCodec<Response>,
): RrdbTwoWayRpc<Args, Response> {
  return {
    code,
    kind,
    ...argsCodec(code, arg),
    ...responseCodecOf(responseCodec),
  };
}

function oneWay<Args extends {}>(code: string, arg: ValueCodec<Args>): RrdbOneWayRpc<Args> {
  return { code, kind: 'oneway', ...argsCodec(code, arg) };
}

export const RRDB_RPCS = {
  RPC_RRDB_RRDB_PUT: twoWay<UpdateRequest, UpdateResponse>('RPC_RRDB_RRDB_PUT', 'write', updateRequestCodec, updateResponseCodec),
  RPC_RRDB_RRDB_MULTI_PUT: twoWay<MultiPutRequest, UpdateResponse>(
    'RPC_RRDB_RRDB_MULTI_PUT',
    'write',
    multiPutRequestCodec,
    updateResponseCodec,
  ),
  /** Args: the composite key. */
  RPC_RRDB_RRDB_REMOVE: twoWay<Buffer, UpdateResponse>('RPC_RRDB_RRDB_REMOVE', 'write', blobCodec, updateResponseCodec),
  RPC_RRDB_RRDB_MULTI_REMOVE: twoWay<MultiRemoveRequest, MultiRemoveResponse>(
    'RPC_RRDB_RRDB_MULTI_REMOVE',
    'write',
    multiRemoveRequestCodec,
    multiRemoveResponseCodec,
  ),
  RPC_RRDB_RRDB_INCR: twoWay<IncrRequest, IncrResponse>('RPC_RRDB_RRDB_INCR', 'write', incrRequestCodec, incrResponseCodec),
  RPC_RRDB_RRDB_CHECK_AND_SET: twoWay<CheckAndSetRequest, CheckAndSetResponse>(
    'RPC_RRDB_RRDB_CHECK_AND_SET',
    'write',
    checkAndSetRequestCodec,
    checkAndSetResponseCodec,
  ),
  RPC_RRDB_RRDB_CHECK_AND_MUTATE: twoWay<CheckAndMutateRequest, CheckAndMutateResponse>(
    'RPC_RRDB_RRDB_CHECK_AND_MUTATE',
    'write',
    checkAndMutateRequestCodec,
    checkAndMutateResponseCodec,
  ),
  /** Args: the composite key. */
  RPC_RRDB_RRDB_GET: twoWay<Buffer, ReadResponse>('RPC_RRDB_RRDB_GET', 'read', blobCodec, readResponseCodec),
  RPC_RRDB_RRDB_MULTI_GET: twoWay<MultiGetRequest, MultiGetResponse>(
    'RPC_RRDB_RRDB_MULTI_GET',
    'read',
    multiGetRequestCodec,
    multiGetResponseCodec,
  ),
  RPC_RRDB_RRDB_BATCH_GET: twoWay<BatchGetRequest, BatchGetResponse>(
    'RPC_RRDB_RRDB_BATCH_GET',
    'read',
    batchGetRequestCodec,
    batchGetResponseCodec,
  ),
  /** Args: the raw hash key, not a composite key. */
  RPC_RRDB_RRDB_SORTKEY_COUNT: twoWay<Buffer, CountResponse>('RPC_RRDB_RRDB_SORTKEY_COUNT', 'read', blobCodec, countResponseCodec),
  /** Args: the composite key. */
  RPC_RRDB_RRDB_TTL: twoWay<Buffer, TtlResponse>('RPC_RRDB_RRDB_TTL', 'read', blobCodec, ttlResponseCodec),
  RPC_RRDB_RRDB_GET_SCANNER: twoWay<GetScannerRequest, ScanResponse>(
    'RPC_RRDB_RRDB_GET_SCANNER',
    'read',
    getScannerRequestCodec,
    scanResponseCodec,
  ),
  RPC_RRDB_RRDB_SCAN: twoWay<ScanRequest, ScanResponse>('RPC_RRDB_RRDB_SCAN', 'read', scanRequestCodec, scanResponseCodec),
  /** Args: the context id as a plain i64 field (type 10); no reply. */
  RPC_RRDB_RRDB_CLEAR_SCANNER: oneWay<number>('RPC_RRDB_RRDB_CLEAR_SCANNER', i64SaturatingNumberCodec),
} as const;

export type RrdbRpcCode = keyof typeof RRDB_RPCS;
export type RrdbRpc = (typeof RRDB_RPCS)[RrdbRpcCode];

export function isRrdbRpcCode(name: string): name is RrdbRpcCode {
  return Object.hasOwn(RRDB_RPCS, name);
}

/** The RPC for a message name, or undefined (the server answers ERR_HANDLER_NOT_FOUND). */
export function rrdbRpcByName(name: string): RrdbRpc | undefined {
  return isRrdbRpcCode(name) ? RRDB_RPCS[name] : undefined;
}

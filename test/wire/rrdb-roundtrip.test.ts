/**
 * encode → decode of every rrdb request and response struct, through the RPC table, with binary edge cases:
 * empty blobs, 0xff and 0x00 bytes, values large enough to grow the writer, extreme i64 and negative i32.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RRDB_RPCS } from '../../src/idl/codec/rrdb-rpcs.ts';
import * as structs from '../../src/idl/codec/rrdb-structs.ts';
import type {
  CheckAndSetResponse,
  GetScannerRequest,
  KeyValue,
  MultiGetRequest,
  ScanResponse,
  UpdateRequest,
} from '../../src/idl/rrdb.ts';
import { ThriftWriter } from '../../src/idl/thrift/writer.ts';
import { roundTrip } from './codec-test-util.ts';

const EMPTY = Buffer.alloc(0);
const FF = Buffer.alloc(7, 0xff);
const ZEROS = Buffer.alloc(3, 0);
const BIG = Buffer.alloc(70_000, 0xab); // grows the writer from its 256 initial bytes many times
const KEY = Buffer.from('0005hello\xffworld', 'latin1');
const I64_MIN = -(1n << 63n);
const I64_MAX = (1n << 63n) - 1n;
const ORIGIN = { appId: 3, partitionIndex: -1, server: '127.0.0.1:34801 ünïcødé' };


const kvs: KeyValue[] = [
  { key: EMPTY, value: EMPTY },
  { key: FF, value: ZEROS, expireTsSeconds: -1 },
  { key: KEY, value: BIG, expireTsSeconds: 0x7fffffff },
];

test('update_request with and without its internal optional fields', () => {
  roundTrip(structs.updateRequestCodec, { key: KEY, value: EMPTY, expireTsSeconds: 0 });
  const full: UpdateRequest = {
    key: FF,
    value: BIG,
    expireTsSeconds: -2147483648,
    type: 4,
    checkValueReturned: true,
    checkValueExist: false,
    checkValue: EMPTY,
  };
  roundTrip(structs.updateRequestCodec, full);
});

test('responses with one value: update, read, ttl, count, multi_remove, incr', () => {
  roundTrip(structs.updateResponseCodec, { error: 0, decree: Number.MAX_SAFE_INTEGER, ...ORIGIN });
  roundTrip(structs.readResponseCodec, { error: 1, value: EMPTY, ...ORIGIN });
  roundTrip(structs.readResponseCodec, { error: 0, value: BIG, ...ORIGIN });
  roundTrip(structs.ttlResponseCodec, { error: 0, ttlSeconds: -1, ...ORIGIN });
  roundTrip(structs.countResponseCodec, { error: 0, count: -1, ...ORIGIN });
  roundTrip(structs.multiRemoveResponseCodec, { error: 4, count: 2 ** 40, decree: 0, ...ORIGIN });
  roundTrip(structs.incrResponseCodec, { error: 0, newValue: I64_MIN, decree: 7, ...ORIGIN });
  roundTrip(structs.incrResponseCodec, { error: 4, newValue: I64_MAX, decree: 7, ...ORIGIN });
});

test('multi_put, multi_remove, multi_get requests and multi_get response', () => {
  roundTrip(structs.multiPutRequestCodec, { hashKey: FF, kvs, expireTsSeconds: 86400 });
  roundTrip(structs.multiPutRequestCodec, { hashKey: EMPTY, kvs: [], expireTsSeconds: 0 });
  roundTrip(structs.multiRemoveRequestCodec, { hashKey: KEY, sortKeys: [EMPTY, FF, BIG], maxCount: -1 });
  const multiGet: MultiGetRequest = {
    hashKey: KEY,
    sortKeys: [FF, EMPTY],
    maxKvCount: -1,
    maxKvSize: 0x7fffffff,
    noValue: true,
    startSortkey: ZEROS,
    stopSortkey: FF,
    startInclusive: true,
    stopInclusive: false,
    sortKeyFilterType: 3,
    sortKeyFilterPattern: Buffer.from([0xff, 0x00]),
    reverse: true,
  };
  roundTrip(structs.multiGetRequestCodec, multiGet);
  roundTrip(structs.multiGetResponseCodec, { error: 7, kvs, ...ORIGIN });
});

test('batch_get request and response', () => {
  roundTrip(structs.batchGetRequestCodec, { keys: [{ hashKey: EMPTY, sortKey: FF }, { hashKey: KEY, sortKey: EMPTY }] });
  roundTrip(structs.batchGetRequestCodec, { keys: [] });
  roundTrip(structs.batchGetResponseCodec, {
    error: 0,
    data: [{ hashKey: FF, sortKey: EMPTY, value: BIG }],
    ...ORIGIN,
  });
});

test('incr, check_and_set and check_and_mutate', () => {
  roundTrip(structs.incrRequestCodec, { key: KEY, increment: I64_MIN, expireTsSeconds: -5 });
  roundTrip(structs.incrRequestCodec, { key: EMPTY, increment: I64_MAX, expireTsSeconds: 0 });
  roundTrip(structs.checkAndSetRequestCodec, {
    hashKey: KEY,
    checkSortKey: EMPTY,
    checkType: 17,
    checkOperand: Buffer.from('-9223372036854775808'),
    setDiffSortKey: true,
    setSortKey: FF,
    setValue: BIG,
    setExpireTsSeconds: -1,
    returnCheckValue: true,
  });
  const casResponse: CheckAndSetResponse = {
    error: 13,
    checkValueReturned: true,
    checkValueExist: true,
    checkValue: FF,
    decree: 99,
    ...ORIGIN,
  };
  roundTrip(structs.checkAndSetResponseCodec, casResponse);
  roundTrip(structs.checkAndMutateRequestCodec, {
    hashKey: FF,
    checkSortKey: ZEROS,
    checkType: -1, // an invalid enum still travels; the server answers it with kInvalidArgument
    checkOperand: EMPTY,
    mutateList: [
      { operation: 0, sortKey: EMPTY, value: BIG, setExpireTsSeconds: 100 },
      { operation: 1, sortKey: FF, value: EMPTY, setExpireTsSeconds: 0 },
    ],
    returnCheckValue: false,
  });
  roundTrip(structs.checkAndMutateResponseCodec, { ...casResponse, error: 0, checkValueReturned: false, checkValue: EMPTY });
});

test('get_scanner request: optional fields absent stay undefined, present ones survive', () => {
  const base: GetScannerRequest = {
    startKey: EMPTY,
    stopKey: FF,
    startInclusive: true,
    stopInclusive: false,
    batchSize: 1000,
    noValue: false,
    hashKeyFilterType: 2,
    hashKeyFilterPattern: ZEROS,
    sortKeyFilterType: 0,
    sortKeyFilterPattern: EMPTY,
  };
  const decoded = roundTrip(structs.getScannerRequestCodec, base);
  assert.equal(decoded.validatePartitionHash, undefined);
  assert.equal(decoded.onlyReturnCount, undefined);
  assert.equal('validatePartitionHash' in decoded, false);
  roundTrip(structs.getScannerRequestCodec, {
    ...base,
    validatePartitionHash: false,
    returnExpireTs: true,
    fullScan: true,
    onlyReturnCount: false,
  });
});

test('scan request and response, kv_count optional', () => {
  roundTrip(structs.scanRequestCodec, { contextId: -1 });
  roundTrip(structs.scanRequestCodec, { contextId: Number.MAX_SAFE_INTEGER });
  const response: ScanResponse = { error: 0, kvs, contextId: -1, ...ORIGIN };
  const decoded = roundTrip(structs.scanResponseCodec, response);
  assert.equal(decoded.kvCount, undefined);
  roundTrip(structs.scanResponseCodec, { error: 0, kvs: [], contextId: 12, kvCount: 12345, ...ORIGIN });
});

test('every RPC of the table round-trips its args, and its response unless oneway', () => {
  const update: UpdateRequest = { key: KEY, value: FF, expireTsSeconds: 0 };
  const put = RRDB_RPCS.RPC_RRDB_RRDB_PUT;
  assert.deepEqual(put.decodeArgs(put.encodeArgs(update), 0), update);
  for (const code of ['RPC_RRDB_RRDB_GET', 'RPC_RRDB_RRDB_REMOVE', 'RPC_RRDB_RRDB_TTL', 'RPC_RRDB_RRDB_SORTKEY_COUNT'] as const) {
    const rpc = RRDB_RPCS[code];
    const args = rpc.encodeArgs(FF);
    // A bare blob in the args wrapper: 0c 0001 <i32 len> <bytes> 00.
    assert.equal(args.toString('hex'), `0c000100000007${'ff'.repeat(7)}00`);
    assert.deepEqual(rpc.decodeArgs(args, 0), FF);
  }
  const clear = RRDB_RPCS.RPC_RRDB_RRDB_CLEAR_SCANNER;
  assert.equal(clear.kind, 'oneway');
  assert.equal('encodeResponse' in clear, false);
  // CLEAR_SCANNER's argument is a plain i64 field (type 10), not a struct.
  assert.equal(clear.encodeArgs(5).toString('hex'), '0a0001000000000000000500');
  assert.equal(clear.decodeArgs(Buffer.from('0a0001ffffffffffffffff00', 'hex'), 0), -1);

  const kinds = Object.values(RRDB_RPCS).map((rpc) => `${rpc.code}:${rpc.kind}`);
  assert.equal(kinds.length, 15);
  for (const rpc of Object.values(RRDB_RPCS)) {
    if (rpc.kind === 'oneway') continue;
    const response = rpc.responseCodec.defaultValue();
    const bytes = rpc.encodeResponse(response as never);
    assert.deepEqual(rpc.decodeResponse(bytes, 0), response, rpc.code);
  }
});

test('args without field 1 are refused, not read as an empty key', () => {
  for (const rpc of Object.values(RRDB_RPCS)) {
    assert.throws(() => rpc.decodeArgs(Buffer.from([0]), 0), { name: 'PegasusError', code: 'ERR_INVALID_DATA' });
  }
});

test('writing a response includes every required field, even empty ones', () => {
  const bytes = structs.readResponseCodec.encode({ error: 1, value: EMPTY, appId: 0, partitionIndex: 0, server: '' });
  // error, value (type 12, length 0), app_id, partition_index, server (id 6), STOP.
  assert.equal(
    bytes.toString('hex'),
    '08000100000001' + '0c000200000000' + '08000300000000' + '08000400000000' + '0b000600000000' + '00',
  );
});

test('i64 ids and deprecated counts beyond 2^53 saturate instead of refusing the request', () => {
  const w = new ThriftWriter();
  w.writeFieldBegin(10, 1);
  w.writeI64((1n << 62n) + 5n);
  w.writeFieldStop();
  const { value } = structs.scanRequestCodec.decode(w.finish());
  assert.equal(value.contextId, Number.MAX_SAFE_INTEGER);
});

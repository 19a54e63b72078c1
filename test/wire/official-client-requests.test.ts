/**
 * Every request frame the official Node.js client wrote (the oracle for request decoding): it splits, its
 * header matches the capture's decoded header, its body decodes with the args decoder of its RPC, our
 * encoders reproduce its bytes, and its partition_hash is our routing hash of the key.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { crc64 } from '../../src/base/crc64.ts';
import { keyHash } from '../../src/base/key-schema.ts';
import { RRDB_RPCS, isRrdbRpcCode } from '../../src/idl/codec/rrdb-rpcs.ts';
import type { MultiGetRequest, MultiPutRequest, UpdateRequest } from '../../src/idl/rrdb.ts';
import { queryCfgRequestCodec } from '../../src/idl/codec/meta-structs.ts';
import { ThriftReader } from '../../src/idl/thrift/reader.ts';
import { MessageType, TType } from '../../src/idl/thrift/ttype.ts';
import { encodeRequestBody, parseRequestBody } from '../../src/rpc/frame/request-body.ts';
import { encodeRequestHeaderV0 } from '../../src/rpc/frame/request-header.ts';
import type { RequestFrame } from '../../src/rpc/frame/request-splitter.ts';
import { RequestFrameSplitter } from '../../src/rpc/frame/request-splitter.ts';
import { REQUEST_FRAMES, bytesOf, type FixtureFrame } from './fixtures.ts';

function splitOne(fixture: FixtureFrame): RequestFrame {
  const { frames, error } = new RequestFrameSplitter().feed(bytesOf(fixture));
  assert.equal(error, undefined);
  assert.equal(frames.length, 1);
  return frames[0]!;
}

/** The fields of the struct at `offset` as id → [type byte, raw payload bytes], read generically. */
function rawFields(buf: Buffer, offset: number): Map<number, string> {
  const r = new ThriftReader(buf, offset);
  const out = new Map<number, string>();
  for (;;) {
    const type = r.readFieldType();
    if (type === TType.STOP) return out;
    const id = r.readFieldId();
    const start = r.offset;
    r.skip(type === TType.STRUCT ? TType.STRING : type); // rDSN blobs: a length-prefixed payload
    out.set(id, `${type}:${buf.subarray(start, r.offset).toString('hex')}`);
  }
}


test('the capture holds the request kinds the README lists', () => {
  const names = new Set(REQUEST_FRAMES.map((frame) => frame.rpc_name));
  assert.deepEqual([...names].sort(), [
    'RPC_CM_QUERY_PARTITION_CONFIG_BY_INDEX',
    'RPC_RRDB_RRDB_GET',
    'RPC_RRDB_RRDB_MULTI_GET',
    'RPC_RRDB_RRDB_MULTI_PUT',
    'RPC_RRDB_RRDB_PUT',
    'RPC_RRDB_RRDB_REMOVE',
  ]);
  assert.equal(REQUEST_FRAMES.length, 46);
});

test('every request header parses to the captured decoded header', () => {
  for (const fixture of REQUEST_FRAMES) {
    const { header, body } = splitOne(fixture);
    const expected = fixture.header!;
    assert.equal(header.version, expected.hdr_version);
    assert.equal(header.headerBytes, expected.header_length);
    assert.equal(header.bodyLength, expected.body_length);
    assert.equal(body.length, expected.body_length);
    assert.equal(header.appId, expected.app_id);
    assert.equal(header.partitionIndex, expected.partition_index);
    assert.equal(header.clientTimeoutMs, expected.client_timeout);
    assert.equal(header.threadHash, expected.thread_hash);
    assert.equal(header.partitionHash, BigInt(`0x${expected.partition_hash}`));
    assert.equal(header.isBackupRequest, false);
    const parsed = parseRequestBody(body);
    assert.equal(parsed.name, fixture.rpc_name);
    assert.equal(parsed.type, MessageType.CALL);
    assert.equal(parsed.seqid, fixture.seqid);
  }
});

test('every rrdb request decodes, and our encoders give back the exact frame', () => {
  let exact = 0;
  for (const fixture of REQUEST_FRAMES) {
    if (!isRrdbRpcCode(fixture.rpc_name)) continue;
    const frame = splitOne(fixture);
    const body = parseRequestBody(frame.body);
    const rpc = RRDB_RPCS[fixture.rpc_name];
    const args = rpc.decodeArgs(frame.body, body.argsOffset);
    const reencodedArgs = rpc.encodeArgs(args as never);
    const capturedArgs = frame.body.subarray(body.argsOffset);
    if (fixture.rpc_name === 'RPC_RRDB_RRDB_MULTI_GET') {
      // N omits sort_keys (its property is misspelled) and fields 6-12, while we write every required field
      // (the C++ server's generated code does the same), so compare field by field: every captured field is
      // reproduced byte for byte, and each field we add carries the default that its absence means.
      const inner = 3; // after the wrapper's field header (0c 0001)
      const captured = rawFields(capturedArgs, inner);
      const ours = rawFields(reencodedArgs, inner);
      assert.deepEqual([...captured.keys()], [1, 3, 4, 5]);
      for (const [id, bytes] of captured) assert.equal(ours.get(id), bytes, `multi_get field ${id}`);
      const request = args as MultiGetRequest;
      assert.deepEqual(request.sortKeys, []);
      assert.deepEqual(request.startSortkey, Buffer.alloc(0));
      assert.deepEqual(request.stopSortkey, Buffer.alloc(0));
      assert.equal(request.startInclusive, false);
      assert.equal(request.stopInclusive, false);
      assert.equal(request.sortKeyFilterType, 0);
      assert.deepEqual(request.sortKeyFilterPattern, Buffer.alloc(0));
      assert.equal(request.reverse, false);
      assert.equal(request.noValue, false);
      assert.equal(ours.size, 12);
      continue;
    }
    assert.equal(reencodedArgs.toString('hex'), capturedArgs.toString('hex'), fixture.client_call);
    const header = frame.header;
    const reencodedBody = encodeRequestBody(body.name, MessageType.CALL, body.seqid, reencodedArgs);
    const reencodedFrame = Buffer.concat([encodeRequestHeaderV0({ ...header, bodyLength: reencodedBody.length }), reencodedBody]);
    assert.equal(reencodedFrame.toString('hex'), fixture.hex);
    exact++;
  }
  assert.equal(exact, 46 - 4 - 9);
});

test('decoded rrdb args have the shapes storage expects', () => {
  const put = REQUEST_FRAMES.find((frame) => frame.client_call.endsWith('set simple set'))!;
  const frame = splitOne(put);
  const args: UpdateRequest = RRDB_RPCS.RPC_RRDB_RRDB_PUT.decodeArgs(frame.body, parseRequestBody(frame.body).argsOffset);
  assert.deepEqual(args, { key: Buffer.from('00013131', 'hex'), value: Buffer.from('1'), expireTsSeconds: 0 });

  const multiPut = REQUEST_FRAMES.find((frame) => frame.rpc_name === 'RPC_RRDB_RRDB_MULTI_PUT')!;
  const multiPutFrame = splitOne(multiPut);
  const request: MultiPutRequest = RRDB_RPCS.RPC_RRDB_RRDB_MULTI_PUT.decodeArgs(
    multiPutFrame.body,
    parseRequestBody(multiPutFrame.body).argsOffset,
  );
  assert.ok(request.hashKey.length > 0);
  assert.ok(request.kvs.length > 0);
  for (const kv of request.kvs) assert.equal(kv.expireTsSeconds, undefined);
});

test('partition_hash is our routing hash and partition_index its value mod 8', () => {
  let checked = 0;
  for (const fixture of REQUEST_FRAMES) {
    if (!isRrdbRpcCode(fixture.rpc_name)) continue;
    const frame = splitOne(fixture);
    const offset = parseRequestBody(frame.body).argsOffset;
    let expected: bigint;
    switch (fixture.rpc_name) {
      case 'RPC_RRDB_RRDB_GET':
      case 'RPC_RRDB_RRDB_REMOVE':
        expected = keyHash(RRDB_RPCS[fixture.rpc_name].decodeArgs(frame.body, offset));
        break;
      case 'RPC_RRDB_RRDB_PUT':
        expected = keyHash(RRDB_RPCS.RPC_RRDB_RRDB_PUT.decodeArgs(frame.body, offset).key);
        break;
      case 'RPC_RRDB_RRDB_MULTI_GET':
        expected = crc64(RRDB_RPCS.RPC_RRDB_RRDB_MULTI_GET.decodeArgs(frame.body, offset).hashKey);
        break;
      case 'RPC_RRDB_RRDB_MULTI_PUT':
        expected = crc64(RRDB_RPCS.RPC_RRDB_RRDB_MULTI_PUT.decodeArgs(frame.body, offset).hashKey);
        break;
      default:
        assert.fail(`unexpected ${fixture.rpc_name}`);
    }
    assert.equal(frame.header.partitionHash, expected, fixture.client_call);
    assert.equal(BigInt(frame.header.partitionIndex), expected % 8n);
    assert.equal(frame.header.threadHash, frame.header.appId * 7919 + frame.header.partitionIndex);
    checked++;
  }
  assert.equal(checked, 42);
});

test('meta queries split, parse and carry query_cfg_request with only app_name', () => {
  const queries = REQUEST_FRAMES.filter((frame) => frame.rpc_name === 'RPC_CM_QUERY_PARTITION_CONFIG_BY_INDEX');
  assert.equal(queries.length, 4);
  for (const fixture of queries) {
    const frame = splitOne(fixture);
    assert.equal(frame.header.appId, 0);
    assert.equal(frame.header.partitionHash, 0n);
    const body = parseRequestBody(frame.body);
    const r = new ThriftReader(frame.body, body.argsOffset);
    assert.equal(r.readFieldType(), TType.STRUCT);
    assert.equal(r.readFieldId(), 1);
    const { value, end } = queryCfgRequestCodec.decode(frame.body, r.offset);
    assert.ok(['temp', '404', 'no_such_table'].includes(value.appName), value.appName);
    assert.deepEqual(value.partitionIndices, []); // N omits field 2: absent means all partitions
    assert.equal(frame.body[end], TType.STOP);
    assert.equal(end + 1, frame.body.length);
  }
});

test('all request frames back to back, fed one byte at a time, split into the same frames', () => {
  const stream = Buffer.concat(REQUEST_FRAMES.map(bytesOf));
  const splitter = new RequestFrameSplitter();
  const frames: RequestFrame[] = [];
  for (let i = 0; i < stream.length; i++) {
    const result = splitter.feed(stream.subarray(i, i + 1));
    assert.equal(result.error, undefined);
    frames.push(...result.frames);
  }
  assert.equal(splitter.bufferedBytes, 0);
  assert.equal(frames.length, REQUEST_FRAMES.length);
  frames.forEach((frame, i) => {
    const fixture = REQUEST_FRAMES[i]!;
    assert.equal(frame.body.toString('hex'), fixture.hex.slice(96));
  });
});

/** Response framing, both request header versions, and the splitter's protocol errors and bounds. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isPegasusError } from '../../src/base/error-code.ts';
import { RRDB_RPCS } from '../../src/idl/codec/rrdb-rpcs.ts';
import { MessageType } from '../../src/idl/thrift/ttype.ts';
import { FrameError } from '../../src/rpc/frame/frame-error.ts';
import { encodeRequestBody, parseRequestBody } from '../../src/rpc/frame/request-body.ts';
import {
  REQUEST_META_BYTES_MAX,
  encodeRequestHeaderV0,
  encodeRequestHeaderV1,
  parseRequestHeader,
} from '../../src/rpc/frame/request-header.ts';
import { RequestFrameSplitter } from '../../src/rpc/frame/request-splitter.ts';
import { encodeErrorResponse, encodeResponse, parseResponse } from '../../src/rpc/frame/response.ts';
import { RESPONSE_FRAMES, bytesOf } from './fixtures.ts';

test('the minimal error response of protocol.md §1.4, byte for byte', () => {
  const frame = encodeErrorResponse('ERR_OBJECT_NOT_FOUND', 'RPC_RRDB_RRDB_GET', 7);
  const expected = Buffer.concat([
    Buffer.from('0000003d', 'hex'),
    Buffer.from('00000014', 'hex'),
    Buffer.from('ERR_OBJECT_NOT_FOUND'),
    Buffer.from('80010002', 'hex'),
    Buffer.from('00000015', 'hex'),
    Buffer.from('RPC_RRDB_RRDB_GET_ACK'),
    Buffer.from('00000007', 'hex'),
  ]);
  assert.equal(frame.length, 61);
  assert.equal(frame.toString('hex'), expected.toString('hex'));
  assert.deepEqual(parseResponse(frame), { totalLength: 61, errorName: 'ERR_OBJECT_NOT_FOUND', name: 'RPC_RRDB_RRDB_GET_ACK', seqid: 7 });
});

test('an ERR_OK response wraps the response struct as field 0 and counts its own length', () => {
  const rpc = RRDB_RPCS.RPC_RRDB_RRDB_GET;
  const response = { error: 0, value: Buffer.from('1'), appId: 3, partitionIndex: 2, server: '127.0.0.1:34811' };
  const frame = encodeResponse({ errorName: 'ERR_OK', name: rpc.code, seqid: 1, body: rpc.encodeResponse(response) });
  // The mock's reply to "get simple get" has exactly these fields, so the bytes agree (a consistency check:
  // the mock is not an oracle, protocol.md §1.4 is).
  const mock = RESPONSE_FRAMES.find((f) => f.rpc_name === 'RPC_RRDB_RRDB_GET' && f.client_call.endsWith('get simple get'))!;
  assert.equal(frame.toString('hex'), mock.hex);
  const parsed = parseResponse(frame);
  assert.equal(parsed.totalLength, frame.length);
  assert.equal(parsed.name, 'RPC_RRDB_RRDB_GET_ACK');
  assert.deepEqual(rpc.decodeResponse(frame, parsed.resultOffset!), response);
});

test('our decoders read every mock response of the capture', () => {
  for (const fixture of RESPONSE_FRAMES) {
    const frame = bytesOf(fixture);
    const parsed = parseResponse(frame);
    assert.equal(parsed.errorName, fixture.rpc_error);
    assert.equal(parsed.name, `${fixture.rpc_name}_ACK`);
    assert.equal(parsed.seqid, fixture.seqid);
    if (fixture.rpc_name === 'RPC_CM_QUERY_PARTITION_CONFIG_BY_INDEX') continue; // meta codecs are elsewhere
    const rpc = RRDB_RPCS[fixture.rpc_name as 'RPC_RRDB_RRDB_GET'];
    const response = rpc.decodeResponse(frame, parsed.resultOffset!);
    assert.equal(response.appId, 3);
    assert.equal(response.server, '127.0.0.1:34811');
  }
});

test('a response body with a non-OK error is an assertion failure', () => {
  assert.throws(
    () => encodeResponse({ errorName: 'ERR_BUSY', name: 'RPC_RRDB_RRDB_PUT', seqid: 0, body: Buffer.from([0]) }),
    { name: 'AssertionFailure' },
  );
});

test('a v1 header built as protocol.md §1.2 describes parses', () => {
  const args = RRDB_RPCS.RPC_RRDB_RRDB_GET.encodeArgs(Buffer.from('00013131', 'hex'));
  const body = encodeRequestBody('RPC_RRDB_RRDB_GET', MessageType.CALL, 42, args);
  // Built by hand: fixed part, then request_meta with ids 1-5.
  const meta = Buffer.from(
    '080001' + '00000003' + '080002' + '00000002' + '080003' + '00000bb8' + '0a0004' + 'b681e0de20c047a6' + '020005' + '01' + '00',
    'hex',
  );
  const fixed = Buffer.alloc(16);
  fixed.write('THFT', 0, 'latin1');
  fixed.writeUInt32BE(1, 4);
  fixed.writeUInt32BE(meta.length, 8);
  fixed.writeUInt32BE(body.length, 12);
  const frame = Buffer.concat([fixed, meta, body]);
  const header = parseRequestHeader(frame);
  assert.deepEqual(header, {
    version: 1,
    appId: 3,
    partitionIndex: 2,
    clientTimeoutMs: 3000,
    partitionHash: 0xb681e0de20c047a6n,
    isBackupRequest: true,
    bodyLength: body.length,
    headerBytes: 16 + meta.length,
  });
  const encoded = encodeRequestHeaderV1({ ...header, bodyLength: body.length });
  assert.equal(encoded.toString('hex'), Buffer.concat([fixed, meta]).toString('hex'));

  const { frames, error } = new RequestFrameSplitter().feed(frame);
  assert.equal(error, undefined);
  assert.equal(frames.length, 1);
  assert.deepEqual(frames[0]!.header, header);
  const parsedBody = parseRequestBody(frames[0]!.body);
  assert.equal(parsedBody.seqid, 42);
  assert.deepEqual(RRDB_RPCS.RPC_RRDB_RRDB_GET.decodeArgs(frames[0]!.body, parsedBody.argsOffset), Buffer.from('00013131', 'hex'));
});

test('a v1 meta with fields absent reads them as zero, and unknown meta fields are skipped', () => {
  const meta = Buffer.from('0b0009' + '00000002' + 'abcd' + '080002' + '00000005' + '00', 'hex');
  const fixed = Buffer.alloc(16);
  fixed.write('THFT', 0, 'latin1');
  fixed.writeUInt32BE(1, 4);
  fixed.writeUInt32BE(meta.length, 8);
  const header = parseRequestHeader(Buffer.concat([fixed, meta]));
  assert.equal(header.partitionIndex, 5);
  assert.equal(header.appId, 0);
  assert.equal(header.partitionHash, 0n);
  assert.equal(header.isBackupRequest, false);
});

test('the old non-strict message begin is accepted on read', () => {
  const body = Buffer.concat([
    Buffer.from('00000011', 'hex'),
    Buffer.from('RPC_RRDB_RRDB_GET'),
    Buffer.from('01', 'hex'),
    Buffer.from('00000009', 'hex'),
    RRDB_RPCS.RPC_RRDB_RRDB_GET.encodeArgs(Buffer.from('0000', 'hex')),
  ]);
  const parsed = parseRequestBody(body);
  assert.deepEqual(parsed, { name: 'RPC_RRDB_RRDB_GET', type: MessageType.CALL, seqid: 9, argsOffset: 26 });
  assert.throws(() => parseRequestBody(encodeRequestBody('X', MessageType.CALL, 1, Buffer.alloc(0)).fill(2, 3, 4)), {
    code: 'ERR_INVALID_DATA',
  });
});

function splitError(bytes: Buffer, bodyBytesMax?: number): FrameError {
  const splitter = new RequestFrameSplitter(bodyBytesMax === undefined ? {} : { bodyBytesMax });
  const { error } = splitter.feed(bytes);
  assert.ok(error instanceof FrameError, 'expected a FrameError');
  assert.ok(isPegasusError(error, 'ERR_INVALID_DATA'));
  // Once broken, the stream stays broken.
  assert.equal(splitter.feed(Buffer.from('THFT')).error, error);
  assert.equal(splitter.bufferedBytes, 0);
  return error;
}

test('the splitter refuses bad magic, versions, header lengths and oversized bodies', () => {
  assert.equal(splitError(Buffer.from('GET / HTTP/1.1\r\n')).reason, 'bad_magic');
  const v0 = encodeRequestHeaderV0({ appId: 1, partitionIndex: 0, clientTimeoutMs: 0, partitionHash: 0n, bodyLength: 10 });
  assert.equal(splitError(Buffer.concat([v0.subarray(0, 4), Buffer.from('00000002', 'hex'), v0.subarray(8)])).reason, 'bad_version');
  const badLength = Buffer.from(v0);
  badLength.writeUInt32BE(47, 8);
  assert.equal(splitError(badLength).reason, 'bad_header_length');
  const v1 = encodeRequestHeaderV1({ appId: 1, partitionIndex: 0, clientTimeoutMs: 0, partitionHash: 0n, bodyLength: 0, isBackupRequest: false });
  v1.writeUInt32BE(REQUEST_META_BYTES_MAX + 1, 8);
  assert.equal(splitError(v1).reason, 'bad_header_length');
  const huge = Buffer.from(v0);
  huge.writeUInt32BE(0xffffffff, 16);
  assert.equal(splitError(huge).reason, 'body_too_large');
  const over = Buffer.from(v0);
  over.writeUInt32BE(1001, 16);
  assert.equal(splitError(over, 1000).reason, 'body_too_large');
});

test('a partial magic waits for more bytes instead of failing', () => {
  const splitter = new RequestFrameSplitter();
  assert.deepEqual(splitter.feed(Buffer.from('TH')), { frames: [] });
  assert.equal(splitter.feed(Buffer.from('X')).error?.reason, 'bad_magic');
});

test('the splitter holds at most one frame and frees what it hands out', () => {
  const body = encodeRequestBody('RPC_RRDB_RRDB_GET', MessageType.CALL, 0, RRDB_RPCS.RPC_RRDB_RRDB_GET.encodeArgs(Buffer.alloc(200_000, 7)));
  const header = encodeRequestHeaderV0({ appId: 1, partitionIndex: 0, clientTimeoutMs: 0, partitionHash: 0n, bodyLength: body.length });
  const frame = Buffer.concat([header, body]);
  const splitter = new RequestFrameSplitter({ bodyBytesMax: 300_000 });
  let count = 0;
  const stream = Buffer.concat([frame, frame, frame]);
  for (let at = 0; at < stream.length; at += 65536) {
    const result = splitter.feed(stream.subarray(at, at + 65536));
    assert.equal(result.error, undefined);
    for (const got of result.frames) assert.deepEqual(got.body, body);
    count += result.frames.length;
    assert.ok(splitter.bufferedBytes <= body.length + 65536);
  }
  assert.equal(count, 3);
  assert.equal(splitter.bufferedBytes, 0);
});

test('a frame with an empty body splits; decoding it then fails with ERR_INVALID_DATA', () => {
  const header = encodeRequestHeaderV0({ appId: 0, partitionIndex: 0, clientTimeoutMs: 0, partitionHash: 0n, bodyLength: 0 });
  const { frames } = new RequestFrameSplitter().feed(header);
  assert.equal(frames.length, 1);
  assert.throws(() => parseRequestBody(frames[0]!.body), { code: 'ERR_INVALID_DATA' });
});

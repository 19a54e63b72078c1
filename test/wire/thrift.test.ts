/** The Thrift reader/writer and the rDSN primitive codecs (protocol.md §0). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { keyValueCodec, readResponseCodec } from '../../src/idl/codec/rrdb-structs.ts';
import { i32Codec, listCodec, mapCodec, stringCodec, structCodec } from '../../src/idl/thrift/codec.ts';
import {
  blobCodec,
  errorCodeCodec,
  formatRpcAddress,
  gpidCodec,
  hostPortCodec,
  parseRpcAddress,
  rpcAddressCodec,
} from '../../src/idl/thrift/dsn.ts';
import { SKIP_DEPTH_MAX, ThriftReader } from '../../src/idl/thrift/reader.ts';
import { TType } from '../../src/idl/thrift/ttype.ts';
import { ThriftWriter } from '../../src/idl/thrift/writer.ts';

const invalidData = { name: 'PegasusError', code: 'ERR_INVALID_DATA' };

test('gpid and rpc_address payloads match protocol.md §0.1 examples', () => {
  const w = new ThriftWriter();
  gpidCodec.write(w, { appId: 2, partitionIndex: 5 });
  const address = parseRpcAddress('127.0.0.1:34801')!;
  rpcAddressCodec.write(w, address);
  rpcAddressCodec.write(w, { ipv4: 0, port: 0 });
  const bytes = w.finish();
  assert.equal(bytes.toString('hex'), '0000000500000002' + '7f00000187f10001' + '0000000000000000');
  const r = new ThriftReader(bytes);
  assert.deepEqual(gpidCodec.read(r, TType.STRUCT), { appId: 2, partitionIndex: 5 });
  assert.equal(formatRpcAddress(rpcAddressCodec.read(r, TType.STRUCT)), '127.0.0.1:34801');
  assert.deepEqual(rpcAddressCodec.read(r, TType.I64), { ipv4: 0, port: 0 });
  assert.equal(parseRpcAddress('256.0.0.1:1'), undefined);
});

test('host_port and error_code payloads carry no STOP byte', () => {
  const w = new ThriftWriter();
  hostPortCodec.write(w, { host: 'localhost', port: 34801, type: 1 });
  errorCodeCodec.write(w, 'ERR_OK');
  const bytes = w.finish();
  assert.equal(bytes.toString('hex'), '00000009' + Buffer.from('localhost').toString('hex') + '87f1' + '01' + '00000006' + Buffer.from('ERR_OK').toString('hex'));
  const r = new ThriftReader(bytes);
  assert.deepEqual(hostPortCodec.read(r, TType.STRUCT), { host: 'localhost', port: 34801, type: 1 });
  assert.equal(errorCodeCodec.read(r, TType.STRUCT), 'ERR_OK');
  assert.equal(r.remaining(), 0);
});

test('blob fields are written with type 12 and read from type 11 or 12; other types are skipped', () => {
  assert.equal(keyValueCodec.encode({ key: Buffer.from('k'), value: Buffer.alloc(0) }).toString('hex'), '0c0001000000016b0c00020000000000');
  const asString = Buffer.from('0b0001000000016b' + '0b000200000001' + '76' + '00', 'hex');
  assert.deepEqual(keyValueCodec.decode(asString).value, { key: Buffer.from('k'), value: Buffer.from('v') });
  // A value sent as an i32 is not a blob: skipped, the field keeps its default.
  const wrongType = Buffer.from('0c0001000000016b' + '08000200000007' + '00', 'hex');
  assert.deepEqual(keyValueCodec.decode(wrongType).value, { key: Buffer.from('k'), value: Buffer.alloc(0) });
  assert.equal(blobCodec.accepts(TType.I32), false);
});

test('unknown fields of every type, nested containers included, are skipped', () => {
  const w = new ThriftWriter();
  w.writeFieldBegin(TType.MAP, 99);
  w.writeMapBegin(TType.STRING, TType.LIST, 2);
  for (let i = 0; i < 2; i++) {
    w.writeString(`k${i}`);
    w.writeListBegin(TType.STRUCT, 1);
    w.writeFieldBegin(TType.SET, 1);
    w.writeListBegin(TType.DOUBLE, 2);
    w.writeDouble(1.5);
    w.writeDouble(-0);
    w.writeFieldBegin(TType.BOOL, 2);
    w.writeBool(true);
    w.writeFieldBegin(TType.I16, 3);
    w.writeI16(-7);
    w.writeFieldBegin(TType.BYTE, 4);
    w.writeByte(-1);
    w.writeFieldStop();
  }
  w.writeFieldBegin(TType.I32, 1);
  w.writeI32(-5);
  w.writeFieldBegin(TType.I64, 5); // an id read_response does not have
  w.writeI64(-1n);
  w.writeFieldBegin(TType.STRING, 6);
  w.writeString('srv');
  w.writeFieldStop();
  assert.deepEqual(readResponseCodec.decode(w.finish()).value, {
    error: -5,
    value: Buffer.alloc(0),
    appId: 0,
    partitionIndex: 0,
    server: 'srv',
  });
});

test('skip refuses nesting deeper than its bound', () => {
  const depth = SKIP_DEPTH_MAX + 5;
  const bytes = Buffer.concat([Buffer.alloc(depth * 3), Buffer.alloc(depth + 1)]);
  for (let i = 0; i < depth; i++) bytes.writeUInt8(TType.STRUCT, i * 3); // field type 12, id 0, nested
  assert.throws(() => new ThriftReader(bytes).skip(TType.STRUCT), invalidData);
});

test('lying lengths and counts are refused before anything is allocated', () => {
  assert.throws(() => new ThriftReader(Buffer.from('7fffffff00', 'hex')).readBinary(), invalidData);
  assert.throws(() => new ThriftReader(Buffer.from('ffffffff', 'hex')).readString(), invalidData);
  assert.throws(() => new ThriftReader(Buffer.from('0a7fffffff', 'hex')).readListBegin(), invalidData);
  // 3 elements of i64 need 24 bytes; 16 remain.
  assert.throws(() => new ThriftReader(Buffer.concat([Buffer.from('0a00000003', 'hex'), Buffer.alloc(16)])).readListBegin(), invalidData);
  assert.throws(() => new ThriftReader(Buffer.from('0b0b00000001', 'hex')).readMapBegin(), invalidData);
  assert.throws(() => new ThriftReader(Buffer.from('1100000000', 'hex')).readListBegin(), invalidData); // unknown type
  assert.throws(() => new ThriftReader(Buffer.from('0000', 'hex')).readI32(), invalidData);
  assert.throws(() => new ThriftReader(Buffer.from('7fffffffffffffff', 'hex')).readI64Number(), invalidData);
  assert.throws(() => new ThriftReader(Buffer.alloc(4), 5), invalidData);
});

test('list, map and plain structs round-trip; a list of the wrong element type reads as empty', () => {
  const codec = structCodec<{ names: string[]; envs: Map<string, string>; n?: number }>('t', {
    names: { id: 1, codec: listCodec(stringCodec) },
    envs: { id: 2, codec: mapCodec(stringCodec, stringCodec) },
    n: { id: 3, codec: i32Codec, optional: true },
  });
  const value = { names: ['a', '', 'ü'], envs: new Map([['x', 'y']]) };
  assert.deepEqual(codec.decode(codec.encode(value)).value, value);
  const wrong = Buffer.from('0f000108000000020000000100000002' + '00', 'hex');
  assert.deepEqual(codec.decode(wrong).value, { names: [], envs: new Map() });
});

test('writer asserts on out-of-range values instead of truncating them', () => {
  const w = new ThriftWriter();
  assert.throws(() => w.writeI32(2 ** 31), { name: 'AssertionFailure' });
  assert.throws(() => w.writeI16(40000), { name: 'AssertionFailure' });
  assert.throws(() => w.writeI64(1n << 63n), { name: 'AssertionFailure' });
  assert.throws(() => w.writeI64Number(2 ** 53), { name: 'AssertionFailure' });
  assert.throws(() => readResponseCodec.encode({ error: 0, appId: 0, partitionIndex: 0, server: '' } as never), {
    name: 'AssertionFailure',
  });
});

/**
 * encode → decode of the file-copy structs (src/idl/nfs.ts, upstream src/nfs/nfs.thrift), with optional
 * fields absent and present, blobs with every byte value and offsets at the safe-integer edge; the field
 * ids checked against bytes written by hand in upstream's numbering; unknown fields skipped; truncated
 * input refused; the NFS_RPCS table; and get_file_size_response's i32 error.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ERROR_CODE_NAMES } from '../../src/base/error-code.ts';
import { META_RPCS } from '../../src/idl/codec/meta-rpcs.ts';
import {
  copyRequestCodec,
  copyResponseCodec,
  getFileSizeRequestCodec,
  getFileSizeResponseCodec,
} from '../../src/idl/codec/nfs-structs.ts';
import { NFS_RPCS, isNfsRpcCode, nfsRpcByName } from '../../src/idl/codec/nfs-rpcs.ts';
import { REPLICATION_RPCS } from '../../src/idl/codec/replication-rpcs.ts';
import { RRDB_RPCS } from '../../src/idl/codec/rrdb-rpcs.ts';
import { errorCodeFromI32, errorCodeToI32, type CopyRequest, type GetFileSizeRequest } from '../../src/idl/nfs.ts';
import type { StructCodec } from '../../src/idl/thrift/codec.ts';
import { TType } from '../../src/idl/thrift/ttype.ts';
import { ThriftWriter } from '../../src/idl/thrift/writer.ts';
import { address, hostPort, roundTrip } from './codec-test-util.ts';

const R1 = address('10.0.0.1:34801');
const MAX = Number.MAX_SAFE_INTEGER;
const EVERY_BYTE = Buffer.from(Array.from({ length: 256 }, (_, i) => i));

const COPY: CopyRequest = {
  source: R1,
  sourceDir: '2.5/checkpoint.1234',
  dstDir: 'learn',
  fileName: '000012.sst',
  offset: 4 * 1024 * 1024,
  size: 1024 * 1024,
  isLast: false,
  overwrite: true,
};

const SIZES: GetFileSizeRequest = {
  source: R1,
  dstDir: 'learn',
  fileList: [],
  sourceDir: '2.5/checkpoint.1234',
  overwrite: true,
};

test('copy_request and copy_response: optional fields absent and present, extreme values', () => {
  const bare = roundTrip(copyRequestCodec, COPY);
  assert.equal('pid' in bare, false);
  assert.equal('sourceDiskTag' in bare, false);
  roundTrip(copyRequestCodec, {
    ...COPY,
    offset: MAX,
    size: 0x7fffffff,
    isLast: true,
    sourceDiskTag: 'ssd1',
    pid: { appId: 0x7fffffff, partitionIndex: 0 },
    hpSource: hostPort('replica-1.example', 34801),
  });
  roundTrip(copyResponseCodec, { error: 'ERR_OK', fileContent: EVERY_BYTE, offset: MAX, size: EVERY_BYTE.length });
  roundTrip(copyResponseCodec, { error: 'ERR_OBJECT_NOT_FOUND', fileContent: Buffer.alloc(0), offset: 0, size: 0 });
});

test('get_file_size_request and get_file_size_response, empty and full lists', () => {
  assert.equal('destDiskTag' in roundTrip(getFileSizeRequestCodec, SIZES), false);
  roundTrip(getFileSizeRequestCodec, {
    ...SIZES,
    fileList: ['CURRENT', 'MANIFEST-000005', 'ünïcødé'],
    sourceDiskTag: 'a',
    destDiskTag: 'b',
    pid: { appId: 2, partitionIndex: 5 },
    hpSource: hostPort('r1', 1),
  });
  roundTrip(getFileSizeResponseCodec, { error: 0, fileList: [], sizeList: [] });
  roundTrip(getFileSizeResponseCodec, { error: 10, fileList: ['a', 'b'], sizeList: [0, MAX] });
});

test('field ids are upstream nfs.thrift ids: bytes written by hand decode field for field', () => {
  const w = new ThriftWriter();
  w.writeFieldBegin(TType.STRUCT, 1); // source: dsn.rpc_address, 10.0.0.1:34801
  w.writeU32(R1.ipv4);
  w.writeU16(R1.port);
  w.writeU16(1);
  w.writeFieldBegin(TType.STRING, 2);
  w.writeString('2.5/checkpoint.9');
  w.writeFieldBegin(TType.STRING, 3);
  w.writeString('dst');
  w.writeFieldBegin(TType.STRING, 4);
  w.writeString('CURRENT');
  w.writeFieldBegin(TType.I64, 5);
  w.writeI64Number(7);
  w.writeFieldBegin(TType.I32, 6);
  w.writeI32(16);
  w.writeFieldBegin(TType.BOOL, 7);
  w.writeBool(true);
  w.writeFieldBegin(TType.BOOL, 8);
  w.writeBool(false);
  w.writeFieldBegin(TType.STRING, 9);
  w.writeString('tag');
  w.writeFieldBegin(TType.STRUCT, 10); // pid: dsn.gpid, partition index then app id
  w.writeI32(5);
  w.writeI32(2);
  w.writeFieldStop();
  assert.deepEqual(copyRequestCodec.decode(w.finish()).value, {
    source: R1,
    sourceDir: '2.5/checkpoint.9',
    dstDir: 'dst',
    fileName: 'CURRENT',
    offset: 7,
    size: 16,
    isLast: true,
    overwrite: false,
    sourceDiskTag: 'tag',
    pid: { appId: 2, partitionIndex: 5 },
  });

  const r = new ThriftWriter();
  r.writeFieldBegin(TType.I32, 1); // get_file_size_response.error is a plain i32
  r.writeI32(12);
  r.writeFieldBegin(TType.LIST, 2);
  r.writeListBegin(TType.STRING, 1);
  r.writeString('x');
  r.writeFieldBegin(TType.LIST, 3);
  r.writeListBegin(TType.I64, 1);
  r.writeI64Number(42);
  r.writeFieldStop();
  assert.deepEqual(getFileSizeResponseCodec.decode(r.finish()).value, { error: 12, fileList: ['x'], sizeList: [42] });
  assert.equal(errorCodeFromI32(12), 'ERR_LEARN_FILE_FAILED');
});

test('unknown fields are skipped; a known id of the wrong type too', () => {
  const w = new ThriftWriter();
  w.writeFieldBegin(TType.STRING, 99);
  w.writeString('from the future');
  w.writeFieldBegin(TType.STRUCT, 1); // error: dsn.error_code, its name
  w.writeString('ERR_BUSY');
  w.writeFieldBegin(TType.STRING, 3); // offset with the wrong type: skipped, stays 0
  w.writeString('7');
  w.writeFieldBegin(TType.I32, 4);
  w.writeI32(3);
  w.writeFieldStop();
  assert.deepEqual(copyResponseCodec.decode(w.finish()).value, { error: 'ERR_BUSY', fileContent: Buffer.alloc(0), offset: 0, size: 3 });
});

test('truncated structs are refused with ERR_INVALID_DATA, at every cut', () => {
  const samples: Array<[StructCodec<never>, Buffer]> = [
    [copyRequestCodec as StructCodec<never>, copyRequestCodec.encode({ ...COPY, pid: { appId: 1, partitionIndex: 2 } })],
    [copyResponseCodec as StructCodec<never>, copyResponseCodec.encode({ error: 'ERR_OK', fileContent: EVERY_BYTE, offset: 1, size: 256 })],
    [getFileSizeResponseCodec as StructCodec<never>, getFileSizeResponseCodec.encode({ error: 0, fileList: ['a'], sizeList: [1] })],
  ];
  for (const [codec, bytes] of samples) {
    for (let cut = 0; cut < bytes.length; cut++) {
      assert.throws(() => codec.decode(bytes.subarray(0, cut)), { name: 'PegasusError', code: 'ERR_INVALID_DATA' }, `${codec.structName} cut at ${cut}`);
    }
  }
});

test('the RPC table: upstream codes, two-way, served by replicas, no clash with other tables', () => {
  assert.deepEqual(Object.keys(NFS_RPCS).sort(), ['RPC_NFS_COPY', 'RPC_NFS_GET_FILE_SIZE']);
  for (const [code, rpc] of Object.entries(NFS_RPCS)) {
    assert.equal(rpc.code, code);
    assert.equal(rpc.servedBy, 'replica');
    assert.equal(rpc.oneway, false);
    assert.equal(nfsRpcByName(code), rpc);
    for (const table of [META_RPCS, RRDB_RPCS, REPLICATION_RPCS]) assert.equal(Object.hasOwn(table, code), false, code);
    const response = rpc.responseCodec.defaultValue();
    const body = Buffer.concat([Buffer.from([0xaa]), rpc.encodeResponse(response as never)]);
    assert.deepEqual(rpc.decodeResponse(body, 1), response, code);
  }
  assert.equal(isNfsRpcCode('RPC_NFS_COPY_ACK'), false);
  assert.equal(nfsRpcByName('toString'), undefined);
});

test('args wrappers carry the request as field 1 and refuse args without it', () => {
  const cases: Array<[keyof typeof NFS_RPCS, unknown]> = [
    ['RPC_NFS_COPY', COPY],
    ['RPC_NFS_GET_FILE_SIZE', { ...SIZES, fileList: ['CURRENT'] }],
  ];
  for (const [code, args] of cases) {
    const rpc = NFS_RPCS[code];
    const bytes = rpc.encodeArgs(args as never);
    assert.equal(bytes[0], TType.STRUCT, code);
    assert.equal(bytes.readInt16BE(1), 1, code);
    assert.deepEqual(rpc.decodeArgs(bytes, 0), args, code);
    assert.throws(() => rpc.decodeArgs(Buffer.from([0]), 0), { name: 'PegasusError', code: 'ERR_INVALID_DATA' }, code);
  }
});

test('get_file_size_response.error: error names as upstream integer values and back', () => {
  assert.equal(errorCodeToI32('ERR_OK'), 0);
  assert.equal(errorCodeToI32('ERR_OBJECT_NOT_FOUND'), 10);
  assert.equal(errorCodeToI32('ERR_INVALID_PARAMETERS'), 15);
  for (const name of ERROR_CODE_NAMES) assert.equal(errorCodeFromI32(errorCodeToI32(name)), name);
  assert.equal(errorCodeFromI32(-1), 'ERR_UNKNOWN');
  assert.equal(errorCodeFromI32(100_000), 'ERR_UNKNOWN');
});

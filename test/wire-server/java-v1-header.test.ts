/**
 * Java-client framing (protocol.md §1.2): a v1 header (16 fixed bytes + thrift request_meta) built with
 * encodeRequestHeaderV1, sent over a raw socket to the in-process replica server. The answers use the same
 * response format as v0 (§1.4) and carry the right data; v0 and v1 requests mix on one connection.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { StorageStatus } from '../../src/base/error-code.ts';
import { generateKey, keyHash, keyPartitionIndex } from '../../src/base/key-schema.ts';
import { RRDB_RPCS } from '../../src/idl/codec/rrdb-rpcs.ts';
import { MessageType } from '../../src/idl/thrift/ttype.ts';
import { encodeRequestBody } from '../../src/rpc/frame/request-body.ts';
import { encodeRequestHeaderV0, encodeRequestHeaderV1 } from '../../src/rpc/frame/request-header.ts';
import { parseResponse } from '../../src/rpc/frame/response.ts';
import { RawConnection, checkResponse, startCluster, type TestCluster } from './harness.ts';

const PARTITIONS = 8;
let cluster: TestCluster;
let appId = 0;

before(async () => {
  cluster = await startCluster();
  appId = await cluster.createTable('temp', PARTITIONS);
  await cluster.waitServing('temp');
});

after(async () => {
  await cluster?.close();
});

function frameV1(name: string, seqid: number, args: Buffer, key: Buffer, isBackupRequest: boolean, clientTimeoutMs = 2000): Buffer {
  const body = encodeRequestBody(name, MessageType.CALL, seqid, args);
  const header = encodeRequestHeaderV1({
    appId,
    partitionIndex: keyPartitionIndex(key, PARTITIONS),
    clientTimeoutMs,
    partitionHash: keyHash(key),
    bodyLength: body.length,
    isBackupRequest,
  });
  assert.equal(header.readUInt32BE(4), 1, 'a v1 header');
  return Buffer.concat([header, body]);
}

function frameV0(name: string, seqid: number, args: Buffer, key: Buffer): Buffer {
  const body = encodeRequestBody(name, MessageType.CALL, seqid, args);
  const header = encodeRequestHeaderV0({ appId, partitionIndex: keyPartitionIndex(key, PARTITIONS), clientTimeoutMs: 0, partitionHash: keyHash(key), bodyLength: body.length });
  return Buffer.concat([header, body]);
}

test('a Java-style v1 GET reads what a v0 PUT wrote, with or without the backup-request flag', async () => {
  const get = RRDB_RPCS.RPC_RRDB_RRDB_GET;
  const put = RRDB_RPCS.RPC_RRDB_RRDB_PUT;
  const key = generateKey(Buffer.from('java-hk'), Buffer.from('java-sk'));
  const value = Buffer.from('value written over v0, read over v1');
  // Written through a well-behaved TcpRpcChannel (v0 framing).
  const written = await cluster.channel.call(cluster.replica.address, {
    name: put.code,
    gpid: { appId, partitionIndex: keyPartitionIndex(key, PARTITIONS) },
    partitionHash: keyHash(key),
    args: put.encodeArgs({ key, value, expireTsSeconds: 0 }),
    timeoutMs: 5000,
  });
  assert.equal(written.errorName, 'ERR_OK');
  assert.equal(put.decodeResponse(written.result!, 0).error, StorageStatus.kOk);

  const connection = await RawConnection.open(cluster.replica.address);
  try {
    for (const [seqid, backup] of [[1001, false], [1002, true]] as const) {
      connection.write(frameV1(get.code, seqid, get.encodeArgs(key), key, backup));
      const frame = await connection.next();
      const parsed = checkResponse(frame, get.code, seqid, `v1 GET backup=${backup}`);
      assert.equal(parsed.errorName, 'ERR_OK');
      const r = get.decodeResponse(frame, parsed.resultOffset!);
      assert.equal(r.error, StorageStatus.kOk);
      assert.deepEqual(r.value, value);
      assert.equal(r.appId, appId);
      assert.equal(r.partitionIndex, keyPartitionIndex(key, PARTITIONS));
      assert.equal(r.server, cluster.replica.address);
    }

    // A missing key over v1: kNotFound with an empty value, still ERR_OK at the RPC level.
    const missing = generateKey(Buffer.from('java-hk'), Buffer.from('never-written'));
    connection.write(frameV1(get.code, 1003, get.encodeArgs(missing), missing, false));
    const frame = await connection.next();
    const parsed = checkResponse(frame, get.code, 1003, 'v1 GET of a missing key');
    const r = get.decodeResponse(frame, parsed.resultOffset!);
    assert.equal(r.error, StorageStatus.kNotFound);
    assert.equal(r.value.length, 0);
  } finally {
    connection.destroy();
  }
});

test('v1 and v0 frames pipelined on one connection: a v1 PUT, then v0 and v1 GETs of it, all answered by seqid', async () => {
  const get = RRDB_RPCS.RPC_RRDB_RRDB_GET;
  const put = RRDB_RPCS.RPC_RRDB_RRDB_PUT;
  const connection = await RawConnection.open(cluster.replica.address);
  try {
    const keys = Array.from({ length: 16 }, (_, i) => generateKey(Buffer.from(`mix-${i}`), Buffer.from('s')));
    // Puts first and wait for them (reads of a key are only ordered after its acknowledged write).
    connection.write(Buffer.concat(keys.map((key, i) => frameV1(put.code, i, put.encodeArgs({ key, value: Buffer.from(`v${i}`), expireTsSeconds: 0 }), key, false))));
    const acked = new Set<number>();
    for (let i = 0; i < keys.length; i++) {
      const frame = await connection.next();
      const p = parseResponse(frame);
      checkResponse(frame, put.code, p.seqid, `v1 PUT ${p.seqid}`);
      assert.equal(put.decodeResponse(frame, p.resultOffset!).error, StorageStatus.kOk);
      acked.add(p.seqid);
    }
    assert.equal(acked.size, keys.length);
    const reads = keys.flatMap((key, i) => [
      frameV0(get.code, 100 + i, get.encodeArgs(key), key),
      frameV1(get.code, 200 + i, get.encodeArgs(key), key, i % 2 === 0),
    ]);
    connection.write(Buffer.concat(reads));
    const values = new Map<number, string>();
    for (let i = 0; i < reads.length; i++) {
      const frame = await connection.next();
      const p = parseResponse(frame);
      checkResponse(frame, get.code, p.seqid, `GET ${p.seqid}`);
      const r = get.decodeResponse(frame, p.resultOffset!);
      assert.equal(r.error, StorageStatus.kOk);
      values.set(p.seqid, r.value.toString());
    }
    for (let i = 0; i < keys.length; i++) {
      assert.equal(values.get(100 + i), `v${i}`, `v0 GET ${i}`);
      assert.equal(values.get(200 + i), `v${i}`, `v1 GET ${i}`);
    }
  } finally {
    connection.destroy();
  }
});

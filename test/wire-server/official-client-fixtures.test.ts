/**
 * The official Node.js client's captured request frames, replayed byte for byte over raw TCP against our
 * in-process meta and replica servers (meta-query frames to the meta, rrdb frames to the replica server), in
 * capture order. The captured requests address app_id 3 (`temp`, 8 partitions), so two other tables are
 * created first. Every answer must be a well-formed response (protocol.md §1.4), and for ERR_OK its result
 * must decode with the RPC's response decoder into what protocol.md §2/§4.4 demands. The captured
 * *responses* come from a mock and are not used as an oracle: expected values come from a model of the
 * store that replays the same requests (so a GET after the captured SET must return the value, a raw-TTL
 * SET is already expired, an empty MULTI_PUT is kInvalidArgument, ...).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { StorageStatus } from '../../src/base/error-code.ts';
import { generateKey, keyPartitionIndex, hashKeyPartitionIndex } from '../../src/base/key-schema.ts';
import { META_RPCS } from '../../src/idl/codec/meta-rpcs.ts';
import { RRDB_RPCS } from '../../src/idl/codec/rrdb-rpcs.ts';
import { formatRpcAddress } from '../../src/idl/thrift/dsn.ts';
import type { MultiGetRequest, MultiPutRequest, UpdateRequest } from '../../src/idl/rrdb.ts';
import { parseRequestBody } from '../../src/rpc/frame/request-body.ts';
import { parseRequestHeader } from '../../src/rpc/frame/request-header.ts';
import { parseResponse } from '../../src/rpc/frame/response.ts';
import { REQUEST_FRAMES, bytesOf, type FixtureFrame } from '../wire/fixtures.ts';
import { RawConnection, checkResponse, startCluster, type TestCluster } from './harness.ts';

/** Seconds between the unix epoch and the Pegasus epoch 2016-01-01 (protocol.md §4.4). */
const PEGASUS_EPOCH_UNIX = 1451606400;
const nowEpochSeconds = () => Math.floor(Date.now() / 1000) - PEGASUS_EPOCH_UNIX;

let cluster: TestCluster;
let tempAppId = 0;

before(async () => {
  cluster = await startCluster();
  assert.equal(await cluster.createTable('wire_a', 1), 1);
  assert.equal(await cluster.createTable('wire_b', 2), 2);
  tempAppId = await cluster.createTable('temp', 8);
  await cluster.waitServing('temp');
});

after(async () => {
  await cluster?.close();
});

function decodeFrame(fixture: FixtureFrame) {
  const bytes = bytesOf(fixture);
  const header = parseRequestHeader(bytes);
  const body = bytes.subarray(header.headerBytes, header.headerBytes + header.bodyLength);
  const parsed = parseRequestBody(body);
  return { bytes, header, body, parsed };
}

/** The store as protocol.md §4.4 says it must look after each captured write (composite key hex → value). */
class StoreModel {
  private readonly rows = new Map<string, Buffer>();

  put(key: Buffer, value: Buffer, expireTs: number): void {
    // expire_ts is absolute (Pegasus epoch); the Node client sends the raw TTL, which is long past.
    if (expireTs > 0 && expireTs <= nowEpochSeconds()) this.rows.delete(key.toString('hex'));
    else this.rows.set(key.toString('hex'), value);
  }

  remove(key: Buffer): void {
    this.rows.delete(key.toString('hex'));
  }

  get(key: Buffer): Buffer | undefined {
    return this.rows.get(key.toString('hex'));
  }

  /** The sort keys and values of one hash key, ascending by sort key bytes. */
  range(hashKey: Buffer): Array<{ key: Buffer; value: Buffer }> {
    const prefix = generateKey(hashKey, Buffer.alloc(0));
    return [...this.rows.entries()]
      .map(([hex, value]) => ({ full: Buffer.from(hex, 'hex'), value }))
      .filter(({ full }) => full.length >= prefix.length && full.subarray(0, prefix.length).equals(prefix))
      .map(({ full, value }) => ({ key: full.subarray(prefix.length), value }))
      .sort((a, b) => Buffer.compare(a.key, b.key));
  }
}

test('the table the captured requests address is ours: temp has app_id 3 and 8 partitions, all with our replica as primary', async () => {
  assert.equal(tempAppId, 3);
  const cfg = await cluster.queryConfig('temp');
  assert.equal(cfg.err, 'ERR_OK');
  assert.equal(cfg.appId, 3);
  assert.equal(cfg.partitionCount, 8);
  assert.deepEqual(cfg.partitions.map((p) => p.pid.partitionIndex).sort(), [0, 1, 2, 3, 4, 5, 6, 7]);
  for (const p of cfg.partitions) assert.equal(formatRpcAddress(p.primary), cluster.replica.address);
});

test('every captured official-client request, sent as is in capture order, gets a well-formed and correct answer', async () => {
  const model = new StoreModel();
  const connections = new Map<string, RawConnection>();
  const connectionFor = async (fixture: FixtureFrame, address: string): Promise<RawConnection> => {
    // One connection per captured client connection (and server), like the client had.
    const id = `${fixture.capture} -> ${address}`;
    let connection = connections.get(id);
    if (connection === undefined) {
      connection = await RawConnection.open(address);
      connections.set(id, connection);
    }
    return connection;
  };
  const counts = new Map<string, number>();
  const outcomes = new Map<string, number>();
  const saw = (what: string) => outcomes.set(what, (outcomes.get(what) ?? 0) + 1);
  try {
    assert.equal(REQUEST_FRAMES.length, 46);
    for (const [index, fixture] of REQUEST_FRAMES.entries()) {
      const label = `request #${index} ${fixture.rpc_name} seqid ${fixture.seqid} (${fixture.client_call})`;
      const { bytes, header, body, parsed } = decodeFrame(fixture);
      assert.equal(parsed.name, fixture.rpc_name);
      const isMeta = fixture.rpc_name === 'RPC_CM_QUERY_PARTITION_CONFIG_BY_INDEX';
      const connection = await connectionFor(fixture, isMeta ? cluster.meta.address : cluster.replica.address);
      connection.write(bytes);
      const frame = await connection.next(5000);
      const response = checkResponse(frame, fixture.rpc_name, fixture.seqid, label);
      // Every captured request addresses something our servers have: each must succeed at the RPC level.
      assert.equal(response.errorName, 'ERR_OK', label);
      const offset = response.resultOffset!;
      counts.set(fixture.rpc_name, (counts.get(fixture.rpc_name) ?? 0) + 1);

      if (isMeta) {
        const args = META_RPCS.RPC_CM_QUERY_PARTITION_CONFIG_BY_INDEX.decodeArgs(body, parsed.argsOffset);
        const cfg = META_RPCS.RPC_CM_QUERY_PARTITION_CONFIG_BY_INDEX.decodeResponse(frame, offset);
        if (args.appName === 'temp') {
          assert.equal(cfg.err, 'ERR_OK', label);
          assert.equal(cfg.appId, 3, label);
          assert.equal(cfg.partitionCount, 8, label);
          assert.equal(cfg.isStateful, true, label);
          assert.equal(cfg.partitions.length, 8, label);
          assert.deepEqual(cfg.partitions.map((p) => p.pid.appId), Array(8).fill(3), label);
          assert.deepEqual(cfg.partitions.map((p) => p.pid.partitionIndex).sort(), [0, 1, 2, 3, 4, 5, 6, 7], label);
          for (const p of cfg.partitions) {
            assert.equal(formatRpcAddress(p.primary), cluster.replica.address, label);
            assert.ok(p.ballot >= 0, `${label}: ballot ${p.ballot}`);
          }
        } else {
          // The mocha "wrong table name" case and getTable("no_such_table"): the meta error lives in the body.
          assert.equal(cfg.err, 'ERR_OBJECT_NOT_FOUND', `${label}: table ${args.appName}`);
          assert.equal(cfg.isStateful, false, `${label}: a failed query leaves is_stateful false (protocol.md §2, the Python client)`);
        }
        continue;
      }

      assert.equal(header.appId, 3, label);
      const origin = (r: { appId: number; partitionIndex: number; server: string }) => {
        assert.equal(r.appId, 3, `${label}: app_id`);
        assert.equal(r.partitionIndex, header.partitionIndex, `${label}: partition_index`);
        assert.equal(r.server, cluster.replica.address, `${label}: server`);
      };
      switch (fixture.rpc_name) {
        case 'RPC_RRDB_RRDB_PUT': {
          const rpc = RRDB_RPCS.RPC_RRDB_RRDB_PUT;
          const args: UpdateRequest = rpc.decodeArgs(body, parsed.argsOffset);
          assert.equal(keyPartitionIndex(args.key, 8), header.partitionIndex, `${label}: routed to the key's partition`);
          const r = rpc.decodeResponse(frame, offset);
          origin(r);
          assert.equal(r.error, StorageStatus.kOk, label);
          assert.ok(r.decree > 0, `${label}: decree ${r.decree}`);
          model.put(args.key, args.value, args.expireTsSeconds);
          if (args.expireTsSeconds > 0) saw('put with raw ttl');
          break;
        }
        case 'RPC_RRDB_RRDB_REMOVE': {
          const rpc = RRDB_RPCS.RPC_RRDB_RRDB_REMOVE;
          const key = rpc.decodeArgs(body, parsed.argsOffset);
          const r = rpc.decodeResponse(frame, offset);
          origin(r);
          assert.equal(r.error, StorageStatus.kOk, `${label}: remove (also of a missing key) is kOk`);
          model.remove(key);
          break;
        }
        case 'RPC_RRDB_RRDB_MULTI_PUT': {
          const rpc = RRDB_RPCS.RPC_RRDB_RRDB_MULTI_PUT;
          const args: MultiPutRequest = rpc.decodeArgs(body, parsed.argsOffset);
          assert.equal(hashKeyPartitionIndex(args.hashKey, 8), header.partitionIndex, label);
          const r = rpc.decodeResponse(frame, offset);
          origin(r);
          if (args.kvs.length === 0) {
            // The mock's answer (4) is not the oracle; protocol.md §4.4 is: an empty kvs is kInvalidArgument.
            assert.equal(r.error, StorageStatus.kInvalidArgument, `${label}: empty multi_put`);
            saw('empty multi_put');
          } else {
            assert.equal(r.error, StorageStatus.kOk, label);
            for (const kv of args.kvs) model.put(generateKey(args.hashKey, kv.key), kv.value, args.expireTsSeconds);
          }
          break;
        }
        case 'RPC_RRDB_RRDB_GET': {
          const rpc = RRDB_RPCS.RPC_RRDB_RRDB_GET;
          const key = rpc.decodeArgs(body, parsed.argsOffset);
          assert.equal(keyPartitionIndex(key, 8), header.partitionIndex, label);
          const r = rpc.decodeResponse(frame, offset);
          origin(r);
          const expected = model.get(key);
          if (expected === undefined) {
            // Missing, removed or (raw-TTL) expired: kNotFound with an empty value still written.
            assert.equal(r.error, StorageStatus.kNotFound, `${label}: key ${key.toString('hex')} must be absent`);
            assert.equal(r.value.length, 0, label);
            saw('get not found');
          } else {
            saw('get found');
            assert.equal(r.error, StorageStatus.kOk, `${label}: key ${key.toString('hex')} must be found`);
            assert.deepEqual(r.value, expected, label);
          }
          break;
        }
        case 'RPC_RRDB_RRDB_MULTI_GET': {
          const rpc = RRDB_RPCS.RPC_RRDB_RRDB_MULTI_GET;
          const args: MultiGetRequest = rpc.decodeArgs(body, parsed.argsOffset);
          // The client never sends sort_keys (README): every captured multi_get is a whole-hash-key range read.
          assert.equal(args.sortKeys.length, 0, label);
          const r = rpc.decodeResponse(frame, offset);
          origin(r);
          const all = model.range(args.hashKey);
          const maxCount = args.maxKvCount > 0 ? args.maxKvCount : Number.MAX_SAFE_INTEGER;
          const maxSize = args.maxKvSize > 0 ? args.maxKvSize : Number.MAX_SAFE_INTEGER;
          const got = r.kvs.map((kv) => ({ key: kv.key, value: kv.value }));
          assert.ok(r.error === StorageStatus.kOk || r.error === StorageStatus.kIncomplete, `${label}: error ${r.error}`);
          // Whatever came back is the start of the hash key's rows in sort-key order.
          assert.deepEqual(got, all.slice(0, got.length), label);
          const totalSize = all.reduce((n, kv) => n + kv.key.length + kv.value.length, 0);
          if (all.length < maxCount && totalSize < maxSize) {
            // Fits in the limits: everything, and kOk (the Node client refuses 7).
            assert.equal(r.error, StorageStatus.kOk, `${label}: complete read`);
            assert.equal(got.length, all.length, label);
            saw(all.length > 0 ? 'multi_get complete' : 'multi_get empty');
          } else {
            assert.ok(got.length <= maxCount, `${label}: ${got.length} kvs over max_kv_count ${maxCount}`);
            assert.equal(r.error, StorageStatus.kIncomplete, `${label}: limits cut the read short (${all.length} rows, limits ${maxCount}/${maxSize})`);
            assert.ok(got.length < all.length, label);
            saw('multi_get incomplete');
          }
          break;
        }
        default:
          assert.fail(`${label}: unexpected rpc in the capture`);
      }
    }
    // The replay exercised each behaviour the capture can show.
    assert.deepEqual(Object.fromEntries([...outcomes.entries()].sort()), {
      'empty multi_put': 1,
      'get found': 9,
      'get not found': 4,
      'multi_get complete': 7,
      'multi_get empty': 1,
      'multi_get incomplete': 1,
      'put with raw ttl': 2,
    });
    // Nothing else arrived on any connection (one answer per request).
    for (const connection of connections.values()) {
      assert.deepEqual(connection.drain(), []);
      assert.equal(connection.leftover.length, 0);
      assert.equal(connection.closed, false, 'the server kept every connection open');
    }
    assert.deepEqual(Object.fromEntries([...counts.entries()].sort()), {
      RPC_CM_QUERY_PARTITION_CONFIG_BY_INDEX: 4,
      RPC_RRDB_RRDB_GET: 13,
      RPC_RRDB_RRDB_MULTI_GET: 9,
      RPC_RRDB_RRDB_MULTI_PUT: 4,
      RPC_RRDB_RRDB_PUT: 13,
      RPC_RRDB_RRDB_REMOVE: 3,
    });
  } finally {
    for (const connection of connections.values()) connection.destroy();
  }
});

test('the captured rrdb requests, pipelined all at once on one connection, are all answered under their seqids', async () => {
  // The capture's seqids repeat across runs; renumber nothing, just count answers per seqid.
  const rrdb = REQUEST_FRAMES.filter((f) => f.rpc_name.startsWith('RPC_RRDB_'));
  const connection = await RawConnection.open(cluster.replica.address);
  try {
    connection.write(Buffer.concat(rrdb.map(bytesOf)));
    const expected = new Map<string, number>();
    for (const f of rrdb) expected.set(`${f.rpc_name}_ACK/${f.seqid}`, (expected.get(`${f.rpc_name}_ACK/${f.seqid}`) ?? 0) + 1);
    const seen = new Map<string, number>();
    for (let i = 0; i < rrdb.length; i++) {
      const frame = await connection.next(5000);
      const parsed = parseResponse(frame);
      assert.equal(parsed.errorName, 'ERR_OK', `${parsed.name} seqid ${parsed.seqid}`);
      const id = `${parsed.name}/${parsed.seqid}`;
      seen.set(id, (seen.get(id) ?? 0) + 1);
    }
    assert.deepEqual(new Map([...seen.entries()].sort()), new Map([...expected.entries()].sort()));
  } finally {
    connection.destroy();
  }
});

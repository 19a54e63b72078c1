/**
 * ReplicaStub against a fake world (fake-env.ts, fake-meta.ts): failure detection (F1), config sync (F2),
 * CT_ASSIGN_PRIMARY (F3) and client traffic (F5) with real rrdb requests encoded and responses decoded by
 * the codec tables.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { StorageStatus } from '../../src/base/error-code.ts';
import type { Gpid } from '../../src/base/gpid.ts';
import { generateKey } from '../../src/base/key-schema.ts';
import { REPLICATION_RPCS } from '../../src/idl/codec/replication-rpcs.ts';
import { RRDB_RPCS } from '../../src/idl/codec/rrdb-rpcs.ts';
import { ConfigType, PartitionStatus } from '../../src/idl/replication.ts';
import { formatRpcAddress as formatWireAddress } from '../../src/idl/thrift/dsn.ts';
import { RpcHandlerTable } from '../../src/rpc/transport.ts';
import { ReplicaStub } from '../../src/replica/stub/replica-stub.ts';
import { FakeNode, META, SELF } from './fake-env.ts';
import { FakeMeta, appInfo } from './fake-meta.ts';

const b = (s: string) => Buffer.from(s);
const key = (sortKey: string) => generateKey(b('hk'), b(sortKey));
const P0: Gpid = { appId: 1, partitionIndex: 0 };
const P1: Gpid = { appId: 1, partitionIndex: 1 };

async function put(node: FakeNode, gpid: Gpid, sortKey: string, value: string | Buffer) {
  const rpc = RRDB_RPCS.RPC_RRDB_RRDB_PUT;
  const result = await node.network.deliver(rpc.code, gpid, rpc.encodeArgs({ key: key(sortKey), value: typeof value === 'string' ? b(value) : value, expireTsSeconds: 0 }));
  return { errorName: result.errorName, response: result.result === undefined ? undefined : rpc.decodeResponse(result.result, 0) };
}

async function get(node: FakeNode, gpid: Gpid, sortKey: string) {
  const rpc = RRDB_RPCS.RPC_RRDB_RRDB_GET;
  const result = await node.network.deliver(rpc.code, gpid, rpc.encodeArgs(key(sortKey)));
  return { errorName: result.errorName, response: result.result === undefined ? undefined : rpc.decodeResponse(result.result, 0) };
}

/** A node with a stub started against a fake meta hosting table 1 (two partitions). */
async function started(node = new FakeNode(), meta = new FakeMeta(META)) {
  if (meta.apps.size === 0) meta.addApp(appInfo(1, 2));
  node.network.remote = new RpcHandlerTable();
  meta.register(node.network.remote);
  const stub = new ReplicaStub(node.env());
  const report = await stub.start();
  return { node, meta, stub, report };
}

/** Sends CT_ASSIGN_PRIMARY for `gpid` and lets the stub's update request complete. */
async function assignPrimary(node: FakeNode, meta: FakeMeta, gpid: Gpid): Promise<void> {
  await node.network.deliver('RPC_CONFIG_PROPOSAL', gpid, meta.proposal(gpid, SELF), true);
  await node.clock.advance(10);
}

test('beacons go out every fd_beacon_interval_seconds; a lost lease makes replicas inactive; acks resume them', async () => {
  const { node, meta, stub } = await started();
  await node.clock.advance(10);
  assert.equal(stub.stats.connected, true);
  await assignPrimary(node, meta, P0);
  assert.equal(stub.find(P0)?.isPrimary, true);

  const before = node.network.callsNamed('RPC_FD_FAILURE_DETECTOR_PING').length;
  await node.clock.advance(5000);
  const beacons = node.network.callsNamed('RPC_FD_FAILURE_DETECTOR_PING');
  assert.equal(beacons.length - before, 5, 'one beacon per second');
  const beacon = REPLICATION_RPCS.RPC_FD_FAILURE_DETECTOR_PING.decodeArgs(beacons.at(-1)!.args, 0);
  assert.equal(formatWireAddress(beacon.fromNode), SELF);
  assert.equal(formatWireAddress(beacon.toNode), META);
  assert.equal(beacon.time, beacons.at(-1)!.atMs);

  meta.ackBeacons = false;
  const lostAtMs = node.clock.nowMs();
  await node.clock.advance(1000);
  assert.equal(stub.find(P0)?.isPrimary, true, 'still within the lease');
  await node.clock.advance(3000);
  assert.equal(stub.stats.connected, false);
  assert.equal(stub.find(P0)?.replica?.status, 'PS_INACTIVE', 'stopped serving once the lease expired');
  assert.ok(node.clock.nowMs() - lostAtMs <= 3000 + 1000, 'within lease + one check interval');
  assert.equal((await put(node, P0, 'a', '1')).errorName, 'ERR_INVALID_STATE');

  meta.ackBeacons = true;
  const syncsBefore = meta.syncRequests.length;
  await node.clock.advance(2000);
  assert.equal(stub.stats.connected, true);
  assert.ok(meta.syncRequests.length > syncsBefore, 'config sync on reconnecting');
  assert.equal(stub.find(P0)?.isPrimary, true, 'primary again at the same ballot');
  assert.equal((await put(node, P0, 'a', '1')).response?.error, StorageStatus.kOk);
  await stub.close();
});

test('config sync reports every stored replica with its ballot and decrees', async () => {
  const { node, meta, stub } = await started();
  await node.clock.advance(10);
  await assignPrimary(node, meta, P0);
  for (let i = 0; i < 3; i++) assert.equal((await put(node, P0, `k${i}`, 'v')).response?.error, StorageStatus.kOk);
  await node.clock.advance(5000);
  const last = meta.syncRequests.at(-1)!;
  assert.equal(last.node, SELF);
  assert.equal(last.stored.length, 1);
  const stored = last.stored[0]!;
  assert.deepEqual(stored.pid, P0);
  assert.equal(stored.ballot, 1);
  assert.equal(stored.status, PartitionStatus.PS_PRIMARY);
  assert.equal(stored.lastCommittedDecree, 3, 'three writes');
  assert.equal(stored.lastPreparedDecree, 3);
  assert.equal(stored.appType, 'pegasus');
  await stub.close();
});

test('CT_ASSIGN_PRIMARY: update request with ballot + 1 and primary = self, ballot persisted, then writes and reads', async () => {
  const { node, meta, stub } = await started();
  await node.clock.advance(10);
  meta.config(P1).lastDrops = [{ ipv4: 0x0a000001, port: 34801 }, { ipv4: 0x0a000002, port: 34801 }];
  await node.network.deliver('RPC_CONFIG_PROPOSAL', P1, meta.proposal(P1, SELF), true);
  await node.clock.advance(10);
  const request = meta.updates.at(-1)!;
  assert.equal(request.type, ConfigType.CT_ASSIGN_PRIMARY);
  assert.equal(formatWireAddress(request.node), SELF);
  assert.equal(request.config.ballot, 1);
  assert.equal(formatWireAddress(request.config.primary), SELF);
  assert.deepEqual(request.config.secondaries, []);
  assert.deepEqual(request.config.lastDrops.map(formatWireAddress), ['10.0.0.2:34801'], 'itself removed from last_drops');
  assert.equal(JSON.parse(node.storage.dirs.get('1.1')!.files.get('.init-info')!).ballot, 1);
  assert.equal(JSON.parse(node.storage.dirs.get('1.1')!.files.get('.app-info')!).app_name, 'temp');

  assert.equal((await put(node, P1, 'a', 'hello')).response?.error, StorageStatus.kOk);
  const read = await get(node, P1, 'a');
  assert.equal(read.errorName, 'ERR_OK');
  assert.equal(read.response?.value.toString(), 'hello');
  assert.equal(read.response?.partitionIndex, 1);

  const missing = await get(node, P1, 'nope');
  assert.equal(missing.response?.error, StorageStatus.kNotFound);
  await stub.close();
});

test('an unanswered update request is retried every second; a stale proposal is ignored', async () => {
  const { node, meta, stub } = await started();
  await node.clock.advance(10);
  meta.answerUpdates = false;
  await node.network.deliver('RPC_CONFIG_PROPOSAL', P0, meta.proposal(P0, SELF), true);
  await node.clock.advance(3500);
  assert.ok(meta.updates.length >= 3, `retried (${meta.updates.length} requests)`);
  assert.equal(stub.find(P0)?.isPrimary, false);
  meta.answerUpdates = true;
  await node.clock.advance(1500);
  assert.equal(stub.find(P0)?.isPrimary, true);
  assert.equal(stub.stats.updatesInFlight, 0);

  // The meta's config is now at ballot 1; a proposal carrying ballot 0 is older than the replica's.
  const updates = meta.updates.length;
  meta.configs.set('1.0', { ...meta.config(P0), ballot: 0 });
  await node.network.deliver('RPC_CONFIG_PROPOSAL', P0, meta.proposal(P0, SELF), true);
  await node.clock.advance(10);
  assert.equal(meta.updates.length, updates, 'no update for a stale proposal');
  await stub.close();
});

test('client errors: unknown gpid, not primary, oversized write', async () => {
  const { node, meta, stub } = await started();
  await node.clock.advance(10);
  assert.equal((await get(node, { appId: 7, partitionIndex: 0 }, 'a')).errorName, 'ERR_OBJECT_NOT_FOUND');
  assert.equal((await put(node, P0, 'a', '1')).errorName, 'ERR_OBJECT_NOT_FOUND', 'not hosted yet');
  await assignPrimary(node, meta, P0);
  assert.equal((await put(node, P0, 'big', Buffer.alloc(1024 * 1024 + 1))).errorName, 'ERR_INVALID_DATA');
  assert.equal((await put(node, P0, 'ok', Buffer.alloc(1000))).errorName, 'ERR_OK');
  // The meta gives the partition to another node: the next config sync stops this one serving.
  meta.configs.set('1.0', { ...meta.config(P0), ballot: 2, primary: { ipv4: 0x0a000002, port: 34801 } });
  await node.clock.advance(5000);
  assert.equal((await get(node, P0, 'ok')).errorName, 'ERR_INVALID_STATE');
  assert.equal((await put(node, P0, 'x', '1')).errorName, 'ERR_INVALID_STATE');
  await stub.close();
});

test('scanners: get_scanner, scan, clear_scanner through the PartitionDb of the primary', async () => {
  const { node, meta, stub } = await started();
  await node.clock.advance(10);
  await assignPrimary(node, meta, P0);
  for (let i = 0; i < 5; i++) await put(node, P0, `s${i}`, `v${i}`);
  const getScanner = RRDB_RPCS.RPC_RRDB_RRDB_GET_SCANNER;
  const first = await node.network.deliver(
    getScanner.code,
    P0,
    getScanner.encodeArgs({
      startKey: Buffer.alloc(0),
      stopKey: Buffer.alloc(0),
      startInclusive: true,
      stopInclusive: false,
      batchSize: 2,
      noValue: false,
      hashKeyFilterType: 0,
      hashKeyFilterPattern: Buffer.alloc(0),
      sortKeyFilterType: 0,
      sortKeyFilterPattern: Buffer.alloc(0),
      validatePartitionHash: false,
      returnExpireTs: false,
      fullScan: true,
      onlyReturnCount: false,
    } as Parameters<typeof getScanner.encodeArgs>[0]),
  );
  const page = getScanner.decodeResponse(first.result!, 0);
  assert.equal(page.kvs.length, 2);
  assert.ok(page.contextId >= 0);
  const scan = RRDB_RPCS.RPC_RRDB_RRDB_SCAN;
  const second = scan.decodeResponse((await node.network.deliver(scan.code, P0, scan.encodeArgs({ contextId: page.contextId }))).result!, 0);
  assert.equal(second.kvs.length, 2);
  const clear = RRDB_RPCS.RPC_RRDB_RRDB_CLEAR_SCANNER;
  await node.network.deliver(clear.code, P0, clear.encodeArgs(second.contextId), true);
  const gone = scan.decodeResponse((await node.network.deliver(scan.code, P0, scan.encodeArgs({ contextId: second.contextId }))).result!, 0);
  assert.equal(gone.error, StorageStatus.kNotFound, 'cleared');
  await stub.close();
});

test('partition hashes are checked only when the table env replica.split.validate_partition_hash is true', async () => {
  const meta = new FakeMeta(META);
  const checked = appInfo(1, 4);
  checked.envs.set('replica.split.validate_partition_hash', 'true');
  meta.addApp(checked);
  meta.addApp(appInfo(2, 4, 'unchecked'));
  const { node, stub } = await started(new FakeNode(), meta);
  const C1: Gpid = { appId: 1, partitionIndex: 1 };
  const U1: Gpid = { appId: 2, partitionIndex: 1 };
  await assignPrimary(node, meta, C1);
  await assignPrimary(node, meta, U1);
  const rpc = RRDB_RPCS.RPC_RRDB_RRDB_GET;
  const getWithHash = (gpid: Gpid, hash: bigint) => node.network.deliver(rpc.code, gpid, rpc.encodeArgs(key('k')), false, hash);
  assert.equal((await getWithHash(C1, 5n)).errorName, 'ERR_OK', '5 & 3 = 1: the key belongs here');
  assert.equal((await getWithHash(C1, 2n)).errorName, 'ERR_PARENT_PARTITION_MISUSED');
  assert.equal((await getWithHash(U1, 2n)).errorName, 'ERR_OK', 'without the env the hash is not checked, as upstream');
  await stub.close();
});

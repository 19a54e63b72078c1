/**
 * Restarts of the stub on the same storage (fake-env.ts): every stored replica is reopened and replayed
 * with no acknowledged write lost, and a replica whose files are corrupt is moved to `.err` while the others
 * still open.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { StorageStatus } from '../../src/base/error-code.ts';
import type { Gpid } from '../../src/base/gpid.ts';
import { generateKey } from '../../src/base/key-schema.ts';
import { RRDB_RPCS } from '../../src/idl/codec/rrdb-rpcs.ts';
import { formatRpcAddress as formatWireAddress } from '../../src/idl/thrift/dsn.ts';
import { ReplicaStub } from '../../src/replica/stub/replica-stub.ts';
import { RpcHandlerTable } from '../../src/rpc/transport.ts';
import { FakeNode, META, SELF } from './fake-env.ts';
import { FakeMeta, appInfo } from './fake-meta.ts';

const b = (s: string) => Buffer.from(s);
const key = (sortKey: string) => generateKey(b('hk'), b(sortKey));
const P0: Gpid = { appId: 1, partitionIndex: 0 };
const P1: Gpid = { appId: 1, partitionIndex: 1 };

async function startStub(node: FakeNode): Promise<ReplicaStub> {
  const stub = new ReplicaStub(node.env());
  await stub.start();
  await node.clock.advance(10);
  return stub;
}

async function put(node: FakeNode, gpid: Gpid, sortKey: string, value: string): Promise<string> {
  const rpc = RRDB_RPCS.RPC_RRDB_RRDB_PUT;
  const result = await node.network.deliver(rpc.code, gpid, rpc.encodeArgs({ key: key(sortKey), value: b(value), expireTsSeconds: 0 }));
  assert.equal(result.errorName, 'ERR_OK');
  assert.equal(rpc.decodeResponse(result.result!, 0).error, StorageStatus.kOk);
  return value;
}

async function get(node: FakeNode, gpid: Gpid, sortKey: string): Promise<string | undefined> {
  const rpc = RRDB_RPCS.RPC_RRDB_RRDB_GET;
  const result = await node.network.deliver(rpc.code, gpid, rpc.encodeArgs(key(sortKey)));
  assert.equal(result.errorName, 'ERR_OK');
  const response = rpc.decodeResponse(result.result!, 0);
  return response.error === StorageStatus.kOk ? response.value.toString() : undefined;
}

async function nodeWithTwoPrimaries(): Promise<{ node: FakeNode; meta: FakeMeta; stub: ReplicaStub; acked: Map<string, string> }> {
  const node = new FakeNode();
  const meta = new FakeMeta(META);
  meta.addApp(appInfo(1, 2));
  node.network.remote = new RpcHandlerTable();
  meta.register(node.network.remote);
  const stub = await startStub(node);
  const acked = new Map<string, string>();
  for (const gpid of [P0, P1]) {
    await node.network.deliver('RPC_CONFIG_PROPOSAL', gpid, meta.proposal(gpid, SELF), true);
    await node.clock.advance(10);
    assert.equal(stub.find(gpid)?.isPrimary, true);
    for (let i = 0; i < 30; i++) acked.set(`${gpid.partitionIndex}/k${i}`, await put(node, gpid, `k${i}`, `v${gpid.partitionIndex}.${i}`));
  }
  return { node, meta, stub, acked };
}

/**
 * After a restart the meta still lists the node as primary; the replica has lost that role (it is INACTIVE,
 * not transient), so it asks the meta to drop it (upstream remove_replica_on_meta_server) and the guardian
 * — played here by the test — assigns the partition back to its only last drop.
 */
async function reassignAfterRestart(node: FakeNode, meta: FakeMeta, stub: ReplicaStub): Promise<void> {
  await node.clock.advance(10);
  for (const gpid of [P0, P1]) {
    if (stub.find(gpid) === undefined) continue;
    const pc = meta.config(gpid);
    assert.equal(pc.ballot, 2, 'the replica dropped itself at ballot 2');
    assert.equal(pc.primary.ipv4, 0);
    assert.deepEqual(pc.lastDrops.map((a) => formatWireAddress(a)), [SELF]);
    await node.network.deliver('RPC_CONFIG_PROPOSAL', gpid, meta.proposal(gpid, SELF), true);
    await node.clock.advance(10);
    assert.equal(stub.find(gpid)?.isPrimary, true);
    assert.equal(stub.find(gpid)?.ballot, 3);
  }
}

test('a restarted stub reopens and replays every replica; the meta makes them primary again; nothing acknowledged is lost', async () => {
  const { node, meta, stub, acked } = await nodeWithTwoPrimaries();
  await stub.close();

  const restarted = new ReplicaStub(node.env());
  await restarted.start();
  assert.deepEqual(restarted.replicaInfos().map((r) => `${r.pid.appId}.${r.pid.partitionIndex}@${r.ballot}`), ['1.0@1', '1.1@1']);
  assert.equal(restarted.find(P0)?.replica?.lastCommittedDecree(), 30, 'replayed up to the last acknowledged write');
  assert.equal(restarted.find(P0)?.isPrimary, false, 'a restarted replica does not resume a role by itself');
  await reassignAfterRestart(node, meta, restarted);
  for (const [k, v] of acked) {
    const [pidx, sortKey] = k.split('/') as [string, string];
    assert.equal(await get(node, { appId: 1, partitionIndex: Number(pidx) }, sortKey), v, k);
  }
  await restarted.close();
});

test('a replica whose files are corrupt is moved to .err and reported; the others still open and serve', async () => {
  const { node, meta, stub, acked } = await nodeWithTwoPrimaries();
  await stub.close();
  node.storage.dirs.get('1.1')!.files.set('.init-info', '{"ballot": 1, "init_offs');

  const restarted = new ReplicaStub(node.env());
  const report = await restarted.start();
  await reassignAfterRestart(node, meta, restarted);
  assert.deepEqual(report.opened, ['1.0']);
  assert.equal(report.failed.length, 1);
  assert.equal(report.failed[0]!.gpid, '1.1');
  assert.match(report.failed[0]!.movedTo ?? '', /^1\.1\.pegasus\.\d+\.err$/);
  assert.match(report.failed[0]!.error, /ERR_CORRUPTION/);
  assert.equal(node.storage.dirs.has('1.1'), false);
  assert.equal(await get(node, P0, 'k29'), acked.get('0/k29'));
  const lost = await node.network.deliver(RRDB_RPCS.RPC_RRDB_RRDB_GET.code, P1, RRDB_RPCS.RPC_RRDB_RRDB_GET.encodeArgs(key('k0')));
  assert.equal(lost.errorName, 'ERR_OBJECT_NOT_FOUND');
  await restarted.close();
});

test('config sync gc: a replica listed in gcReplicas is closed and moved to .gar', async () => {
  const { node, meta, stub } = await nodeWithTwoPrimaries();
  meta.gcReplicas.push(stub.find(P1)!.info('default'));
  meta.configs.set('1.1', { ...meta.config(P1), primary: { ipv4: 0, port: 0 } });
  await node.clock.advance(5000);
  assert.equal(stub.find(P1), undefined);
  assert.ok(node.storage.movedAside.some((name) => /^1\.1\.pegasus\.\d+\.gar$/.test(name)));
  assert.equal(stub.find(P0)?.isPrimary, true);
  await stub.close();
});

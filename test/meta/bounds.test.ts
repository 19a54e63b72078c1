/** Bounds and interleavings: the DDL queue, the node table, a drop racing a partition update, fd_disabled. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { META_RPCS } from '../../src/idl/codec/meta-rpcs.ts';
import { REPLICATION_RPCS } from '../../src/idl/codec/replication-rpcs.ts';
import { AppStatus, NodeStatus } from '../../src/idl/meta.ts';
import { MetaHarness, TestStore, settle, text, wire } from './harness.ts';

const A = '127.0.0.1:34801';
const B = '127.0.0.1:34802';

test('the DDL queue is bounded: beyond it a create is answered ERR_BUSY', async () => {
  const store = new TestStore();
  const h = await MetaHarness.started(store, {}, { ddlQueueMax: 1 });
  const release = store.hold();
  const running = h.createApp('x', 1);
  await settle();
  const queued = h.createApp('y', 1);
  assert.deepEqual(await h.createApp('z', 1), { err: 'ERR_BUSY', appid: 0 });
  release();
  assert.equal((await running).err, 'ERR_OK');
  assert.equal((await queued).err, 'ERR_OK');
});

test('the node table is bounded: a beacon beyond it is acked with allowed = false', async () => {
  const h = await MetaHarness.started(undefined, {}, { nodesMax: 1 });
  await h.beacon(A);
  const ack = await h.ok(REPLICATION_RPCS.RPC_FD_FAILURE_DETECTOR_PING, { time: 1, fromNode: wire(B), toNode: wire('127.0.0.1:34601'), startTime: 1 });
  assert.equal(ack.allowed, false);
  const nodes = await h.ok(META_RPCS.RPC_CM_LIST_NODES, { status: NodeStatus.NS_INVALID });
  assert.deepEqual(nodes.infos.map((n) => text(n.node)), [A]);
});

test('a drop waits for a pending partition update, then writes its own configuration last', async () => {
  const store = new TestStore();
  const h = await MetaHarness.started(store);
  await h.beacon(A);
  await h.createApp('t', 1);
  const [{ proposal }] = h.channel.takeProposals() as [{ to: string; proposal: Parameters<MetaHarness['assignRequest']>[0] }];
  const release = store.hold();
  const update = h.update(h.assignRequest(proposal, A));
  await settle();
  const drop = h.ok(META_RPCS.RPC_CM_DROP_APP, { appName: 't', options: { successIfNotExist: false } });
  await settle();
  assert.equal((await h.queryConfig('t')).err, 'ERR_BUSY_DROPPING');
  release();
  assert.equal(((await update) as { response: { err: string } }).response.err, 'ERR_OK');
  assert.equal((await drop).err, 'ERR_OK');
  const h2 = await MetaHarness.started(store);
  const apps = await h2.ok(META_RPCS.RPC_CM_LIST_APPS, { status: AppStatus.AS_DROPPED });
  assert.equal(apps.infos.length, 1);
  // Recall and look at the partition the store holds: the drop's ballot 2 with A in last_drops.
  await h2.beacon(B);
  await h2.ok(META_RPCS.RPC_CM_RECALL_APP, { appId: 1, newAppName: '' });
  const cfg = await h2.queryConfig('t');
  assert.equal(cfg.partitions[0]!.ballot, 2);
  assert.deepEqual(cfg.partitions[0]!.lastDrops.map(text), [A]);
  assert.equal(h2.channel.takeProposals().length, 0, 'B holds no data: it is not proposed');
});

test('CT_ASSIGN_PRIMARY naming a primary other than the sender is refused', async () => {
  const h = await MetaHarness.started();
  await h.beacon(A);
  await h.createApp('t', 1);
  const [{ proposal }] = h.channel.takeProposals() as [{ to: string; proposal: Parameters<MetaHarness['assignRequest']>[0] }];
  const request = h.assignRequest(proposal, A);
  const answer = await h.update({ ...request, node: wire(B) });
  assert.equal((answer as { response: { err: string } }).response.err, 'ERR_INVALID_PARAMETERS');
  assert.equal((await h.queryConfig('t')).partitions[0]!.ballot, 0);
  const unknown = await h.update({ ...request, config: { ...request.config, pid: { appId: 42, partitionIndex: 0 } } });
  assert.equal((unknown as { response: { err: string } }).response.err, 'ERR_OBJECT_NOT_FOUND');
});

test('with fd_disabled a silent node never turns dead', async () => {
  const h = await MetaHarness.started(undefined, { fdDisabled: true });
  await h.beacon(A);
  h.clock.advance(60_000);
  const alive = await h.ok(META_RPCS.RPC_CM_LIST_NODES, { status: NodeStatus.NS_ALIVE });
  assert.equal(alive.infos.length, 1);
});

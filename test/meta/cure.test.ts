/**
 * Failure detection, the cure, configuration updates, node death and config sync (contract F1–F4;
 * pegasus-internals.md §2.6, §2.7, §9 items 3, 4, 7).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { META_RPCS } from '../../src/idl/codec/meta-rpcs.ts';
import { REPLICATION_RPCS } from '../../src/idl/codec/replication-rpcs.ts';
import { NodeStatus } from '../../src/idl/meta.ts';
import { ConfigType } from '../../src/idl/replication.ts';
import { MetaHarness, TestStore, replicaInfo, settle, text, wire } from './harness.ts';

const A = '127.0.0.1:34801';
const B = '127.0.0.1:34802';
const C = '127.0.0.1:34803';

async function aliveNodes(h: MetaHarness): Promise<string[]> {
  const nodes = await h.ok(META_RPCS.RPC_CM_LIST_NODES, { status: NodeStatus.NS_ALIVE });
  return nodes.infos.map((n) => text(n.node)).sort();
}

test('beacons make a node alive with an ack echoing its time; silence past grace makes it dead', async () => {
  const h = await MetaHarness.started();
  const ack = await h.ok(REPLICATION_RPCS.RPC_FD_FAILURE_DETECTOR_PING, { time: 12345, fromNode: wire(A), toNode: wire('127.0.0.1:34601'), startTime: 1 });
  assert.equal(ack.time, 12345);
  assert.equal(text(ack.thisNode), '127.0.0.1:34601');
  assert.equal(text(ack.primaryNode), '127.0.0.1:34601');
  assert.equal(ack.isMaster, true);
  assert.equal(ack.allowed, true);
  assert.deepEqual(await aliveNodes(h), [A]);
  h.clock.advance(4000); // exactly grace: not yet beyond it
  assert.deepEqual(await aliveNodes(h), [A]);
  h.clock.advance(1000);
  assert.deepEqual(await aliveNodes(h), []);
  await h.beacon(A);
  assert.deepEqual(await aliveNodes(h), [A]);
});

test('a new table gets CT_ASSIGN_PRIMARY proposals spread over the alive nodes (fewest primaries)', async () => {
  const h = await MetaHarness.started();
  await h.beacon(A);
  await h.beacon(B);
  await h.beacon(C);
  assert.equal((await h.createApp('t', 8)).err, 'ERR_OK');
  const proposals = h.channel.takeProposals();
  assert.equal(proposals.length, 8);
  const perNode = new Map<string, number>();
  for (const { to, proposal } of proposals) {
    assert.equal(proposal.type, ConfigType.CT_ASSIGN_PRIMARY);
    assert.equal(text(proposal.node), to);
    assert.equal(proposal.config.ballot, 0);
    assert.equal(proposal.info.appName, 't');
    perNode.set(to, (perNode.get(to) ?? 0) + 1);
  }
  assert.deepEqual([...perNode.values()].sort(), [2, 3, 3]);
  // Not re-sent while in flight, re-sent after proposalRetryMs when still unanswered.
  h.clock.advance(1000);
  assert.equal(h.channel.takeProposals().length, 0);
  h.clock.advance(2000);
  assert.equal(h.channel.takeProposals().length, 8);
  // The one-way sends went out with the partition's gpid.
  await h.createApp('u', 1);
  const sent = h.channel.sent.find((s) => s.call.name === 'RPC_CONFIG_PROPOSAL');
  assert.deepEqual(sent?.call.gpid, { appId: 2, partitionIndex: 0 });
  assert.equal(sent?.call.oneway, true);
});

test('no alive node: no proposal until one beacons', async () => {
  const h = await MetaHarness.started();
  await h.createApp('t', 2);
  h.clock.advance(5000);
  assert.equal(h.channel.takeProposals().length, 0);
  await h.beacon(A);
  assert.deepEqual(h.channel.takeProposals().map((p) => p.to), [A, A]);
});

test('update-configuration rules: accept ballot + 1, idempotent repeat, wrong ballot gets ERR_INVALID_VERSION with the current config', async () => {
  const h = await MetaHarness.started();
  await h.beacon(A);
  await h.createApp('t', 1);
  const [{ proposal }] = h.channel.takeProposals() as [{ to: string; proposal: Parameters<MetaHarness['assignRequest']>[0] }];
  const request = h.assignRequest(proposal, A);
  const first = await h.update(request);
  assert.equal(first.kind, 'ok');
  const accepted = (first as { response: { err: string; config: { ballot: number; primary: { ipv4: number; port: number } } } }).response;
  assert.equal(accepted.err, 'ERR_OK');
  assert.equal(accepted.config.ballot, 1);
  assert.equal(text(accepted.config.primary), A);
  const again = await h.update(request);
  assert.deepEqual(again, first, 'a repeat of the accepted request is answered the same');
  const stale = await h.update({ ...request, config: { ...request.config, ballot: 5, primary: wire(B) } });
  assert.equal(stale.kind, 'ok');
  const staleResponse = (stale as { response: { err: string; config: { ballot: number } } }).response;
  assert.equal(staleResponse.err, 'ERR_INVALID_VERSION');
  assert.equal(staleResponse.config.ballot, 1);
  const cfg = await h.queryConfig('t');
  assert.equal(cfg.partitions[0]!.ballot, 1);
  assert.equal(text(cfg.partitions[0]!.primary), A);
  // The host_port twin a modern upstream meta sends beside the rpc_address.
  assert.equal(`${cfg.partitions[0]!.hpPrimary?.host}:${cfg.partitions[0]!.hpPrimary?.port}`, A);
});

test('an update is written to the store before the reply; a store failure leaves memory unchanged; a pending update gets no reply', async () => {
  const store = new TestStore();
  const h = await MetaHarness.started(store);
  await h.beacon(A);
  await h.createApp('t', 1);
  const [{ proposal }] = h.channel.takeProposals() as [{ to: string; proposal: Parameters<MetaHarness['assignRequest']>[0] }];
  const request = h.assignRequest(proposal, A);

  store.failWrites = true;
  const failed = await h.update(request);
  assert.equal(failed.kind, 'ok');
  assert.equal((failed as { response: { err: string } }).response.err, 'ERR_FILE_OPERATION_FAILED');
  assert.equal((await h.queryConfig('t')).partitions[0]!.ballot, 0, 'memory unchanged');
  store.failWrites = false;

  const release = store.hold();
  const first = h.update(request);
  await settle();
  assert.deepEqual(await h.update(request), { kind: 'none' }, 'a pending update of the partition gets no reply');
  assert.equal((await h.queryConfig('t')).partitions[0]!.ballot, 0, 'memory changes only after the store write');
  release();
  const answer = await first;
  assert.equal((answer as { response: { err: string } }).response.err, 'ERR_OK');
  // The store has it: a meta restarted on the same store sees ballot 1.
  h.meta.stop();
  const h2 = await MetaHarness.started(store);
  const cfg = await h2.queryConfig('t');
  assert.equal(cfg.partitions[0]!.ballot, 1);
  assert.equal(text(cfg.partitions[0]!.primary), A);
});

test('node death writes ballot + 1, no primary, last_drops; only the returning node gets its partitions back', async () => {
  const store = new TestStore();
  const h = await MetaHarness.started(store);
  await h.beacon(A);
  await h.createApp('t', 2);
  assert.equal(await h.acceptProposals(), 2);
  await h.beacon(B);
  // A falls silent; B keeps beaconing.
  for (let i = 0; i < 5; i++) {
    h.clock.advance(1000);
    await h.beacon(B);
  }
  await settle();
  const cfg = await h.queryConfig('t');
  for (const pc of cfg.partitions) {
    assert.equal(pc.ballot, 2);
    assert.equal(pc.primary.ipv4, 0);
    assert.deepEqual(pc.lastDrops.map(text), [A]);
  }
  // The store has the death too.
  const h2 = await MetaHarness.started(store);
  assert.equal((await h2.queryConfig('t')).partitions[0]!.ballot, 2);
  h2.meta.stop();

  // The empty node B is never proposed, however long we wait.
  h.clock.advance(500);
  await h.beacon(B);
  h.clock.advance(500);
  assert.equal(h.channel.takeProposals().length, 0);
  // A comes back, config-syncs its replicas, and gets both partitions (F3b).
  await h.beacon(A);
  const sync = await h.ok(REPLICATION_RPCS.RPC_CM_CONFIG_SYNC, { node: wire(A), storedReplicas: [replicaInfo(1, 0, 1), replicaInfo(1, 1, 1)] });
  assert.equal(sync.err, 'ERR_OK');
  assert.equal(sync.partitions.length, 0, 'A serves nothing until it is primary again');
  assert.equal(h.meta.partitions.storedReplicasOf(A).length, 2);
  const proposals = h.channel.takeProposals();
  assert.deepEqual(proposals.map((p) => p.to), [A, A]);
  assert.ok(proposals.every((p) => p.proposal.config.ballot === 2 && p.proposal.config.lastDrops.map(text).join() === A));
  for (const { to, proposal } of proposals) await h.update(h.assignRequest(proposal, to));
  const healed = await h.queryConfig('t');
  for (const pc of healed.partitions) {
    assert.equal(pc.ballot, 3);
    assert.equal(text(pc.primary), A);
    assert.deepEqual(pc.lastDrops, []);
  }
});

test('a stale update from the old primary after its death is refused with the current config', async () => {
  const h = await MetaHarness.started();
  await h.beacon(A);
  await h.createApp('t', 1);
  const [{ proposal }] = h.channel.takeProposals() as [{ to: string; proposal: Parameters<MetaHarness['assignRequest']>[0] }];
  h.clock.advance(6000); // A dies before answering
  await settle();
  assert.equal((await h.queryConfig('t')).partitions[0]!.ballot, 0, 'no primary to take away: nothing written');
  // A new partition has no last drop, so A's late update (ballot 1) is still the next ballot and is taken:
  const late = await h.update(h.assignRequest(proposal, A));
  assert.equal((late as { response: { err: string } }).response.err, 'ERR_OK');
  // ...and the next pass takes it away again because A is dead.
  h.clock.advance(1000);
  await settle();
  const cfg = await h.queryConfig('t');
  assert.equal(cfg.partitions[0]!.ballot, 2);
  assert.equal(cfg.partitions[0]!.primary.ipv4, 0);
  // The old primary retrying its ballot-1 request now gets ERR_INVALID_VERSION and ballot 2.
  const retry = await h.update(h.assignRequest(proposal, A));
  const response = (retry as { response: { err: string; config: { ballot: number } } }).response;
  assert.equal(response.err, 'ERR_INVALID_VERSION');
  assert.equal(response.config.ballot, 2);
});

test('config sync answers the node\'s partitions; replicas of unknown tables, and of dropped ones past their hold, go to gc', async () => {
  const h = await MetaHarness.started();
  await h.beacon(A);
  await h.beacon(B);
  await h.createApp('keep', 2);
  await h.createApp('gone', 1);
  await h.acceptProposals();
  const served = (await h.queryConfig('keep')).partitions.filter((p) => text(p.primary) === A).map((p) => p.pid.partitionIndex);
  await h.ok(META_RPCS.RPC_CM_DROP_APP, { appName: 'gone', options: { successIfNotExist: false, reserveSeconds: 10 } });
  const stored = [replicaInfo(1, 0, 1), replicaInfo(1, 1, 1), replicaInfo(2, 0, 1), replicaInfo(9, 0, 1)];
  const held = await h.ok(REPLICATION_RPCS.RPC_CM_CONFIG_SYNC, { node: wire(A), storedReplicas: stored });
  assert.deepEqual(held.gcReplicas?.map((r) => `${r.pid.appId}.${r.pid.partitionIndex}`), ['9.0'], 'a dropped table keeps its data while it can be recalled');
  // Past the hold time, with A and B beaconing all along (so they keep their primaries).
  for (let i = 0; i < 11; i++) {
    h.clock.advance(1000);
    await h.beacon(A);
    await h.beacon(B);
  }
  const sync = await h.ok(REPLICATION_RPCS.RPC_CM_CONFIG_SYNC, { node: wire(A), storedReplicas: stored });
  assert.equal(sync.err, 'ERR_OK');
  assert.deepEqual(sync.partitions.map((p) => p.config.pid.partitionIndex).sort(), served.sort());
  for (const p of sync.partitions) {
    assert.equal(p.type, ConfigType.CT_INVALID);
    assert.equal(text(p.node), A);
    assert.equal(p.info.appName, 'keep');
    assert.equal(text(p.config.primary), A);
  }
  assert.deepEqual(sync.gcReplicas?.map((r) => `${r.pid.appId}.${r.pid.partitionIndex}`), ['2.0', '9.0']);
  // A dropped table's partitions lost their primary (moved to last_drops); query_cfg does not serve it.
  assert.equal((await h.queryConfig('gone')).err, 'ERR_OBJECT_NOT_FOUND');
});

test('a recalled table gets its primaries back from last_drops', async () => {
  const h = await MetaHarness.started();
  await h.beacon(A);
  await h.createApp('t', 2);
  await h.acceptProposals();
  await h.ok(META_RPCS.RPC_CM_DROP_APP, { appName: 't', options: { successIfNotExist: false } });
  await h.beacon(B);
  assert.equal(h.channel.takeProposals().length, 0, 'a dropped table is not cured');
  const recalled = await h.ok(META_RPCS.RPC_CM_RECALL_APP, { appId: 1, newAppName: '' });
  assert.equal(recalled.err, 'ERR_OK');
  const proposals = h.channel.takeProposals();
  assert.deepEqual(proposals.map((p) => p.to), [A, A], 'only the node that held the data');
  await h.acceptProposalsFrom(proposals);
  const cfg = await h.queryConfig('t');
  assert.ok(cfg.partitions.every((p) => text(p.primary) === A && p.ballot === 3));
});

test('a restarted meta gives known primaries a grace period before taking them away', async () => {
  const store = new TestStore();
  const h1 = await MetaHarness.started(store);
  await h1.beacon(A);
  await h1.createApp('t', 1);
  await h1.acceptProposals();
  h1.meta.stop();
  const h2 = await MetaHarness.started(store);
  h2.clock.advance(3000);
  await settle();
  assert.equal(text((await h2.queryConfig('t')).partitions[0]!.primary), A);
  h2.clock.advance(2000);
  await settle();
  assert.equal((await h2.queryConfig('t')).partitions[0]!.primary.ipv4, 0);
});

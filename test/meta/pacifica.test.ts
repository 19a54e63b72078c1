/**
 * The meta side of PacificA with three replicas, through the meta's RPC handlers (pegasus-internals.md §2.7;
 * upstream server_state.cpp): replicas' update requests of every type, node death, the cure proposals that
 * follow, config sync listing secondaries and its gc decisions, and DDD recovery with ddd_diagnose.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { META_RPCS } from '../../src/idl/codec/meta-rpcs.ts';
import { REPLICATION_RPCS } from '../../src/idl/codec/replication-rpcs.ts';
import { ConfigType, PartitionStatus, type ConfigurationUpdateResponse } from '../../src/idl/replication.ts';
import type { MetaServerConfig } from '../../src/meta/meta-env.ts';
import { MetaHarness, TestStore, replicaInfo, settle, text, wire, type Answer } from './harness.ts';

const A = '127.0.0.1:34801';
const B = '127.0.0.1:34802';
const C = '127.0.0.1:34803';
const D = '127.0.0.1:34804';

function response(answer: Answer<ConfigurationUpdateResponse>): ConfigurationUpdateResponse {
  assert.equal(answer.kind, 'ok', JSON.stringify(answer));
  return (answer as { response: ConfigurationUpdateResponse }).response;
}

async function membership(h: MetaHarness, app = 't', pidx = 0) {
  const { pc } = await h.current(app, pidx);
  return {
    ballot: pc.ballot,
    primary: pc.primary.ipv4 === 0 ? undefined : text(pc.primary),
    secondaries: pc.secondaries.map(text).sort(),
    lastDrops: pc.lastDrops.map(text),
  };
}

/** Three nodes alive, table `t` with one partition of three replicas, fully built as the replicas would. */
async function healthyGroup(config: Partial<MetaServerConfig> = {}, nodes = [A, B, C], store?: TestStore): Promise<MetaHarness> {
  const h = await MetaHarness.started(store, { replicaAssignDelayMsForDropouts: 10_000, ...config });
  for (const n of nodes) await h.beacon(n);
  assert.equal((await h.createApp('t', 1, 3)).err, 'ERR_OK');
  for (let round = 0; round < 3; round++) {
    await h.carryOutProposals();
    await h.tick(1000, nodes); // with flow control (shipped default) secondaries are added by the pass
  }
  const m = await membership(h);
  assert.equal(m.primary, A, 'the first node gets the primary');
  assert.deepEqual(m.secondaries, [B, C]);
  assert.equal(h.channel.takeProposals().length, 0, 'healthy: nothing more to do');
  return h;
}

test('a new 3-replica partition: assign primary, then CT_ADD_SECONDARY to the primary until full, least loaded nodes first', async () => {
  const h = await MetaHarness.started();
  for (const n of [A, B, C, D]) await h.beacon(n);
  await h.createApp('t', 1, 3);
  const [assign] = h.channel.takeProposals();
  assert.equal(assign?.proposal.type, ConfigType.CT_ASSIGN_PRIMARY);
  assert.equal(assign?.to, A);
  assert.equal(response(await h.update(h.changeRequest(assign!.proposal.info, assign!.proposal.config, assign!.proposal.type, A))).err, 'ERR_OK');
  // With add_secondary_enable_flow_control (shipped true) the next pass adds secondaries, not the update's own cure.
  assert.equal(h.channel.takeProposals().length, 0);
  await h.tick(1000, [A, B, C, D]);
  // No dropped history, so it is an emergency: the least loaded non-member.
  const [add] = h.channel.takeProposals();
  assert.equal(add?.proposal.type, ConfigType.CT_ADD_SECONDARY);
  assert.equal(add?.to, A, 'proposals go to the primary');
  assert.equal(text(add!.proposal.node), B);
  assert.equal(add?.proposal.config.ballot, 1);
  const upgraded = response(await h.update(h.changeRequest(add!.proposal.info, add!.proposal.config, ConfigType.CT_UPGRADE_TO_SECONDARY, B)));
  assert.equal(upgraded.err, 'ERR_OK');
  assert.deepEqual(upgraded.config.secondaries.map(text), [B]);
  await h.tick(1000, [A, B, C, D]);
  const [second] = h.channel.takeProposals();
  assert.equal(text(second!.proposal.node), C);
  await h.update(h.changeRequest(second!.proposal.info, second!.proposal.config, ConfigType.CT_UPGRADE_TO_SECONDARY, C));
  assert.deepEqual(await membership(h), { ballot: 3, primary: A, secondaries: [B, C], lastDrops: [] });
  h.clock.advance(5000);
  assert.equal(h.channel.takeProposals().length, 0);
  assert.equal(h.meta.partitions.healthCounts().HS_HEALTHY, 1);
});

test('an unanswered CT_ADD_SECONDARY is sent again after proposalRetryMs, not before', async () => {
  const h = await MetaHarness.started();
  for (const n of [A, B, C]) await h.beacon(n);
  await h.createApp('t', 1, 3);
  await h.carryOutProposals();
  await h.tick(1000, [A, B, C]);
  assert.equal(h.channel.takeProposals().length, 1);
  await h.tick(2000, [A, B, C]);
  assert.equal(h.channel.takeProposals().length, 0);
  await h.tick(1000, [A, B, C]);
  const again = h.channel.takeProposals();
  assert.equal(again.length, 1);
  assert.equal(again[0]!.proposal.type, ConfigType.CT_ADD_SECONDARY);
});

test('update types: each applies exactly its change and maintains last_drops', async () => {
  const h = await healthyGroup({}, [A, B, C, D]);
  assert.equal(response(await h.change('t', 0, ConfigType.CT_DOWNGRADE_TO_INACTIVE, C)).err, 'ERR_OK');
  assert.deepEqual(await membership(h), { ballot: 4, primary: A, secondaries: [B], lastDrops: [C] });
  h.channel.takeProposals();
  assert.equal(response(await h.change('t', 0, ConfigType.CT_UPGRADE_TO_SECONDARY, C)).err, 'ERR_OK');
  assert.deepEqual(await membership(h), { ballot: 5, primary: A, secondaries: [B, C], lastDrops: [] }, 'a joining node leaves last_drops');
  assert.equal(response(await h.change('t', 0, ConfigType.CT_DOWNGRADE_TO_SECONDARY, A)).err, 'ERR_OK');
  assert.deepEqual(await membership(h), { ballot: 6, primary: undefined, secondaries: [A, B, C], lastDrops: [] });
  h.channel.takeProposals();
  assert.equal(response(await h.change('t', 0, ConfigType.CT_UPGRADE_TO_PRIMARY, B)).err, 'ERR_OK');
  assert.deepEqual(await membership(h), { ballot: 7, primary: B, secondaries: [A, C], lastDrops: [] });
  assert.equal(response(await h.change('t', 0, ConfigType.CT_REMOVE, C)).err, 'ERR_OK');
  h.channel.takeProposals();
  // The primary removes itself (upstream: a primary whose log failed).
  assert.equal(response(await h.change('t', 0, ConfigType.CT_REMOVE, B)).err, 'ERR_OK');
  assert.deepEqual(await membership(h), { ballot: 9, primary: undefined, secondaries: [A], lastDrops: [C, B] });
  const forced = await MetaHarness.started();
  await forced.beacon(A);
  await forced.createApp('t', 1, 1);
  await forced.carryOutProposals();
  assert.equal(response(await forced.change('t', 0, ConfigType.CT_PRIMARY_FORCE_UPDATE_BALLOT, A)).err, 'ERR_OK');
  assert.equal((await membership(forced)).ballot, 2);
});

test('update requests that do not match their type are refused with ERR_INVALID_PARAMETERS and change nothing', async () => {
  const h = await healthyGroup({}, [A, B, C, D]);
  const { info, pc } = await h.current('t', 0);
  const before = await membership(h);
  const cases = [
    h.changeRequest(info, pc, ConfigType.CT_UPGRADE_TO_SECONDARY, B), // already a secondary
    h.changeRequest(info, pc, ConfigType.CT_ASSIGN_PRIMARY, D), // the partition has members
    h.changeRequest(info, pc, ConfigType.CT_UPGRADE_TO_PRIMARY, B), // it has a primary
    h.changeRequest(info, pc, ConfigType.CT_DOWNGRADE_TO_INACTIVE, D), // not a member
    { ...h.changeRequest(info, pc, ConfigType.CT_UPGRADE_TO_SECONDARY, D), type: ConfigType.CT_ADD_SECONDARY }, // a proposal type
    { ...h.changeRequest(info, pc, ConfigType.CT_UPGRADE_TO_SECONDARY, D), node: wire(C) }, // node and config disagree
  ];
  for (const request of cases) {
    const r = response(await h.update(request));
    assert.equal(r.err, 'ERR_INVALID_PARAMETERS', `type ${request.type} about ${text(request.node)}`);
    assert.equal(r.config.ballot, before.ballot, 'answered with the current configuration');
  }
  assert.deepEqual(await membership(h), before);
});

test('an identical update is answered ERR_OK with the meta\'s config; a wrong ballot gets ERR_INVALID_VERSION with the current one', async () => {
  const h = await healthyGroup();
  const { info, pc } = await h.current('t', 0);
  const request = h.changeRequest(info, pc, ConfigType.CT_DOWNGRADE_TO_INACTIVE, C);
  const first = response(await h.update(request));
  assert.equal(first.err, 'ERR_OK');
  assert.deepEqual(first.config.lastDrops.map(text), [C]);
  // The retry of a replica that missed the reply: same config, its own (stale) last_drops.
  const again = response(await h.update(request));
  assert.equal(again.err, 'ERR_OK');
  assert.deepEqual(again.config, first.config, 'the reply carries the meta\'s last_drops, not the request\'s');
  const stale = response(await h.update({ ...request, config: { ...request.config, ballot: 2 } }));
  assert.equal(stale.err, 'ERR_INVALID_VERSION');
  assert.equal(stale.config.ballot, 4);
  assert.deepEqual(stale.config.secondaries.map(text), [B]);
  const ahead = response(await h.update({ ...request, config: { ...request.config, ballot: 9 } }));
  assert.equal(ahead.err, 'ERR_INVALID_VERSION');
});

test('node death: a dead primary is written out by the meta, then the least loaded alive secondary is upgraded', async () => {
  const h = await healthyGroup();
  await h.tick(5000, [B, C]);
  const m = await membership(h);
  assert.deepEqual(m, { ballot: 4, primary: undefined, secondaries: [B, C], lastDrops: [A] });
  const proposals = h.channel.takeProposals();
  assert.equal(proposals.length, 1);
  assert.equal(proposals[0]!.proposal.type, ConfigType.CT_UPGRADE_TO_PRIMARY);
  assert.equal(proposals[0]!.to, B);
  assert.equal(text(proposals[0]!.proposal.node), B);
  assert.deepEqual(h.meta.partitions.droppedOf(1, 0).map((d) => d.node), [A]);
  await h.update(h.changeRequest(proposals[0]!.proposal.info, proposals[0]!.proposal.config, ConfigType.CT_UPGRADE_TO_PRIMARY, B));
  assert.deepEqual(await membership(h), { ballot: 5, primary: B, secondaries: [C], lastDrops: [A] });
});

test('node death: a dead secondary with a primary is proposed to the primary as CT_DOWNGRADE_TO_INACTIVE', async () => {
  const h = await healthyGroup();
  await h.tick(5000, [A, B]);
  assert.equal((await membership(h)).ballot, 3, 'the meta does not write a live group itself');
  const [p, ...rest] = h.channel.takeProposals();
  assert.equal(rest.length, 0);
  assert.equal(p!.proposal.type, ConfigType.CT_DOWNGRADE_TO_INACTIVE);
  assert.equal(p!.to, A);
  assert.equal(text(p!.proposal.node), C);
  // Sent again after proposalRetryMs while unanswered.
  await h.tick(3000, [A, B]);
  assert.equal(h.channel.takeProposals()[0]?.proposal.type, ConfigType.CT_DOWNGRADE_TO_INACTIVE);
  await h.update(h.changeRequest(p!.proposal.info, p!.proposal.config, ConfigType.CT_DOWNGRADE_TO_INACTIVE, C));
  assert.deepEqual(await membership(h), { ballot: 4, primary: A, secondaries: [B], lastDrops: [C] });
});

test('node death: a dead secondary without a primary is left alone (upstream), and comes back as primary', async () => {
  const h = await healthyGroup();
  // A (primary) and B die together; C lives.
  await h.tick(5000, [C]);
  assert.deepEqual(await membership(h), { ballot: 4, primary: undefined, secondaries: [B, C], lastDrops: [A] });
  const [up] = h.channel.takeProposals();
  assert.equal(up!.proposal.type, ConfigType.CT_UPGRADE_TO_PRIMARY);
  assert.equal(up!.to, C, 'only the alive secondary');
  // C dies too before acting (the unanswered proposal was sent again meanwhile): all members dead, nothing
  // written, nothing proposed any more.
  await h.tick(5000, []);
  h.channel.takeProposals();
  await h.tick(5000, []);
  assert.deepEqual(await membership(h), { ballot: 4, primary: undefined, secondaries: [B, C], lastDrops: [A] });
  assert.equal(h.channel.takeProposals().length, 0);
  assert.equal(h.meta.partitions.healthCounts().HS_UNREADABLE, 1);
  // Whichever secondary comes back first is upgraded.
  await h.beacon(B);
  const [back] = h.channel.takeProposals();
  assert.equal(back!.proposal.type, ConfigType.CT_UPGRADE_TO_PRIMARY);
  assert.equal(back!.to, B);
});

test('a dropped secondary is waited for replica_assign_delay_ms_for_dropouts, re-added when it returns, replaced after', async () => {
  const h = await healthyGroup({}, [A, B, C, D]);
  await h.change('t', 0, ConfigType.CT_DOWNGRADE_TO_INACTIVE, C);
  assert.equal(h.channel.takeProposals().length, 0, 'two of three members can write: wait for C, do not copy to D');
  await h.tick(5000, [A, B, C, D]);
  const [readd] = h.channel.takeProposals();
  assert.equal(readd!.proposal.type, ConfigType.CT_ADD_SECONDARY);
  assert.equal(text(readd!.proposal.node), C, 'C is alive again: it is the one re-added');

  const h2 = await healthyGroup({}, [A, B, C, D]);
  await h2.tick(5000, [A, B, D]);
  await h2.carryOutProposals(); // the primary carries out the downgrade of the dead C
  assert.deepEqual((await membership(h2)).lastDrops, [C]);
  await h2.tick(4000, [A, B, D]);
  assert.equal(h2.channel.takeProposals().length, 0, 'within the delay: waiting');
  await h2.tick(7000, [A, B, D]);
  const [replace] = h2.channel.takeProposals();
  assert.equal(replace!.proposal.type, ConfigType.CT_ADD_SECONDARY);
  assert.equal(text(replace!.proposal.node), D, 'past the delay: a new node');
});

test('too few members to write is an emergency: a secondary is added at once', async () => {
  const h = await healthyGroup({}, [A, B, C, D]);
  await h.change('t', 0, ConfigType.CT_DOWNGRADE_TO_INACTIVE, C);
  await h.change('t', 0, ConfigType.CT_DOWNGRADE_TO_INACTIVE, B);
  await h.tick(1000, [A, B, C, D]);
  const [add] = h.channel.takeProposals();
  assert.equal(add!.proposal.type, ConfigType.CT_ADD_SECONDARY);
  assert.equal(text(add!.proposal.node), B, 'the newest dropped node, alive');
});

test('config sync lists secondaries too, and answers ERR_BUSY while a write about the node is pending', async () => {
  const store = new TestStore();
  const h = await healthyGroup({}, [A, B, C], store);
  const sync = await h.ok(REPLICATION_RPCS.RPC_CM_CONFIG_SYNC, { node: wire(B), storedReplicas: [replicaInfo(1, 0, 3, { status: PartitionStatus.PS_SECONDARY })] });
  assert.equal(sync.err, 'ERR_OK');
  assert.equal(sync.partitions.length, 1);
  assert.equal(text(sync.partitions[0]!.config.primary), A);
  assert.deepEqual(sync.partitions[0]!.config.secondaries.map(text).sort(), [B, C]);
  const release = store.hold();
  const { info, pc } = await h.current('t', 0);
  const pending = h.update(h.changeRequest(info, pc, ConfigType.CT_DOWNGRADE_TO_INACTIVE, B));
  await settle();
  assert.equal((await h.ok(REPLICATION_RPCS.RPC_CM_CONFIG_SYNC, { node: wire(B), storedReplicas: [] })).err, 'ERR_BUSY');
  assert.equal((await h.ok(REPLICATION_RPCS.RPC_CM_CONFIG_SYNC, { node: wire(C), storedReplicas: [] })).err, 'ERR_OK', 'only the node concerned waits');
  release();
  await pending;
  const after = await h.ok(REPLICATION_RPCS.RPC_CM_CONFIG_SYNC, { node: wire(B), storedReplicas: [] });
  assert.deepEqual([after.err, after.partitions.length], ['ERR_OK', 0]);
});

test('config sync gc: useless replicas only at function level lively; never one in last_drops, a learner, or of a partition with no alive member', async () => {
  const gcOf = async (h: MetaHarness, node: string, stored: ReturnType<typeof replicaInfo>[]) =>
    ((await h.ok(REPLICATION_RPCS.RPC_CM_CONFIG_SYNC, { node: wire(node), storedReplicas: stored })).gcReplicas ?? []).map((r) => `${r.pid.appId}.${r.pid.partitionIndex}`);
  const h = await healthyGroup({ functionLevel: 'lively' }, [A, B, C, D]);
  await h.createApp('u', 1, 3);
  for (let i = 0; i < 3; i++) await h.carryOutProposals();
  // D holds an old copy of t.0 it is not a member of, with the group full: of no use.
  assert.deepEqual(await gcOf(h, D, [replicaInfo(1, 0, 1)]), ['1.0']);
  assert.deepEqual(await gcOf(h, D, [replicaInfo(1, 0, 1, { status: PartitionStatus.PS_POTENTIAL_SECONDARY })]), [], 'a learner is kept');
  // C leaves the group: it is in last_drops and kept, while D's copy still goes.
  await h.change('t', 0, ConfigType.CT_DOWNGRADE_TO_INACTIVE, C);
  assert.deepEqual(await gcOf(h, C, [replicaInfo(1, 0, 3)]), []);
  // A member's replica is in use.
  assert.deepEqual(await gcOf(h, A, [replicaInfo(1, 0, 4), replicaInfo(2, 0, 3)]), []);

  const steady = await healthyGroup({}, [A, B, C, D]);
  assert.deepEqual(await gcOf(steady, D, [replicaInfo(1, 0, 1)]), [], 'function level steady: nothing useless is gc\'ed');

  // Every member dead and no primary: any copy may be the only one.
  const dead = await healthyGroup({ functionLevel: 'lively' }, [A, B, C, D]);
  await dead.tick(5000, [D]);
  assert.deepEqual(await membership(dead), { ballot: 4, primary: undefined, secondaries: [B, C], lastDrops: [A] });
  assert.deepEqual(await gcOf(dead, D, [replicaInfo(1, 0, 1)]), []);
});

test('DDD: the last two drops must both be back and agree; ddd_diagnose shows why not; then the better one is primary', async () => {
  const h = await healthyGroup();
  await h.change('t', 0, ConfigType.CT_DOWNGRADE_TO_INACTIVE, C);
  h.channel.takeProposals();
  await h.change('t', 0, ConfigType.CT_DOWNGRADE_TO_INACTIVE, B);
  h.channel.takeProposals();
  // Only A left, and it dies: the meta writes it out and the partition is DDD with last_drops [C, B, A].
  await h.tick(5000, [B, C]);
  assert.deepEqual(await membership(h), { ballot: 6, primary: undefined, secondaries: [], lastDrops: [C, B, A] });
  assert.equal(h.meta.partitions.healthCounts().HS_DEAD, 1);
  h.channel.takeProposals(); // the add-secondary proposals A never answered
  await h.tick(1000, [B, C]);
  assert.equal(h.channel.takeProposals().length, 0, 'B and C are alive but not the last two drops that both must be back');
  const diag = await h.ok(META_RPCS.RPC_CM_DDD_DIAGNOSE, { pid: { appId: -1, partitionIndex: -1 } });
  assert.equal(diag.err, 'ERR_OK');
  assert.equal(diag.partitions.length, 1);
  const info = diag.partitions[0]!;
  assert.equal(info.reason, `the last dropped node(${A}) hasn't come back yet`);
  assert.deepEqual(info.config.lastDrops.map(text), [C, B, A]);
  assert.deepEqual(info.dropped.map((d) => [text(d.node), d.isAlive]), [[C, true], [B, true], [A, false]]);
  assert.ok(info.dropped[2]!.dropTimeMs > 0, 'the meta saw A drop');
  assert.deepEqual((await h.ok(META_RPCS.RPC_CM_DDD_DIAGNOSE, { pid: { appId: 1, partitionIndex: 0 } })).partitions.length, 1);
  assert.deepEqual((await h.ok(META_RPCS.RPC_CM_DDD_DIAGNOSE, { pid: { appId: 2, partitionIndex: -1 } })).partitions.length, 0);

  // A comes back but has not reported its replicas yet.
  await h.beacon(A);
  assert.equal(h.channel.takeProposals().length, 0);
  const notCollected = await h.ok(META_RPCS.RPC_CM_DDD_DIAGNOSE, { pid: { appId: 1, partitionIndex: -1 } });
  assert.match(notCollected.partitions[0]!.reason, /replica info has not been collected/);
  // B reports ballot 5 with more committed than A's ballot 6: the orders disagree, no primary.
  await h.ok(REPLICATION_RPCS.RPC_CM_CONFIG_SYNC, { node: wire(B), storedReplicas: [replicaInfo(1, 0, 5, { committed: 20, prepared: 20 })] });
  await h.ok(REPLICATION_RPCS.RPC_CM_CONFIG_SYNC, { node: wire(A), storedReplicas: [replicaInfo(1, 0, 6, { committed: 10, prepared: 30 })] });
  await h.tick(1000, [A, B, C]);
  assert.equal(h.channel.takeProposals().length, 0);
  const refused = await h.ok(META_RPCS.RPC_CM_DDD_DIAGNOSE, { pid: { appId: -1, partitionIndex: -1 } });
  assert.equal(refused.partitions[0]!.reason, 'for the last two drops, the node with larger ballot has smaller last committed decree');
  const a = refused.partitions[0]!.dropped.find((d) => text(d.node) === A)!;
  assert.deepEqual([a.isAlive, a.isCollected, a.ballot, a.lastCommittedDecree, a.lastPreparedDecree], [true, true, 6, 10, 30]);
  // A reports again with the larger committed decree too: A is assigned primary.
  await h.ok(REPLICATION_RPCS.RPC_CM_CONFIG_SYNC, { node: wire(A), storedReplicas: [replicaInfo(1, 0, 6, { committed: 21, prepared: 22 })] });
  await h.tick(1000, [A, B, C]);
  const [assign] = h.channel.takeProposals();
  assert.equal(assign!.proposal.type, ConfigType.CT_ASSIGN_PRIMARY);
  assert.equal(assign!.to, A);
  await h.acceptProposalsFrom([assign!]);
  assert.deepEqual(await membership(h), { ballot: 7, primary: A, secondaries: [], lastDrops: [C, B] });
  await h.tick(1000, [A, B, C]);
  assert.equal((await h.ok(META_RPCS.RPC_CM_DDD_DIAGNOSE, { pid: { appId: -1, partitionIndex: -1 } })).partitions.length, 0, 'no longer DDD');
});

test('with one replica per partition the behaviour is the single-replica one: no secondaries are ever proposed', async () => {
  const h = await MetaHarness.started();
  for (const n of [A, B, C]) await h.beacon(n);
  await h.createApp('t', 4, 1);
  const proposals = h.channel.takeProposals();
  assert.ok(proposals.every((p) => p.proposal.type === ConfigType.CT_ASSIGN_PRIMARY));
  await h.acceptProposalsFrom(proposals);
  await h.tick(5000, [A, B, C]);
  assert.equal(h.channel.takeProposals().length, 0);
  assert.equal(h.meta.partitions.healthCounts().HS_UNWRITABLE, 4, 'the default mutation_2pc_min_replica_count 2 with one replica');
});

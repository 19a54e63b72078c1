/**
 * The partition guardian's rules one by one, as pure functions (pegasus-internals.md §2.7; upstream
 * partition_guardian.cpp): missing primary, DDD, missing secondary (wait vs emergency), redundant secondary,
 * health classification, the dropped-replica history and the update-request checks.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigType } from '../../src/idl/replication.ts';
import {
  INVALID_BALLOT,
  collectDropReplica,
  newConfigContext,
  recordDropHistory,
  removeFromDropped,
  type DroppedReplica,
} from '../../src/meta/config-context.ts';
import { checkUpdate, maintainDrops } from '../../src/meta/config-update.ts';
import { mutation2pcMinReplicaCount } from '../../src/replica/replica-env.ts';
import { newPartitionConfig, type PartitionConfig } from '../../src/meta/partition-config.ts';
import { HealthStatus, cure, partitionHealth, type CureView, type NodeLoad } from '../../src/meta/partition-guardian.ts';

const A = '10.0.0.1:34801';
const B = '10.0.0.2:34801';
const C = '10.0.0.3:34801';
const D = '10.0.0.4:34801';
const E = '10.0.0.5:34801';
const NOW = 1_700_000_000_000;
const DELAY = 600_000;

function pc(overrides: Partial<PartitionConfig> = {}): PartitionConfig {
  return { ...newPartitionConfig(1, 0, 3), ballot: 5, ...overrides };
}

/** Loads given as [primaries of app 1, partitions of app 1, total primaries, total partitions]. */
function load(table: Record<string, [number, number, number, number]> = {}): NodeLoad {
  const of = (n: string) => table[n] ?? [0, 0, 0, 0];
  return {
    primaries: (n, appId) => (appId === 1 ? of(n)[0] : 0),
    partitions: (n, appId) => (appId === 1 ? of(n)[1] : 0),
    totalPrimaries: (n) => of(n)[2],
    totalPartitions: (n) => of(n)[3],
  };
}

function view(overrides: Partial<CureView> & { alive?: string[]; collected?: string[] } = {}): CureView {
  const alive = overrides.alive ?? [A, B, C, D];
  const collected = overrides.collected ?? alive;
  return {
    nowMs: NOW,
    aliveNodes: [...alive].sort(),
    isAlive: (n) => alive.includes(n),
    hasCollected: (n) => collected.includes(n),
    reportedReplica: () => undefined,
    load: load(),
    mutation2pcMinReplicaCount: 2,
    replicaAssignDelayMs: DELAY,
    ...overrides,
  } as CureView;
}

function dropped(node: string, timeMs: number, ballot = INVALID_BALLOT, committed = -1, prepared = -1): DroppedReplica {
  return { node, timeMs, ballot, lastCommittedDecree: committed, lastPreparedDecree: prepared };
}

test('healthy partition: no action', () => {
  const r = cure(pc({ primary: A, secondaries: [B, C] }), [], -1, view());
  assert.deepEqual(r, { status: 'healthy', preferedDropped: -1 });
});

test('missing primary with secondaries: CT_UPGRADE_TO_PRIMARY to the alive secondary with the fewest primaries', () => {
  const v = view({ alive: [B, C, D], load: load({ [B]: [3, 4, 3, 4], [C]: [1, 4, 1, 4] }) });
  const r = cure(pc({ secondaries: [A, B, C], lastDrops: [E] }), [], -1, v);
  assert.equal(r.status, 'ill');
  assert.deepEqual(r.action, { type: ConfigType.CT_UPGRADE_TO_PRIMARY, target: C, node: C });
  // Equal per-table primaries: the per-table partition count decides, then the totals.
  const tie = view({ load: load({ [A]: [1, 3, 1, 3], [B]: [1, 2, 5, 9] }) });
  assert.equal(cure(pc({ secondaries: [A, B] }), [], -1, tie).action?.node, B);
  // Every secondary dead: DEAD, waiting for one to come back, no DDD record (they are still members).
  const dead = cure(pc({ secondaries: [A, B] }), [], -1, view({ alive: [C, D] }));
  assert.deepEqual(dead, { status: 'dead', preferedDropped: -1 });
});

test('missing primary, no secondaries, no last_drops (a new partition): CT_ASSIGN_PRIMARY to the least loaded alive node', () => {
  const v = view({ alive: [A, B, C], load: load({ [A]: [1, 1, 1, 1], [B]: [0, 0, 7, 7], [C]: [0, 0, 2, 2] }) });
  assert.deepEqual(cure(pc(), [], -1, v).action, { type: ConfigType.CT_ASSIGN_PRIMARY, target: C, node: C });
  assert.deepEqual(cure(pc(), [], -1, view({ alive: [] })), { status: 'ill', preferedDropped: -1 });
});

test('DDD, one last drop: it is assigned primary once alive, waited for while dead', () => {
  const p = pc({ lastDrops: [A] });
  assert.deepEqual(cure(p, [], -1, view({ alive: [A, B] })).action, { type: ConfigType.CT_ASSIGN_PRIMARY, target: A, node: A });
  const waiting = cure(p, [], -1, view({ alive: [B, C] }));
  assert.equal(waiting.status, 'dead');
  assert.equal(waiting.action, undefined);
  assert.equal(waiting.ddd, undefined);
});

test('DDD, two drops: both must be back and have reported; otherwise DEAD with the reason recorded', () => {
  const p = pc({ lastDrops: [C, A, B], lastCommittedDecree: 10 });
  const history = [dropped(A, NOW - 2000, 5, 10, 12), dropped(B, NOW - 1000, 5, 10, 11)];
  const notBack = cure(p, history, -1, view({ alive: [A, C, D] }));
  assert.equal(notBack.status, 'dead');
  assert.equal(notBack.action, undefined);
  assert.match(notBack.ddd!.reason, /the last dropped node\(10\.0\.0\.2:34801\) hasn't come back yet/);
  assert.deepEqual(
    notBack.ddd!.dropped.map((d) => [d.node, d.isAlive, d.isCollected, d.ballot]),
    [[A, true, true, 5], [B, false, false, INVALID_BALLOT]],
    'a node not alive shows no replica info',
  );
  const notCollected = cure(p, [dropped(A, NOW - 2000), history[1]!], -1, view({ collected: [B] }));
  assert.match(notCollected.ddd!.reason, /node\(10\.0\.0\.1:34801\) is unavailable because replica info has not been collected/);
  const unknown = cure(p, [history[1]!], -1, view({ collected: [B] }));
  assert.match(unknown.ddd!.reason, /is unavailable because the node is not exist in dropped_nodes/);
  const neither = cure(p, [], -1, view());
  assert.equal(neither.ddd!.reason, 'no replica info collected from the last two drops', 'both reported, neither has the replica');
});

test('DDD, two drops: the larger ballot, then committed, then prepared decree wins', () => {
  const p = pc({ lastDrops: [A, B], lastCommittedDecree: 10 });
  const pick = (a: DroppedReplica, b: DroppedReplica) => cure(p, [a, b], -1, view()).action?.node;
  assert.equal(pick(dropped(A, 1, 6, 12, 12), dropped(B, 2, 5, 10, 15)), A, 'larger ballot, and it has the larger committed');
  assert.equal(pick(dropped(A, 1, 5, 10, 11), dropped(B, 2, 5, 12, 12)), B, 'same ballot: larger committed');
  assert.equal(pick(dropped(A, 1, 5, 10, 14), dropped(B, 2, 5, 10, 11)), A, 'same ballot and committed: larger prepared');
  assert.equal(pick(dropped(A, 1, 5, 10, 11), dropped(B, 2, 5, 10, 11)), B, 'all equal: the most recent drop');
  // The other node reported and holds no replica: the one with data is taken.
  const oneCopy = cure(p, [dropped(B, 2, 5, 10, 10)], -1, view());
  assert.equal(oneCopy.action?.node, B);
  assert.equal(oneCopy.action?.type, ConfigType.CT_ASSIGN_PRIMARY);
});

test('DDD, two drops: refused when ballot and committed order disagree, or the prepared decree falls short', () => {
  const p = pc({ lastDrops: [A, B], lastCommittedDecree: 10 });
  const disagree = cure(p, [dropped(A, 1, 6, 9, 20), dropped(B, 2, 5, 10, 20)], -1, view());
  assert.equal(disagree.status, 'dead');
  assert.equal(disagree.action, undefined);
  assert.equal(disagree.ddd!.reason, 'for the last two drops, the node with larger ballot has smaller last committed decree');
  const short = cure(p, [dropped(A, 1, 5, 8, 9), dropped(B, 2, 5, 8, 9)], -1, view());
  assert.equal(short.action, undefined);
  assert.equal(short.ddd!.reason, 'for the last two drops, larger_prepared_decree(9), last committed decree on meta(10), larger_committed_decree(8)');
});

test('missing secondary, not an emergency: only the last dropped node is re-added, and only when alive', () => {
  const p = pc({ primary: A, secondaries: [B], lastDrops: [C] });
  // Two members of three with min 2: writable, so the recent drop is waited for.
  const history = [dropped(C, NOW - 1000)];
  assert.deepEqual(cure(p, history, -1, view()).action, { type: ConfigType.CT_ADD_SECONDARY, target: A, node: C });
  const waiting = cure(p, history, -1, view({ alive: [A, B, D, E] }));
  assert.equal(waiting.status, 'ill');
  assert.equal(waiting.action, undefined, 'D and E are alive but copying everything to them waits for the delay');
});

test('missing secondary, emergency after replica_assign_delay_ms_for_dropouts: dropped nodes newest first, else the least loaded', () => {
  const p = pc({ primary: A, secondaries: [B], lastDrops: [D, C] });
  const old = [dropped(D, NOW - DELAY - 2000), dropped(C, NOW - DELAY)];
  assert.equal(cure(p, old, -1, view({ alive: [A, B, D] })).action?.node, D, 'C is dead: the older drop D is alive');
  const r = cure(p, old, -1, view({ alive: [A, B, E, D].filter((n) => n !== D), load: load({ [E]: [0, 0, 0, 0] }) }));
  assert.deepEqual(r.action, { type: ConfigType.CT_ADD_SECONDARY, target: A, node: E }, 'no dropped node alive: a new node');
  assert.equal(r.preferedDropped, -1);
  const justBefore = cure(p, [dropped(C, NOW - DELAY + 1)], -1, view({ alive: [A, B, E] }));
  assert.equal(justBefore.action, undefined, 'one millisecond before the delay: still waiting');
  // A new node is the one with the fewest replicas of the table, then in total.
  const loads = load({ [D]: [0, 3, 0, 3], [E]: [0, 1, 0, 9], [C]: [0, 1, 0, 2] });
  assert.equal(cure(p, [], -1, view({ alive: [A, B, C, D, E], load: loads })).action?.node, C, 'no drop history is an emergency too');
});

test('missing secondary, emergency because too few members to write (max > min 2pc)', () => {
  const p = pc({ primary: A, lastDrops: [B, C] });
  const recent = [dropped(B, NOW - 2000), dropped(C, NOW - 1000)];
  assert.equal(cure(p, recent, -1, view({ alive: [A, B, D] })).action?.node, B, 'C is dead, the recent drop B is taken at once');
  // max 2 with min 2: one member is not an emergency (upstream's ATTENTION comment).
  const two = pc({ primary: A, maxReplicaCount: 2, lastDrops: [C] });
  assert.equal(cure(two, [dropped(C, NOW - 1000)], -1, view({ alive: [A, B, D] })).action, undefined);
  // The emergency walks down the dropped list across calls (prefered_dropped), so a failed choice is not retried at once.
  const first = cure(p, recent, -1, view({ alive: [A, B, C] }));
  assert.equal(first.action?.node, C);
  assert.equal(first.preferedDropped, 0);
  const second = cure(p, recent, first.preferedDropped, view({ alive: [A, B, C] }));
  assert.equal(second.action?.node, B);
});

test('too many secondaries (max_replica_count lowered): CT_REMOVE of the secondary on the most loaded node', () => {
  const p = pc({ primary: A, secondaries: [B, C, D], maxReplicaCount: 3 });
  const r = cure(p, [], -1, view({ load: load({ [B]: [0, 0, 0, 4], [C]: [0, 0, 0, 9], [D]: [0, 0, 0, 9] }) }));
  assert.deepEqual(r.action, { type: ConfigType.CT_REMOVE, target: A, node: C });
});

test('health classification (pegasus-internals.md §2.2)', () => {
  assert.equal(partitionHealth(pc(), 2), HealthStatus.HS_DEAD);
  assert.equal(partitionHealth(pc({ secondaries: [B] }), 2), HealthStatus.HS_UNREADABLE);
  assert.equal(partitionHealth(pc({ primary: A }), 2), HealthStatus.HS_UNWRITABLE);
  assert.equal(partitionHealth(pc({ primary: A, secondaries: [B] }), 2), HealthStatus.HS_WRITABLE_ILL);
  assert.equal(partitionHealth(pc({ primary: A, secondaries: [B, C] }), 2), HealthStatus.HS_HEALTHY);
  assert.equal(partitionHealth(pc({ primary: A, maxReplicaCount: 1 }), 1), HealthStatus.HS_HEALTHY);
  assert.equal(mutation2pcMinReplicaCount(2, 1), 2, 'a configured value wins');
  assert.deepEqual([1, 2, 3, 4, 5].map((max) => mutation2pcMinReplicaCount(0, max)), [1, 1, 2, 3, 3], 'derived: max <= 2 ? 1 : max/2 + 1');
});

test('dropped history: recorded drops keep their time, reports fill in replica info, order and size are upstream\'s', () => {
  const cc = newConfigContext();
  assert.ok(recordDropHistory(cc, A, 100, 2, 3, 0));
  assert.ok(!recordDropHistory(cc, A, 200, 2, 3, 0), 'already recorded');
  assert.equal(collectDropReplica(cc, A, { ballot: 4, lastCommittedDecree: 7, lastPreparedDecree: 9 }, 2, 3, 0), 1);
  assert.deepEqual(cc.dropped, [dropped(A, 100, 4, 7, 9)]);
  // With 2 members and max 3 (no reserve) one dropped replica fits: a report without a drop time ranks lowest.
  assert.equal(collectDropReplica(cc, B, { ballot: 9, lastCommittedDecree: 9, lastPreparedDecree: 9 }, 2, 3, 0), -1);
  assert.deepEqual(cc.dropped.map((d) => d.node), [A]);
  assert.equal(collectDropReplica(cc, B, { ballot: 9, lastCommittedDecree: 9, lastPreparedDecree: 9 }, 0, 3, 0), 0, 'DDD: room for three');
  assert.deepEqual(cc.dropped.map((d) => d.node), [B, A], 'sorted by drop time first');
  assert.ok(removeFromDropped(cc, B));
  assert.deepEqual(cc.dropped.map((d) => d.node), [A]);
  assert.equal(cc.preferedDropped, 0);
});

test('update checks per type, and last_drops maintenance', () => {
  const cur = pc({ primary: A, secondaries: [B], lastDrops: [C, D] });
  const asked = (o: Partial<PartitionConfig>) => ({ ...cur, ballot: 6, ...o });
  const ok = (r: ReturnType<typeof checkUpdate>) => {
    assert.ok(r.ok, r.ok ? '' : r.reason);
    return r.next;
  };
  const add = ok(checkUpdate(cur, asked({ secondaries: [B, C] }), ConfigType.CT_UPGRADE_TO_SECONDARY, C));
  assert.deepEqual(add.lastDrops, [D], 'a node joining leaves last_drops');
  const removed = ok(checkUpdate(cur, asked({ secondaries: [] }), ConfigType.CT_DOWNGRADE_TO_INACTIVE, B));
  assert.deepEqual(removed.lastDrops, [C, D, B]);
  const self = ok(checkUpdate(cur, asked({ primary: undefined }), ConfigType.CT_REMOVE, A));
  assert.deepEqual([self.primary, self.secondaries, self.lastDrops], [undefined, [B], [C, D, A]], 'the primary removing itself');
  const down = ok(checkUpdate(cur, asked({ primary: undefined, secondaries: [B, A] }), ConfigType.CT_DOWNGRADE_TO_SECONDARY, A));
  assert.deepEqual(down.lastDrops, [C, D], 'a downgrade to secondary keeps the node a member');
  const noPrimary = pc({ secondaries: [B, C], lastDrops: [A] });
  const up = ok(checkUpdate(noPrimary, { ...noPrimary, ballot: 6, primary: C, secondaries: [B] }, ConfigType.CT_UPGRADE_TO_PRIMARY, C));
  assert.deepEqual([up.primary, up.secondaries, up.lastDrops], [C, [B], [A]]);
  const fresh = pc();
  ok(checkUpdate(fresh, { ...fresh, ballot: 6, primary: A }, ConfigType.CT_ASSIGN_PRIMARY, A));
  ok(checkUpdate(cur, asked({}), ConfigType.CT_PRIMARY_FORCE_UPDATE_BALLOT, A));
  // The table's max_replica_count and flags are not the replica's to change.
  assert.equal(ok(checkUpdate(cur, asked({ secondaries: [B, C], maxReplicaCount: 9, partitionFlags: 1 }), ConfigType.CT_UPGRADE_TO_SECONDARY, C)).maxReplicaCount, 3);

  const refused: Array<[Partial<PartitionConfig>, number, string | undefined, RegExp]> = [
    [{ secondaries: [B, C] }, ConfigType.CT_UPGRADE_TO_SECONDARY, B, /already a member/],
    [{ secondaries: [B, C, D] }, ConfigType.CT_UPGRADE_TO_SECONDARY, C, /must add the node/],
    [{ primary: C, secondaries: [] }, ConfigType.CT_ASSIGN_PRIMARY, C, /has members/],
    [{ primary: B, secondaries: [] }, ConfigType.CT_UPGRADE_TO_PRIMARY, B, /has a primary/],
    [{ secondaries: [] }, ConfigType.CT_DOWNGRADE_TO_INACTIVE, C, /not a member/],
    [{ secondaries: [B] }, ConfigType.CT_ADD_SECONDARY, C, /not a type a replica server sends/],
    [{ secondaries: [B, C] }, ConfigType.CT_UPGRADE_TO_SECONDARY, undefined, /no node given/],
  ];
  for (const [o, type, node, reason] of refused) {
    const r = checkUpdate(cur, asked(o), type, node);
    assert.ok(!r.ok, `type ${type} about ${node} must be refused`);
    assert.match(r.reason, reason);
  }
  assert.ok(!checkUpdate(cur, asked({ primary: undefined, secondaries: [] }), ConfigType.CT_REMOVE, A).ok, 'removing the primary must keep the secondaries');
  assert.deepEqual(maintainDrops([A, B, C], D, ConfigType.CT_REMOVE), [B, C, D], 'beyond three the oldest goes');
  assert.deepEqual(maintainDrops([A, B, C], A, ConfigType.CT_DOWNGRADE_TO_INACTIVE), [B, C, A], 'deduplicated, moved to newest');
  assert.deepEqual(maintainDrops([A, B], A, ConfigType.CT_UPGRADE_TO_PRIMARY), [B]);
  assert.deepEqual(maintainDrops([A, B], A, ConfigType.CT_DOWNGRADE_TO_SECONDARY), [A, B]);
});

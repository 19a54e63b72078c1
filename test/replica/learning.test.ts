/**
 * Each learn type (pegasus-internals.md §2.8), on a whole simulated cluster with no random faults: a
 * replica server is taken away and the meta has the group learn a replacement —
 *   - LT_CACHE: the dropped node comes back soon, its data a few decrees behind the primary's prepare list;
 *   - LT_LOG: an empty spare learns from the plog (more decrees than the prepare list holds, no plog GC);
 *   - LT_APP: an empty spare learns from a checkpoint copy (the plog was collected).
 * Every learned replica ends up a secondary holding every acknowledged write.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { StorageStatus } from '../../src/base/error-code.ts';
import { generateKey } from '../../src/base/key-schema.ts';
import { fromWireAddress } from '../../src/idl/thrift/dsn.ts';
import type { Replica } from '../../src/replica/replica.ts';
import { SimCluster, simReplicaAddress } from '../../src/sim/sim-cluster.ts';

const EVENTS_MAX = 2_000_000;

function cluster(checkpointIntervalMs: number): SimCluster {
  return new SimCluster({
    world: { seed: 11, network: { faults: { delayMinMs: 0, delayMaxMs: 1 } } },
    replicaServerCount: 4,
    partitionCount: 1,
    maxReplicaCount: 3,
    plogForceFlush: false,
    memtableBytesMax: 4096,
    clientTimeoutMs: 2000,
    slowDiskMaxMs: 0,
    checkpointIntervalMs,
  });
}

/** Runs the loop until `promise` settles, then returns its value. */
async function drive<T>(c: SimCluster, promise: Promise<T>): Promise<T> {
  let settled = false;
  void promise.then(
    () => (settled = true),
    () => (settled = true),
  );
  await c.world.runUntil(() => settled, EVENTS_MAX);
  assert.ok(settled, 'the operation did not finish');
  return promise;
}

async function writeMany(c: SimCluster, from: number, count: number): Promise<void> {
  const table = await drive(c, c.table());
  for (let i = from; i < from + count; i++) await drive(c, table.set('hk', `k${i}`, `v${i}`));
}

function replicaOn(c: SimCluster, address: string): Replica | undefined {
  return c.stub(address)?.hosted()[0]?.replica;
}

async function holdsAll(replica: Replica, count: number): Promise<void> {
  for (let i = 0; i < count; i++) {
    const response = await replica.db.get(generateKey(Buffer.from('hk'), Buffer.from(`k${i}`)));
    assert.equal(response.error, StorageStatus.kOk, `k${i} missing`);
    assert.equal(response.value.toString(), `v${i}`);
  }
}

/** The group's members as the meta sees them, once healthy again. */
async function healthyWithout(c: SimCluster, gone: string): Promise<string[]> {
  await c.world.runUntil(() => {
    const pc = c.meta?.queryConfig({ appName: 'temp', partitionIndices: [] }).partitions[0];
    return c.healthy() && pc !== undefined && ![pc.primary, ...pc.secondaries].some((a) => fromWireAddress(a) === gone);
  }, EVENTS_MAX);
  assert.ok(c.healthy(), 'the group was rebuilt');
  return secondaryNodes(c);
}

/** The secondaries as the primary knows them (a just-upgraded learner hears of it at the next prepare). */
function secondaryNodes(c: SimCluster): string[] {
  const primary = c.liveReplicas().find((r) => r.replica.status === 'PS_PRIMARY');
  return [...(primary?.replica.members().secondaries ?? [])];
}

test('LT_CACHE: a secondary that comes back a few decrees behind learns them from the prepare list', async () => {
  const c = cluster(3_600_000);
  await c.start(EVENTS_MAX);
  await c.world.runUntil(() => c.healthy(), EVENTS_MAX);
  await writeMany(c, 0, 10);
  const victim = secondaryNodes(c)[0]!;
  c.crashServer(victim, false);
  await writeMany(c, 10, 5);
  await c.restartServer(victim);
  await c.world.runUntil(() => c.healthy() && replicaOn(c, victim)?.status === 'PS_SECONDARY', EVENTS_MAX);
  const learned = replicaOn(c, victim)!;
  assert.equal(learned.status, 'PS_SECONDARY');
  assert.ok(learned.learner.roundsApplied.cache >= 1, JSON.stringify(learned.learner.roundsApplied));
  await holdsAll(learned, 15);
});

/**
 * A secondary's server goes away while 150 decrees are written; the meta gives up waiting for it and the
 * group learns an empty spare, which must end up holding everything by the learn type `kind`.
 */
async function spareLearns(checkpointIntervalMs: number, kind: 'log' | 'app'): Promise<void> {
  const c = cluster(checkpointIntervalMs);
  await c.start(EVENTS_MAX);
  await c.world.runUntil(() => c.healthy(), EVENTS_MAX);
  const victim = secondaryNodes(c)[0]!;
  c.crashServer(victim, false);
  await writeMany(c, 0, 150);
  await healthyWithout(c, victim);
  const spare = [0, 1, 2, 3].map(simReplicaAddress).find((a) => a !== victim && (replicaOn(c, a)?.learner.roundsApplied[kind] ?? 0) > 0);
  assert.ok(spare !== undefined, `a spare learned by LT_${kind.toUpperCase()}`);
  await holdsAll(replicaOn(c, spare)!, 150);
}

test('LT_LOG: an empty spare learns more decrees than the prepare list holds from the plog', async () => {
  await spareLearns(3_600_000, 'log');
});

test('LT_APP: once the plog is collected, an empty spare learns from a checkpoint copy', async () => {
  await spareLearns(500, 'app');
});

/**
 * The read path (pegasus-internals.md §2.10) on a 3-replica group: only the primary serves reads; a
 * secondary refuses them (the client re-queries the meta) unless the request is a backup request, which
 * it answers from its possibly stale state.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { StorageStatus } from '../../src/base/error-code.ts';
import { generateKey } from '../../src/base/key-schema.ts';
import { SimCluster } from '../../src/sim/sim-cluster.ts';

const EVENTS_MAX = 2_000_000;

test('a secondary serves only backup requests; the primary serves every read', async () => {
  const c = new SimCluster({
    world: { seed: 3, network: { faults: { delayMinMs: 0, delayMaxMs: 1 } } },
    replicaServerCount: 3,
    partitionCount: 1,
    maxReplicaCount: 3,
    plogForceFlush: false,
    memtableBytesMax: 4096,
    clientTimeoutMs: 2000,
    slowDiskMaxMs: 0,
  });
  await c.start(EVENTS_MAX);
  await c.world.runUntil(() => c.healthy() && c.liveReplicas().filter((r) => r.replica.status === 'PS_SECONDARY').length === 2, EVENTS_MAX);
  let done = false;
  const writing = c.table().then((t) => t.set('hk', 'sk', 'v1')).finally(() => (done = true));
  await c.world.runUntil(() => done, EVENTS_MAX);
  await writing;
  // The secondaries learn the commit point from the next prepare or group check.
  await c.world.runFor(3000, EVENTS_MAX);

  const key = generateKey(Buffer.from('hk'), Buffer.from('sk'));
  const primary = c.liveReplicas().find((r) => r.replica.status === 'PS_PRIMARY')!.replica;
  const secondary = c.liveReplicas().find((r) => r.replica.status === 'PS_SECONDARY')!.replica;
  assert.equal((await primary.onClientRead((db) => db.get(key))).value.toString(), 'v1');
  await assert.rejects(secondary.onClientRead((db) => db.get(key)), (e: { code?: string }) => e.code === 'ERR_INVALID_STATE');
  const backup = await secondary.onClientRead((db) => db.get(key), { backupRequest: true });
  assert.equal(backup.error, StorageStatus.kOk);
  assert.equal(backup.value.toString(), 'v1');
});

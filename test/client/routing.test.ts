/**
 * Routing under change: partition moves (ERR_OBJECT_NOT_FOUND / ERR_INVALID_STATE → re-query the meta),
 * meta failover, split routing, timeouts, aborts and a replica server restart.
 */
import { afterEach, test } from 'node:test';
import assert from 'node:assert/strict';
import { crc64 } from '../../src/base/crc64.ts';
import {
  PegasusAbortError,
  PegasusClient,
  PegasusMetaError,
  PegasusRpcError,
  PegasusTimeoutError,
} from '../../src/client/index.ts';
import { FakeCluster } from './fake-cluster.ts';

let cluster: FakeCluster | undefined;
let client: PegasusClient | undefined;

afterEach(async () => {
  await client?.close();
  await cluster?.close();
  client = undefined;
  cluster = undefined;
});

/** A hash key of partition `pidx` of an 8-partition table. */
function hashKeyOf(pidx: number, count = 8): string {
  for (let i = 0; i < 10_000; i++) if (Number(crc64(Buffer.from(`key-${i}`)) % BigInt(count)) === pidx) return `key-${i}`;
  throw new Error('no key found');
}

async function open(options: { metaServers?: string[]; timeoutMs?: number; metaCount?: number; tables?: Array<{ name: string; appId: number; partitionCount: number }> } = {}) {
  const c = await FakeCluster.start({ metaCount: options.metaCount ?? 1, ...(options.tables ? { tables: options.tables } : {}) });
  cluster = c;
  client = PegasusClient.create({ metaServers: options.metaServers ?? c.metaAddresses, ...(options.timeoutMs ? { timeoutMs: options.timeoutMs } : {}) });
  return { cluster: c, client };
}

for (const unhostedError of ['ERR_OBJECT_NOT_FOUND', 'ERR_INVALID_STATE'] as const) {
  test(`a partition moved to another server: ${unhostedError} → one re-query, then the new primary`, async () => {
    const { cluster, client } = await open();
    const table = await client.openTable('temp');
    const hk = hashKeyOf(2); // partition 2 lives on replica server 0
    await table.set(hk, 's', 'before');
    cluster.replicas[0]!.unhostedError = unhostedError;
    const queriesBefore = cluster.metas[0]!.queries;
    cluster.movePartition('temp', 2, 1);
    // Concurrent operations on the moved partition share one refresh.
    const values = await Promise.all(Array.from({ length: 5 }, () => table.get(hk, 's')));
    assert.deepEqual(values.map((v) => v?.toString()), Array(5).fill('before'));
    assert.equal(cluster.metas[0]!.queries - queriesBefore, 1, 'one de-duplicated query_cfg');
    const gets = cluster.requests('RPC_RRDB_RRDB_GET');
    assert.ok(gets.some((g) => g.replica === 0), 'the old primary was asked first');
    assert.equal(gets.at(-1)!.replica, 1);
    await table.set(hk, 's', 'after');
    assert.equal(cluster.requests('RPC_RRDB_RRDB_PUT').at(-1)!.replica, 1);
    assert.equal((await table.get(hk, 's'))?.toString(), 'after');
    assert.deepEqual(cluster.routingViolations, []);
  });
}

test('errors that are not routing errors: ERR_BUSY is retried, others fail typed at once', async () => {
  const { cluster, client } = await open();
  const table = await client.openTable('temp');
  const hk = hashKeyOf(0);
  cluster.replicas[0]!.injectErrors.push('ERR_BUSY', 'ERR_BUSY');
  await table.set(hk, 's', 'v');
  assert.equal(cluster.requests('RPC_RRDB_RRDB_PUT').length, 3);
  cluster.replicas[0]!.injectErrors.push('ERR_ACL_DENY');
  await assert.rejects(table.get(hk, 's'), (e) => e instanceof PegasusRpcError && e.code === 'ERR_ACL_DENY' && e.address === cluster.replicas[0]!.address);
});

test('meta failover: ERR_FORWARD_TO_OTHERS with the leader named, without it, a dead meta, not active yet', async () => {
  const { cluster, client } = await open({ metaCount: 3 });
  const [a, b, c] = cluster.metas as [typeof cluster.metas[0], typeof cluster.metas[0], typeof cluster.metas[0]];
  a.mode = { kind: 'forward', to: c.address };
  b.mode = { kind: 'forward' };
  const table = await client.openTable('temp');
  assert.equal(client.metaLeader, c.address);
  assert.deepEqual([a.queries, b.queries, c.queries], [1, 0, 1], 'went straight to the named leader');
  await table.set('k', 's', 'v');

  // No hint: the next meta in the list.
  const other = PegasusClient.create({ metaServers: [b.address, c.address] });
  try {
    await other.openTable('temp');
    assert.equal(other.metaLeader, c.address);
  } finally {
    await other.close();
  }

  // A meta that refuses connections, then one not active for two answers.
  await a.server.close();
  c.mode = { kind: 'not-active', times: 2 };
  const third = PegasusClient.create({ metaServers: [a.address, c.address] });
  try {
    const t = await third.openTable('temp');
    assert.equal((await t.get('k', 's'))?.toString(), 'v');
  } finally {
    await third.close();
  }
  assert.equal(c.mode.kind === 'not-active' ? c.mode.times : -1, 0);
});

test('a missing table is PegasusMetaError ERR_OBJECT_NOT_FOUND', async () => {
  const { client } = await open();
  await assert.rejects(client.openTable('nope'), (e) => e instanceof PegasusMetaError && e.code === 'ERR_OBJECT_NOT_FOUND');
});

test('a replica that never answers: PegasusTimeoutError within the deadline', async () => {
  const { cluster, client } = await open({ timeoutMs: 300 });
  const table = await client.openTable('temp');
  cluster.replicas[0]!.neverReply = true;
  const started = Date.now();
  await assert.rejects(table.get(hashKeyOf(0), 's'), (e) => e instanceof PegasusTimeoutError && e.code === 'ERR_TIMEOUT');
  const elapsedMs = Date.now() - started;
  assert.ok(elapsedMs >= 250 && elapsedMs < 700, `took ${elapsedMs} ms`);
  // A per-call timeout overrides the client's.
  const shortStart = Date.now();
  await assert.rejects(table.set(hashKeyOf(0), 's', 'v', { timeoutMs: 100 }), PegasusTimeoutError);
  assert.ok(Date.now() - shortStart < 400);
});

test('an AbortSignal rejects with PegasusAbortError', async () => {
  const { cluster, client } = await open();
  const table = await client.openTable('temp');
  cluster.replicas[0]!.neverReply = true;
  const controller = new AbortController();
  const pending = table.get(hashKeyOf(0), 's', { signal: controller.signal });
  setTimeout(() => controller.abort(), 30);
  const started = Date.now();
  await assert.rejects(pending, (e) => e instanceof PegasusAbortError && e.name === 'AbortError');
  assert.ok(Date.now() - started < 300);
  await assert.rejects(table.get('x', 's', { signal: AbortSignal.abort() }), PegasusAbortError);
});

test('a replica server restart: operations retry through the reconnect within their deadline', async () => {
  const { cluster, client } = await open();
  const table = await client.openTable('temp');
  const hks = [0, 2, 4, 6].map((p) => hashKeyOf(p)); // all on replica server 0
  for (const hk of hks) await table.set(hk, 's', `v-${hk}`);
  await cluster.replicas[0]!.restart();
  for (const hk of hks) assert.equal((await table.get(hk, 's'))?.toString(), `v-${hk}`);
  // Down while the operation runs: it retries (ERR_NETWORK_FAILURE → re-query) until the server is back.
  const queriesBefore = cluster.metas[0]!.queries;
  const restarting = cluster.replicas[0]!.restart(150);
  const value = await table.get(hks[0]!, 's', { timeoutMs: 2000 });
  await restarting;
  assert.equal(value?.toString(), `v-${hks[0]}`);
  assert.ok(cluster.metas[0]!.queries > queriesBefore, 'the failure made the client re-query the meta');
});

test('split: a child partition with ballot < 0 is served by its parent (pidx - count/2)', async () => {
  const { cluster, client } = await open();
  const partitions = cluster.table().partitions;
  for (let i = 4; i < 8; i++) {
    partitions[i]!.ballot = -1;
    partitions[i]!.primary = -1;
  }
  const table = await client.openTable('temp');
  const hk = hashKeyOf(6);
  await table.set(hk, 's', 'v');
  const put = cluster.requests('RPC_RRDB_RRDB_PUT').at(-1)!;
  assert.equal(put.gpid.partitionIndex, 2);
  assert.equal(put.partitionHash % 8n, 6n);
  assert.equal((await table.get(hk, 's'))?.toString(), 'v');
  assert.deepEqual(cluster.routingViolations, []);
});

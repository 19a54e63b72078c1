/**
 * Process tests (issue 4): real `pegasus meta` and `pegasus replica` processes on loopback, driven through the
 * TypeScript client over TCP. The full client API round-trips; a replica server killed with SIGKILL and
 * restarted loses no acknowledged write (and applies none twice); a restarted meta keeps every table.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { CheckType, Mutations, PegasusClient, type Table } from '../../src/client/index.ts';
import { META_RPCS } from '../../src/idl/codec/meta-rpcs.ts';
import { TcpRpcChannel } from '../../src/rpc/tcp/index.ts';
import { TestCluster, waitForHttp } from './cluster-harness.ts';

let cluster: TestCluster;
let client: PegasusClient;
let table: Table;

before(async () => {
  cluster = await TestCluster.create(2, 8);
  await cluster.startAll();
  client = PegasusClient.create({ metaServers: [cluster.metaAddress], timeoutMs: 20_000 });
  table = await client.openTable('temp');
});

after(async () => {
  await client?.close();
  await cluster?.destroy();
});

test('the client API round-trips through real processes', async () => {
  await table.set('user1', 'name', 'alice');
  assert.equal((await table.get('user1', 'name'))?.toString(), 'alice');
  assert.equal(await table.exist('user1', 'name'), true);
  assert.equal(await table.ttl('user1', 'name'), -1);
  await table.set('user1', 'session', 'abc', { ttlSeconds: 3600 });
  const ttl = await table.ttl('user1', 'session');
  assert.ok(ttl !== undefined && ttl > 3500 && ttl <= 3600, `ttl ${ttl}`);
  await table.multiSet('user2', [['a', '1'], ['b', '2'], ['c', '3']]);
  const range = await table.multiGet('user2', undefined, { startSortKey: 'a', stopSortKey: 'c', stopInclusive: false });
  assert.deepEqual(range.kvs.map((kv) => `${kv.sortKey}=${kv.value}`), ['a=1', 'b=2']);
  assert.equal(await table.sortKeyCount('user2'), 3);
  assert.equal(await table.multiDel('user2', ['a', 'b']), 2);
  assert.equal(await table.sortKeyCount('user2'), 1);
  assert.equal(await table.incr('counters', 'visits', 5), 5n);
  assert.equal(await table.incr('counters', 'visits', -2), 3n);
  const cas = await table.checkAndSet('user1', 'name', CheckType.CT_VALUE_BYTES_EQUAL, 'alice', 'name', 'bob', { returnCheckValue: true });
  assert.equal(cas.setSucceed, true);
  assert.equal(cas.checkValue?.toString(), 'alice');
  const cam = await table.checkAndMutate('user1', 'name', CheckType.CT_VALUE_EXIST, '', new Mutations().set('email', 'b@x').del('session'));
  assert.equal(cam.mutateSucceed, true);
  assert.deepEqual((await table.batchGet([['user1', 'email'], ['user1', 'session'], ['user2', 'c']])).map((v) => v?.toString()), ['b@x', undefined, '3']);
  await table.del('user1', 'email');
  assert.equal(await table.get('user1', 'email'), undefined);
  await table.multiSet('scanme', [['a', '1'], ['b', '2'], ['c', '3'], ['d', '4']]);
  const hashScan: string[] = [];
  for await (const entry of table.getScanner('scanme', 'b', undefined, { batchSize: 1 })) hashScan.push(`${entry.sortKey}=${entry.value}`);
  assert.deepEqual(hashScan, ['b=2', 'c=3', 'd=4']);
  assert.equal(await table.multiDel('scanme', ['a', 'b', 'c', 'd']), 4);
  const scanned: string[] = [];
  for (const scanner of await table.getUnorderedScanners(4, { batchSize: 2 })) {
    for await (const entry of scanner) scanned.push(`${entry.hashKey}/${entry.sortKey}=${entry.value}`);
  }
  assert.deepEqual(scanned.sort(), ['counters/visits=3', 'user1/name=bob', 'user2/c=3']);
});

test('a replica server killed with SIGKILL and restarted loses no acknowledged write', async () => {
  const rows = 200;
  for (let i = 0; i < rows; i++) await table.set(`durable${i}`, 'k', `v${i}`);
  for (let i = 0; i < 20; i++) await table.incr('durable', 'counter', 1);
  await cluster.stop('replica1', 'SIGKILL');
  cluster.start('replica1');
  await cluster.waitHealthy();
  for (let i = 0; i < rows; i++) assert.equal((await table.get(`durable${i}`, 'k'))?.toString(), `v${i}`, `row ${i}`);
  assert.equal(await table.incr('durable', 'counter', 1), 21n, 'every acknowledged incr applied exactly once');
});

test('a restarted meta keeps every table', async () => {
  assert.equal(await cluster.stop('meta', 'SIGTERM'), 0, cluster.stderrOf('meta'));
  cluster.start('meta');
  await cluster.waitHealthy();
  const reopened = await client.openTable('temp');
  assert.equal((await reopened.get('user1', 'name'))?.toString(), 'bob');
  await reopened.set('after-meta-restart', 'k', 'v');
  assert.equal((await reopened.get('after-meta-restart', 'k'))?.toString(), 'v');
});

test('a replica server declared dead keeps its partitions waiting, then serves them again on return', async () => {
  for (let i = 0; i < 50; i++) await table.set(`waiting${i}`, 'k', `v${i}`);
  // The node to kill is one that holds primaries (which one depends on who beaconed first).
  const channel = new TcpRpcChannel();
  const rpc = META_RPCS.RPC_CM_QUERY_PARTITION_CONFIG_BY_INDEX;
  const answer = await channel.call(cluster.metaAddress, {
    name: rpc.code, gpid: { appId: 0, partitionIndex: 0 }, partitionHash: 0n, args: rpc.encodeArgs({ appName: 'temp', partitionIndices: [] }), timeoutMs: 5000,
  });
  await channel.close();
  const primaryPort = rpc.decodeResponse(answer.result!, 0).partitions[0]!.primary.port;
  const role = `replica${cluster.replicaPorts.indexOf(primaryPort) + 1}`;
  assert.ok(role !== 'replica0', `primary port ${primaryPort} is one of ours`);
  await cluster.stop(role, 'SIGKILL');
  const nodesUrl = `http://127.0.0.1:${cluster.metaPort}/meta/nodes`;
  const killed = `127.0.0.1:${primaryPort}`;
  try {
    await waitForHttp(nodesUrl, 20_000, (body) =>
      (body as Array<{ address: string; status: string }>).some((n) => n.address === killed && n.status !== 'ALIVE'),
    );
  } catch (e) {
    const nodes = await fetch(nodesUrl).then((r) => r.text(), (err: unknown) => String(err));
    throw new Error(`${String(e)}\nnodes: ${nodes}\nmeta log:\n${cluster.logTail('meta')}`);
  }
  cluster.start(role);
  await cluster.waitHealthy();
  for (let i = 0; i < 50; i++) assert.equal((await table.get(`waiting${i}`, 'k'))?.toString(), `v${i}`, `row ${i}`);
});

test('drop then recall restores the data, even after replica servers synced the drop', async () => {
  const bin = new URL('../../bin/pegasus.js', import.meta.url).pathname;
  const shell = (script: string) => {
    const result = spawnSync(process.execPath, [bin, 'shell', '--cluster', cluster.metaAddress, '-e', script], { encoding: 'utf8', timeout: 60_000 });
    assert.equal(result.status, 0, `${script}\n${result.stdout}\n${result.stderr}`);
    return result.stdout;
  };
  const created = shell('create recallme -p 4 -r 1; use recallme; set hk sk kept; drop recallme');
  const appId = /app_id (\d+)/.exec(created)?.[1];
  assert.ok(appId, created);
  // Several config-sync rounds (1 s in the test profile) pass while the table is dropped.
  await new Promise((resolve) => setTimeout(resolve, 3500));
  const after = shell(`recall ${appId}; use recallme; get hk sk`);
  assert.match(after, /"kept"/);
});

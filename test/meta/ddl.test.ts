/** Table DDL over the meta's RPC handlers (pegasus-internals.md §5.10, protocol.md §2, §6, §11). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { META_RPCS } from '../../src/idl/codec/meta-rpcs.ts';
import { AppEnvOperation, AppStatus, NodeStatus, PatternMatchType } from '../../src/idl/meta.ts';
import { CLUSTER_INFO_KEYS } from '../../src/meta/meta-server.ts';
import { FileMetaStore } from '../../src/metastore/file-meta-store.ts';
import { MetaHarness, TestStore } from './harness.ts';

test('create, then query_cfg answers every partition, is_stateful and no primary yet', async () => {
  const h = await MetaHarness.started();
  const created = await h.createApp('temp', 8);
  assert.deepEqual(created, { err: 'ERR_OK', appid: 1 });
  const cfg = await h.queryConfig('temp');
  assert.equal(cfg.err, 'ERR_OK');
  assert.equal(cfg.appId, 1);
  assert.equal(cfg.partitionCount, 8);
  assert.equal(cfg.isStateful, true);
  assert.deepEqual(cfg.partitions.map((p) => p.pid.partitionIndex), [0, 1, 2, 3, 4, 5, 6, 7]);
  assert.ok(cfg.partitions.every((p) => p.ballot === 0 && p.primary.ipv4 === 0 && p.maxReplicaCount === 1));
  const some = await h.queryConfig('temp', [3, 5, 99]);
  assert.deepEqual(some.partitions.map((p) => p.pid.partitionIndex), [3, 5]);
  const second = await h.createApp('other', 2);
  assert.equal(second.appid, 2, 'app ids come from the persisted counter');
  const missing = await h.queryConfig('nope');
  assert.equal(missing.err, 'ERR_OBJECT_NOT_FOUND');
  assert.equal(missing.isStateful, false);
});

test('create refuses bad parameters and existing names; success_if_exist needs matching options', async () => {
  const h = await MetaHarness.started();
  assert.equal((await h.createApp('t', 0)).err, 'ERR_INVALID_PARAMETERS');
  assert.equal((await h.createApp('t', 6)).err, 'ERR_INVALID_PARAMETERS', 'not a power of two');
  assert.equal((await h.createApp('t', 4, 0)).err, 'ERR_INVALID_PARAMETERS', 'replica count below min');
  assert.equal((await h.createApp('t', 4, 6)).err, 'ERR_INVALID_PARAMETERS', 'replica count above max');
  assert.equal((await h.createApp('bad name!', 4)).err, 'ERR_INVALID_PARAMETERS');
  assert.equal((await h.createApp('t', 4)).err, 'ERR_OK');
  assert.deepEqual(await h.createApp('t', 4), { err: 'ERR_APP_EXIST', appid: 1 });
  assert.deepEqual(await h.createApp('t', 4, 1, true), { err: 'ERR_OK', appid: 1 });
  assert.equal((await h.createApp('t', 8, 1, true)).err, 'ERR_INVALID_PARAMETERS');
});

test('a create in flight makes query_cfg answer ERR_BUSY_CREATING and a store failure leaves no table', async () => {
  const store = new TestStore();
  const h = await MetaHarness.started(store);
  const release = store.hold();
  const creating = h.createApp('slow', 2);
  await new Promise((r) => setImmediate(r));
  assert.equal((await h.queryConfig('slow')).err, 'ERR_BUSY_CREATING');
  release();
  assert.equal((await creating).err, 'ERR_OK');
  assert.equal((await h.queryConfig('slow')).err, 'ERR_OK');

  store.failWrites = true;
  assert.equal((await h.createApp('broken', 2)).err, 'ERR_FILE_OPERATION_FAILED');
  assert.equal((await h.queryConfig('broken')).err, 'ERR_OBJECT_NOT_FOUND');
  store.failWrites = false;
  assert.equal((await h.createApp('broken', 2)).appid, 2, 'the failed create did not use up an app id');
});

test('drop is a soft delete, recall brings it back before expiry, names are checked', async () => {
  const h = await MetaHarness.started();
  await h.createApp('t', 4);
  assert.equal((await h.ok(META_RPCS.RPC_CM_DROP_APP, { appName: 'nope', options: { successIfNotExist: false } })).err, 'ERR_APP_NOT_EXIST');
  assert.equal((await h.ok(META_RPCS.RPC_CM_DROP_APP, { appName: 'nope', options: { successIfNotExist: true } })).err, 'ERR_OK');
  assert.equal((await h.ok(META_RPCS.RPC_CM_DROP_APP, { appName: 't', options: { successIfNotExist: false, reserveSeconds: 100 } })).err, 'ERR_OK');
  assert.equal((await h.queryConfig('t')).err, 'ERR_OBJECT_NOT_FOUND');
  const dropped = await h.ok(META_RPCS.RPC_CM_LIST_APPS, { status: AppStatus.AS_DROPPED });
  assert.equal(dropped.infos.length, 1);
  const info = dropped.infos[0]!;
  assert.equal(info.expireSecond - info.dropSecond, 100);
  assert.equal(info.dropSecond, Math.floor(h.clock.nowMs() / 1000));

  // The name is free again; recalling under it is then refused.
  await h.createApp('t', 2);
  assert.equal((await h.ok(META_RPCS.RPC_CM_RECALL_APP, { appId: 1, newAppName: '' })).err, 'ERR_APP_EXIST');
  assert.equal((await h.ok(META_RPCS.RPC_CM_RECALL_APP, { appId: 77, newAppName: '' })).err, 'ERR_APP_NOT_EXIST');
  const recalled = await h.ok(META_RPCS.RPC_CM_RECALL_APP, { appId: 1, newAppName: 't_back' });
  assert.equal(recalled.err, 'ERR_OK');
  assert.equal(recalled.info.appName, 't_back');
  assert.equal(recalled.info.status, AppStatus.AS_AVAILABLE);
  const back = await h.queryConfig('t_back');
  assert.equal(back.appId, 1);
  assert.equal(back.partitionCount, 4);

  // Past expire_second a recall is refused.
  await h.ok(META_RPCS.RPC_CM_DROP_APP, { appName: 't_back', options: { successIfNotExist: false, reserveSeconds: 10 } });
  h.clock.advance(11_000);
  assert.equal((await h.ok(META_RPCS.RPC_CM_RECALL_APP, { appId: 1, newAppName: 'again' })).err, 'ERR_APP_NOT_EXIST');
});

test('drop without reserve_seconds uses hold_seconds_for_dropped_app', async () => {
  const h = await MetaHarness.started(undefined, { holdSecondsForDroppedApp: 777 });
  await h.createApp('t', 1);
  await h.ok(META_RPCS.RPC_CM_DROP_APP, { appName: 't', options: { successIfNotExist: false } });
  const info = (await h.ok(META_RPCS.RPC_CM_LIST_APPS, { status: AppStatus.AS_INVALID })).infos[0]!;
  assert.equal(info.expireSecond - info.dropSecond, 777);
});

test('rename, list with patterns, envs set/del/clear', async () => {
  const h = await MetaHarness.started();
  await h.createApp('alpha', 1);
  await h.createApp('beta', 1);
  await h.createApp('alphabet', 1);
  const rename = (oldAppName: string, newAppName: string) => h.ok(META_RPCS.RPC_CM_RENAME_APP, { oldAppName, newAppName });
  assert.equal((await rename('nope', 'x')).err, 'ERR_APP_NOT_EXIST');
  assert.equal((await rename('beta', 'alpha')).err, 'ERR_APP_EXIST');
  assert.equal((await rename('beta', 'gamma')).err, 'ERR_OK');
  assert.equal((await h.queryConfig('gamma')).appId, 2);
  assert.equal((await h.queryConfig('beta')).err, 'ERR_OBJECT_NOT_FOUND');

  const names = async (matchType: number, appNamePattern: string) =>
    (await h.ok(META_RPCS.RPC_CM_LIST_APPS, { status: AppStatus.AS_AVAILABLE, appNamePattern, matchType })).infos.map((i) => i.appName);
  assert.deepEqual(await names(PatternMatchType.PMT_MATCH_ALL, ''), ['alpha', 'gamma', 'alphabet']);
  assert.deepEqual(await names(PatternMatchType.PMT_MATCH_EXACT, 'alpha'), ['alpha']);
  assert.deepEqual(await names(PatternMatchType.PMT_MATCH_PREFIX, 'alph'), ['alpha', 'alphabet']);
  assert.deepEqual(await names(PatternMatchType.PMT_MATCH_POSTFIX, 'bet'), ['alphabet']);
  assert.deepEqual(await names(PatternMatchType.PMT_MATCH_ANYWHERE, 'amm'), ['gamma']);
  assert.deepEqual(await names(PatternMatchType.PMT_MATCH_REGEX, '^a.*a$'), ['alpha']);
  assert.equal((await h.ok(META_RPCS.RPC_CM_LIST_APPS, { status: 0, appNamePattern: '(', matchType: PatternMatchType.PMT_MATCH_REGEX })).err, 'ERR_INVALID_PARAMETERS');

  const env = (op: number, extra: { keys?: string[]; values?: string[]; clearPrefix?: string }) => h.ok(META_RPCS.RPC_CM_UPDATE_APP_ENV, { appName: 'alpha', op, ...extra });
  assert.equal((await env(AppEnvOperation.APP_ENV_OP_SET, { keys: ['a.x', 'a.y', 'default_ttl'], values: ['1', '2', '86400'] })).err, 'ERR_OK');
  assert.equal((await env(AppEnvOperation.APP_ENV_OP_SET, { keys: ['k'], values: [] })).err, 'ERR_INVALID_PARAMETERS');
  assert.equal((await env(AppEnvOperation.APP_ENV_OP_DEL, { keys: ['a.y'] })).err, 'ERR_OK');
  const envsOf = async () => (await h.ok(META_RPCS.RPC_CM_LIST_APPS, { status: 0, appNamePattern: 'alpha', matchType: PatternMatchType.PMT_MATCH_EXACT })).infos[0]!.envs;
  assert.deepEqual(Object.fromEntries(await envsOf()), { 'a.x': '1', default_ttl: '86400' });
  assert.equal((await env(AppEnvOperation.APP_ENV_OP_CLEAR, { clearPrefix: 'a' })).err, 'ERR_OK');
  assert.deepEqual(Object.fromEntries(await envsOf()), { default_ttl: '86400' });
  assert.equal((await env(AppEnvOperation.APP_ENV_OP_CLEAR, {})).err, 'ERR_OK');
  assert.equal((await envsOf()).size, 0);
  assert.equal((await env(AppEnvOperation.APP_ENV_OP_INVALID, {})).err, 'ERR_INVALID_PARAMETERS');
  assert.equal((await h.ok(META_RPCS.RPC_CM_UPDATE_APP_ENV, { appName: 'nope', op: 1, keys: ['a'], values: ['b'] })).err, 'ERR_APP_NOT_EXIST');
});

test('cluster_info lists upstream keys in order; list_nodes filters by status', async () => {
  const h = await MetaHarness.started();
  const info = await h.ok(META_RPCS.RPC_CM_CLUSTER_INFO, {});
  assert.deepEqual(info.keys, [...CLUSTER_INFO_KEYS]);
  assert.equal(info.values[info.keys.indexOf('primary_meta_server')], '127.0.0.1:34601');
  assert.equal(info.values[info.keys.indexOf('zookeeper_root')], '/pegasus/onebox');
  assert.equal(info.values[info.keys.indexOf('cluster_name')], 'onebox');
  await h.beacon('127.0.0.1:34801');
  await h.beacon('127.0.0.1:34802');
  h.clock.advance(3000);
  await h.beacon('127.0.0.1:34801');
  h.clock.advance(2000);
  const all = await h.ok(META_RPCS.RPC_CM_LIST_NODES, { status: NodeStatus.NS_INVALID });
  assert.equal(all.infos.length, 2);
  const alive = await h.ok(META_RPCS.RPC_CM_LIST_NODES, { status: NodeStatus.NS_ALIVE });
  assert.equal(alive.infos.length, 1);
  const dead = await h.ok(META_RPCS.RPC_CM_LIST_NODES, { status: NodeStatus.NS_UNALIVE });
  assert.equal(dead.infos.length, 1);
});

test('state survives a restart on the same store (memory and file)', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'meta-restart-'));
  try {
    for (const open of [async () => new TestStore(), async () => new TestStore(await FileMetaStore.open(dir))]) {
      let store = await open();
      const h1 = await MetaHarness.started(store);
      await h1.createApp('a', 4);
      await h1.createApp('b', 2);
      await h1.ok(META_RPCS.RPC_CM_DROP_APP, { appName: 'b', options: { successIfNotExist: false } });
      await h1.ok(META_RPCS.RPC_CM_UPDATE_APP_ENV, { appName: 'a', op: AppEnvOperation.APP_ENV_OP_SET, keys: ['k'], values: ['v'] });
      h1.meta.stop();
      if (store.inner instanceof FileMetaStore) {
        await store.close();
        store = new TestStore(await FileMetaStore.open(dir));
      }
      const h2 = await MetaHarness.started(store);
      const cfg = await h2.queryConfig('a');
      assert.equal(cfg.err, 'ERR_OK');
      assert.equal(cfg.partitionCount, 4);
      const apps = await h2.ok(META_RPCS.RPC_CM_LIST_APPS, { status: 0 });
      assert.deepEqual(apps.infos.map((i) => [i.appName, i.status, Object.fromEntries(i.envs)]), [
        ['a', AppStatus.AS_AVAILABLE, { k: 'v' }],
        ['b', AppStatus.AS_DROPPED, {}],
      ]);
      assert.equal((await h2.createApp('c', 1)).appid, 3, 'next_app_id survived');
      h2.meta.stop();
      await store.close();
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('handlers answer ERR_SERVICE_NOT_ACTIVE before start and ERR_INVALID_DATA for undecodable args', async () => {
  const h = new MetaHarness();
  const before = await h.rpc(META_RPCS.RPC_CM_QUERY_PARTITION_CONFIG_BY_INDEX, { appName: 'x', partitionIndices: [] });
  assert.deepEqual(before, { kind: 'error', errorName: 'ERR_SERVICE_NOT_ACTIVE' });
  await h.meta.start();
  const handler = h.handlers.lookup('RPC_CM_CREATE_APP')!;
  let errorName = '';
  const { createReply } = await import('../../src/rpc/transport.ts');
  const request = { name: 'RPC_CM_CREATE_APP', seqid: 1, header: { gpid: { appId: 0, partitionIndex: 0 }, partitionHash: 0n, clientTimeoutMs: 0, isBackupRequest: false }, args: Buffer.from([0]), oneway: false, remote: 'x' };
  await handler(request, createReply(request, (e) => void (errorName = e)));
  assert.equal(errorName, 'ERR_INVALID_DATA');
});

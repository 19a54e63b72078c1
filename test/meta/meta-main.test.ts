/** startMetaServer end to end: a real FileMetaStore in a temp dir, TCP on port 0, HTTP on the same port. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isPegasusError } from '../../src/base/error-code.ts';
import { META_RPCS } from '../../src/idl/codec/meta-rpcs.ts';
import { TcpRpcChannel } from '../../src/rpc/tcp/index.ts';
import { loadConfig } from '../../src/server/config/index.ts';
import { createLogger } from '../../src/server/log/index.ts';
import { startMetaServer } from '../../src/server/meta/meta-main.ts';

const logger = createLogger({ role: 'meta', level: 'silent', env: {}, pretty: false });

function config(extra = '') {
  const text = `[meta_server]\nmeta_state_service_type = meta_state_service_simple\n[meta_server.apps.temp]\npartition_count = 4\nmax_replica_count = 1\n${extra}`;
  return loadConfig({ text, name: 'test.ini' }, { role: 'meta', profile: 'test' }).config;
}

async function call<Args, Response>(
  channel: TcpRpcChannel,
  address: string,
  rpc: { code: string; encodeArgs(a: Args): Buffer; decodeResponse(b: Buffer, o: number): Response },
  args: Args,
): Promise<Response> {
  const result = await channel.call(address, { name: rpc.code, gpid: { appId: 0, partitionIndex: 0 }, partitionHash: 0n, args: rpc.encodeArgs(args), timeoutMs: 5000 });
  assert.equal(result.errorName, 'ERR_OK');
  assert.ok(result.result !== undefined);
  return rpc.decodeResponse(result.result, 0);
}

test('startMetaServer serves DDL and query_cfg over TCP, HTTP on the same port, and keeps state across restarts', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'meta-main-'));
  const channel = new TcpRpcChannel();
  try {
    const first = await startMetaServer({ config: config(), dataDir: dir, port: 0, logger });
    const temp = await call(channel, first.address, META_RPCS.RPC_CM_QUERY_PARTITION_CONFIG_BY_INDEX, { appName: 'temp', partitionIndices: [] });
    assert.equal(temp.err, 'ERR_OK', 'the configured table exists after the first boot');
    assert.equal(temp.partitionCount, 4);
    const created = await call(channel, first.address, META_RPCS.RPC_CM_CREATE_APP, {
      appName: 'usertable',
      options: { partitionCount: 8, replicaCount: 1, successIfExist: false, appType: 'pegasus', isStateful: true, envs: new Map() },
    });
    assert.deepEqual(created, { err: 'ERR_OK', appid: 2 });
    const cfg = await call(channel, first.address, META_RPCS.RPC_CM_QUERY_PARTITION_CONFIG_BY_INDEX, { appName: 'usertable', partitionIndices: [] });
    assert.equal(cfg.err, 'ERR_OK');
    assert.equal(cfg.appId, 2);
    assert.equal(cfg.partitions.length, 8);
    assert.equal(cfg.isStateful, true);

    const [host, port] = first.address.split(':');
    const apps = (await (await fetch(`http://${host}:${port}/meta/apps`)).json()) as Array<{ app_name: string; status: string }>;
    assert.deepEqual(apps.map((a) => [a.app_name, a.status]), [['temp', 'AS_AVAILABLE'], ['usertable', 'AS_AVAILABLE']]);
    const cluster = (await (await fetch(`http://${host}:${port}/meta/cluster`)).json()) as Record<string, string>;
    assert.equal(cluster.primary_meta_server, first.address);
    const version = await fetch(`http://${host}:${port}/version`);
    assert.equal(version.status, 200);
    assert.equal((await fetch(`http://${host}:${port}/nope`)).status, 404);
    await first.close();

    const second = await startMetaServer({ config: config(), dataDir: dir, port: 0, logger });
    try {
      const again = await call(channel, second.address, META_RPCS.RPC_CM_LIST_APPS, { status: 0 });
      assert.deepEqual(again.infos.map((i) => i.appName), ['temp', 'usertable'], 'no second temp on a later boot');
    } finally {
      await second.close();
    }
  } finally {
    await channel.close();
    await rm(dir, { recursive: true, force: true });
  }
});

test('a ZooKeeper meta store is refused with ERR_NOT_IMPLEMENTED naming the issue', async () => {
  const zk = loadConfig({ text: '' }, { role: 'meta', profile: 'test' }).config;
  await assert.rejects(startMetaServer({ config: zk, dataDir: '/nonexistent', port: 0, logger }), (e: unknown) => {
    assert.ok(isPegasusError(e, 'ERR_NOT_IMPLEMENTED'));
    assert.match(e.message, /ZooKeeper/);
    return true;
  });
});

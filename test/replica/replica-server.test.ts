/**
 * The replica server as a process component: startReplicaServer on port 0 in a temp dir, a tiny fake meta
 * on a real RpcServer (beacons, config sync, update-configuration per the contract) that sends a
 * CT_ASSIGN_PRIMARY proposal, and a real TcpRpcChannel client writing and reading over TCP; then the server
 * is closed and restarted on the same directory and the data is still there.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { StorageStatus } from '../../src/base/error-code.ts';
import type { Gpid } from '../../src/base/gpid.ts';
import { generateKey } from '../../src/base/key-schema.ts';
import { RRDB_RPCS } from '../../src/idl/codec/rrdb-rpcs.ts';
import { RpcServer, TcpRpcChannel } from '../../src/rpc/tcp/index.ts';
import { loadConfig } from '../../src/server/config/index.ts';
import { createLogger } from '../../src/server/log/index.ts';
import { startReplicaServer, type ReplicaServerHandle } from '../../src/server/replica/replica-main.ts';
import { FakeMeta, appInfo } from './fake-meta.ts';

const b = (s: string) => Buffer.from(s);
const key = (sortKey: string) => generateKey(b('hk'), b(sortKey));
const P0: Gpid = { appId: 1, partitionIndex: 0 };
const silent = () => createLogger({ role: 'replica', pretty: false, destination: new Writable({ write: (_c, _e, done) => done() }) });

async function waitFor(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 8000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

test('startReplicaServer: assigned primary over TCP, writes and reads, data survives a restart', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'pegasus-replica-'));
  const metaServer = new RpcServer({ port: 0 });
  const channel = new TcpRpcChannel();
  let server: ReplicaServerHandle | undefined;
  try {
    const metaAddress = await metaServer.listen();
    const meta = new FakeMeta(metaAddress);
    meta.addApp(appInfo(1, 1));
    meta.register(metaServer);
    const config = loadConfig({ text: `[meta_server]\nserver_list = ${metaAddress}\n[core]\ndata_dir = ${dir}\n` }, { role: 'replica', profile: 'test' }).config;

    server = await startReplicaServer({ config, port: 0, logger: silent() });
    const replicaAddress = server.address;
    await waitFor('the first config sync', () => meta.syncRequests.length > 0);
    const proposal = { name: 'RPC_CONFIG_PROPOSAL', gpid: P0, partitionHash: 0n, args: meta.proposal(P0, replicaAddress), timeoutMs: 1000, oneway: true };
    await channel.call(replicaAddress, proposal);
    await waitFor('the primary', () => server!.stub.find(P0)?.isPrimary === true);

    const put = RRDB_RPCS.RPC_RRDB_RRDB_PUT;
    for (let i = 0; i < 20; i++) {
      const result = await channel.call(replicaAddress, { name: put.code, gpid: P0, partitionHash: 0n, args: put.encodeArgs({ key: key(`k${i}`), value: b(`v${i}`), expireTsSeconds: 0 }), timeoutMs: 5000 });
      assert.equal(result.errorName, 'ERR_OK');
      assert.equal(put.decodeResponse(result.result!, 0).error, StorageStatus.kOk);
    }
    const get = RRDB_RPCS.RPC_RRDB_RRDB_GET;
    const read = async (sortKey: string) => {
      const result = await channel.call(server!.address, { name: get.code, gpid: P0, partitionHash: 0n, args: get.encodeArgs(key(sortKey)), timeoutMs: 5000 });
      assert.equal(result.errorName, 'ERR_OK');
      return get.decodeResponse(result.result!, 0).value.toString();
    };
    assert.equal(await read('k7'), 'v7');

    const replicaDir = join(dir, 'replica', 'reps', '1.0.pegasus');
    assert.deepEqual((await readdir(replicaDir)).sort(), ['.app-info', '.init-info', 'data', 'plog']);
    assert.equal(JSON.parse(await readFile(join(replicaDir, '.init-info'), 'utf8')).ballot, 1);
    const status = await fetch(`http://${replicaAddress}/replica/replicas`).then((r) => r.json() as Promise<{ replicas: Array<{ gpid: string; status: string }> }>);
    assert.deepEqual(status.replicas.map((r) => `${r.gpid} ${r.status}`), ['1.0 PS_PRIMARY']);

    await server.close();
    server = undefined;
    // The restarted process gets a new port; the meta still lists the node by its old address, so it
    // proposes again for the new one (the directory and its data are what must survive).
    meta.configs.set('1.0', { ...meta.config(P0), primary: { ipv4: 0, port: 0 }, lastDrops: [] });
    server = await startReplicaServer({ config, port: 0, logger: silent() });
    assert.equal(server.stub.find(P0)?.replica?.lastCommittedDecree(), 20, 'replayed');
    await waitFor('a config sync from the restarted server', () => meta.syncRequests.some((r) => r.node === server!.address));
    await channel.call(server.address, { ...proposal, args: meta.proposal(P0, server.address) });
    await waitFor('the primary after restart', () => server!.stub.find(P0)?.isPrimary === true);
    for (let i = 0; i < 20; i++) assert.equal(await read(`k${i}`), `v${i}`);
  } finally {
    await server?.close();
    await channel.close();
    await metaServer.close();
    await rm(dir, { recursive: true, force: true });
  }
});

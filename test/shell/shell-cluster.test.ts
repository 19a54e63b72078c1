/**
 * The shell against a real in-process meta and replica server: a whole operator script through the runner
 * (DDL, data commands, scans, drop and recall), then `bin/pegasus.js shell -e` as a child process.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { TcpRpcChannel } from '../../src/rpc/tcp/rpc-channel.ts';
import { loadConfig } from '../../src/server/config/index.ts';
import { createLogger } from '../../src/server/log/index.ts';
import { startMetaServer } from '../../src/server/meta/meta-main.ts';
import { startReplicaServer } from '../../src/server/replica/replica-main.ts';
import { ShellContext } from '../../src/shell/context.ts';
import { runLine, runScript } from '../../src/shell/runner.ts';

const bin = new URL('../../bin/pegasus.js', import.meta.url).pathname;
const silent = (role: 'meta' | 'replica') => createLogger({ role, pretty: false, destination: new Writable({ write: (_c, _e, done) => done() }) });

const INI = (metaList: string) =>
  [
    '[meta_server]', `server_list = ${metaList}`,
    'meta_state_service_type = meta_state_service_simple',
    'distributed_lock_service_type = distributed_lock_service_simple',
    '[replication]', 'mutation_2pc_min_replica_count = 1',
  ].join('\n');

test('shell: a whole operator session against a meta and a replica server', { timeout: 30_000 }, async () => {
  const dir = await mkdtemp(join(tmpdir(), 'pegasus-shell-'));
  const metaConfig = loadConfig({ text: INI('127.0.0.1:1') }, { role: 'meta', profile: 'test' }).config;
  const meta = await startMetaServer({ config: metaConfig, dataDir: join(dir, 'meta'), port: 0, logger: silent('meta') });
  const channel = new TcpRpcChannel();
  let replica: Awaited<ReturnType<typeof startReplicaServer>> | undefined;
  try {
    const replicaConfig = loadConfig({ text: INI(meta.address) }, { role: 'replica', profile: 'test' }).config;
    replica = await startReplicaServer({ config: replicaConfig, dataDir: join(dir, 'replica'), port: 0, logger: silent('replica') });
    let printed = '';
    const ctx = new ShellContext(channel, [meta.address], { out: (t) => (printed += t) });
    const run = async (line: string): Promise<string> => {
      printed = '';
      const ok = await runLine(ctx, line);
      assert.ok(ok, `${line} failed:\n${printed}`);
      return printed;
    };

    // The replica server registers with the meta shortly after it starts: wait (bounded) until it is alive.
    const deadline = Date.now() + 10_000;
    while (!(await run('nodes')).includes('NS_ALIVE')) {
      assert.ok(Date.now() < deadline, 'the replica server never became alive');
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.match(await run('cluster_info'), /meta_servers/);
    assert.match(await run('create shell_t -p 4 -r 1'), /app "shell_t" is ready now/);
    const ls = await run('ls');
    assert.match(ls, /^app_id\s+status\s+app_name/m);
    assert.match(ls, /AS_AVAILABLE\s+shell_t\s+pegasus\s+4\s+1/);
    const detail = await run('app shell_t -d');
    assert.match(detail, /partition_count\s+: 4/);
    assert.equal(detail.match(/^\s*\d+\s+\d+\s+1\/1\s+127\.0\.0\.1:\d+\s+\[\]$/gm)?.length, 4);
    assert.equal(JSON.parse(await run('app shell_t -d -j')).partitions.length, 4);
    assert.match(await run('nodes -d'), /NS_ALIVE\s+4\s+4\s+0/);

    await run('use shell_t');
    assert.equal(await run('set hk sk1 "hello world"'), 'OK\n');
    assert.equal(await run('get hk sk1'), '"hello world"\n');
    await run('set hk gone x');
    await run('del hk gone');
    assert.equal(await run('get hk gone'), 'Not found\n');
    assert.equal(await run('exist hk sk1'), 'True\n');
    await run('multi_set hk a 1 b 2 c 3');
    const range = await run('multi_get_range hk a c -b true');
    assert.match(range, /"hk" : "a" => "1"\n"hk" : "b" => "2"\n"hk" : "c" => "3"\n\n3 key-value pairs got, fetch completed\./);
    assert.match(await run('multi_get_range hk a z -n 1 -r -i'), /^"hk" : "sk1"\n\n1 key-value pairs got/);
    assert.equal(await run('incr hk counter 5'), '5\n');
    assert.equal(await run('incr hk counter -2'), '3\n');
    await run('set hk t v 100');
    const ttl = Number(await run('ttl hk t'));
    assert.ok(ttl > 90 && ttl <= 100, `ttl ${ttl}`);
    assert.equal(await run('ttl hk sk1'), 'Infinite\n');
    assert.equal(await run('count hk'), '6\n');
    assert.match(await run('check_and_set hk -c a -t bytes_equal -o 1 -s a -v 11 -r'), /Set succeed\.\nCheck value: "1"/);
    const scan = await run('hash_scan hk a c -s prefix -y b');
    assert.equal(scan, '"hk" : "b" => "2"\n\n1 key-value pairs got.\n');
    await run('set other x y');
    const full = await run('full_scan -n 100');
    assert.match(full, /"other" : "x" => "y"/);
    assert.match(full, /\n7 key-value pairs got\.\n$/);
    await run('set_app_envs replica.deny_client_write false');
    assert.match(await run('get_app_envs'), /replica\.deny_client_write\s+false/);
    await run('del_app_envs replica.deny_client_write');

    // A failing command prints one line and reports failure; nothing throws.
    printed = '';
    assert.equal(await runLine(ctx, 'drop no_such_table'), false);
    assert.match(printed, /^ERROR: ERR_APP_NOT_EXIST.*\n$/);

    const appId = /AS_AVAILABLE\s+shell_t/.test(ls) ? Number(/^\s*(\d+)\s+AS_AVAILABLE\s+shell_t/m.exec(ls)![1]) : NaN;
    await run('drop shell_t');
    assert.doesNotMatch(await run('ls'), /shell_t/);
    assert.match(await run('ls -a'), new RegExp(`${appId}\\s+AS_DROPPED\\s+shell_t`));
    assert.match(await run(`recall ${appId}`), /app "shell_t" is ready now/);
    assert.equal(await run('get hk sk1'), '"hello world"\n');

    // The child process: -e runs every command, prints, and exits 0; a failure makes it exit 1.
    const child = (script: string) =>
      new Promise<{ code: number; stdout: string }>((resolve) => {
        execFile(process.execPath, [bin, 'shell', '--cluster', meta.address, '-e', script], { timeout: 15_000 }, (error, stdout) => {
          resolve({ code: error === null ? 0 : typeof error.code === 'number' ? error.code : -1, stdout });
        });
      });
    const [good, bad] = await Promise.all([child('use shell_t; get hk a; ls -j'), child('use shell_t; get hk')]);
    assert.equal(good.code, 0, good.stdout);
    assert.match(good.stdout, /^OK\n"11"\n/);
    assert.ok(good.stdout.includes('"appName": "shell_t"'));
    assert.equal(bad.code, 1);
    assert.match(bad.stdout, /ERROR: missing arguments.*\nUSAGE: get <hash_key> <sort_key>/);
    assert.equal(await runScript(ctx, 'exit; ls'), true);
    await ctx.close();
  } finally {
    await channel.close();
    await replica?.close();
    await meta.close();
    await rm(dir, { recursive: true, force: true });
  }
});

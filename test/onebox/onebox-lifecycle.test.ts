/**
 * `pegasus onebox start | list | stop | clear` as a user runs them, on a temp directory and free ports: the
 * cluster comes up healthy (every partition of `temp` on 3 replica servers), serves the TypeScript client, refuses a second start, stops every process, keeps
 * its data across a restart, and `clear` removes it all.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PegasusClient } from '../../src/client/index.ts';
import { eventually, freePorts, isRunning, membersByPartition, pegasus, pidsOf, ROLES } from './onebox-harness.ts';

const root = mkdtempSync(join(tmpdir(), 'pegasus-onebox-'));
const dir = join(root, 'onebox');
const { metaPort, replicaBasePort } = await freePorts(3);
const clusterArgs = ['--dir', dir, '--meta-port', String(metaPort), '--replica-base-port', String(replicaBasePort)];

after(async () => {
  // Whatever a failed assertion left behind: no process may outlive the suite.
  await pegasus(['onebox', 'stop', '--dir', dir], 30_000);
  rmSync(root, { recursive: true, force: true });
});

async function readWrite(check: (client: PegasusClient) => Promise<void>): Promise<void> {
  const client = PegasusClient.create({ metaServers: [`127.0.0.1:${metaPort}`], timeoutMs: 20_000 });
  try {
    await check(client);
  } finally {
    await client.close();
  }
}

/** What --wait-healthy promised, from the meta: 8 partitions, each on 3 different replica servers. */
async function assertWhole(): Promise<void> {
  const members = await membersByPartition(metaPort, 'temp');
  assert.equal(members.length, 8);
  for (const [pidx, servers] of members.entries()) assert.equal(new Set(servers).size, 3, `partition ${pidx}: ${servers.join(', ')}`);
}

test('start --wait-healthy, list, the client, a refused second start, stop, restart with the data, clear', async () => {
  const started = await pegasus(['onebox', 'start', ...clusterArgs, '--wait-healthy']);
  assert.equal(started.code, 0, started.stderr);
  assert.match(started.stdout, /onebox healthy: every partition of temp has a primary and all 3 replicas/);
  assert.match(readFileSync(join(dir, 'meta1', 'config.ini'), 'utf8'), /\[meta_server\.apps\.temp\][^[]*partition_count = 8\nmax_replica_count = 3\n/);
  await assertWhole();

  const listed = await pegasus(['onebox', 'list', '--dir', dir]);
  assert.equal(listed.code, 0, listed.stderr);
  const pids = pidsOf(dir);
  assert.deepEqual([...pids.keys()], [...ROLES]);
  for (const [role, pid] of pids) {
    assert.ok(isRunning(pid), `${role} pid ${pid} runs`);
    assert.match(listed.stdout, new RegExp(`^${role}\\s+\\w+\\s+127\\.0\\.0\\.1:\\d+\\s+${pid}\\s+alive$`, 'm'));
  }
  assert.match(listed.stdout, new RegExp(`meta1\\s+meta\\s+127\\.0\\.0\\.1:${metaPort}\\s`));
  assert.match(listed.stdout, new RegExp(`replica3\\s+replica\\s+127\\.0\\.0\\.1:${replicaBasePort + 2}\\s`));

  await readWrite(async (client) => {
    const table = await client.openTable('temp');
    for (let i = 0; i < 20; i++) await table.set(`user${i}`, 'name', `value${i}`);
    assert.equal((await table.get('user7', 'name'))?.toString(), 'value7');
  });

  const again = await pegasus(['onebox', 'start', ...clusterArgs]);
  assert.equal(again.code, 1);
  assert.match(again.stderr, /^ERR_SERVICE_ALREADY_RUNNING: a onebox is already running in .*meta1 pid \d+/);
  for (const [role, pid] of pids) assert.ok(isRunning(pid), `${role} still runs after the refused start`);

  const stopped = await pegasus(['onebox', 'stop', '--dir', dir]);
  assert.equal(stopped.code, 0, stopped.stderr);
  await eventually('every role gone after stop', () => [...pids.values()].every((pid) => !isRunning(pid)), 5_000);
  assert.equal(pidsOf(dir).size, 0, 'pid files removed');
  assert.match((await pegasus(['onebox', 'list', '--dir', dir])).stdout, /meta1\s+meta\s+\S+\s+-\s+stopped/);

  const restarted = await pegasus(['onebox', 'start', ...clusterArgs, '--wait-healthy']);
  assert.equal(restarted.code, 0, restarted.stderr);
  await assertWhole();
  await readWrite(async (client) => {
    const table = await client.openTable('temp');
    for (let i = 0; i < 20; i++) assert.equal((await table.get(`user${i}`, 'name'))?.toString(), `value${i}`, `user${i} kept`);
  });

  const newPids = pidsOf(dir);
  const cleared = await pegasus(['onebox', 'clear', '--dir', dir]);
  assert.equal(cleared.code, 0, cleared.stderr);
  assert.equal(existsSync(dir), false, 'the onebox directory is removed');
  await eventually('every role gone after clear', () => [...newPids.values()].every((pid) => !isRunning(pid)), 5_000);
});

test('clear refuses a directory that is not a onebox', async () => {
  const cleared = await pegasus(['onebox', 'clear', '--dir', root]);
  assert.equal(cleared.code, 1);
  assert.match(cleared.stderr, /ERR_INVALID_PARAMETERS: .* is not a onebox directory/);
  assert.ok(existsSync(root));
});

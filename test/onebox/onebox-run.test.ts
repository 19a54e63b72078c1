/**
 * `pegasus onebox run` as a child process: it answers with every role up, prefixes the roles' log lines,
 * and on SIGTERM stops every role and exits 0 with none left running.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { eventually, freePorts, isRunning, membersByPartition, pegasus, pidsOf, ROLES, spawnPegasus, within } from './onebox-harness.ts';

test('run answers, shows prefixed logs, and exits 0 on SIGTERM with all children gone', async () => {
  const root = mkdtempSync(join(tmpdir(), 'pegasus-onebox-run-'));
  const dir = join(root, 'onebox');
  const { metaPort, replicaBasePort } = await freePorts(3);
  const child = spawnPegasus(['onebox', 'run', '--dir', dir, '--meta-port', String(metaPort), '--replica-base-port', String(replicaBasePort), '--wait-healthy']);
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  try {
    await eventually('run reports healthy', () => /onebox \| healthy: every partition of temp has a primary and all 3 replicas/.test(stderr), 30_000);
    const version = await fetch(`http://127.0.0.1:${metaPort}/meta/apps`);
    assert.equal(version.status, 200);
    const apps = (await version.json()) as Array<{ app_name: string; partition_count: number; max_replica_count: number }>;
    assert.deepEqual(apps.map((a) => [a.app_name, a.partition_count, a.max_replica_count]), [['temp', 8, 3]]);
    assert.ok((await membersByPartition(metaPort, 'temp')).every((servers) => new Set(servers).size === 3), 'every partition on 3 servers');
    assert.match(stdout, /^meta1 {4}\| \{.*"msg":"meta server started"/m, 'meta lines are prefixed, JSON when not a TTY');
    assert.match(stdout, /^replica2 \| \{.*"msg":"replica server started"/m);

    const pids = pidsOf(dir);
    assert.deepEqual([...pids.keys()], [...ROLES]);
    const listed = await pegasus(['onebox', 'list', '--dir', dir]);
    assert.equal(listed.stdout.match(/ alive$/gm)?.length, 4, listed.stdout);

    child.kill('SIGTERM');
    const code = await within(exited, 20_000);
    assert.equal(code, 0, stderr);
    assert.match(stderr, /onebox \| SIGTERM: stopping the onebox\n[^]*onebox \| stopped/);
    assert.doesNotMatch(stderr, /died/, 'a requested stop is not reported as a death');
    for (const [role, pid] of pids) assert.equal(isRunning(pid), false, `${role} pid ${pid} is gone`);
    assert.equal(pidsOf(dir).size, 0, 'pid files removed');
  } finally {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await pegasus(['onebox', 'stop', '--dir', dir], 30_000);
    rmSync(root, { recursive: true, force: true });
  }
});

test('run reports a role that dies', async () => {
  const root = mkdtempSync(join(tmpdir(), 'pegasus-onebox-run-'));
  const dir = join(root, 'onebox');
  const { metaPort, replicaBasePort } = await freePorts(3);
  const child = spawnPegasus(['onebox', 'run', '--dir', dir, '--meta-port', String(metaPort), '--replica-base-port', String(replicaBasePort)]);
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  try {
    await eventually('run is up', () => /onebox \| up: /.test(stderr), 30_000);
    const replica2 = pidsOf(dir).get('replica2');
    assert.ok(replica2 !== undefined);
    process.kill(replica2, 'SIGKILL');
    await eventually('the death is reported', () => /onebox \| replica2 \(pid \d+\) died: SIGKILL/.test(stderr), 10_000);
    assert.equal(pidsOf(dir).has('replica2'), false, 'its pid file is removed');
    child.kill('SIGTERM');
    assert.equal(await within(exited, 20_000), 0, stderr);
  } finally {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await pegasus(['onebox', 'stop', '--dir', dir], 30_000);
    rmSync(root, { recursive: true, force: true });
  }
});

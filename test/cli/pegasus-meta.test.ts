/** `pegasus meta` as a process: starts on its configured port, serves, and stops cleanly on SIGTERM. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { freePort } from '../process/cluster-harness.ts';

const bin = new URL('../../bin/pegasus.js', import.meta.url).pathname;

async function getJson(url: string, deadlineMs: number): Promise<unknown> {
  for (;;) {
    try {
      const response = await fetch(url);
      if (response.ok) return await response.json();
    } catch {
      // not listening yet
    }
    if (Date.now() > deadlineMs) throw new Error(`${url} did not answer in time`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

test('pegasus meta serves its configured tables over HTTP and exits 0 on SIGTERM', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'pegasus-meta-'));
  const port = await freePort();
  const ini = join(dir, 'meta.ini');
  writeFileSync(
    ini,
    [
      '[apps.meta]', `ports = ${port}`,
      '[core]', `data_dir = ${join(dir, 'data')}`,
      '[meta_server]', `server_list = 127.0.0.1:${port}`,
      'meta_state_service_type = meta_state_service_simple',
      'distributed_lock_service_type = distributed_lock_service_simple',
      '[meta_server.apps.temp]', 'partition_count = 8', 'max_replica_count = 1',
    ].join('\n'),
  );
  const child = spawn(process.execPath, [bin, 'meta', '-c', ini, '--profile', 'test'], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  try {
    const deadline = Date.now() + 15_000;
    const { version } = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
    assert.deepEqual(await getJson(`http://127.0.0.1:${port}/version`, deadline), { Version: version });
    const apps = (await getJson(`http://127.0.0.1:${port}/meta/apps`, deadline)) as Array<{ app_name: string; partition_count: number }>;
    assert.deepEqual(apps.map((a) => [a.app_name, a.partition_count]), [['temp', 8]]);
  } finally {
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    child.kill('SIGTERM');
    assert.equal(await exited, 0, stderr);
    rmSync(dir, { recursive: true, force: true });
  }
});

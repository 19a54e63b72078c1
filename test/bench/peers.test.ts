/**
 * The benchmark's peers, for real: a 3-member etcd cluster and a redis-server started in a temp folder,
 * driven through their RecordStores exactly as a load generator would, then stopped; plus the shared
 * process handling's failure paths (a server that dies while starting, one that ignores SIGTERM).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Etcd3 } from 'etcd3';
import type { BenchSystem, ConnectionSpec } from '../../src/bench/bench-target.ts';
import { openRecordStore } from '../../src/bench/record-stores.ts';
import { etcdSystem } from '../../src/bench/peers/etcd-system.ts';
import { ServerProcess, stopServers, waitUntilReady } from '../../src/bench/peers/peer-process.ts';
import { redisSystem } from '../../src/bench/peers/redis-system.ts';

const isRunning = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ESRCH') return false;
    throw error;
  }
};

const valueOf = (key: string, version = 0): Buffer => Buffer.from(`${key}:v${version}:`.padEnd(100, 'x'));

/** Inserted out of order; in byte order they are user1, user10, user2, user30, user9. */
const KEYS = ['user9', 'user10', 'user2', 'user1', 'user30'];

/** Puts keys beside YCSB's `user` key space, which a scan must not return. */
async function writeOutsideKeySpace(spec: ConnectionSpec): Promise<void> {
  if (spec.kind !== 'etcd') return; // Redis scans its own index, which only insert() writes.
  const raw = new Etcd3({ hosts: [...spec.endpoints] });
  try {
    await raw.put('usez-outside').value('x');
    await raw.put('a-outside').value('x');
  } finally {
    raw.close();
  }
}

async function exercise(system: BenchSystem, expectedPidNames: string[]): Promise<void> {
  assert.equal(await system.unavailableReason(), undefined);
  const workDir = mkdtempSync(join(tmpdir(), `bench-${system.id}-`));
  let pids: number[] = [];
  try {
    const started = await system.start({ workDir });
    try {
      const pidMap = started.serverPids();
      assert.deepEqual([...pidMap.keys()].sort(), expectedPidNames);
      pids = [...pidMap.values()];
      assert.ok(pids.every(isRunning));
      // Through JSON, as the coordinator ships it to a load-generator process.
      const spec = JSON.parse(JSON.stringify(started.connection)) as ConnectionSpec;
      assert.equal(spec.kind, system.id);

      // The load generators' own dispatch, so the test opens stores exactly as they do.
      const store = await openRecordStore(spec);
      try {
        for (const key of KEYS) await store.insert(key, valueOf(key));
        await writeOutsideKeySpace(spec);
        for (const key of KEYS) assert.deepEqual(await store.read(key), valueOf(key));
        assert.equal(await store.read('user404'), undefined);

        await store.update('user2', valueOf('user2', 1));
        assert.deepEqual(await store.read('user2'), valueOf('user2', 1));
        assert.deepEqual(await store.read('user10'), valueOf('user10'));

        assert.equal(await store.scan('user', 100), 5, 'the whole key space, and nothing beside it');
        assert.equal(await store.scan('user', 3), 3, 'count respected');
        assert.equal(await store.scan('user10', 2), 2, 'user10, user2');
        assert.equal(await store.scan('user2', 100), 3, 'start inclusive, byte order: user2, user30, user9');
        assert.equal(await store.scan('user20', 100), 2, 'from between keys: user30, user9');
        assert.equal(await store.scan('user9', 100), 1, 'the last key, then the end of the key space');
        assert.equal(await store.scan('user90', 100), 0, 'past the last key');

        // Many concurrent callers on one store, as a load generator's threads share it.
        const more = Array.from({ length: 40 }, (_, i) => `user5${String(i).padStart(3, '0')}`);
        await Promise.all(more.map((key) => store.insert(key, valueOf(key))));
        const reads = await Promise.all(more.map((key) => store.read(key)));
        assert.deepEqual(reads, more.map((key) => valueOf(key)));
        assert.equal(await store.scan('user5', 1000), 40 + 1, 'user5000..user5039, then user9');
        assert.equal(await store.scan('user5010', 5), 5);
      } finally {
        await store.close();
      }
    } finally {
      await started.stop();
    }
    assert.deepEqual(pids.filter(isRunning), [], 'every server process has exited');
  } finally {
    rmSync(workDir, { recursive: true, force: true });
  }
}

test('etcd: a 3-member cluster stores, reads, updates and scans records, then stops', async () => {
  assert.match(etcdSystem.label, /^etcd \d+\.\d+ \(3 members\)$/);
  await exercise(etcdSystem, ['etcd1', 'etcd2', 'etcd3']);
});

test('redis: one AOF-everysec server stores, reads, updates and scans records, then stops', async () => {
  assert.match(redisSystem.label, /^Redis \d+\.\d+ \(AOF everysec\)$/);
  await exercise(redisSystem, ['redis']);
});

test('a server that exits while starting fails the wait with its log tail', async () => {
  const workDir = mkdtempSync(join(tmpdir(), 'bench-peer-'));
  try {
    const script = "console.log('listening on nothing'); console.error('fatal: bad flag'); process.exit(3)";
    const server = await ServerProcess.spawn('dying', process.execPath, ['-e', script], join(workDir, 'dying.log'), workDir);
    await assert.rejects(
      waitUntilReady([server], async () => false, 5_000),
      (error: Error) => /^dying: exited with code 3 while starting/.test(error.message) && error.message.includes('fatal: bad flag'),
    );
  } finally {
    rmSync(workDir, { recursive: true, force: true });
  }
});

test('a server that never gets ready fails the wait at its deadline; one ignoring SIGTERM is killed', async () => {
  const workDir = mkdtempSync(join(tmpdir(), 'bench-peer-'));
  try {
    const script = "process.on('SIGTERM', () => console.log('ignoring SIGTERM')); console.log('up'); setInterval(() => {}, 1000)";
    const server = await ServerProcess.spawn('stubborn', process.execPath, ['-e', script], join(workDir, 'stubborn.log'), workDir);
    try {
      await assert.rejects(
        waitUntilReady([server], async () => false, 300),
        (error: Error) => /^stubborn: not ready after 300 ms/.test(error.message),
      );
    } finally {
      await stopServers([server], 300);
    }
    assert.equal(server.exit, 'killed by SIGKILL');
    assert.equal(isRunning(server.pid), false);
  } finally {
    rmSync(workDir, { recursive: true, force: true });
  }
});

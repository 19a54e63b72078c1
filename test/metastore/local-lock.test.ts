/**
 * LocalLock, the embedded meta's leader lock: exclusive within and across processes, a dead holder's lock
 * is taken over, release frees it, and a holder whose lock file disappears or changes hands is told.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { readFile, stat, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import type { PegasusError } from '../../src/base/error-code.ts';
import { LOCK_FILE_NAME, LocalLock } from '../../src/metastore/local-lock.ts';
import { rejectsWith } from './meta-store-util.ts';

const HOLDER = join(import.meta.dirname, 'testdata', 'lock-holder.ts');
const root = mkdtempSync(join(tmpdir(), 'pegasus-lock-'));
after(() => rmSync(root, { recursive: true, force: true }));
let dirCount = 0;
const freshDir = (): string => join(root, `meta-${dirCount++}`);
const neverLost = (cause: PegasusError): void => assert.fail(`lock lost: ${cause.message}`);

/** Starts a child holding the lock of `dir`; resolves once it printed `held`. */
function startHolder(dir: string, ownerId: string): Promise<ChildProcess> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', HOLDER, dir, ownerId], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
    child.stdout.setEncoding('utf8').on('data', (c: string) => {
      if (c.includes('held')) resolve(child);
    });
    child.on('exit', (code) => reject(new Error(`holder exited with ${code}: ${stderr}`)));
  });
}

function killAndWait(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    child.removeAllListeners('exit');
    child.on('exit', () => resolve());
    child.kill('SIGKILL');
  });
}

/** The pid of a process that has exited. */
function deadPid(): Promise<number> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['-e', '']);
    child.on('exit', () => resolve(child.pid!));
  });
}

test('one holder at a time in a process; release frees the lock', async () => {
  const dir = freshDir();
  const lock = new LocalLock(dir);
  assert.equal(await lock.queryOwner(), undefined);
  const handle = await lock.lock({ ownerId: 'meta1:34601', onLost: neverLost });
  assert.equal(handle.held, true);
  assert.equal(handle.ownerId, 'meta1:34601');
  assert.equal(await lock.queryOwner(), 'meta1:34601');
  await rejectsWith(new LocalLock(dir).lock({ ownerId: 'meta2:34602', onLost: neverLost }), 'ERR_RECURSIVE_LOCK');
  await handle.release();
  await handle.release(); // idempotent
  assert.equal(handle.held, false);
  await assert.rejects(stat(join(dir, LOCK_FILE_NAME)), { code: 'ENOENT' });
  assert.equal(await lock.queryOwner(), undefined);
  const second = new LocalLock(dir);
  const again = await second.lock({ ownerId: 'meta2:34602', onLost: neverLost });
  assert.equal(await lock.queryOwner(), 'meta2:34602');
  await second.close(); // close releases
  assert.equal(again.held, false);
  assert.equal(await lock.queryOwner(), undefined);
});

test('a live holder in another process refuses us; once it is killed its lock is taken over', async () => {
  const dir = freshDir();
  const holder = await startHolder(dir, 'other:34601');
  const lock = new LocalLock(dir);
  try {
    const e = await rejectsWith(lock.lock({ ownerId: 'me:34602', onLost: neverLost }), 'ERR_HOLD_BY_OTHERS');
    assert.match((e as Error).message, /other:34601/);
    assert.equal(await lock.queryOwner(), 'other:34601');
  } finally {
    await killAndWait(holder);
  }
  // The killed holder never released: its file names a dead pid.
  const stale = JSON.parse(await readFile(join(dir, LOCK_FILE_NAME), 'utf8')) as { pid: number };
  assert.equal(stale.pid, holder.pid);
  assert.equal(await lock.queryOwner(), undefined); // a dead holder is no leader
  const handle = await lock.lock({ ownerId: 'me:34602', onLost: neverLost });
  const now = JSON.parse(await readFile(join(dir, LOCK_FILE_NAME), 'utf8')) as { pid: number; ownerId: string };
  assert.deepEqual([now.pid, now.ownerId], [process.pid, 'me:34602']);
  await handle.release();
});

test('stale lock files (dead pid, damaged content) are taken over', async () => {
  for (const content of [JSON.stringify({ pid: await deadPid(), ownerId: 'ghost:1', token: 't' }), '{"pid": 12', '']) {
    const dir = freshDir();
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, LOCK_FILE_NAME), content);
    const handle = await new LocalLock(dir).lock({ ownerId: 'me:1', onLost: neverLost });
    assert.equal(handle.held, true, `content ${JSON.stringify(content)}`);
    assert.match(await readFile(join(dir, LOCK_FILE_NAME), 'utf8'), /"ownerId":"me:1"/);
    await handle.release();
  }
});

test('a holder whose lock file is removed or taken is told once, through onLost', async () => {
  for (const tamper of ['remove', 'replace'] as const) {
    const dir = freshDir();
    const lost: PegasusError[] = [];
    let notify: () => void = () => undefined;
    const lostOnce = new Promise<void>((resolve) => (notify = resolve));
    const handle = await new LocalLock(dir, { checkIntervalMs: 10 }).lock({
      ownerId: 'me:1',
      onLost: (cause) => {
        lost.push(cause);
        notify();
      },
    });
    const lockPath = join(dir, LOCK_FILE_NAME);
    if (tamper === 'remove') rmSync(lockPath);
    else await writeFile(lockPath, JSON.stringify({ pid: process.pid, ownerId: 'thief:2', token: 'other' }));
    // The lock's check timer is unref'd; this timer keeps the loop alive and bounds the wait.
    let deadline: NodeJS.Timeout | undefined;
    await Promise.race([lostOnce, new Promise((_, reject) => (deadline = setTimeout(() => reject(new Error(`${tamper}: onLost not called`)), 2000)))]);
    clearTimeout(deadline);
    await new Promise((resolve) => setTimeout(resolve, 50)); // later checks must not call again
    assert.equal(lost.length, 1, tamper);
    assert.equal(lost[0]!.code, 'ERR_EXPIRED');
    assert.equal(handle.held, false);
    await handle.release(); // after loss, release must not remove someone else's lock
    if (tamper === 'replace') assert.match(await readFile(lockPath, 'utf8'), /thief:2/);
  }
});

/**
 * FileMetaStore: the shared contract, then what only a file has: reopen keeps everything, a torn last
 * record (cut at every byte) opens at the previous state, a damaged earlier record is ERR_CORRUPTION,
 * compaction bounds the file, the write queue is bounded.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { isPegasusError } from '../../src/base/error-code.ts';
import { FileMetaStore, META_STORE_FILE_NAME } from '../../src/metastore/file-meta-store.ts';
import { FILE_MAGIC, RECORD_HEADER_BYTES } from '../../src/metastore/meta-log-format.ts';
import { metaStoreContract } from './meta-store-contract.ts';
import { dumpTree, rejectsWith } from './meta-store-util.ts';

const root = mkdtempSync(join(tmpdir(), 'pegasus-metastore-'));
after(() => rmSync(root, { recursive: true, force: true }));
let dirCount = 0;
function freshDir(): string {
  return join(root, `store-${dirCount++}`);
}

metaStoreContract('FileMetaStore', async (limits) => FileMetaStore.open(freshDir(), limits === undefined ? {} : { limits }));

/** A store with a bit of everything: nested nodes, binary data, a recursive delete, a transaction. */
async function populate(store: FileMetaStore): Promise<void> {
  await store.createNode('/pegasus', Buffer.from('cluster'));
  await store.createNode('/pegasus/apps', Buffer.from('unlock'));
  for (let app = 1; app <= 3; app++) {
    await store.createNode(`/pegasus/apps/${app}`, Buffer.from(JSON.stringify({ app, partitions: 4 })));
    for (let p = 0; p < 4; p++) await store.createNode(`/pegasus/apps/${app}/${p}`, Buffer.from([app, p, 0, 255]));
  }
  await store.setData('/pegasus/apps/2/3', Buffer.from('ballot 7'));
  await store.deleteNode('/pegasus/apps/3', { recursive: true });
  await store.submitTransaction([
    { kind: 'set', path: '/pegasus/apps', data: Buffer.from('lock') },
    { kind: 'create', path: '/pegasus/apps/4', data: Buffer.alloc(0) },
    { kind: 'set', path: '/pegasus/apps', data: Buffer.from('unlock') },
  ]);
  await store.setData('/', Buffer.from('root data'));
}

describe('FileMetaStore durability', () => {
  test('reopening keeps every acknowledged mutation', async () => {
    const dir = freshDir();
    const store = await FileMetaStore.open(dir);
    await populate(store);
    const expected = await dumpTree(store);
    assert.equal(expected.size, 1 + 1 + 1 + 2 * 5 + 1);
    await store.close();
    const reopened = await FileMetaStore.open(dir);
    assert.deepEqual(await dumpTree(reopened), expected);
    assert.equal(reopened.stats().tornTailBytesDropped, 0);
    await reopened.createNode('/after-reopen'); // appends after the replayed records
    await reopened.close();
    const third = await FileMetaStore.open(dir);
    assert.equal(await third.exists('/after-reopen'), true);
    assert.equal((await dumpTree(third)).size, expected.size + 1);
    await third.close();
  });

  test('concurrent calls are group-committed in call order, each all or nothing', async () => {
    const dir = freshDir();
    const store = await FileMetaStore.open(dir);
    const results = await Promise.allSettled([
      store.createNode('/a', Buffer.from('1')),
      store.createNode('/a/b'),
      store.createNode('/a', Buffer.from('dup')), // fails: the first create is ahead of it
      store.submitTransaction([{ kind: 'set', path: '/a', data: Buffer.from('2') }, { kind: 'delete', path: '/a' }]), // fails: /a has a child
      store.setData('/a', Buffer.from('3')),
      store.deleteNode('/a', { recursive: true }),
      store.createNode('/a', Buffer.from('4')),
    ]);
    assert.deepEqual(results.map((r) => r.status), ['fulfilled', 'fulfilled', 'rejected', 'rejected', 'fulfilled', 'fulfilled', 'fulfilled']);
    assert.ok(isPegasusError((results[2] as PromiseRejectedResult).reason, 'ERR_NODE_ALREADY_EXIST'));
    assert.ok(isPegasusError((results[3] as PromiseRejectedResult).reason, 'ERR_INCONSISTENT_STATE'));
    const expected = await dumpTree(store);
    assert.deepEqual([...expected.entries()].sort(), [['/', ''], ['/a', Buffer.from('4').toString('hex')]]);
    await store.close();
    const reopened = await FileMetaStore.open(dir);
    assert.deepEqual(await dumpTree(reopened), expected);
    await reopened.close();
  });

  test('the write queue is bounded: ERR_BUSY past it, and every accepted write is durable', async () => {
    const dir = freshDir();
    const store = await FileMetaStore.open(dir, { writeQueueMax: 4 });
    const results = await Promise.allSettled(Array.from({ length: 20 }, (_, i) => store.createNode(`/n${i}`)));
    const busy = results.filter((r) => r.status === 'rejected');
    assert.ok(busy.length > 0, 'no call was refused');
    for (const r of busy) assert.ok(isPegasusError((r as PromiseRejectedResult).reason, 'ERR_BUSY'));
    const accepted = results.flatMap((r, i) => (r.status === 'fulfilled' ? [`n${i}`] : []));
    assert.ok(accepted.length >= 5, `only ${accepted.length} accepted`); // one in flight + the queue
    await store.close();
    const reopened = await FileMetaStore.open(dir);
    assert.deepEqual(await reopened.getChildren('/'), accepted.sort());
    await reopened.close();
  });

  test('a torn last record, cut at every byte, opens at the state before it', async () => {
    const dir = freshDir();
    const store = await FileMetaStore.open(dir);
    await populate(store);
    const before = await dumpTree(store);
    const beforeBytes = store.stats().fileBytes;
    await store.submitTransaction([
      { kind: 'create', path: '/last', data: Buffer.alloc(40, 7) },
      { kind: 'set', path: '/pegasus', data: Buffer.from('changed') },
    ]);
    const afterState = await dumpTree(store);
    await store.close();
    const full = await readFile(join(dir, META_STORE_FILE_NAME));
    assert.equal(full.length > beforeBytes + RECORD_HEADER_BYTES, true);

    const cutDir = freshDir();
    await mkdir(cutDir);
    const cutFile = join(cutDir, META_STORE_FILE_NAME);
    for (let cut = beforeBytes; cut < full.length; cut++) {
      await writeFile(cutFile, full.subarray(0, cut));
      const cutStore = await FileMetaStore.open(cutDir);
      assert.deepEqual(await dumpTree(cutStore), before, `cut at ${cut}`);
      assert.equal(cutStore.stats().tornTailBytesDropped, cut - beforeBytes);
      await cutStore.close();
      assert.equal((await stat(cutFile)).size, beforeBytes, `cut at ${cut}: torn tail not truncated`);
    }
    await writeFile(cutFile, full);
    const whole = await FileMetaStore.open(cutDir);
    assert.deepEqual(await dumpTree(whole), afterState);
    await whole.close();
  });

  test('a zero-filled tail (space a machine crash allocated but never wrote) is dropped', async () => {
    const dir = freshDir();
    const store = await FileMetaStore.open(dir);
    await populate(store);
    const expected = await dumpTree(store);
    const bytes = store.stats().fileBytes;
    await store.close();
    const file = join(dir, META_STORE_FILE_NAME);
    await writeFile(file, Buffer.concat([await readFile(file), Buffer.alloc(4096)]));
    const reopened = await FileMetaStore.open(dir);
    assert.deepEqual(await dumpTree(reopened), expected);
    assert.equal(reopened.stats().fileBytes, bytes);
    await reopened.close();
  });

  test('a flipped bit in an earlier record is ERR_CORRUPTION naming its offset', async () => {
    const dir = freshDir();
    const store = await FileMetaStore.open(dir);
    await populate(store);
    await store.close();
    const file = join(dir, META_STORE_FILE_NAME);
    const good = await readFile(file);
    const firstRecord = FILE_MAGIC.length;
    // A bit in the body, in the length field, in the body CRC, and in the first record's magic.
    for (const at of [firstRecord + RECORD_HEADER_BYTES + 6, firstRecord + 4, firstRecord + 9, firstRecord]) {
      for (const bit of [0, 7]) {
        const bad = Buffer.from(good);
        bad[at]! ^= 1 << bit;
        await writeFile(file, bad);
        const e = await rejectsWith(FileMetaStore.open(dir), 'ERR_CORRUPTION', `flip at ${at} bit ${bit}`);
        assert.match((e as Error).message, new RegExp(`offset ${firstRecord}\\b`));
      }
    }
    const badMagic = Buffer.from(good);
    badMagic[0]! ^= 1;
    await writeFile(file, badMagic);
    await rejectsWith(FileMetaStore.open(dir), 'ERR_CORRUPTION', 'file magic');
    await writeFile(file, good); // the undamaged file still opens
    const reopened = await FileMetaStore.open(dir);
    assert.equal(await reopened.exists('/pegasus/apps/4'), true);
    await reopened.close();
  });

  test('compaction keeps the tree, shrinks the file and survives reopen', async () => {
    const dir = freshDir();
    const compactMinBytes = 16 * 1024;
    const store = await FileMetaStore.open(dir, { compactMinBytes, compactRatio: 4 });
    await populate(store);
    let largestBytes = 0;
    for (let i = 0; i < 400; i++) {
      await store.setData(`/pegasus/apps/${1 + (i % 2)}/${i % 4}`, Buffer.alloc(500, i & 0xff));
      if (i % 50 === 0) await store.createNode(`/pegasus/extra${i}`, Buffer.alloc(100, 1));
      largestBytes = Math.max(largestBytes, store.stats().fileBytes);
    }
    const stats = store.stats();
    assert.ok(stats.compactions >= 3, `${stats.compactions} compactions`);
    // Without compaction the file would hold every one of the 400 × 500-byte writes.
    assert.ok(largestBytes < Math.max(compactMinBytes, 4 * stats.liveBytes) + 1024, `file reached ${largestBytes} bytes`);
    assert.ok(stats.fileBytes < 200 * 1024);
    const expected = await dumpTree(store);
    await store.close();
    assert.equal((await stat(join(dir, META_STORE_FILE_NAME))).size, stats.fileBytes);
    const reopened = await FileMetaStore.open(dir, { compactMinBytes });
    assert.deepEqual(await dumpTree(reopened), expected);
    assert.equal((await reopened.getData('/')).toString(), 'root data');
    await reopened.close();
  });

  test('a snapshot left by a compaction cut by a crash is ignored', async () => {
    const dir = freshDir();
    const store = await FileMetaStore.open(dir);
    await populate(store);
    const expected = await dumpTree(store);
    await store.close();
    await writeFile(join(dir, `${META_STORE_FILE_NAME}.compacting`), Buffer.from('half a snapshot'));
    const reopened = await FileMetaStore.open(dir);
    assert.deepEqual(await dumpTree(reopened), expected);
    await reopened.close();
    await assert.rejects(stat(join(dir, `${META_STORE_FILE_NAME}.compacting`)), { code: 'ENOENT' });
  });
});

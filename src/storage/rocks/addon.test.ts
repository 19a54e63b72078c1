import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';

import {
  CF_DEFAULT,
  CF_META,
  isRocksError,
  nativeAddonPath,
  openDb,
  PEGASUS_EPOCH_UNIX_SECONDS,
  rocksdbVersion,
  WriteBatchBuilder,
  type NativeDb,
  type OpenOptions,
} from './addon.ts';

const root = mkdtempSync(join(tmpdir(), 'pegasus-addon-test-'));
after(() => rmSync(root, { recursive: true, force: true }));

let dirCounter = 0;
function freshPath(name: string): string {
  return join(root, `${name}-${++dirCounter}`);
}

// Small buffers keep tests fast; the production defaults are exercised by the crash test.
const testOptions: OpenOptions = { createIfMissing: true, writeBufferSizeBytes: 4 << 20, blockCacheBytes: 8 << 20 };

async function withDb(name: string, fn: (db: NativeDb, path: string) => Promise<void>): Promise<void> {
  const path = freshPath(name);
  const db = await openDb(path, testOptions);
  try {
    await fn(db, path);
  } finally {
    await db.close();
  }
}

const b = (s: string): Buffer => Buffer.from(s);
const str = (v: Buffer | undefined): string | undefined => v?.toString();

/** Asserts that fn throws (or rejects with) a RocksError with the given code. */
async function assertCode(fn: () => unknown, code: string): Promise<void> {
  await assert.rejects(
    async () => {
      await fn();
    },
    (e: unknown) => {
      assert.ok(isRocksError(e), `expected a coded error, got ${String(e)}`);
      assert.equal(e.code, code, `code of: ${e.message}`);
      return true;
    },
  );
}

describe('WriteBatchBuilder', () => {
  test('encodes records in the documented format', () => {
    const w = new WriteBatchBuilder(64);
    w.put(CF_META, b('ab'), b('xyz')).delete(CF_DEFAULT, b('k'));
    assert.equal(w.count, 2);
    const expected = Buffer.from([
      0, 1, 2, 0, 0, 0, 0x61, 0x62, 3, 0, 0, 0, 0x78, 0x79, 0x7a, // put cf1 "ab" = "xyz"
      1, 0, 1, 0, 0, 0, 0x6b, // delete cf0 "k"
    ]);
    assert.deepEqual(w.toBuffer(), expected);
    assert.equal(w.byteLength, expected.length);
  });

  test('grows, and views handed out stay intact across appends and clear()', () => {
    const w = new WriteBatchBuilder(64);
    w.put(0, b('first'), b('1'));
    const view = w.toBuffer();
    const copy = Buffer.from(view);
    for (let i = 0; i < 1000; i++) w.put(0, Buffer.alloc(100, i & 0xff), Buffer.alloc(50, 7));
    assert.equal(w.count, 1001);
    assert.equal(w.byteLength, copy.length + 1000 * 160);
    w.clear();
    assert.equal(w.count, 0);
    assert.equal(w.byteLength, 0);
    w.put(0, b('second'), b('2'));
    assert.deepEqual(view, copy);
  });
});

describe('native RocksDB addon', () => {
  test('loads and reports its RocksDB version', () => {
    assert.ok(existsSync(nativeAddonPath));
    assert.match(rocksdbVersion(), /^\d+\.\d+\.\d+$/);
  });

  test('writes and reads both column families, sync and async', async () => {
    await withDb('rw', async (db) => {
      const w = new WriteBatchBuilder();
      w.put(CF_DEFAULT, b('a'), b('data-a'));
      w.put(CF_META, b('a'), b('meta-a'));
      w.put(CF_DEFAULT, Buffer.from([0, 255, 0]), Buffer.alloc(0));
      db.writeSync(w.toBuffer());
      assert.equal(str(db.getSync(CF_DEFAULT, b('a'))), 'data-a');
      assert.equal(str(db.getSync(CF_META, b('a'))), 'meta-a');
      assert.deepEqual(db.getSync(CF_DEFAULT, Buffer.from([0, 255, 0])), Buffer.alloc(0));
      assert.equal(db.getSync(CF_DEFAULT, b('missing')), undefined);

      const w2 = new WriteBatchBuilder();
      w2.put(CF_DEFAULT, b('b'), b('data-b')).delete(CF_META, b('a')).put(CF_META, b('decree'), b('7'));
      await db.write(w2.toBuffer());
      assert.equal(db.getSync(CF_META, b('a')), undefined);
      assert.equal(str(db.getSync(CF_DEFAULT, b('a'))), 'data-a', 'a delete in cf 1 leaves cf 0 alone');
      assert.equal(db.getSync(CF_META, b('b')), undefined, 'column families are separate');

      const got = await db.multiGet(CF_DEFAULT, [b('b'), b('nope'), b('a'), Buffer.from([0, 255, 0])]);
      assert.deepEqual(got.map(str), ['data-b', undefined, 'data-a', '']);
      assert.deepEqual(await db.multiGet(CF_META, [b('decree')]).then((v) => v.map(str)), ['7']);
      assert.deepEqual(await db.multiGet(CF_META, []), []);
      await db.write(new WriteBatchBuilder().toBuffer()); // an empty batch is fine
    });
  });

  test('a bad batch is rejected whole: nothing of it is written', async () => {
    await withDb('badbatch', async (db) => {
      const good = new WriteBatchBuilder().put(0, b('g'), b('1')).put(1, b('m'), b('2')).toBuffer();
      const bad: [string, Buffer][] = [
        ['bad op', Buffer.from([2, 0, 1, 0, 0, 0, 0x6b])],
        ['bad cf', Buffer.from([1, 2, 1, 0, 0, 0, 0x6b])],
        ['truncated header', Buffer.from([0, 0, 1, 0])],
        ['truncated key', Buffer.from([1, 0, 9, 0, 0, 0, 0x6b])],
        ['truncated value length', Buffer.from([0, 0, 1, 0, 0, 0, 0x6b, 1, 0])],
        ['truncated value', Buffer.from([0, 0, 1, 0, 0, 0, 0x6b, 5, 0, 0, 0, 1])],
        ['huge key length', Buffer.from([0, 0, 0xff, 0xff, 0xff, 0xff, 0x6b])],
      ];
      for (const [what, tail] of bad) {
        const batch = Buffer.concat([good, tail]);
        await assertCode(() => db.writeSync(batch), 'InvalidArgument');
        await assertCode(() => db.write(batch), 'InvalidArgument');
        assert.equal(db.getSync(0, b('g')), undefined, what);
        assert.equal(db.getSync(1, b('m')), undefined, what);
      }
      await assert.rejects(db.write(Buffer.from([9])), /^Error: Invalid argument: bad write batch at offset 0/);
    });
  });

  test('bad arguments from JS throw or reject, never crash', async () => {
    await withDb('args', async (db) => {
      const anyDb = db as unknown as Record<string, (...args: unknown[]) => unknown>;
      const call = (name: string, ...args: unknown[]) => () => anyDb[name]!.call(db, ...args);
      await assertCode(call('writeSync', 'not a buffer'), 'InvalidArgument');
      await assertCode(call('write', 42), 'InvalidArgument');
      await assertCode(call('getSync', 2, b('k')), 'InvalidArgument');
      await assertCode(call('getSync', 0, 'k'), 'InvalidArgument');
      await assertCode(call('getPersistedSync', -1, b('k')), 'InvalidArgument');
      await assertCode(call('multiGet', 0, 'keys'), 'InvalidArgument');
      await assertCode(call('multiGet', 0, [b('a'), 'b']), 'InvalidArgument');
      await assertCode(call('multiGet', 1.5, [b('a')]), 'InvalidArgument');
      await assertCode(call('iterator', { cf: 3 }), 'InvalidArgument');
      await assertCode(call('iterator', { cf: 0, lower: 'a' }), 'InvalidArgument');
      await assertCode(call('iterator', null), 'InvalidArgument');
      await assertCode(call('checkpoint', 5), 'InvalidArgument');
      await assertCode(call('getProperty', 5), 'InvalidArgument');
      await assertCode(call('setCompactionParams', { nowEpochSecondsOverride: 'x', defaultTtlSeconds: 0 }), 'InvalidArgument');
      await assertCode(call('setCompactionParams', { nowEpochSecondsOverride: -1, defaultTtlSeconds: -5 }), 'InvalidArgument');
      const it = db.iterator({ cf: 0 }) as unknown as Record<string, (...args: unknown[]) => unknown>;
      await assertCode(() => it['seek']!('k'), 'InvalidArgument');
      await assertCode(() => it['readSync']!(0, 10), 'InvalidArgument');
      await assertCode(() => it['read']!(10, -1), 'InvalidArgument');
      it['close']!();
      // The addon still works afterwards.
      db.writeSync(new WriteBatchBuilder().put(0, b('ok'), b('1')).toBuffer());
      assert.equal(str(db.getSync(0, b('ok'))), '1');
    });
    const path = freshPath('args-open');
    await assertCode(() => openDb(path, { createIfMissing: 'yes' } as unknown as OpenOptions), 'InvalidArgument');
    await assertCode(() => openDb(path, { createIfMissing: true, compression: 'gzip' } as unknown as OpenOptions), 'InvalidArgument');
    await assertCode(() => openDb(path, { createIfMissing: true, writeBufferSizeBytes: 0 }), 'InvalidArgument');
    await assertCode(() => openDb(42 as unknown as string, { createIfMissing: true }), 'InvalidArgument');
  });

  test('RocksDB errors carry the status string and code', async () => {
    const path = freshPath('errors');
    await assert.rejects(openDb(path, { createIfMissing: false }), (e: unknown) => {
      assert.ok(isRocksError(e));
      assert.equal(e.code, 'InvalidArgument');
      assert.match(e.message, /^Invalid argument: .*does not exist/);
      return true;
    });
    const db = await openDb(path, testOptions);
    try {
      // A second open of the same directory fails on RocksDB's lock file.
      await assertCode(() => openDb(path, testOptions), 'IOError');
      const existing = freshPath('errors-checkpoint');
      await db.checkpoint(existing);
      await assertCode(() => db.checkpoint(existing), 'InvalidArgument');
    } finally {
      await db.close();
    }
  });

  test('RocksDB WAL is off: after SIGKILL only flushed writes survive', async () => {
    const path = freshPath('crash');
    const script = fileURLToPath(new URL('./testdata/crash-writer.ts', import.meta.url));
    const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));
    const child = spawn(process.execPath, ['--import', 'tsx', script, path], {
      cwd: repoRoot,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve) =>
      child.on('exit', (c, s) => resolve([c, s])),
    );
    assert.equal(signal, 'SIGKILL', `child exited with ${code}: ${stderr}`);
    assert.equal(stdout, 'written\n');

    const db = await openDb(path, { createIfMissing: false });
    try {
      for (let i = 0; i < 100; i++) {
        assert.equal(str(db.getSync(0, b(`flushed-sync-${i}`))), `value-flushed-sync-${i}`);
        assert.equal(str(db.getSync(0, b(`flushed-async-${i}`))), `value-flushed-async-${i}`);
        assert.equal(db.getSync(0, b(`lost-sync-${i}`)), undefined);
        assert.equal(db.getSync(0, b(`lost-async-${i}`)), undefined);
      }
      assert.equal(str(db.getSync(1, b('decree'))), '2', 'the meta CF is flushed atomically with the data');
    } finally {
      await db.close();
    }
  });

  test('getPersistedSync sees only flushed data', async () => {
    await withDb('persisted', async (db) => {
      db.writeSync(new WriteBatchBuilder().put(1, b('decree'), b('10')).put(0, b('k'), b('v1')).toBuffer());
      assert.equal(db.getPersistedSync(1, b('decree')), undefined);
      assert.equal(str(db.getSync(1, b('decree'))), '10');
      await db.flush();
      assert.equal(str(db.getPersistedSync(1, b('decree'))), '10');
      assert.equal(str(db.getPersistedSync(0, b('k'))), 'v1');
      await db.write(new WriteBatchBuilder().put(1, b('decree'), b('11')).put(0, b('k'), b('v2')).toBuffer());
      assert.equal(str(db.getPersistedSync(1, b('decree'))), '10');
      assert.equal(str(db.getPersistedSync(0, b('k'))), 'v1');
      assert.equal(str(db.getSync(0, b('k'))), 'v2');
    });
  });

  test('getCachedSync answers from the memtables and the block cache, and says when it would need the disk', async () => {
    const path = freshPath('cached');
    let db = await openDb(path, testOptions);
    try {
      db.writeSync(new WriteBatchBuilder().put(0, b('k'), b('v1')).toBuffer());
      assert.equal(str(db.getCachedSync(0, b('k')) ?? undefined), 'v1', 'a memtable hit');
      assert.equal(db.getCachedSync(0, b('absent')), undefined, 'absent from every memtable and no SST yet');
      await db.flush();
    } finally {
      await db.close();
    }
    db = await openDb(path, testOptions);
    try {
      // Reopened: the block cache is cold and the SST not even open, so the value needs the disk.
      assert.equal(db.getCachedSync(0, b('k')), null);
      assert.deepEqual((await db.multiGet(0, [b('k')])).map(str), ['v1']);
      // The read through the thread pool left the block in the cache.
      assert.equal(str(db.getCachedSync(0, b('k')) ?? undefined), 'v1');
    } finally {
      await db.close();
    }
    await assertCode(() => db.getCachedSync(0, b('k')), 'DbClosed');
  });

  test('a clean close keeps unflushed writes (RocksDB flushes on shutdown)', async () => {
    const path = freshPath('clean-close');
    const db = await openDb(path, testOptions);
    db.writeSync(new WriteBatchBuilder().put(0, b('k'), b('v')).toBuffer());
    await db.close();
    const again = await openDb(path, testOptions);
    try {
      assert.equal(str(again.getPersistedSync(0, b('k'))), 'v');
    } finally {
      await again.close();
    }
  });

  test('iterators: bounds, direction, seek, batch limits, snapshot', async () => {
    await withDb('iter', async (db) => {
      const w = new WriteBatchBuilder();
      for (let i = 0; i < 20; i++) w.put(0, b(`k${String(i).padStart(2, '0')}`), b(`v${i}`));
      w.put(1, b('k05'), b('meta'));
      db.writeSync(w.toBuffer());
      const keysOf = (keys: Buffer[]): string[] => keys.map((k) => k.toString());

      // Whole CF forward, in batches of 7.
      const all = db.iterator({ cf: 0 });
      all.seekToStart();
      const seen: string[] = [];
      const sizes: number[] = [];
      for (;;) {
        const batch = all.readSync(7, 1 << 20);
        sizes.push(batch.keys.length);
        seen.push(...keysOf(batch.keys));
        assert.deepEqual(batch.values.map(String), batch.keys.map((k) => `v${Number(k.toString().slice(1))}`));
        if (batch.done) break;
      }
      assert.deepEqual(sizes, [7, 7, 6]);
      assert.equal(seen.length, 20);
      assert.equal(seen[0], 'k00');
      assert.equal(seen[19], 'k19');
      all.close();

      // Bounds [k05, k10), forward.
      const fwd = db.iterator({ cf: 0, lower: b('k05'), upper: b('k10') });
      fwd.seekToStart();
      const first = fwd.readSync(2, 1 << 20);
      assert.deepEqual(keysOf(first.keys), ['k05', 'k06']);
      assert.equal(first.done, false);
      const rest = await fwd.read(100, 1 << 20);
      assert.deepEqual(keysOf(rest.keys), ['k07', 'k08', 'k09']);
      assert.equal(rest.done, true);
      const empty = fwd.readSync(10, 10);
      assert.deepEqual(empty, { keys: [], values: [], done: true });
      fwd.seek(b('k08'));
      assert.deepEqual(keysOf(fwd.readSync(10, 1 << 20).keys), ['k08', 'k09']);
      fwd.seek(b('k075'));
      assert.deepEqual(keysOf(fwd.readSync(1, 1 << 20).keys), ['k08']);
      fwd.seek(b('a')); // below the lower bound: starts at the bound
      assert.deepEqual(keysOf(fwd.readSync(1, 1 << 20).keys), ['k05']);
      fwd.seek(b('k10')); // at the upper bound: nothing
      assert.deepEqual(fwd.readSync(1, 1 << 20), { keys: [], values: [], done: true });
      fwd.close();

      // Bounds [k05, k10), reverse.
      const rev = db.iterator({ cf: 0, lower: b('k05'), upper: b('k10'), reverse: true });
      rev.seekToStart();
      const r1 = await rev.read(3, 1 << 20);
      assert.deepEqual(keysOf(r1.keys), ['k09', 'k08', 'k07']);
      assert.equal(r1.done, false);
      assert.deepEqual(keysOf(rev.readSync(10, 1 << 20).keys), ['k06', 'k05']);
      rev.seek(b('k075')); // last key <= k075
      assert.deepEqual(keysOf(rev.readSync(10, 1 << 20).keys), ['k07', 'k06', 'k05']);
      rev.seek(b('k07'));
      assert.deepEqual(keysOf(rev.readSync(1, 1 << 20).keys), ['k07']);
      rev.seek(b('z')); // above the upper bound: starts below it
      assert.deepEqual(keysOf(rev.readSync(1, 1 << 20).keys), ['k09']);
      rev.seek(b('k04')); // below the lower bound: nothing
      assert.equal(rev.readSync(1, 1 << 20).done, true);
      rev.close();

      // maxBytes: each entry is 3 + 2 or 3 bytes; stop once the total reaches maxBytes, at least one.
      const bytes = db.iterator({ cf: 0 });
      bytes.seekToStart();
      assert.deepEqual(keysOf(bytes.readSync(100, 1).keys), ['k00']);
      assert.deepEqual(keysOf(bytes.readSync(100, 10).keys), ['k01', 'k02']);
      assert.deepEqual(keysOf(bytes.readSync(100, 11).keys), ['k03', 'k04', 'k05']);
      bytes.close();

      // The meta CF is separate.
      const meta = db.iterator({ cf: 1 });
      meta.seekToStart();
      const m = meta.readSync(10, 1000);
      assert.deepEqual(keysOf(m.keys), ['k05']);
      assert.deepEqual(m.values.map(String), ['meta']);
      meta.close();

      // An iterator reads its snapshot: later writes are not visible to it.
      const snap = db.iterator({ cf: 0, lower: b('k18') });
      db.writeSync(new WriteBatchBuilder().put(0, b('k185'), b('new')).delete(0, b('k19')).toBuffer());
      snap.seekToStart();
      assert.deepEqual(keysOf(snap.readSync(10, 1000).keys), ['k18', 'k19']);
      snap.close();
    });
  });

  test('iterators: close twice is a no-op, use after close throws, one async read at a time', async () => {
    await withDb('iter-close', async (db) => {
      db.writeSync(new WriteBatchBuilder().put(0, b('a'), b('1')).put(0, b('b'), b('2')).toBuffer());
      const it = db.iterator({ cf: 0 });
      it.seekToStart();
      const pending = it.read(1, 100);
      await assertCode(() => it.readSync(1, 100), 'Busy');
      await assertCode(() => it.read(1, 100), 'Busy');
      await assertCode(() => it.seek(b('a')), 'Busy');
      assert.deepEqual((await pending).keys.map(String), ['a']);
      assert.deepEqual(it.readSync(1, 100).keys.map(String), ['b']);
      it.close();
      it.close();
      await assertCode(() => it.seekToStart(), 'IteratorClosed');
      await assertCode(() => it.readSync(1, 100), 'IteratorClosed');
      await assertCode(() => it.read(1, 100), 'IteratorClosed');
      // Closed during an async read: the read rejects, nothing crashes.
      const it2 = db.iterator({ cf: 0 });
      it2.seekToStart();
      const reading = it2.read(10, 100);
      it2.close();
      await assertCode(() => reading, 'IteratorClosed');
    });
  });

  test('checkpoint holds exactly the flushed data and opens as a DB', async () => {
    await withDb('checkpoint', async (db) => {
      db.writeSync(new WriteBatchBuilder().put(0, b('flushed'), b('1')).put(1, b('decree'), b('5')).toBuffer());
      await db.flush();
      db.writeSync(new WriteBatchBuilder().put(0, b('unflushed'), b('2')).put(1, b('decree'), b('6')).toBuffer());
      const dir = freshPath('checkpoint-out');
      await db.checkpoint(dir);
      assert.equal(str(db.getSync(0, b('unflushed'))), '2', 'the source DB is unchanged');

      const readOnly = await openDb(dir, { createIfMissing: false, readOnly: true });
      try {
        assert.equal(str(readOnly.getSync(0, b('flushed'))), '1');
        assert.equal(readOnly.getSync(0, b('unflushed')), undefined);
        assert.equal(str(readOnly.getSync(1, b('decree'))), '5');
        await assertCode(() => readOnly.writeSync(new WriteBatchBuilder().put(0, b('x'), b('y')).toBuffer()), 'NotSupported');
      } finally {
        await readOnly.close();
      }
      const writable = await openDb(dir, testOptions);
      try {
        assert.equal(str(writable.getSync(1, b('decree'))), '5');
        assert.equal(writable.getSync(0, b('unflushed')), undefined);
      } finally {
        await writable.close();
      }
    });
  });

  test('compaction filter drops expired rows and back-fills the default TTL', async () => {
    await withDb('ttl', async (db) => {
      const now = 300_000_000; // Pegasus epoch seconds (2025-07)
      const v0 = (expireTs: number, user: string): Buffer => {
        const buf = Buffer.alloc(4 + user.length);
        buf.writeUInt32BE(expireTs, 0);
        buf.write(user, 4);
        return buf;
      };
      const v1 = (expireTs: number, timetag: bigint, user: string): Buffer => {
        const buf = Buffer.alloc(12 + user.length);
        buf.writeUInt32BE(expireTs, 0);
        buf.writeBigUInt64BE(timetag, 4);
        buf.write(user, 12);
        return buf;
      };
      const w = new WriteBatchBuilder();
      w.put(0, b('expired-v0'), v0(now - 10, 'a'));
      w.put(0, b('expires-now'), v0(now, 'b'));
      w.put(0, b('future-v0'), v0(now + 100, 'c'));
      w.put(0, b('expired-v1'), v1(now - 1, 0x1122334455667788n, 'd'));
      w.put(0, b('no-ttl-v0'), v0(0, 'e'));
      w.put(0, b('no-ttl-v1'), v1(0, 0x0102030405060708n, 'f'));
      w.put(0, b('short'), Buffer.from([0, 0, 1]));
      w.put(0, b('empty'), Buffer.alloc(0));
      w.put(1, b('meta-looks-expired'), v0(1, 'meta'));
      db.writeSync(w.toBuffer());
      await db.flush();

      // Flushes do not run the filter; only compactions do.
      assert.equal(str(db.getSync(0, b('expired-v0'))?.subarray(4)), 'a');

      db.setCompactionParams({ nowEpochSecondsOverride: now, defaultTtlSeconds: 3600 });
      await db.compactRange();

      assert.equal(db.getSync(0, b('expired-v0')), undefined);
      assert.equal(db.getSync(0, b('expires-now')), undefined, 'expire_ts <= now is expired');
      assert.equal(db.getSync(0, b('expired-v1')), undefined);
      assert.deepEqual(db.getSync(0, b('future-v0')), v0(now + 100, 'c'));
      assert.deepEqual(db.getSync(0, b('no-ttl-v0')), v0(now + 3600, 'e'), 'default TTL back-filled');
      assert.deepEqual(db.getSync(0, b('no-ttl-v1')), v1(now + 3600, 0x0102030405060708n, 'f'));
      assert.deepEqual(db.getSync(0, b('short')), Buffer.from([0, 0, 1]), 'values under 4 bytes untouched');
      assert.deepEqual(db.getSync(0, b('empty')), Buffer.alloc(0));
      assert.deepEqual(db.getSync(1, b('meta-looks-expired')), v0(1, 'meta'), 'the meta CF is not filtered');

      // Later: the back-filled TTL expires; without a default TTL nothing is back-filled.
      db.setCompactionParams({ nowEpochSecondsOverride: now + 3600, defaultTtlSeconds: 0 });
      db.writeSync(new WriteBatchBuilder().put(0, b('no-ttl-late'), v0(0, 'g')).toBuffer());
      await db.compactRange();
      assert.equal(db.getSync(0, b('no-ttl-v0')), undefined);
      assert.equal(db.getSync(0, b('no-ttl-v1')), undefined);
      assert.equal(db.getSync(0, b('future-v0')), undefined);
      assert.deepEqual(db.getSync(0, b('no-ttl-late')), v0(0, 'g'));

      // -1 = the system clock: an expire_ts an hour before the real now is dropped.
      const realNow = Math.floor(Date.now() / 1000) - PEGASUS_EPOCH_UNIX_SECONDS;
      db.setCompactionParams({ nowEpochSecondsOverride: -1, defaultTtlSeconds: 0 });
      db.writeSync(
        new WriteBatchBuilder()
          .put(0, b('clock-past'), v0(realNow - 3600, 'h'))
          .put(0, b('clock-future'), v0(realNow + 3600, 'i'))
          .toBuffer(),
      );
      await db.compactRange();
      assert.equal(db.getSync(0, b('clock-past')), undefined);
      assert.deepEqual(db.getSync(0, b('clock-future')), v0(realNow + 3600, 'i'));
    });
  });

  test('getProperty', async () => {
    await withDb('props', async (db) => {
      const w = new WriteBatchBuilder();
      for (let i = 0; i < 50; i++) w.put(0, b(`k${i}`), b('v'));
      db.writeSync(w.toBuffer());
      assert.equal(db.getProperty('rocksdb.estimate-num-keys'), '50');
      assert.equal(db.getProperty('rocksdb.estimate-num-keys', CF_META), '0');
      assert.equal(db.getProperty('rocksdb.no-such-property'), undefined);
    });
  });

  test('operations after close throw or reject with DbClosed; close twice is a no-op', async () => {
    const db = await openDb(freshPath('closed'), testOptions);
    const batch = new WriteBatchBuilder().put(0, b('k'), b('v')).toBuffer();
    db.writeSync(batch);
    const closing = db.close();
    const closingAgain = db.close(); // while closing: settles with the same close
    await assertCode(() => db.getSync(0, b('k')), 'DbClosed');
    await Promise.all([closing, closingAgain]);
    await db.close();
    await assertCode(() => db.writeSync(batch), 'DbClosed');
    await assertCode(() => db.write(batch), 'DbClosed');
    await assertCode(() => db.getSync(0, b('k')), 'DbClosed');
    await assertCode(() => db.getPersistedSync(0, b('k')), 'DbClosed');
    await assertCode(() => db.multiGet(0, [b('k')]), 'DbClosed');
    await assertCode(() => db.iterator({ cf: 0 }), 'DbClosed');
    await assertCode(() => db.flush(), 'DbClosed');
    await assertCode(() => db.checkpoint(freshPath('closed-checkpoint')), 'DbClosed');
    await assertCode(() => db.compactRange(), 'DbClosed');
    await assertCode(() => db.getProperty('rocksdb.estimate-num-keys'), 'DbClosed');
    await assertCode(() => db.setCompactionParams({ nowEpochSecondsOverride: -1, defaultTtlSeconds: 0 }), 'DbClosed');
  });

  test('close with open iterators and in-flight work is safe', async () => {
    const path = freshPath('close-busy');
    const db = await openDb(path, testOptions);
    const w = new WriteBatchBuilder();
    for (let i = 0; i < 1000; i++) w.put(0, b(`k${String(i).padStart(4, '0')}`), Buffer.alloc(100, 1));
    db.writeSync(w.toBuffer());
    const idle = db.iterator({ cf: 0 });
    idle.seekToStart();
    const reading = db.iterator({ cf: 0, reverse: true });
    reading.seekToStart();
    const read = reading.read(1000, 1 << 20);
    read.catch(() => {}); // asserted below, after close
    const writes = Array.from({ length: 20 }, (_, i) =>
      db.write(new WriteBatchBuilder().put(0, b(`late${i}`), b('v')).toBuffer()),
    );
    const gets = db.multiGet(0, [b('k0001'), b('late0')]);
    const flushed = db.flush();
    await db.close();
    // Work queued before close completed (close waited for it); the read lost its iterator.
    await Promise.all(writes);
    await flushed;
    assert.equal((await gets).length, 2);
    await assertCode(() => read, 'IteratorClosed');
    await assertCode(() => idle.readSync(1, 100), 'IteratorClosed');
    await assertCode(() => reading.seekToStart(), 'IteratorClosed');
    idle.close();
    const again = await openDb(path, testOptions);
    try {
      assert.equal(str(again.getSync(0, b('late19'))), 'v');
    } finally {
      await again.close();
    }
  });
});

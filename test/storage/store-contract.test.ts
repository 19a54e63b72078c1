/**
 * The PartitionStore contract, on both implementations: atomic batches with their decree, reads and
 * bounded iterators over snapshots, durability of flushed state only, checkpoints, and the TTL compaction
 * rules from one shared table.
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { generateKey } from '../../src/base/key-schema.ts';
import { generateValue, PEGASUS_EPOCH_UNIX_SECONDS } from '../../src/base/value-schema.ts';
import { checkpointsToDelete } from '../../src/storage/checkpoint-policy.ts';
import type { PartitionStore } from '../../src/storage/partition-store.ts';
import { PartitionDb } from '../../src/storage/rrdb/partition-db.ts';
import { COMPACTION_CASES, COMPACTION_NOW } from './compaction-cases.ts';
import { RocksStore } from '../../src/storage/rocks/rocks-store.ts';
import { STORE_FIXTURES, rocksFixture } from './store-fixtures.ts';

const nowMs = () => (PEGASUS_EPOCH_UNIX_SECONDS + COMPACTION_NOW) * 1000;
const b = (s: string) => Buffer.from(s);

async function putAll(store: PartitionStore, decree: number, entries: Array<[string, string]>): Promise<void> {
  const batch = store.newBatch();
  for (const [k, v] of entries) batch.put(b(k), b(v));
  await store.write(decree, batch);
}

async function readAll(store: PartitionStore, options: Parameters<PartitionStore['iterator']>[0], seek?: string, batchRows = 2): Promise<string[]> {
  const it = store.iterator(options);
  if (seek === undefined) it.seekToStart();
  else it.seek(b(seek));
  const out: string[] = [];
  for (;;) {
    const batch = await it.read(batchRows, 1 << 20);
    out.push(...batch.keys.map((k, i) => `${k}=${batch.values[i]}`));
    if (batch.done) break;
    assert.ok(batch.keys.length > 0, 'a batch that is not done returns rows');
  }
  it.close();
  return out;
}

for (const makeFixture of STORE_FIXTURES) {
  const fixture = makeFixture();
  after(() => fixture.cleanup());

  describe(`PartitionStore contract: ${fixture.name}`, () => {
    test('a new store starts at decree 0 with data version 1', async () => {
      const store = await fixture.open(await fixture.newDataDir(), nowMs);
      assert.equal(store.lastAppliedDecree(), 0);
      assert.equal(store.lastFlushedDecree(), 0);
      assert.equal(store.dataVersion, 1);
      await store.close();
    });

    test('batches apply atomically with their decree; empty batches still advance it', async () => {
      const store = await fixture.open(await fixture.newDataDir(), nowMs);
      await putAll(store, 1, [['a', '1'], ['b', '2']]);
      const del = store.newBatch();
      del.delete(b('a'));
      del.put(b('c'), b('3'));
      await store.write(2, del);
      await store.write(3, store.newBatch());
      assert.equal(store.lastAppliedDecree(), 3);
      assert.equal(await store.get(b('a')), undefined);
      assert.deepEqual((await store.multiGet([b('b'), b('a'), b('c')])).map((v) => v?.toString()), ['2', undefined, '3']);
      await assert.rejects(store.write(3, store.newBatch()), /decree 3 written after 3/);
      await store.close();
    });

    test('concurrent point gets all resolve with their own values', async () => {
      const store = await fixture.open(await fixture.newDataDir(), nowMs);
      const entries: Array<[string, string]> = [];
      for (let i = 0; i < 500; i++) entries.push([`key${i}`, `value${i}`]);
      await putAll(store, 1, entries);
      const values = await Promise.all(entries.map(([k]) => store.get(b(k))));
      assert.deepEqual(values.map((v) => v?.toString()), entries.map(([, v]) => v));
      assert.equal(await store.get(b('missing')), undefined);
      await store.close();
    });

    test('iterators honour bounds, direction, seek and batch sizes', async () => {
      const store = await fixture.open(await fixture.newDataDir(), nowMs);
      await putAll(store, 1, ['a', 'b', 'c', 'd', 'e'].map((k) => [k, k.toUpperCase()]));
      assert.deepEqual(await readAll(store, { reverse: false }), ['a=A', 'b=B', 'c=C', 'd=D', 'e=E']);
      assert.deepEqual(await readAll(store, { reverse: false, lower: b('b'), upper: b('d') }), ['b=B', 'c=C']);
      assert.deepEqual(await readAll(store, { reverse: true, lower: b('b'), upper: b('d') }), ['c=C', 'b=B']);
      assert.deepEqual(await readAll(store, { reverse: false }, 'bb'), ['c=C', 'd=D', 'e=E']);
      assert.deepEqual(await readAll(store, { reverse: true }, 'cc'), ['c=C', 'b=B', 'a=A']);
      assert.deepEqual(await readAll(store, { reverse: true, upper: b('c') }, 'zz'), ['b=B', 'a=A']);
      assert.deepEqual(await readAll(store, { reverse: false, lower: b('x') }), []);
      await store.close();
    });

    test('an iterator reads the snapshot it was created on', async () => {
      const store = await fixture.open(await fixture.newDataDir(), nowMs);
      await putAll(store, 1, [['a', '1'], ['b', '2']]);
      const it = store.iterator({ reverse: false });
      it.seekToStart();
      await putAll(store, 2, [['a', 'changed'], ['c', 'new']]);
      const batch = await it.read(10, 1 << 20);
      it.close();
      assert.deepEqual(batch.keys.map(String), ['a', 'b']);
      assert.deepEqual(batch.values.map(String), ['1', '2']);
      assert.equal(batch.done, true);
      await store.close();
    });

    test('a clean close and reopen keeps everything applied', async () => {
      const dir = await fixture.newDataDir();
      const store = await fixture.open(dir, nowMs);
      await putAll(store, 1, [['k', 'v']]);
      await putAll(store, 2, [['k2', 'v2']]);
      await store.close();
      const reopened = await fixture.open(dir, nowMs);
      assert.equal(reopened.lastAppliedDecree(), 2);
      assert.equal((await reopened.get(b('k2')))?.toString(), 'v2');
      await reopened.close();
    });

    test('flush makes the applied decree durable', async () => {
      const store = await fixture.open(await fixture.newDataDir(), nowMs);
      await putAll(store, 1, [['k', 'v']]);
      await putAll(store, 2, [['k', 'w']]);
      await store.flush();
      assert.equal(store.lastFlushedDecree(), 2);
      await store.close();
    });

    test('checkpoints capture the flushed state, reopen as stores, and are listed and removed', async () => {
      const store = await fixture.open(await fixture.newDataDir(), nowMs);
      await putAll(store, 1, [['a', '1']]);
      await store.flush();
      assert.equal(await store.createCheckpoint(), 1);
      await putAll(store, 2, [['a', '2'], ['b', '2']]);
      await store.flush();
      assert.equal(await store.createCheckpoint(), 2);
      assert.equal(await store.createCheckpoint(), 2, 'an existing checkpoint at the decree is reused');
      assert.deepEqual((await store.listCheckpoints()).map((c) => c.decree), [1, 2]);

      const restored = await fixture.restoreFromCheckpoint(store, 1, await fixture.newDataDir(), nowMs);
      assert.equal(restored.lastAppliedDecree(), 1);
      assert.equal((await restored.get(b('a')))?.toString(), '1');
      assert.equal(await restored.get(b('b')), undefined);
      await restored.close();

      await store.removeCheckpoint(1);
      assert.deepEqual((await store.listCheckpoints()).map((c) => c.decree), [2]);
      await store.close();
    });

    describe('TTL compaction rules (shared table)', () => {
      for (const c of COMPACTION_CASES) {
        test(c.name, async () => {
          const store = await fixture.open(await fixture.newDataDir(), nowMs);
          const key = b('hk-row');
          const batch = store.newBatch();
          batch.put(key, generateValue(1, b('payload'), c.expireTs, 7n));
          batch.put(b('keeper'), generateValue(1, b('x'), 0, 0n));
          await store.write(1, batch);
          store.setCompactionParams({ nowEpochSecondsOverride: COMPACTION_NOW, defaultTtlSeconds: c.defaultTtlSeconds });
          await store.compact();
          const raw = await store.get(key);
          if (c.expect.dropped) {
            assert.equal(raw, undefined);
          } else {
            assert.ok(raw, 'record kept');
            assert.equal(raw.readUInt32BE(0), c.expect.expireTs);
            assert.equal(raw.readBigUInt64BE(4), 7n, 'timetag untouched');
            assert.equal(raw.subarray(12).toString(), 'payload');
          }
          assert.ok(await store.get(b('keeper')), 'other rows untouched');
          assert.equal(store.lastAppliedDecree(), 1);
          await store.close();
        });
      }
    });
  });
}

describe('checkpoint retention', () => {
  const at = (decree: number, createdMs: number) => ({ decree, createdMs });
  test('keeps at least reserve_min_count and everything younger than reserve_time', () => {
    const now = 10_000_000;
    const list = [at(1, now - 5000_000), at(2, now - 4000_000), at(3, now - 100_000), at(4, now)];
    assert.deepEqual(checkpointsToDelete(list, { reserveMinCount: 2, reserveTimeSeconds: 1800 }, now), [1, 2]);
    assert.deepEqual(checkpointsToDelete(list, { reserveMinCount: 3, reserveTimeSeconds: 1800 }, now), [1]);
    assert.deepEqual(checkpointsToDelete(list, { reserveMinCount: 1, reserveTimeSeconds: 1800 }, now), [1, 2]);
    assert.deepEqual(checkpointsToDelete(list, { reserveMinCount: 1, reserveTimeSeconds: 0 }, now), [1, 2, 3]);
    assert.deepEqual(checkpointsToDelete(list.slice(0, 2), { reserveMinCount: 2, reserveTimeSeconds: 0 }, now), []);
  });
  test('a young checkpoint protects every newer one', () => {
    const now = 10_000_000;
    const list = [at(1, now - 5000_000), at(2, now - 10), at(3, now - 5000_000), at(4, now), at(5, now)];
    assert.deepEqual(checkpointsToDelete(list, { reserveMinCount: 1, reserveTimeSeconds: 1800 }, now), [1]);
  });
});

describe('PartitionDb checkpoints (sync, async, durable decree, retention)', () => {
  for (const makeFixture of STORE_FIXTURES) {
    const fixture = makeFixture();
    after(() => fixture.cleanup());
    test(`on ${fixture.name}`, async () => {
      const store = await fixture.open(await fixture.newDataDir(), nowMs);
      const db = new PartitionDb(store, { gpid: { appId: 1, partitionIndex: 0 }, server: 't', clock: { nowMs } });
      assert.equal(await db.loadCheckpoints(), 0);
      assert.equal(await db.asyncCheckpoint(), undefined, 'nothing flushed beyond the last checkpoint');
      const put = (sortKey: string) => ({ code: 'RPC_RRDB_RRDB_PUT' as const, request: { key: generateKey(b('h'), b(sortKey)), value: b('v'), expireTsSeconds: 0 } });
      for (let d = 1; d <= 3; d++) await db.apply(d, d, [put(`k${d}`)]);
      assert.equal(await db.syncCheckpoint(), 3, 'a sync checkpoint covers everything applied');
      assert.equal(db.lastDurableDecree(), 3);
      await db.apply(4, 4, [put('k4')]);
      assert.equal(await db.asyncCheckpoint(), undefined, 'the async path does not force a flush');
      await store.flush();
      assert.equal(await db.asyncCheckpoint(), 4);
      await db.apply(5, 5, [put('k5')]);
      assert.equal(await db.syncCheckpoint(), 5);
      assert.deepEqual(await db.gcCheckpoints({ reserveMinCount: 2, reserveTimeSeconds: 0 }, nowMs()), [3]);
      assert.deepEqual((await store.listCheckpoints()).map((c) => c.decree), [4, 5]);
      assert.equal(await db.loadCheckpoints(), 5);
      await db.close();
    });
  }
});

describe('RocksStore write modes', () => {
  const fixture = rocksFixture();
  after(() => fixture.cleanup());
  for (const writeMode of ['auto', 'sync', 'async'] as const) {
    test(`${writeMode}: writes apply in decree order and survive a reopen`, async () => {
      const dir = await fixture.newDataDir();
      const store = await RocksStore.open(dir, { writeMode });
      for (let d = 1; d <= 20; d++) await putAll(store, d, [[`k${d % 5}`, `v${d}`]]);
      assert.equal(store.lastAppliedDecree(), 20);
      assert.deepEqual((await store.multiGet([b('k0'), b('k4')])).map(String), ['v20', 'v19']);
      await store.close();
      const reopened = await RocksStore.open(dir);
      assert.equal(reopened.lastAppliedDecree(), 20);
      await reopened.close();
    });
  }
});

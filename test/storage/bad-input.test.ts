/**
 * Bad input to the storage layer gets a clear error, crashes nothing, and loses nothing already stored:
 * oversized requests and unstorable keys are refused before a decree is assigned (checkWriteRequest, the
 * replica's 2PC entry), and the same requests reaching apply() anyway (e.g. from an old log) are answered
 * with kInvalidArgument while the decree still advances.
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { StorageStatus, isPegasusError } from '../../src/base/error-code.ts';
import { generateKey } from '../../src/base/key-schema.ts';
import { PartitionDb } from '../../src/storage/rrdb/partition-db.ts';
import { checkWriteRequest, type WriteRequest } from '../../src/storage/rrdb/write-service.ts';
import { STORE_FIXTURES } from './store-fixtures.ts';

const b = (s: string) => Buffer.from(s);
const clock = { nowMs: () => Date.UTC(2026, 10, 24) };
const put = (key: Buffer, value: Buffer): WriteRequest => ({ code: 'RPC_RRDB_RRDB_PUT', request: { key, value, expireTsSeconds: 0 } });

describe('checkWriteRequest refuses what must never reach the log', () => {
  const invalidData = (e: unknown) => isPegasusError(e, 'ERR_INVALID_DATA');

  test('values and requests over max_allowed_write_size', () => {
    assert.throws(() => checkWriteRequest(put(generateKey(b('h'), b('s')), Buffer.alloc(1024 * 1024 + 1))), invalidData);
    const kvs = Array.from({ length: 20 }, (_, i) => ({ key: b(`s${i}`), value: Buffer.alloc(60 * 1024) }));
    assert.throws(() => checkWriteRequest({ code: 'RPC_RRDB_RRDB_MULTI_PUT', request: { hashKey: b('h'), kvs, expireTsSeconds: 0 } }), invalidData);
    assert.doesNotThrow(() => checkWriteRequest(put(generateKey(b('h'), b('s')), Buffer.alloc(1000 * 1024))));
    assert.throws(() => checkWriteRequest(put(generateKey(b('h'), b('s')), Buffer.alloc(100)), 64), invalidData);
  });

  test('hash keys of 65535 bytes or more, and malformed composite keys', () => {
    const big = Buffer.alloc(0xffff, 0x61);
    assert.throws(() => checkWriteRequest({ code: 'RPC_RRDB_RRDB_MULTI_REMOVE', request: { hashKey: big, sortKeys: [b('s')], maxCount: 0 } }), invalidData);
    assert.throws(() => checkWriteRequest({ code: 'RPC_RRDB_RRDB_REMOVE', request: Buffer.from([0xff, 0xff, 1]) }), invalidData);
    assert.throws(() => checkWriteRequest({ code: 'RPC_RRDB_RRDB_REMOVE', request: Buffer.from([0, 9, 1]) }), invalidData, 'prefix overruns the key');
    assert.throws(() => checkWriteRequest({ code: 'RPC_RRDB_RRDB_INCR', request: { key: Buffer.from([7]), increment: 1n, expireTsSeconds: 0 } }), invalidData);
    assert.doesNotThrow(() => checkWriteRequest({ code: 'RPC_RRDB_RRDB_REMOVE', request: generateKey(Buffer.alloc(0xfffe), b('')) }));
  });
});

for (const makeFixture of STORE_FIXTURES) {
  const fixture = makeFixture();
  after(() => fixture.cleanup());

  describe(`bad input on ${fixture.name}`, () => {
    test('bad requests reaching apply are answered, advance the decree, and lose nothing', async () => {
      const store = await fixture.open(await fixture.newDataDir(), clock.nowMs);
      const db = new PartitionDb(store, { gpid: { appId: 1, partitionIndex: 0 }, server: 'test', clock });
      const kept = generateKey(b('kept'), b('row'));
      await db.apply(1, 1, [put(kept, b('safe'))]);

      const malformed = await db.apply(2, 2, [put(kept, b('overwrite?')), put(Buffer.from([0, 200, 1]), b('x'))]);
      assert.deepEqual(malformed.map((r) => r.error), [StorageStatus.kInvalidArgument, StorageStatus.kInvalidArgument]);
      const bigHashKey = Buffer.alloc(0xffff, 0x62);
      const [multi] = await db.apply(3, 3, [{ code: 'RPC_RRDB_RRDB_MULTI_PUT', request: { hashKey: bigHashKey, kvs: [{ key: b('s'), value: b('v') }], expireTsSeconds: 0 } }]);
      assert.equal(multi!.error, StorageStatus.kInvalidArgument);
      const [incr] = await db.apply(4, 4, [{ code: 'RPC_RRDB_RRDB_INCR', request: { key: kept, increment: 1n << 70n, expireTsSeconds: 0 } }]);
      assert.equal(incr!.error, StorageStatus.kInvalidArgument);

      assert.equal(db.lastAppliedDecree(), 4);
      assert.equal((await db.get(kept)).value.toString(), 'safe', 'a refused batch writes none of its rows');
      assert.equal((await db.get(Buffer.from([0x01]))).error, StorageStatus.kInvalidArgument);
      assert.equal((await db.ttl(Buffer.from([0, 5]))).error, StorageStatus.kInvalidArgument);
      const tooLong = await db.multiGet({
        hashKey: bigHashKey, sortKeys: [], maxKvCount: 0, maxKvSize: 0, noValue: false, startSortkey: b(''), stopSortkey: b(''),
        startInclusive: true, stopInclusive: false, sortKeyFilterType: 0, sortKeyFilterPattern: b(''), reverse: false,
      });
      assert.equal(tooLong.error, StorageStatus.kInvalidArgument);
      assert.equal((await db.sortkeyCount(bigHashKey)).error, StorageStatus.kInvalidArgument);
      assert.equal((await db.batchGet({ keys: [{ hashKey: bigHashKey, sortKey: b('') }] })).error, StorageStatus.kInvalidArgument);
      const badFilter = await db.getScanner({
        startKey: b(''), stopKey: b(''), startInclusive: true, stopInclusive: true, batchSize: 10, noValue: false,
        hashKeyFilterType: 99, hashKeyFilterPattern: b(''), sortKeyFilterType: 0, sortKeyFilterPattern: b(''),
      });
      assert.equal(badFilter.error, StorageStatus.kInvalidArgument);
      await db.close();
    });

    test('applying out of decree order is an assertion, not silent corruption', async () => {
      const store = await fixture.open(await fixture.newDataDir(), clock.nowMs);
      const db = new PartitionDb(store, { gpid: { appId: 1, partitionIndex: 0 }, server: 'test', clock });
      await assert.rejects(db.apply(2, 1, []), /decree 2 applied after 0/);
      await assert.rejects(db.apply(1, 1, [put(generateKey(b('h'), b('a')), b('1')), { code: 'RPC_RRDB_RRDB_INCR', request: { key: generateKey(b('h'), b('a')), increment: 1n, expireTsSeconds: 0 } }]), /share a mutation/);
      assert.equal(db.lastAppliedDecree(), 0);
      await db.close();
    });
  });
}

for (const makeFixture of STORE_FIXTURES) {
  const fixture = makeFixture();
  after(() => fixture.cleanup());
  test(`a scanner with malformed composite start/stop keys is answered, not thrown (${fixture.name})`, async () => {
    const store = await fixture.open(await fixture.newDataDir(), clock.nowMs);
    const db = new PartitionDb(store, { gpid: { appId: 1, partitionIndex: 0 }, server: 'test', clock });
    await db.apply(1, 1, [put(generateKey(b('h'), b('s')), b('v'))]);
    for (const startKey of [Buffer.from([0, 50, 1]), Buffer.from([0xff, 0xff]), Buffer.from([7])]) {
      const response = await db.getScanner({
        startKey, stopKey: Buffer.from([0xff, 0xff, 0xff]), startInclusive: true, stopInclusive: false, batchSize: 10, noValue: false,
        hashKeyFilterType: 0, hashKeyFilterPattern: b(''), sortKeyFilterType: 0, sortKeyFilterPattern: b(''),
      });
      assert.equal(response.error, StorageStatus.kOk);
    }
    await db.close();
  });
}

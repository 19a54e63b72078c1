/**
 * Upstream `src/test/function_test/base_api/test_ttl.cpp`: an explicit TTL is honoured (`ttl` answers the
 * remaining seconds, -1 for none), expired rows vanish from get/ttl; with the table's `default_ttl` set, new
 * writes without a TTL get it at once and a manual compaction gives it to rows written before. Plus the rules
 * of protocol.md §4.4: expired rows are invisible to every read and compaction removes them.
 *
 * Upstream waits on a real clock with an error allowance; here the clock is exact, so are the expectations.
 * Upstream's "manual_compact.once" env becomes a direct full compaction of the store.
 */
import assert from 'node:assert/strict';
import { StorageStatus } from '../../src/base/error-code.ts';
import { extractExpireTs } from '../../src/base/value-schema.ts';
import { b, decodeRows, forEachStore, key, pairs } from './harness.ts';

const { kOk, kNotFound } = StorageStatus;

const HK = 'ttl_test_hash_key';
const SK0 = 'ttl_test_sort_key_0';
const SK1 = 'ttl_test_sort_key_1';
const SK2 = 'ttl_test_sort_key_2';
const V0 = 'ttl_test_value_0';
const V1 = 'ttl_test_value_1';
const V2 = 'ttl_test_value_2';
const DEFAULT_TTL = 3600;
const SPECIFY_TTL = 5;
const SLEEP_FOR_EXPIRING = 10;
const SLEEP_FOR_ENVS = 31;

forEachStore('ttl', (s) => {
  s.test('set_without_default_ttl', async (h) => {
    assert.equal((await h.put(HK, SK1, V1, SPECIFY_TTL)).error, kOk);
    assert.equal(await h.value(HK, SK1), V1);
    let ttl = await h.ttl(HK, SK1);
    assert.equal(ttl.error, kOk);
    assert.equal(ttl.ttlSeconds, SPECIFY_TTL);

    assert.equal((await h.put(HK, SK2, V2)).error, kOk);
    assert.equal(await h.value(HK, SK2), V2);
    ttl = await h.ttl(HK, SK2);
    assert.equal(ttl.error, kOk);
    assert.equal(ttl.ttlSeconds, -1);

    h.advanceSeconds(SLEEP_FOR_EXPIRING);
    assert.equal((await h.ttl(HK, SK1)).error, kNotFound);
    assert.equal((await h.get(HK, SK1)).error, kNotFound);
    assert.equal((await h.ttl(HK, SK2)).ttlSeconds, -1);
    assert.equal(await h.value(HK, SK2), V2);

    // The expired row is still stored until a compaction drops it.
    assert.deepEqual(await h.rawSortKeys(HK), [SK1, SK2]);
    await h.compact();
    assert.deepEqual(await h.rawSortKeys(HK), [SK2], 'compaction removed the expired row');
    assert.equal(await h.store.get(key(HK, SK1)), undefined);

    assert.equal((await h.ttl(HK, SK1)).error, kNotFound);
    assert.equal((await h.get(HK, SK1)).error, kNotFound);
    assert.equal((await h.ttl(HK, SK2)).ttlSeconds, -1);
    assert.equal(await h.value(HK, SK2), V2);
  });

  s.test('set_with_default_ttl', async (h) => {
    assert.equal((await h.put(HK, SK0, V0)).error, kOk);
    h.setDefaultTtl(DEFAULT_TTL);

    assert.equal((await h.put(HK, SK1, V1, SPECIFY_TTL)).error, kOk);
    assert.equal(await h.value(HK, SK1), V1);
    assert.equal((await h.ttl(HK, SK1)).ttlSeconds, SPECIFY_TTL, 'an explicit TTL wins over default_ttl');

    // A new write without a TTL gets the table's default_ttl at once (upstream `db_expire_ts`).
    assert.equal((await h.put(HK, SK2, V2)).error, kOk);
    assert.equal(await h.value(HK, SK2), V2);
    assert.equal((await h.ttl(HK, SK2)).ttlSeconds, DEFAULT_TTL, 'default_ttl applies to a new write');

    h.advanceSeconds(SLEEP_FOR_EXPIRING);
    assert.equal((await h.ttl(HK, SK0)).ttlSeconds, -1, 'a row written before default_ttl keeps no TTL until compacted');
    assert.equal((await h.ttl(HK, SK1)).error, kNotFound);
    assert.equal((await h.get(HK, SK1)).error, kNotFound);
    assert.equal((await h.ttl(HK, SK2)).ttlSeconds, DEFAULT_TTL - SLEEP_FOR_EXPIRING);
    assert.equal(await h.value(HK, SK2), V2);

    h.advanceSeconds(SLEEP_FOR_ENVS);
    await h.compact();

    const ttl0 = await h.ttl(HK, SK0);
    assert.equal(ttl0.error, kOk);
    assert.equal(ttl0.ttlSeconds, DEFAULT_TTL, 'compaction gave the old row now + default_ttl');
    assert.equal(await h.value(HK, SK0), V0, 'and kept it readable');
    assert.equal((await h.ttl(HK, SK1)).error, kNotFound);
    assert.equal((await h.get(HK, SK1)).error, kNotFound);
    assert.equal((await h.ttl(HK, SK2)).ttlSeconds, DEFAULT_TTL - SLEEP_FOR_EXPIRING - SLEEP_FOR_ENVS, 'an existing TTL is kept');
    assert.deepEqual(await h.rawSortKeys(HK), [SK0, SK2]);
  });

  s.test('default_ttl applies to every kind of write without a TTL, and 0 turns it off', async (h) => {
    h.setDefaultTtl(100);
    await h.multiSet('hk', [['m1', 'a'], ['m2', 'b']]);
    await h.incr('hk', 'counter', 1n);
    for (const sk of ['m1', 'm2', 'counter']) {
      assert.equal((await h.ttl('hk', sk)).ttlSeconds, 100, sk);
    }
    h.setDefaultTtl(0);
    await h.put('hk', 'later', 'x');
    assert.equal((await h.ttl('hk', 'later')).ttlSeconds, -1);
    await h.compact();
    assert.equal((await h.ttl('hk', 'later')).ttlSeconds, -1, 'a compaction without default_ttl leaves rows alone');
    assert.equal((await h.ttl('hk', 'm1')).ttlSeconds, 100);
  });

  s.test('rows given default_ttl by compaction expire like any other', async (h) => {
    await h.put('hk', 'old', 'x');
    h.setDefaultTtl(20);
    await h.compact();
    assert.equal((await h.ttl('hk', 'old')).ttlSeconds, 20);
    const raw = await h.store.get(key('hk', 'old'));
    assert.ok(raw !== undefined);
    assert.equal(extractExpireTs(h.store.dataVersion, raw), h.nowEpoch() + 20, 'the stored expire_ts is now + default_ttl');
    h.advanceSeconds(20);
    assert.equal((await h.get('hk', 'old')).error, kNotFound);
    await h.compact();
    assert.deepEqual(await h.rawSortKeys('hk'), []);
  });

  s.test('ttl of a missing key is not found; the remaining seconds count down', async (h) => {
    const missing = await h.ttl('hk', 'nothing');
    assert.equal(missing.error, kNotFound);
    await h.put('hk', 'k', 'v', 100);
    for (const [advance, remaining] of [[0, 100], [1, 99], [49, 50], [49, 1]] as const) {
      h.advanceSeconds(advance);
      const r = await h.ttl('hk', 'k');
      assert.equal(r.error, kOk);
      assert.equal(r.ttlSeconds, remaining);
    }
    h.advanceSeconds(1);
    assert.equal((await h.ttl('hk', 'k')).error, kNotFound, 'expired at 100 s');
  });

  s.test('a row expires when its expire_ts is reached, not a second later', async (h) => {
    await h.put('hk', 'k', 'v', 1);
    h.clock.advance(999);
    assert.equal(await h.value('hk', 'k'), 'v', 'still inside the same second');
    assert.equal((await h.ttl('hk', 'k')).ttlSeconds, 1);
    h.clock.advance(1);
    assert.equal((await h.get('hk', 'k')).error, kNotFound, 'expire_ts <= now is expired');

    // An absolute expire_ts already in the past is written expired.
    await h.putExpireTs('hk', 'past', 'v', h.nowEpoch() - 100);
    assert.equal((await h.get('hk', 'past')).error, kNotFound);
    assert.equal((await h.ttl('hk', 'past')).error, kNotFound);
  });

  s.test('expired rows are invisible to every read', async (h) => {
    await h.multiSet('hk', [['a', 'A'], ['c', 'C'], ['e', 'E']]);
    await h.multiSet('hk', [['b', 'B'], ['d', 'D']], 5);
    await h.put('other', 'x', 'X', 5);
    assert.equal((await h.sortkeyCount('hk')).count, 5);
    h.advanceSeconds(5);

    assert.equal((await h.get('hk', 'b')).error, kNotFound);
    assert.equal((await h.ttl('hk', 'b')).error, kNotFound);
    assert.equal((await h.sortkeyCount('hk')).count, 3);
    assert.deepEqual(pairs((await h.multiGetRange('hk', '', '')).kvs), [['a', 'A'], ['c', 'C'], ['e', 'E']]);
    assert.deepEqual(pairs((await h.multiGetRange('hk', '', '', { reverse: true })).kvs), [['a', 'A'], ['c', 'C'], ['e', 'E']]);
    assert.deepEqual(pairs((await h.multiGetKeys('hk', ['b', 'c', 'd'])).kvs), [['c', 'C']]);
    const batch = await h.db.batchGet({ keys: [{ hashKey: b('hk'), sortKey: b('d') }, { hashKey: b('hk'), sortKey: b('e') }] });
    assert.deepEqual(batch.data.map((d) => d.sortKey.toString()), ['e']);
    const hashScan = await h.scanAll(h.hashScanRequest('hk', '', ''));
    assert.deepEqual(decodeRows(hashScan.kvs).map((r) => r.sortKey), ['a', 'c', 'e']);
    const fullScan = await h.scanAll(h.fullScanRequest());
    assert.deepEqual(decodeRows(fullScan.kvs).map((r) => `${r.hashKey}/${r.sortKey}`), ['hk/a', 'hk/c', 'hk/e']);
    const counted = await h.scanAll(h.fullScanRequest({ onlyReturnCount: true }));
    assert.equal(counted.count, 3);

    // Compaction drops exactly the expired rows.
    assert.deepEqual(await h.rawSortKeys('hk'), ['a', 'b', 'c', 'd', 'e']);
    await h.compact();
    assert.deepEqual(await h.rawSortKeys('hk'), ['a', 'c', 'e']);
    assert.deepEqual(await h.rawSortKeys('other'), []);
    assert.equal((await h.sortkeyCount('hk')).count, 3);
  });

  s.test('compaction keeps rows that have not expired yet', async (h) => {
    await h.put('hk', 'soon', 'v', 10);
    await h.put('hk', 'never', 'v');
    h.advanceSeconds(9);
    await h.compact();
    assert.deepEqual(await h.rawSortKeys('hk'), ['never', 'soon']);
    assert.equal((await h.ttl('hk', 'soon')).ttlSeconds, 1);
    h.advanceSeconds(1);
    await h.compact();
    assert.deepEqual(await h.rawSortKeys('hk'), ['never']);
  });

  s.test('a new write over an expired row makes it live again with its own TTL', async (h) => {
    await h.put('hk', 'k', 'old', 2);
    h.advanceSeconds(3);
    assert.equal((await h.get('hk', 'k')).error, kNotFound);
    await h.put('hk', 'k', 'new');
    assert.equal(await h.value('hk', 'k'), 'new');
    assert.equal((await h.ttl('hk', 'k')).ttlSeconds, -1);
    await h.compact();
    assert.equal(await h.value('hk', 'k'), 'new');
  });
});

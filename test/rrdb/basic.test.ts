/**
 * Upstream `src/test/function_test/base_api/test_basic.cpp`: set/get/del, multi_get over ranges (bounds,
 * filters, count and size limits, no_value, reverse), multi_set/multi_del, and scanners with filters.
 * Plus the kIncomplete rules of protocol.md §10 and §4.4 for multi_get.
 */
import assert from 'node:assert/strict';
import { StorageStatus } from '../../src/base/error-code.ts';
import { FilterType } from '../../src/idl/rrdb.ts';
import { APP_ID, SERVER, b, decodeRows, forEachStore, key, pairs, type RangeOptions } from './harness.ts';

const { kOk, kNotFound, kInvalidArgument, kIncomplete } = StorageStatus;

/** The 13 rows of upstream's multi_get tests, in sort key order. */
const KVS: Array<[string, string]> = [
  ['', '0'],
  ['1', '1'],
  ['1-abcdefg', '1-abcdefg'],
  ['2', '2'],
  ['2-abcdefg', '2-abcdefg'],
  ['3', '3'],
  ['3-efghijk', '3-efghijk'],
  ['4', '4'],
  ['4-hijklmn', '4-hijklmn'],
  ['5', '5'],
  ['5-hijklmn', '5-hijklmn'],
  ['6', '6'],
  ['7', '7'],
];
const ALL = KVS.map(([k]) => k);
const valueOf = (k: string): string => KVS.find(([sk]) => sk === k)![1];
const expectPairs = (keys: string[]): Array<[string, string]> => keys.map((k) => [k, valueOf(k)]);

const INCL = { startInclusive: true, stopInclusive: true };
const EXCL = { startInclusive: false, stopInclusive: false };
const ANYWHERE = FilterType.FT_MATCH_ANYWHERE;
const PREFIX = FilterType.FT_MATCH_PREFIX;
const POSTFIX = FilterType.FT_MATCH_POSTFIX;

/** [label, start sort key, stop sort key, options, expected sort keys]: identical for forward and reverse reads. */
const RANGE_CASES: Array<[string, string, string, RangeOptions, string[]]> = [
  ['[null, null)', '', '', { startInclusive: true, stopInclusive: false }, ALL],
  ['[null, null]', '', '', INCL, ALL],
  ['(null, null)', '', '', EXCL, ALL.filter((k) => k !== '')],
  ['(null, null]', '', '', { startInclusive: false, stopInclusive: true }, ALL.filter((k) => k !== '')],
  ['[null, 1]', '', '1', INCL, ['', '1']],
  ['[null, 1)', '', '1', { startInclusive: true, stopInclusive: false }, ['']],
  ['(null, 1]', '', '1', { startInclusive: false, stopInclusive: true }, ['1']],
  ['(null, 1)', '', '1', EXCL, []],
  ['[1, 1]', '1', '1', INCL, ['1']],
  ['[1, 1)', '1', '1', { startInclusive: true, stopInclusive: false }, []],
  ['(1, 1]', '1', '1', { startInclusive: false, stopInclusive: true }, []],
  ['(1, 1)', '1', '1', EXCL, []],
  ['[2, 1]', '2', '1', INCL, []],
  ['match-anywhere("-")', '', '', { filterType: ANYWHERE, filterPattern: '-' }, ['1-abcdefg', '2-abcdefg', '3-efghijk', '4-hijklmn', '5-hijklmn']],
  ['match-anywhere("1")', '', '', { filterType: ANYWHERE, filterPattern: '1' }, ['1', '1-abcdefg']],
  ['match-anywhere("1-")', '', '', { filterType: ANYWHERE, filterPattern: '1-' }, ['1-abcdefg']],
  ['match-anywhere("abc")', '', '', { filterType: ANYWHERE, filterPattern: 'abc' }, ['1-abcdefg', '2-abcdefg']],
  ['match-prefix("1")', '', '', { filterType: PREFIX, filterPattern: '1' }, ['1', '1-abcdefg']],
  ['match-prefix("1") in [0, 1)', '0', '1', { filterType: PREFIX, filterPattern: '1', startInclusive: true, stopInclusive: false }, []],
  ['match-prefix("1") in [0, 1]', '0', '1', { filterType: PREFIX, filterPattern: '1', ...INCL }, ['1']],
  ['match-prefix("1") in [1, 2]', '1', '2', { filterType: PREFIX, filterPattern: '1', ...INCL }, ['1', '1-abcdefg']],
  ['match-prefix("1") in (1, 2]', '1', '2', { filterType: PREFIX, filterPattern: '1', startInclusive: false, stopInclusive: true }, ['1-abcdefg']],
  ['match-prefix("1") in (1-abcdefg, 2]', '1-abcdefg', '2', { filterType: PREFIX, filterPattern: '1', startInclusive: false, stopInclusive: true }, []],
  ['match-prefix("1-")', '', '', { filterType: PREFIX, filterPattern: '1-' }, ['1-abcdefg']],
  ['match-prefix("1-x")', '', '', { filterType: PREFIX, filterPattern: '1-x' }, []],
  ['match-prefix("abc")', '', '', { filterType: PREFIX, filterPattern: 'abc' }, []],
  ['match-prefix("efg")', '', '', { filterType: PREFIX, filterPattern: 'efg' }, []],
  ['match-prefix("ijk")', '', '', { filterType: PREFIX, filterPattern: 'ijk' }, []],
  ['match-prefix("lmn")', '', '', { filterType: PREFIX, filterPattern: 'lmn' }, []],
  ['match-prefix("5-hijklmn")', '', '', { filterType: PREFIX, filterPattern: '5-hijklmn' }, ['5-hijklmn']],
  ['match-postfix("1")', '', '', { filterType: POSTFIX, filterPattern: '1' }, ['1']],
  ['match-postfix("1-")', '', '', { filterType: POSTFIX, filterPattern: '1-' }, []],
  ['match-postfix("1-x")', '', '', { filterType: POSTFIX, filterPattern: '1-x' }, []],
  ['match-postfix("abc")', '', '', { filterType: POSTFIX, filterPattern: 'abc' }, []],
  ['match-postfix("efg")', '', '', { filterType: POSTFIX, filterPattern: 'efg' }, ['1-abcdefg', '2-abcdefg']],
  ['match-postfix("ijk")', '', '', { filterType: POSTFIX, filterPattern: 'ijk' }, ['3-efghijk']],
  ['match-postfix("lmn")', '', '', { filterType: POSTFIX, filterPattern: 'lmn' }, ['4-hijklmn', '5-hijklmn']],
  ['match-postfix("5-hijklmn")', '', '', { filterType: POSTFIX, filterPattern: '5-hijklmn' }, ['5-hijklmn']],
];

forEachStore('basic', (s) => {
  s.test('set_get_del', async (h) => {
    const hk = 'basic_test_hash_key_1';
    const put = await h.put(hk, 'basic_test_sort_key_1', 'basic_test_value_1');
    assert.equal(put.error, kOk);
    assert.equal(put.decree, h.lastDecree);
    assert.equal(put.appId, APP_ID);
    assert.equal(put.partitionIndex, 0);
    assert.equal(put.server, SERVER);

    assert.equal(await h.exist(hk, 'basic_test_sort_key_1'), true);
    assert.equal(await h.exist(hk, 'basic_test_sort_key_2'), false);

    const count = await h.sortkeyCount(hk);
    assert.equal(count.error, kOk);
    assert.equal(count.count, 1);

    const got = await h.get(hk, 'basic_test_sort_key_1');
    assert.equal(got.error, kOk);
    assert.equal(got.value.toString(), 'basic_test_value_1');
    assert.equal(got.appId, APP_ID);
    assert.equal(got.server, SERVER);

    const missing = await h.get(hk, 'basic_test_sort_key_2');
    assert.equal(missing.error, kNotFound);
    assert.ok(Buffer.isBuffer(missing.value), 'a missing key still answers a value blob');
    assert.equal(missing.value.length, 0);

    const del = await h.del(hk, 'basic_test_sort_key_1');
    assert.equal(del.error, kOk);
    assert.equal(del.decree, h.lastDecree);
    assert.equal(await h.exist(hk, 'basic_test_sort_key_1'), false);
    assert.equal((await h.sortkeyCount(hk)).count, 0);
    assert.equal((await h.get(hk, 'basic_test_sort_key_1')).error, kNotFound);

    // Removing a key that does not exist is still a success.
    assert.equal((await h.del(hk, 'never_written')).error, kOk);
  });

  s.test('set overwrites, empty values and binary keys round-trip', async (h) => {
    await h.put('hk', 'sk', 'v1');
    await h.put('hk', 'sk', 'v2');
    assert.equal(await h.value('hk', 'sk'), 'v2');
    assert.equal((await h.sortkeyCount('hk')).count, 1);

    await h.put('hk', 'empty', '');
    const empty = await h.get('hk', 'empty');
    assert.equal(empty.error, kOk, 'an empty value exists');
    assert.equal(empty.value.length, 0);

    const binHash = Buffer.from([0, 0xff, 1]);
    const binSort = Buffer.from([0xff, 0, 0]);
    await h.put(binHash, binSort, Buffer.from([0, 1, 2, 0xff]));
    assert.deepEqual([...(await h.get(binHash, binSort)).value], [0, 1, 2, 0xff]);

    // An empty hash key and an empty sort key are keys like any other.
    await h.put('', '', 'both empty');
    assert.equal(await h.value('', ''), 'both empty');
  });

  s.test('puts and removes batched in one mutation apply in order, all at that decree', async (h) => {
    const responses = await h.applyBatch([
      h.putRequest('hk', 'a', '1'),
      h.putRequest('hk', 'b', '2'),
      h.removeRequest('hk', 'a'),
      h.putRequest('hk', 'c', '3'),
    ]);
    for (const response of responses) {
      assert.equal(response.error, kOk);
      assert.equal(response.decree, h.lastDecree);
    }
    assert.equal(await h.value('hk', 'a'), undefined);
    assert.equal(await h.value('hk', 'b'), '2');
    assert.equal(await h.value('hk', 'c'), '3');
    assert.equal(h.db.lastAppliedDecree(), h.lastDecree);
  });

  s.test('multi_get over ranges: bounds and filters', async (h) => {
    const hk = 'basic_test_multi_get';
    assert.equal((await h.multiSet(hk, KVS)).error, kOk);
    const count = await h.sortkeyCount(hk);
    assert.equal(count.error, kOk);
    assert.equal(count.count, 13);

    for (const [label, start, stop, options, expected] of RANGE_CASES) {
      const response = await h.multiGetRange(hk, start, stop, options);
      assert.equal(response.error, kOk, label);
      assert.deepEqual(pairs(response.kvs), expectPairs(expected), label);
    }
  });

  s.test('multi_get_reverse over ranges: same results, still ascending', async (h) => {
    const hk = 'basic_test_multi_get_reverse';
    assert.equal((await h.multiSet(hk, KVS)).error, kOk);
    assert.equal((await h.sortkeyCount(hk)).count, 13);

    for (const [label, start, stop, options, expected] of RANGE_CASES) {
      const response = await h.multiGetRange(hk, start, stop, { ...options, reverse: true });
      assert.equal(response.error, kOk, `reverse ${label}`);
      assert.deepEqual(pairs(response.kvs), expectPairs(expected), `reverse ${label}`);
    }
  });

  s.test('multi_get max count: forward and reverse answer kIncomplete with the first rows', async (h) => {
    const hk = 'basic_test_multi_get';
    await h.multiSet(hk, KVS);

    let r = await h.multiGetRange(hk, '', '', { maxKvCount: 4, maxKvSize: -1 });
    assert.equal(r.error, kIncomplete, 'maxCount = 4');
    assert.deepEqual(pairs(r.kvs), expectPairs(['', '1', '1-abcdefg', '2']));

    r = await h.multiGetRange(hk, '5', '6', { ...INCL, maxKvCount: 1, maxKvSize: -1 });
    assert.equal(r.error, kIncomplete, 'maxCount = 1 in [5, 6]');
    assert.deepEqual(pairs(r.kvs), expectPairs(['5']));

    r = await h.multiGetRange(hk, '', '', { reverse: true, maxKvCount: 4, maxKvSize: -1 });
    assert.equal(r.error, kIncomplete, 'reverse maxCount = 4');
    assert.deepEqual(pairs(r.kvs), expectPairs(['5', '5-hijklmn', '6', '7']), 'the last rows, ascending');

    r = await h.multiGetRange(hk, '5', '6', { ...INCL, reverse: true, maxKvCount: 1, maxKvSize: -1 });
    assert.equal(r.error, kIncomplete, 'reverse maxCount = 1 in [5, 6]');
    assert.deepEqual(pairs(r.kvs), expectPairs(['6']));

    // max_kv_count <= 0 means no limit from the request.
    for (const maxKvCount of [0, -1]) {
      r = await h.multiGetRange(hk, '', '', { maxKvCount, maxKvSize: -1 });
      assert.equal(r.error, kOk, `max_kv_count ${maxKvCount}`);
      assert.equal(r.kvs.length, 13);
    }
  });

  s.test('multi_get skips an expired row and it does not use up the count', async (h) => {
    const hk = 'basic_test_multi_get';
    await h.multiSet(hk, KVS);
    // set("", "expire_value", ttl = 1), then one second later it is expired (expire_ts <= now).
    assert.equal((await h.put(hk, '', 'expire_value', 1)).error, kOk);
    h.advanceSeconds(1);
    const r = await h.multiGetRange(hk, '', '', { maxKvCount: 2 });
    assert.equal(r.error, kIncomplete);
    assert.deepEqual(pairs(r.kvs), expectPairs(['1', '1-abcdefg']));

    const del = await h.multiDel(hk, ALL);
    assert.equal(del.error, kOk);
    assert.equal(del.count, 13);
    assert.equal((await h.sortkeyCount(hk)).count, 0);
  });

  s.test('multi_get kIncomplete depends on where the iterator stops (protocol.md §10)', async (h) => {
    const hk = 'limits';
    await h.multiSet(hk, [['b', 'B'], ['c', 'C'], ['d', 'D']]);
    const cases: Array<[string, string, string, RangeOptions, number, string[]]> = [
      // Stopped by the count while the iterator still points at d (the exclusive stop key): incomplete.
      ['forward [b, d) max 2', 'b', 'd', { maxKvCount: 2 }, kIncomplete, ['b', 'c']],
      // Reverse stops on the start key itself: complete.
      ['reverse [b, d) max 2', 'b', 'd', { maxKvCount: 2, reverse: true }, kOk, ['b', 'c']],
      ['forward [b, c] max 2 ends on the stop key', 'b', 'c', { ...INCL, maxKvCount: 2 }, kOk, ['b', 'c']],
      ['forward [b, c) max 1 stops with the iterator past the range', 'b', 'c', { maxKvCount: 1 }, kIncomplete, ['b']],
      ['forward [b, d) max 3 reaches the stop key', 'b', 'd', { maxKvCount: 3 }, kOk, ['b', 'c']],
      ['reverse [b, d] max 1', 'b', 'd', { ...INCL, maxKvCount: 1, reverse: true }, kIncomplete, ['d']],
      ['reverse (b, d] max 2 stops with the iterator before the range', 'b', 'd', { startInclusive: false, stopInclusive: true, maxKvCount: 2, reverse: true }, kIncomplete, ['c', 'd']],
      ['reverse [b, d] max 3 ends on the start key', 'b', 'd', { ...INCL, maxKvCount: 3, reverse: true }, kOk, ['b', 'c', 'd']],
    ];
    for (const [label, start, stop, options, error, expected] of cases) {
      const r = await h.multiGetRange(hk, start, stop, options);
      assert.equal(r.error, error, label);
      assert.deepEqual(r.kvs.map((kv) => kv.key.toString()), expected, label);
    }
  });

  s.test('multi_get max size counts sort key + value bytes, range and explicit keys', async (h) => {
    const hk = 'size';
    await h.multiSet(hk, [['a', 'xx'], ['b', 'xx'], ['c', 'xx'], ['d', 'xx']]); // 3 bytes a row
    let r = await h.multiGetRange(hk, '', '', { maxKvSize: 6 });
    assert.equal(r.error, kIncomplete, 'range, size 6');
    assert.deepEqual(pairs(r.kvs), [['a', 'xx'], ['b', 'xx']]);
    r = await h.multiGetRange(hk, '', '', { maxKvSize: 7 });
    assert.equal(r.error, kIncomplete, 'range, size 7: the row that crosses the limit is kept');
    assert.deepEqual(pairs(r.kvs), [['a', 'xx'], ['b', 'xx'], ['c', 'xx']]);
    r = await h.multiGetRange(hk, '', '', { maxKvSize: 1000 });
    assert.equal(r.error, kOk);
    assert.equal(r.kvs.length, 4);

    // With no_value only the sort keys count.
    r = await h.multiGetRange(hk, '', '', { maxKvSize: 2, noValue: true });
    assert.equal(r.error, kIncomplete, 'range, no value, size 2');
    assert.deepEqual(pairs(r.kvs), [['a', ''], ['b', '']]);

    r = await h.multiGetKeys(hk, ['a', 'b', 'c', 'd'], { maxKvSize: 6 });
    assert.equal(r.error, kIncomplete, 'keys, size 6');
    assert.deepEqual(pairs(r.kvs), [['a', 'xx'], ['b', 'xx']]);
    r = await h.multiGetKeys(hk, ['a', 'b', 'c', 'd'], { maxKvSize: 7 });
    assert.equal(r.error, kIncomplete, 'keys, size 7');
    assert.deepEqual(pairs(r.kvs), [['a', 'xx'], ['b', 'xx'], ['c', 'xx']]);
    r = await h.multiGetKeys(hk, ['a', 'b', 'c', 'd'], { maxKvSize: -1 });
    assert.equal(r.error, kOk, 'keys, no size limit');
    assert.equal(r.kvs.length, 4);
  });

  s.test('multi_get with no_value returns the sort keys with empty values', async (h) => {
    const hk = 'novalue';
    await h.multiSet(hk, [['a', 'A'], ['b', 'B']]);
    let r = await h.multiGetRange(hk, '', '', { noValue: true });
    assert.equal(r.error, kOk);
    assert.deepEqual(pairs(r.kvs), [['a', ''], ['b', '']]);
    r = await h.multiGetKeys(hk, ['b', 'a'], { noValue: true });
    assert.equal(r.error, kOk);
    assert.deepEqual(pairs(r.kvs), [['b', ''], ['a', '']]);
  });

  s.test('multi_get with an unknown filter type is an invalid argument', async (h) => {
    await h.multiSet('hk', [['a', 'A']]);
    const range = await h.multiGetRange('hk', '', '', { filterType: 7, filterPattern: 'a' });
    assert.equal(range.error, kInvalidArgument);
    assert.equal(range.kvs.length, 0);
    const request = h.multiGetRangeRequest('hk', '', '');
    const explicit = await h.db.multiGet({ ...request, sortKeys: [b('a')], sortKeyFilterType: -1 });
    assert.equal(explicit.error, kInvalidArgument);
  });

  s.test('multi_set_get_del', async (h) => {
    const hk = 'basic_test_hash_key_1';
    const kvs: Array<[string, string]> = [1, 2, 3, 4].map((i) => [`basic_test_sort_key_${i}`, `basic_test_value_${i}`]);
    assert.equal((await h.multiSet(hk, kvs)).error, kOk);
    assert.equal((await h.sortkeyCount(hk)).count, 4);

    const sortKeys = [0, 1, 2, 3, 4].map((i) => `basic_test_sort_key_${i}`);
    let r = await h.multiGetKeys(hk, sortKeys);
    assert.equal(r.error, kOk);
    assert.deepEqual(pairs(r.kvs), kvs);

    // The limit is only "exceeded" when another existing key is left: 4 found keys with a limit of 4 is complete.
    r = await h.multiGetKeys(hk, sortKeys, { maxKvCount: 4 });
    assert.equal(r.error, kOk, 'limit count 4');
    assert.deepEqual(pairs(r.kvs), kvs);
    r = await h.multiGetKeys(hk, sortKeys, { maxKvCount: 3 });
    assert.equal(r.error, kIncomplete, 'limit count 3');
    assert.deepEqual(pairs(r.kvs), kvs.slice(0, 3));
    r = await h.multiGetKeys(hk, sortKeys, { maxKvCount: 1 });
    assert.equal(r.error, kIncomplete, 'limit count 1');
    assert.deepEqual(pairs(r.kvs), kvs.slice(0, 1));

    // No sort keys: the client's request reads the whole hash key.
    r = await h.multiGetKeys(hk, []);
    assert.equal(r.error, kOk, 'empty sort keys');
    assert.deepEqual(pairs(r.kvs), kvs);

    r = await h.multiGetSortKeys(hk, -1);
    assert.equal(r.error, kOk, 'multi_get_sortkeys, no limit');
    assert.deepEqual(r.kvs.map((kv) => kv.key.toString()), kvs.map(([k]) => k));
    assert.ok(r.kvs.every((kv) => kv.value.length === 0));
    r = await h.multiGetSortKeys(hk, 1);
    assert.equal(r.error, kIncomplete, 'multi_get_sortkeys, limit 1');
    assert.deepEqual(r.kvs.map((kv) => kv.key.toString()), ['basic_test_sort_key_1']);

    const emptyDel = await h.multiDel(hk, []);
    assert.equal(emptyDel.error, kInvalidArgument, 'multi_del with no sort keys');
    assert.equal(emptyDel.count, 0);
    assert.equal((await h.sortkeyCount(hk)).count, 4, 'nothing was removed');

    // count is the number of sort keys asked for, whether they existed or not.
    let del = await h.multiDel(hk, ['basic_test_sort_key_0', 'basic_test_sort_key_1', 'basic_test_sort_key_2']);
    assert.equal(del.error, kOk);
    assert.equal(del.count, 3);
    assert.equal(del.decree, h.lastDecree);
    assert.equal((await h.sortkeyCount(hk)).count, 2);
    r = await h.multiGetKeys(hk, []);
    assert.deepEqual(pairs(r.kvs), kvs.slice(2));

    del = await h.multiDel(hk, ['basic_test_sort_key_3', 'basic_test_sort_key_4']);
    assert.equal(del.error, kOk);
    assert.equal(del.count, 2);
    assert.equal((await h.sortkeyCount(hk)).count, 0);
  });

  s.test('multi_get with sort keys answers in request order and skips missing and expired keys', async (h) => {
    await h.multiSet('hk', [['a', 'A'], ['b', 'B'], ['c', 'C']]);
    await h.put('hk', 'e', 'E', 5);
    let r = await h.multiGetKeys('hk', ['c', 'zz', 'a', 'e', 'b']);
    assert.equal(r.error, kOk);
    assert.deepEqual(pairs(r.kvs), [['c', 'C'], ['a', 'A'], ['e', 'E'], ['b', 'B']]);

    h.advanceSeconds(5);
    r = await h.multiGetKeys('hk', ['c', 'zz', 'a', 'e', 'b']);
    assert.equal(r.error, kOk);
    assert.deepEqual(pairs(r.kvs), [['c', 'C'], ['a', 'A'], ['b', 'B']], 'the expired key is skipped');

    // The limit is reached but only missing and expired keys remain: complete.
    r = await h.multiGetKeys('hk', ['a', 'zz', 'e'], { maxKvCount: 1 });
    assert.equal(r.error, kOk);
    assert.deepEqual(pairs(r.kvs), [['a', 'A']]);
    // An expired key does not use up the count.
    r = await h.multiGetKeys('hk', ['e', 'a', 'b'], { maxKvCount: 1 });
    assert.equal(r.error, kIncomplete);
    assert.deepEqual(pairs(r.kvs), [['a', 'A']]);
  });

  s.test('multi_set with an empty list is an invalid argument; its TTL applies to every row', async (h) => {
    const empty = await h.multiSet('hk', []);
    assert.equal(empty.error, kInvalidArgument);
    assert.equal(empty.decree, h.lastDecree, 'the decree is still consumed');
    assert.equal((await h.sortkeyCount('hk')).count, 0);

    assert.equal((await h.multiSet('hk', [['a', 'A'], ['b', 'B']], 10)).error, kOk);
    for (const sk of ['a', 'b']) {
      const ttl = await h.ttl('hk', sk);
      assert.equal(ttl.error, kOk);
      assert.equal(ttl.ttlSeconds, 10);
    }
    h.advanceSeconds(10);
    assert.equal((await h.sortkeyCount('hk')).count, 0);
    assert.equal((await h.multiGetKeys('hk', [])).kvs.length, 0);
  });

  s.test('range reads stay inside their hash key', async (h) => {
    await h.multiSet('a', [['1', 'a1'], ['2', 'a2']]);
    await h.multiSet('ab', [['1', 'ab1']]);
    await h.multiSet('b', [['', 'b']]);
    await h.put('', 'a', 'empty hash key');
    assert.equal((await h.sortkeyCount('a')).count, 2);
    assert.equal((await h.sortkeyCount('ab')).count, 1);
    assert.equal((await h.sortkeyCount('')).count, 1);
    assert.equal((await h.sortkeyCount('nothing')).count, 0);
    assert.equal((await h.sortkeyCount('nothing')).error, kOk);
    assert.deepEqual(pairs((await h.multiGetRange('a', '', '')).kvs), [['1', 'a1'], ['2', 'a2']]);
    assert.deepEqual(pairs((await h.multiGetRange('a', '', '', { reverse: true })).kvs), [['1', 'a1'], ['2', 'a2']]);
    assert.deepEqual(pairs((await h.multiGetRange('', '', '', INCL)).kvs), [['a', 'empty hash key']]);
  });

  // Upstream scans one hash key with filters through the client's hash scanner.
  s.test('scan_with_filter', async (h) => {
    const kvs: Array<[string, string]> = [
      ['m_1', 'a'], ['m_2', 'a'], ['m_3', 'a'], ['m_4', 'a'], ['m_5', 'a'], ['n_1', 'b'], ['n_2', 'b'], ['n_3', 'b'],
    ];
    const byM = kvs.filter(([k]) => k.startsWith('m'));
    await h.multiSet('xyz', kvs);
    await h.multiSet('other', [['m_1', 'x']]);

    for (const batchSize of [10, 3]) {
      const result = await h.scanAll(
        h.hashScanRequest('xyz', '', '', { sortKeyFilterType: PREFIX, sortKeyFilterPattern: 'm', batchSize }),
      );
      const rows = decodeRows(result.kvs);
      assert.ok(rows.every((row) => row.hashKey === 'xyz' && row.value === 'a'), `batch ${batchSize}`);
      assert.deepEqual(rows.map((row) => [row.sortKey, row.value]), byM, `batch ${batchSize}`);
      assert.ok(result.responses.every((r) => r.kvs.length <= batchSize), `batches of at most ${batchSize}`);
    }

    const result = await h.scanAll(
      h.hashScanRequest('xyz', '', '', { hashKeyFilterType: PREFIX, hashKeyFilterPattern: 'xy', batchSize: 10 }),
    );
    assert.deepEqual(decodeRows(result.kvs).map((row) => [row.sortKey, row.value]), kvs);

    // Upstream ends with a multi_del on another hash key: it answers the size of the request, removes nothing here.
    const del = await h.multiDel('x', kvs.map(([k]) => k));
    assert.equal(del.error, kOk);
    assert.equal(del.count, 8);
    assert.equal((await h.sortkeyCount('xyz')).count, 8);
  });

  // Upstream asks for one unordered scanner over a table of 8 partitions; here the one partition is the table.
  s.test('full_scan_with_filter', async (h) => {
    const kvs: Array<[string, string]> = [
      ['m_1', 'a'], ['m_2', 'a'], ['m_3', 'a'], ['m_4', 'a'], ['m_5', 'a'], ['n_1', 'b'], ['n_2', 'b'], ['n_3', 'b'],
    ];
    await h.multiSet('xyz', kvs);
    await h.multiSet('abc', [['m_9', 'c']]);

    for (const batchSize of [10, 3]) {
      const result = await h.scanAll(h.fullScanRequest({ sortKeyFilterType: PREFIX, sortKeyFilterPattern: 'm', batchSize }));
      const rows = decodeRows(result.kvs).filter((row) => row.hashKey === 'xyz');
      assert.ok(rows.every((row) => row.value === 'a'));
      assert.deepEqual(rows.map((row) => [row.sortKey, row.value]), kvs.filter(([k]) => k.startsWith('m')), `batch ${batchSize}`);
      assert.deepEqual(
        decodeRows(result.kvs).filter((row) => row.hashKey === 'abc').map((row) => row.sortKey),
        ['m_9'],
        'the sort key filter applies to every hash key',
      );
    }

    const result = await h.scanAll(h.fullScanRequest({ hashKeyFilterType: PREFIX, hashKeyFilterPattern: 'xy', batchSize: 10 }));
    const rows = decodeRows(result.kvs);
    assert.ok(rows.every((row) => row.hashKey === 'xyz'), 'only hash keys with the prefix');
    assert.deepEqual(rows.map((row) => [row.sortKey, row.value]), kvs);

    const byKey = await h.db.get(key('xyz', 'm_1'));
    assert.equal(byKey.value.toString(), 'a');
  });
});

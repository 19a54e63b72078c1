/**
 * Upstream `src/test/function_test/base_api/test_range_read.cpp`: multi_get, sortkey_count and scanners over a
 * hash key whose first rows are expired. The range-read limits count expired rows too (protocol.md §10), so
 * the results depend on `rocksdb_multi_get_max_iteration_count` (3000) and `rocksdb_max_iteration_count`
 * (1000): the upstream tables run with those limits set explicitly, and smaller limits check the same rules
 * on a few rows. Also the time limit (`rocksdb_iteration_threshold_time_ms`): a clock that moves on every
 * reading makes multi_get stop early with kIncomplete and sortkey_count answer -1.
 */
import assert from 'node:assert/strict';
import { StorageStatus } from '../../src/base/error-code.ts';
import { decodeRows, forEachStore, pairs, type Harness, type RangeLimits } from './harness.ts';

const { kOk, kIncomplete } = StorageStatus;

/** Upstream's shipped `[pegasus.server]` values. */
const MAX_ITERATION_COUNT = 1000;
const UPSTREAM_LIMITS: RangeLimits = {
  maxIterationCount: MAX_ITERATION_COUNT,
  multiGetMaxIterationCount: 3000,
  multiGetMaxIterationSizeBytes: 30 * 1024 * 1024,
  iterationThresholdTimeMs: 30000,
};

const HK = 'range_read_hashkey';
const VALUE = 'value';

/**
 * Upstream `prepare`: `expire_count` rows "1-<i>" set with a TTL of 1 s and left to expire (2 s), then rows
 * "2-<i>" for the rest. Returns the live rows and every sort key written.
 */
async function prepare(h: Harness, total: number, expired: number): Promise<{ live: Array<[string, string]>; all: string[] }> {
  const all: string[] = [];
  if (expired > 0) {
    const kvs: Array<[string, string]> = [];
    for (let i = 0; i < expired; i++) kvs.push([`1-${i}`, VALUE]);
    assert.equal((await h.multiSet(HK, kvs, 1)).error, kOk);
    h.advanceSeconds(2);
    all.push(...kvs.map(([k]) => k));
  }
  const live: Array<[string, string]> = [];
  if (total > expired) {
    for (let i = expired; i < total; i++) live.push([`2-${i}`, VALUE]);
    assert.equal((await h.multiSet(HK, live)).error, kOk);
    all.push(...live.map(([k]) => k));
  }
  live.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return { live, all };
}

/** Upstream `cleanup`: multi_del of every sort key written answers their number. */
async function cleanup(h: Harness, all: string[]): Promise<void> {
  const del = await h.multiDel(HK, all);
  assert.equal(del.error, kOk);
  assert.equal(del.count, all.length);
}

forEachStore('range_read', (s) => {
  s.test(
    'multiget_test',
    async (h) => {
      // [expire_count, total_count, max_kv_count, expected error, expected value count]
      const cases: Array<[number, number, number, number, number]> = [
        // total_count < max_kv_count <= max_iteration_count
        [50, 50, 100, kOk, 0],
        [20, 50, 100, kOk, 30],
        [0, 50, 100, kOk, 50],
        // total_count > max_kv_count >= max_iteration_count
        [3000, 4000, 3500, kIncomplete, 0],
        [500, 4000, 3500, kIncomplete, 2500],
        [0, 4000, 3500, kIncomplete, 3000],
        // total_count > max_iteration_count > max_kv_count
        [3000, 4000, 100, kIncomplete, 0],
        [2950, 4000, 100, kIncomplete, 50],
        [100, 4000, 100, kIncomplete, 100],
        [20, 4000, 100, kIncomplete, 100],
        [0, 4000, 100, kIncomplete, 100],
      ];
      for (const [expired, total, maxKvCount, error, count] of cases) {
        const label = `expire ${expired}, total ${total}, max_kv_count ${maxKvCount}`;
        const { live, all } = await prepare(h, total, expired);
        const r = await h.multiGetRange(HK, '', '', { maxKvCount });
        assert.equal(r.error, error, label);
        assert.equal(r.kvs.length, count, label);
        assert.deepEqual(pairs(r.kvs), live.slice(0, count), `${label}: the first live rows`);
        await cleanup(h, all);
      }
    },
    { limits: UPSTREAM_LIMITS },
  );

  s.test(
    'sortkeycount_test',
    async (h) => {
      for (const [expired, total, expected] of [[0, 500, 500], [500, 4000, 3500]] as const) {
        const { all } = await prepare(h, total, expired);
        const r = await h.sortkeyCount(HK);
        assert.equal(r.error, kOk);
        assert.equal(r.count, expected, `expire ${expired}, total ${total}`);
        await cleanup(h, all);
      }
    },
    { limits: UPSTREAM_LIMITS },
  );

  s.test(
    'scan_test',
    async (h) => {
      // [expire_count, total_count, batch_size, expected scan count]
      const cases: Array<[number, number, number, number]> = [
        [50, 50, 100, 0],
        [20, 50, 100, 30],
        [0, 50, 100, 50],
        [3000, 4000, 3500, 1000],
        [500, 4000, 3500, 3500],
        [0, 4000, 3500, 4000],
        [3000, 4000, 100, 1000],
        [2950, 4000, 100, 1050],
        [100, 4000, 100, 3900],
        [20, 4000, 100, 3980],
        [0, 4000, 100, 4000],
      ];
      for (const [expired, total, batchSize, expected] of cases) {
        const label = `expire ${expired}, total ${total}, batch ${batchSize}`;
        const { live, all } = await prepare(h, total, expired);
        const result = await h.scanAll(h.hashScanRequest(HK, '', '', { batchSize }));
        const rows = decodeRows(result.kvs);
        assert.equal(rows.length, expected, label);
        assert.ok(rows.every((row) => row.hashKey === HK), label);
        assert.deepEqual(rows.map((row) => [row.sortKey, row.value]), live, label);
        const perBatch = Math.min(batchSize, MAX_ITERATION_COUNT);
        assert.ok(result.responses.every((r) => r.kvs.length <= perBatch), `${label}: at most ${perBatch} rows a batch`);
        await cleanup(h, all);
      }
    },
    { limits: UPSTREAM_LIMITS },
  );

  s.test(
    'multi_get: expired rows use up multiGetMaxIterationCount',
    async (h) => {
      const { live } = await prepare(h, 8, 3);
      let r = await h.multiGetRange(HK, '', '', { maxKvCount: 100 });
      assert.equal(r.error, kIncomplete);
      assert.deepEqual(pairs(r.kvs), live.slice(0, 2), '5 rows examined: 3 expired, 2 live');
      // Reverse meets the 5 live rows first; the limit then stops it on an expired row.
      r = await h.multiGetRange(HK, '', '', { maxKvCount: 100, reverse: true });
      assert.equal(r.error, kIncomplete, 'reverse');
      assert.deepEqual(pairs(r.kvs), live);
    },
    { limits: { multiGetMaxIterationCount: 5 } },
  );

  s.test(
    'expired rows interleaved with live ones count against the limits of every range read',
    async (h) => {
      const live: Array<[string, string]> = [];
      for (let i = 0; i < 20; i++) {
        const sk = `s${String(i).padStart(2, '0')}`;
        await h.put(HK, sk, `v${i}`, i % 2 === 1 ? 1 : 0);
        if (i % 2 === 0) live.push([sk, `v${i}`]);
      }
      h.advanceSeconds(1);
      let r = await h.multiGetRange(HK, '', '', { maxKvCount: 100 });
      assert.equal(r.error, kIncomplete);
      assert.deepEqual(pairs(r.kvs), live.slice(0, 3), 's00..s05 examined');
      r = await h.multiGetRange(HK, '', '', { maxKvCount: 100, reverse: true });
      assert.equal(r.error, kIncomplete);
      assert.deepEqual(pairs(r.kvs), live.slice(7), 's19..s14 examined');
      r = await h.multiGetKeys(HK, live.map(([k]) => k).concat(['s01', 's03']), { maxKvCount: 100 });
      assert.equal(r.error, kIncomplete, 'explicit keys: capped at 6 found rows');
      assert.deepEqual(pairs(r.kvs), live.slice(0, 6));
      assert.equal((await h.sortkeyCount(HK)).count, 10);

      const result = await h.scanAll(h.hashScanRequest(HK, '', '', { batchSize: 100 }));
      assert.deepEqual(decodeRows(result.kvs).map((row) => [row.sortKey, row.value]), live);
      assert.ok(result.responses.every((response) => response.kvs.length <= 2), '4 rows examined per batch, half of them expired');
      assert.ok(result.responses.length >= 5);
    },
    { limits: { multiGetMaxIterationCount: 6, maxIterationCount: 4 } },
  );

  s.test(
    'multi_get: filtered rows use up the iteration count too',
    async (h) => {
      await h.multiSet(HK, [['a1', 'v'], ['a2', 'v'], ['a3', 'v'], ['b1', 'v'], ['b2', 'v'], ['c1', 'v']]);
      const r = await h.multiGetRange(HK, '', '', { filterType: 3, filterPattern: '1', maxKvCount: 100 });
      assert.equal(r.error, kIncomplete);
      assert.deepEqual(pairs(r.kvs), [['a1', 'v']], 'a1, a2, a3 examined');
    },
    { limits: { multiGetMaxIterationCount: 3 } },
  );

  s.test(
    'multi_get: max_kv_count is capped by multiGetMaxIterationCount, with sort keys too',
    async (h) => {
      await h.multiSet(HK, [['a', '1'], ['b', '2'], ['c', '3'], ['d', '4'], ['e', '5']]);
      let r = await h.multiGetKeys(HK, ['a', 'b', 'c', 'd', 'e'], { maxKvCount: 100 });
      assert.equal(r.error, kIncomplete);
      assert.deepEqual(pairs(r.kvs), [['a', '1'], ['b', '2'], ['c', '3']]);
      r = await h.multiGetKeys(HK, ['e', 'x', 'y', 'z', 'd'], { maxKvCount: -1 });
      assert.equal(r.error, kOk, 'missing keys are not counted');
      assert.deepEqual(pairs(r.kvs), [['e', '5'], ['d', '4']]);
      r = await h.multiGetRange(HK, '', '', { maxKvCount: -1 });
      assert.equal(r.error, kIncomplete);
      assert.equal(r.kvs.length, 3);
    },
    { limits: { multiGetMaxIterationCount: 3 } },
  );

  s.test(
    'multi_get: multiGetMaxIterationSizeBytes caps the size of a range read',
    async (h) => {
      await h.multiSet(HK, [['a', 'xx'], ['b', 'xx'], ['c', 'xx'], ['d', 'xx']]);
      let r = await h.multiGetRange(HK, '', '', { maxKvSize: 1000000 });
      assert.equal(r.error, kIncomplete);
      assert.deepEqual(pairs(r.kvs), [['a', 'xx'], ['b', 'xx']]);
      r = await h.multiGetRange(HK, '', '', { maxKvSize: 4 });
      assert.equal(r.error, kIncomplete, 'the smaller of the two limits applies');
      assert.deepEqual(pairs(r.kvs), [['a', 'xx'], ['b', 'xx']]);
      r = await h.multiGetRange(HK, '', '', { maxKvSize: 2 });
      assert.deepEqual(pairs(r.kvs), [['a', 'xx']]);
    },
    { limits: { multiGetMaxIterationSizeBytes: 6 } },
  );

  s.test(
    'sortkey_count is not cut by the iteration count',
    async (h) => {
      const { all } = await prepare(h, 50, 20);
      const r = await h.sortkeyCount(HK);
      assert.equal(r.error, kOk);
      assert.equal(r.count, 30);
      await cleanup(h, all);
      assert.equal((await h.sortkeyCount(HK)).count, 0);
    },
    { limits: { maxIterationCount: 10, multiGetMaxIterationCount: 10 } },
  );

  s.test(
    'scanner: a batch of expired rows comes back empty with a live context',
    async (h) => {
      const { live } = await prepare(h, 30, 25);
      const first = await h.getScanner(h.hashScanRequest(HK, '', '', { batchSize: 100 }));
      assert.equal(first.error, kOk);
      assert.equal(first.kvs.length, 0, 'the first 10 rows examined are all expired');
      assert.ok(first.contextId >= 0, 'the scan is not finished');
      const result = await h.scanAll(h.hashScanRequest(HK, '', '', { batchSize: 100 }));
      assert.deepEqual(decodeRows(result.kvs).map((row) => [row.sortKey, row.value]), live);
      assert.ok(result.responses.length >= 3, 'at least 3 batches of at most 10 rows examined');
    },
    { limits: { maxIterationCount: 10 } },
  );

  s.test(
    'sortkey_count answers -1 when it runs out of time',
    async (h) => {
      await prepare(h, 1000, 0);
      assert.equal((await h.sortkeyCount(HK)).count, 1000, 'in time');
      h.clock.tickMs = 100;
      const r = await h.sortkeyCount(HK);
      assert.equal(r.error, kOk);
      assert.equal(r.count, -1);
    },
    { limits: { iterationThresholdTimeMs: 50 } },
  );

  s.test(
    'multi_get stops with kIncomplete and partial rows when it runs out of time',
    async (h) => {
      const { live } = await prepare(h, 1000, 0);
      let r = await h.multiGetRange(HK, '', '', { maxKvCount: -1, maxKvSize: -1 });
      assert.equal(r.error, kOk, 'in time');
      assert.equal(r.kvs.length, 1000);
      h.clock.tickMs = 100;
      r = await h.multiGetRange(HK, '', '', { maxKvCount: -1, maxKvSize: -1 });
      assert.equal(r.error, kIncomplete);
      assert.ok(r.kvs.length > 0 && r.kvs.length < 1000, `partial: ${r.kvs.length} rows`);
      assert.deepEqual(pairs(r.kvs), live.slice(0, r.kvs.length), 'the first rows');
    },
    { limits: { iterationThresholdTimeMs: 50 } },
  );
});

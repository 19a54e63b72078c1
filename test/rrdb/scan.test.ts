/**
 * Upstream `src/test/function_test/base_api/test_scan.cpp`: scanner semantics over a table filled with one
 * hash key of 1000 random sort keys, 500 hash keys of 10 rows and 500 hash keys of 10 rows with a 1-day TTL.
 * Upstream's table has 8 partitions and its "overall" tests merge up to 3 unordered scanners; here the one
 * partition is the whole table, scanned with one full scanner. The random fixture uses a seeded generator.
 *
 * Also scanner behaviours of protocol.md §4.4/§10: batch sizes and context ids, unknown or cleared contexts
 * (kNotFound), empty ranges, rows that expire between batches, the iteration time limit (kIncomplete with
 * partial rows), and partition-hash validation that only filters when the table option is on.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { StorageStatus } from '../../src/base/error-code.ts';
import { generateKey, keyPartitionIndex } from '../../src/base/key-schema.ts';
import { FilterType, SCAN_CONTEXT_ID_COMPLETED, type ScanResponse } from '../../src/idl/rrdb.ts';
import { decodeRows, forEachStore, seededRandom, type Harness, type Row, type WriteRequest } from './harness.ts';

const { kOk, kNotFound, kInvalidArgument, kIncomplete } = StorageStatus;

const CCH = '_0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ';
const TTL_SECONDS = 24 * 60 * 60;

/** Byte order of ASCII strings. */
function byBytes(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a), Buffer.from(b));
}

/** Upstream's fixture, reproducible. */
class Fixture {
  readonly expected = new Map<string, Map<string, string>>();
  readonly expireTs = new Map<string, number>();
  expectedHashKey = '';
  private readonly random: () => number;
  private readonly buffer: string;

  constructor(seed: number) {
    this.random = seededRandom(seed);
    let buffer = '';
    for (let i = 0; i < 256; i++) buffer += CCH[this.int(CCH.length)];
    this.buffer = buffer;
  }

  private int(n: number): number {
    return Math.floor(this.random() * n);
  }

  randomString(): string {
    const pos = this.int(256);
    const length = this.int(256) + 1;
    if (pos + length < 256) return this.buffer.slice(pos, pos + length);
    return this.buffer.slice(pos) + this.buffer.slice(0, length + pos - 256);
  }

  rows(hashKey: string): Map<string, string> {
    let rows = this.expected.get(hashKey);
    if (rows === undefined) {
      rows = new Map();
      this.expected.set(hashKey, rows);
    }
    return rows;
  }

  /** Sorted [sort key, value] pairs of the expected hash key. */
  sortedExpectedRows(): Array<[string, string]> {
    return [...this.rows(this.expectedHashKey)].sort(([a], [b]) => byBytes(a, b));
  }

  /** Every row in stored (composite key) order. */
  allRowsInKeyOrder(): Row[] {
    const rows: Array<Row & { key: Buffer }> = [];
    for (const [hashKey, sortKeys] of this.expected) {
      for (const [sortKey, value] of sortKeys) {
        rows.push({ key: generateKey(Buffer.from(hashKey), Buffer.from(sortKey)), hashKey, sortKey, value });
      }
    }
    rows.sort((a, b) => Buffer.compare(a.key, b.key));
    return rows.map(({ hashKey, sortKey, value }) => ({ hashKey, sortKey, value }));
  }

  get count(): number {
    let n = 0;
    for (const rows of this.expected.values()) n += rows.size;
    return n;
  }

  async fill(h: Harness): Promise<void> {
    let pending: WriteRequest[] = [];
    const flush = async (): Promise<void> => {
      if (pending.length === 0) return;
      for (const r of await h.applyBatch(pending)) assert.equal(r.error, kOk);
      pending = [];
    };
    const put = async (hashKey: string, sortKey: string, value: string, ttl: number): Promise<void> => {
      pending.push(h.putRequest(hashKey, sortKey, value, ttl));
      this.rows(hashKey).set(sortKey, value);
      if (ttl > 0) this.expireTs.set(`${hashKey}\u0000${sortKey}`, h.expireTs(ttl));
      if (pending.length >= 500) await flush();
    };

    // 1000 sort keys in one hash key.
    this.expectedHashKey = this.randomString();
    while (this.rows(this.expectedHashKey).size < 1000) await put(this.expectedHashKey, this.randomString(), this.randomString(), 0);
    // 500 hash keys in all by now, each other one with 10 sort keys.
    while (this.expected.size < 501) {
      const hashKey = this.randomString();
      if (this.expected.has(hashKey)) continue;
      while (this.rows(hashKey).size < 10) {
        const sortKey = this.randomString();
        if (this.rows(hashKey).has(sortKey)) continue;
        await put(hashKey, sortKey, this.randomString(), 0);
      }
    }
    // 500 more hash keys of 10 rows with a TTL.
    while (this.expected.size < 1001) {
      const hashKey = this.randomString();
      if (this.expected.has(hashKey)) continue;
      while (this.rows(hashKey).size < 10) {
        const sortKey = this.randomString();
        if (this.rows(hashKey).has(sortKey)) continue;
        await put(hashKey, sortKey, this.randomString(), TTL_SECONDS);
      }
    }
    await flush();
  }
}

function hashRows(rows: Row[], hashKey: string): Array<[string, string]> {
  assert.ok(rows.every((row) => row.hashKey === hashKey), 'every row is of the scanned hash key');
  return rows.map((row) => [row.sortKey, row.value]);
}

/** get_scanner over an empty range: 0, no rows, and no live scanner behind the context id. */
async function expectEmptyScanner(h: Harness, response: ScanResponse, label: string): Promise<void> {
  assert.equal(response.error, kOk, label);
  assert.equal(response.kvs.length, 0, label);
  if (response.contextId !== SCAN_CONTEXT_ID_COMPLETED) {
    assert.equal((await h.scan(response.contextId)).error, kNotFound, `${label}: context ${response.contextId} is not a live scanner`);
  }
}

forEachStore('scan', (s) => {
  // The upstream fixture is read-only for these tests: one filled partition per store.
  let h: Harness;
  const fixture = new Fixture(20240601);
  const random = seededRandom(7);
  const pick = (n: number): number => Math.floor(random() * n);

  before(async () => {
    h = await s.open();
    await fixture.fill(h);
    assert.equal(fixture.count, 11000);
  });
  after(async () => {
    await h.close();
  });

  test('OVERALL_COUNT_ONLY', async () => {
    const result = await h.scanAll(h.fullScanRequest({ onlyReturnCount: true }));
    assert.equal(result.count, fixture.count);
    assert.ok(result.responses.every((r) => r.kvs.length === 0), 'only counts, no rows');
    assert.ok(result.responses.every((r) => r.kvCount !== undefined));
  });

  test('ALL_SORT_KEY', async () => {
    const result = await h.scanAll(h.hashScanRequest(fixture.expectedHashKey, '', ''));
    assert.deepEqual(hashRows(decodeRows(result.kvs), fixture.expectedHashKey), fixture.sortedExpectedRows());
  });

  test('BOUND_INCLUSIVE', async () => {
    const rows = fixture.sortedExpectedRows();
    for (let round = 0; round < 5; round++) {
      const i1 = pick(500);
      const i2 = i1 + pick(400) + 50;
      const result = await h.scanAll(
        h.hashScanRequest(fixture.expectedHashKey, rows[i1]![0], rows[i2]![0], { startInclusive: true, stopInclusive: true }),
      );
      assert.deepEqual(hashRows(decodeRows(result.kvs), fixture.expectedHashKey), rows.slice(i1, i2 + 1), `[${i1}, ${i2}]`);
    }
  });

  test('BOUND_EXCLUSIVE', async () => {
    const rows = fixture.sortedExpectedRows();
    for (let round = 0; round < 5; round++) {
      const i1 = pick(500);
      const i2 = i1 + pick(400) + 50;
      const result = await h.scanAll(
        h.hashScanRequest(fixture.expectedHashKey, rows[i1]![0], rows[i2]![0], { startInclusive: false, stopInclusive: false }),
      );
      assert.deepEqual(hashRows(decodeRows(result.kvs), fixture.expectedHashKey), rows.slice(i1 + 1, i2), `(${i1}, ${i2})`);
    }
  });

  test('ONE_POINT', async () => {
    const rows = fixture.sortedExpectedRows();
    const [start, value] = rows[pick(800)]!;
    const result = await h.scanAll(h.hashScanRequest(fixture.expectedHashKey, start, start, { startInclusive: true, stopInclusive: true }));
    assert.deepEqual(hashRows(decodeRows(result.kvs), fixture.expectedHashKey), [[start, value]]);
    assert.equal(result.responses.at(-1)!.contextId, SCAN_CONTEXT_ID_COMPLETED);
  });

  test('HALF_INCLUSIVE', async () => {
    const rows = fixture.sortedExpectedRows();
    const start = rows[pick(800)]![0];
    const response = await h.getScanner(h.hashScanRequest(fixture.expectedHashKey, start, start, { startInclusive: true, stopInclusive: false }));
    await expectEmptyScanner(h, response, '[start, start)');
  });

  test('VOID_SPAN', async () => {
    const rows = fixture.sortedExpectedRows();
    const i1 = pick(500);
    const i2 = i1 + pick(400) + 50;
    const response = await h.getScanner(
      h.hashScanRequest(fixture.expectedHashKey, rows[i2]![0], rows[i1]![0], { startInclusive: true, stopInclusive: true }),
    );
    await expectEmptyScanner(h, response, '[stop, start]');
  });

  test('OVERALL', async () => {
    const result = await h.scanAll(h.fullScanRequest());
    const rows = decodeRows(result.kvs).map(({ hashKey, sortKey, value }) => ({ hashKey, sortKey, value }));
    assert.equal(rows.length, fixture.count);
    assert.deepEqual(rows, fixture.allRowsInKeyOrder(), 'every row, in key order');
  });

  test('REQUEST_EXPIRE_TS', async () => {
    const result = await h.scanAll(h.fullScanRequest({ returnExpireTs: true }));
    assert.equal(result.kvs.length, fixture.count);
    let withTtl = 0;
    for (const row of decodeRows(result.kvs)) {
      const expected = fixture.expireTs.get(`${row.hashKey}\u0000${row.sortKey}`);
      if (expected === undefined) {
        assert.equal(row.expireTsSeconds ?? 0, 0, `${row.hashKey}/${row.sortKey} has no TTL`);
      } else {
        withTtl++;
        assert.equal(row.expireTsSeconds, expected, `${row.hashKey}/${row.sortKey} expire_ts`);
      }
    }
    assert.equal(withTtl, 5000);
    // Without return_expire_ts the field is not filled.
    const plain = await h.getScanner(h.hashScanRequest(fixture.expectedHashKey, '', '', { batchSize: 5 }));
    assert.ok(plain.kvs.every((kv) => (kv.expireTsSeconds ?? 0) === 0));
    h.db.clearScanner(plain.contextId);
  });

  test('batches hold at most batch_size rows; the last one completes the scan', async () => {
    const result = await h.scanAll(h.hashScanRequest(fixture.expectedHashKey, '', '', { batchSize: 100 }));
    assert.equal(result.kvs.length, 1000);
    assert.ok(result.responses.length >= 10);
    result.responses.forEach((r, i) => {
      assert.ok(r.kvs.length <= 100);
      if (i < result.responses.length - 1) assert.ok(r.contextId >= 0, `batch ${i} has a live context`);
    });
    assert.equal(result.responses.at(-1)!.contextId, SCAN_CONTEXT_ID_COMPLETED);
  });

  test('full scan with a hash key prefix filter', async () => {
    const prefix = fixture.expectedHashKey.slice(0, 1);
    const result = await h.scanAll(h.fullScanRequest({ hashKeyFilterType: FilterType.FT_MATCH_PREFIX, hashKeyFilterPattern: prefix }));
    const expected = fixture.allRowsInKeyOrder().filter((row) => row.hashKey.startsWith(prefix));
    assert.deepEqual(decodeRows(result.kvs).map(({ hashKey, sortKey, value }) => ({ hashKey, sortKey, value })), expected);
  });
});

forEachStore('scanner', (s) => {
  const tenRows = async (h: Harness, hashKey = 'hk', ttl = 0): Promise<Array<[string, string]>> => {
    const rows: Array<[string, string]> = [];
    for (let i = 0; i < 10; i++) rows.push([`s${i}`, `v${i}`]);
    await h.multiSet(hashKey, rows, ttl);
    return rows;
  };

  s.test('context ids: one per unfinished batch, -1 at the end, gone afterwards', async (h) => {
    await tenRows(h);
    await h.multiSet('later', [['x', 'y']]);
    const result = await h.scanAll(h.hashScanRequest('hk', '', '', { batchSize: 3 }));
    assert.deepEqual(result.responses.map((r) => r.kvs.length), [3, 3, 3, 1]);
    assert.deepEqual(result.responses.map((r) => r.contextId >= 0), [true, true, true, false]);
    assert.equal(result.responses.at(-1)!.contextId, SCAN_CONTEXT_ID_COMPLETED);
    assert.deepEqual(decodeRows(result.kvs).map((row) => row.sortKey), ['s0', 's1', 's2', 's3', 's4', 's5', 's6', 's7', 's8', 's9']);
    const lastContext = result.responses.at(-2)!.contextId;
    assert.equal((await h.scan(lastContext)).error, kNotFound, 'a finished scanner is gone');
  });

  s.test('scan of an unknown context is not found', async (h) => {
    await tenRows(h);
    for (const contextId of [987654321, 0, -2]) {
      const r = await h.scan(contextId);
      assert.equal(r.error, kNotFound, `context ${contextId}`);
      assert.equal(r.kvs.length, 0);
    }
  });

  s.test('clear_scanner drops the context: scanning it is then not found', async (h) => {
    await tenRows(h);
    const first = await h.getScanner(h.hashScanRequest('hk', '', '', { batchSize: 4 }));
    assert.equal(first.error, kOk);
    assert.equal(first.kvs.length, 4);
    assert.ok(first.contextId >= 0);
    h.db.clearScanner(first.contextId);
    assert.equal((await h.scan(first.contextId)).error, kNotFound);
    // Clearing an unknown context is harmless.
    h.db.clearScanner(first.contextId);
    h.db.clearScanner(123456789);
  });

  s.test('only_return_count answers kv_count per batch and no rows', async (h) => {
    await tenRows(h);
    const result = await h.scanAll(h.hashScanRequest('hk', '', '', { batchSize: 3, onlyReturnCount: true }));
    assert.deepEqual(result.responses.map((r) => r.kvCount), [3, 3, 3, 1]);
    assert.ok(result.responses.every((r) => r.kvs.length === 0));
    assert.equal(result.count, 10);
  });

  s.test('no_value returns keys with empty values', async (h) => {
    await tenRows(h);
    const result = await h.scanAll(h.hashScanRequest('hk', 's2', 's4', { noValue: true, stopInclusive: true }));
    assert.deepEqual(decodeRows(result.kvs).map((row) => [row.sortKey, row.value]), [['s2', ''], ['s3', ''], ['s4', '']]);
  });

  s.test('sort key filters on a hash scan', async (h) => {
    await h.multiSet('hk', [['a_1', '1'], ['a_2', '2'], ['b_1', '3'], ['xa_1', '4']]);
    const filtered = async (type: number, pattern: string): Promise<string[]> =>
      decodeRows((await h.scanAll(h.hashScanRequest('hk', '', '', { sortKeyFilterType: type, sortKeyFilterPattern: pattern }))).kvs).map(
        (row) => row.sortKey,
      );
    assert.deepEqual(await filtered(FilterType.FT_MATCH_PREFIX, 'a'), ['a_1', 'a_2']);
    assert.deepEqual(await filtered(FilterType.FT_MATCH_POSTFIX, '_1'), ['a_1', 'b_1', 'xa_1']);
    assert.deepEqual(await filtered(FilterType.FT_MATCH_ANYWHERE, 'a_'), ['a_1', 'a_2', 'xa_1']);
    assert.deepEqual(await filtered(FilterType.FT_MATCH_ANYWHERE, ''), ['a_1', 'a_2', 'b_1', 'xa_1']);
    assert.deepEqual(await filtered(FilterType.FT_NO_FILTER, 'ignored'), ['a_1', 'a_2', 'b_1', 'xa_1']);
  });

  s.test('an unknown filter type is an invalid argument', async (h) => {
    await tenRows(h);
    let r = await h.getScanner(h.hashScanRequest('hk', '', '', { hashKeyFilterType: 4, hashKeyFilterPattern: 'h' }));
    assert.equal(r.error, kInvalidArgument);
    assert.equal(r.kvs.length, 0);
    r = await h.getScanner(h.hashScanRequest('hk', '', '', { sortKeyFilterType: -1, sortKeyFilterPattern: 's' }));
    assert.equal(r.error, kInvalidArgument);
  });

  s.test('empty ranges answer 0, no rows and no live scanner', async (h) => {
    await tenRows(h);
    await expectEmptyScanner(h, await h.getScanner(h.hashScanRequest('hk', 's5', 's2', { stopInclusive: true })), 'start > stop');
    await expectEmptyScanner(h, await h.getScanner(h.hashScanRequest('hk', 's3', 's3', { startInclusive: false, stopInclusive: true })), '(s3, s3]');
    await expectEmptyScanner(h, await h.getScanner(h.hashScanRequest('hk', 's3', 's3', { startInclusive: true, stopInclusive: false })), '[s3, s3)');
    await expectEmptyScanner(h, await h.getScanner(h.hashScanRequest('nothing', '', '')), 'a hash key without rows');
  });

  s.test('expired rows are filtered by the time of each scan request', async (h) => {
    const rows: Array<[string, string]> = [];
    for (let i = 0; i < 10; i++) {
      rows.push([`s${i}`, `v${i}`]);
      await h.put('hk', `s${i}`, `v${i}`, i % 2 === 1 ? 10 : 0);
    }
    const first = await h.getScanner(h.hashScanRequest('hk', '', '', { batchSize: 2 }));
    assert.equal(first.error, kOk);
    assert.deepEqual(decodeRows(first.kvs).map((row) => row.sortKey), ['s0', 's1'], 's1 is still live');
    assert.ok(first.contextId >= 0);

    h.advanceSeconds(10);
    const rest = [];
    let response = await h.scan(first.contextId);
    for (;;) {
      assert.equal(response.error, kOk);
      rest.push(...decodeRows(response.kvs).map((row) => row.sortKey));
      if (response.contextId === SCAN_CONTEXT_ID_COMPLETED) break;
      response = await h.scan(response.contextId);
    }
    assert.deepEqual(rest, ['s2', 's4', 's6', 's8'], 'rows that expired after get_scanner are not returned');
  });

  s.test('the iteration time limit ends a scan batch with kIncomplete and partial rows', async (h) => {
    const rows: Array<[string, string]> = [];
    for (let i = 0; i < 1000; i++) rows.push([`s${String(i).padStart(4, '0')}`, `v${i}`]);
    await h.multiSet('hk', rows);

    const inTime = await h.getScanner(h.hashScanRequest('hk', '', '', { batchSize: 1000 }));
    assert.equal(inTime.error, kOk);
    assert.equal(inTime.kvs.length, 1000);

    h.clock.tickMs = 100;
    const late = await h.getScanner(h.hashScanRequest('hk', '', '', { batchSize: 1000 }));
    assert.equal(late.error, kIncomplete, 'get_scanner');
    assert.ok(late.kvs.length > 0 && late.kvs.length < 1000, `partial: ${late.kvs.length} rows`);
    assert.deepEqual(hashRows(decodeRows(late.kvs), 'hk'), rows.slice(0, late.kvs.length));

    h.clock.tickMs = 0;
    const first = await h.getScanner(h.hashScanRequest('hk', '', '', { batchSize: 100 }));
    assert.equal(first.error, kOk);
    assert.equal(first.kvs.length, 100);
    h.clock.tickMs = 100;
    const next = await h.scan(first.contextId);
    assert.equal(next.error, kIncomplete, 'scan');
    assert.ok(next.kvs.length > 0 && next.kvs.length < 100, `partial: ${next.kvs.length} rows`);
    assert.deepEqual(hashRows(decodeRows(next.kvs), 'hk'), rows.slice(100, 100 + next.kvs.length));
  }, { limits: { iterationThresholdTimeMs: 50 } });

  const partitionCount = 8;
  const partitionIndex = 3;
  const fillHashKeys = async (h: Harness): Promise<{ all: string[]; mine: string[] }> => {
    const all: string[] = [];
    for (let i = 0; i < 64; i++) {
      await h.put(`hk${String(i).padStart(2, '0')}`, 'sk', 'v');
      all.push(`hk${String(i).padStart(2, '0')}`);
    }
    const mine = all.filter((hk) => keyPartitionIndex(generateKey(Buffer.from(hk), Buffer.from('sk')), partitionCount) === partitionIndex);
    assert.ok(mine.length > 0 && mine.length < all.length, 'the fixture spans several partitions');
    return { all, mine };
  };
  const scannedHashKeys = async (h: Harness, validatePartitionHash?: boolean): Promise<string[]> => {
    const options = validatePartitionHash === undefined ? {} : { validatePartitionHash };
    const result = await h.scanAll(h.fullScanRequest(options));
    return decodeRows(result.kvs).map((row) => row.hashKey).sort();
  };
  const partitionOptions = { partitionIndex, partitionVersion: partitionCount - 1 };

  s.test('validate_partition_hash filters nothing while the table option is off', async (h) => {
    const { all } = await fillHashKeys(h);
    assert.deepEqual(await scannedHashKeys(h), all, 'request default (true)');
    assert.deepEqual(await scannedHashKeys(h, true), all);
    assert.deepEqual(await scannedHashKeys(h, false), all);
  }, { ...partitionOptions, validatePartitionHash: false });

  s.test('validate_partition_hash with the table option on keeps only this partition\'s keys', async (h) => {
    const { all, mine } = await fillHashKeys(h);
    assert.deepEqual(await scannedHashKeys(h), mine, 'request default (true)');
    assert.deepEqual(await scannedHashKeys(h, true), mine);
    assert.deepEqual(await scannedHashKeys(h, false), all, 'the request can turn it off');
    const counted = await h.scanAll(h.fullScanRequest({ onlyReturnCount: true }));
    assert.equal(counted.count, mine.length);
  }, { ...partitionOptions, validatePartitionHash: true });
});

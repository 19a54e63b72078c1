/**
 * Upstream `src/test/function_test/atomic_write/incr_test.cpp` (and the older `base_api/test_incr.cpp`):
 * a missing or empty value counts as 0, a non-integer old value or an overflow is an invalid argument (with
 * new_value = the old value on overflow), the result is stored as a decimal string, and the TTL is kept (0),
 * replaced (> 0) or cleared (< 0); an expired old value counts as missing. Old values are parsed like strtoll
 * base 0 (protocol.md §10). The atomic_idempotent parameter of upstream's suite is a replica-level switch
 * (primaries turn incr into a put); the partition-level semantics are the same either way.
 */
import assert from 'node:assert/strict';
import { StorageStatus } from '../../src/base/error-code.ts';
import { forEachStore, type Harness } from './harness.ts';

const { kOk, kInvalidArgument, kNotFound } = StorageStatus;
const INT64_MAX = (1n << 63n) - 1n;
const INT64_MIN = -(1n << 63n);
const SK = 'sort_key';

/** Upstream's test_incr: incr and check the answer and the stored decimal string, for each (increment, expected). */
async function expectIncrs(h: Harness, hashKey: string, sortKey: string, steps: Array<[bigint, bigint]>): Promise<void> {
  for (const [increment, expected] of steps) {
    const r = await h.incr(hashKey, sortKey, increment);
    assert.equal(r.error, kOk, `incr ${increment}`);
    assert.equal(r.newValue, expected, `incr ${increment}: new value`);
    assert.equal(r.decree, h.lastDecree);
    assert.equal(await h.value(hashKey, sortKey), expected.toString(), `incr ${increment}: stored value`);
  }
}

forEachStore('incr', (s) => {
  s.test('OnNonExistingKey: a missing key counts as 0', async (h) => {
    await h.del('incr_on_non_existing_key', SK);
    assert.equal(await h.exist('incr_on_non_existing_key', SK), false);
    await expectIncrs(h, 'incr_on_non_existing_key', SK, [[100n, 100n]]);
  });

  s.test('OnEmptyValue: an empty value counts as 0', async (h) => {
    await h.put('incr_on_empty_value', SK, '');
    await expectIncrs(h, 'incr_on_empty_value', SK, [[100n, 100n]]);
  });

  s.test('OnZeroValue, OnPositiveValue, OnNegativeValue, ByZero, MultiTimes', async (h) => {
    await h.put('incr_on_zero_value', SK, '0');
    await expectIncrs(h, 'incr_on_zero_value', SK, [[1n, 1n]]);
    await h.put('incr_on_positive_value', SK, '100');
    await expectIncrs(h, 'incr_on_positive_value', SK, [[1n, 101n]]);
    await h.put('incr_on_negative_value', SK, '-100');
    await expectIncrs(h, 'incr_on_negative_value', SK, [[-1n, -101n]]);
    await h.put('incr_by_zero', SK, '100');
    await expectIncrs(h, 'incr_by_zero', SK, [[0n, 100n]]);
    await h.put('incr_multi_times', SK, '100');
    await expectIncrs(h, 'incr_multi_times', SK, [[1n, 101n], [2n, 103n]]);
  });

  s.test('invalid_old_data: a value that is not an integer is an invalid argument and stays', async (h) => {
    const hk = 'incr_test_invalid_old_data';
    await h.put(hk, '', 'aaa');
    const r = await h.incr(hk, '', 1n);
    assert.equal(r.error, kInvalidArgument);
    assert.equal(r.newValue, 0n);
    assert.equal(r.decree, h.lastDecree, 'the decree is consumed');
    assert.equal(await h.value(hk, ''), 'aaa');
    assert.equal((await h.del(hk, '')).error, kOk);
  });

  s.test('out_of_range_old_data: a value beyond int64 is an invalid argument and stays', async (h) => {
    const hk = 'incr_test_out_of_range_old_data';
    await h.put(hk, '', '10000000000000000000000000000000000000');
    const r = await h.incr(hk, '', 1n);
    assert.equal(r.error, kInvalidArgument);
    assert.equal(r.newValue, 0n);
    assert.equal(await h.value(hk, ''), '10000000000000000000000000000000000000');
  });

  s.test('Overflow and Underflow: invalid argument, new_value is the old value, nothing written', async (h) => {
    await h.put('incr_test_overflow', '', '1');
    let r = await h.incr('incr_test_overflow', '', INT64_MAX);
    assert.equal(r.error, kInvalidArgument);
    assert.equal(r.newValue, 1n);
    assert.equal(await h.value('incr_test_overflow', ''), '1');

    await h.put('incr_test_underflow', '', '-1');
    r = await h.incr('incr_test_underflow', '', INT64_MIN);
    assert.equal(r.error, kInvalidArgument);
    assert.equal(r.newValue, -1n);
    assert.equal(await h.value('incr_test_underflow', ''), '-1');

    // Right up to the limits is fine, and exact (no float rounding).
    await h.put('edge', '', '9223372036854775806');
    await expectIncrs(h, 'edge', '', [[1n, INT64_MAX]]);
    r = await h.incr('edge', '', 1n);
    assert.equal(r.error, kInvalidArgument);
    assert.equal(r.newValue, INT64_MAX);
    await h.put('edge_min', '', '-9223372036854775807');
    await expectIncrs(h, 'edge_min', '', [[-1n, INT64_MIN]]);
    await expectIncrs(h, 'edge_min', '', [[INT64_MAX, -1n]]);
  });

  s.test('old values are parsed like strtoll base 0 and stored back as decimal', async (h) => {
    const hk = 'incr_parse';
    const cases: Array<[string, bigint]> = [
      ['0x10', 17n],
      ['0X1f', 32n],
      ['010', 9n],
      [' 7', 8n],
      ['\t-3', -2n],
      ['+5', 6n],
      ['-0x8000000000000000', INT64_MIN + 1n],
    ];
    for (const [old, expected] of cases) {
      await h.put(hk, SK, old);
      const r = await h.incr(hk, SK, 1n);
      assert.equal(r.error, kOk, `old ${JSON.stringify(old)}`);
      assert.equal(r.newValue, expected, `old ${JSON.stringify(old)}`);
      assert.equal(await h.value(hk, SK), expected.toString());
    }
    for (const old of ['7 ', '08', '0x', '1.5', '12abc', ' ', '-', '7\u0000', '9223372036854775808']) {
      await h.put(hk, SK, old);
      const r = await h.incr(hk, SK, 1n);
      assert.equal(r.error, kInvalidArgument, `old ${JSON.stringify(old)}`);
      assert.equal(await h.value(hk, SK), old, `old ${JSON.stringify(old)} stays`);
    }
  });

  s.test('PreserveTtl: an increment without a TTL keeps the old expire time', async (h) => {
    const hk = 'incr_test_preserve_ttl';
    await h.put(hk, '', '100', 3);
    const r = await h.incr(hk, '', 1n);
    assert.equal(r.error, kOk);
    assert.equal(r.newValue, 101n);
    const ttl = await h.ttl(hk, '');
    assert.equal(ttl.error, kOk);
    assert.equal(ttl.ttlSeconds, 3);

    h.advanceSeconds(2);
    await expectIncrs(h, hk, '', [[1n, 102n]]);
    assert.equal((await h.ttl(hk, '')).ttlSeconds, 1, 'still the first expire time');

    h.advanceSeconds(2);
    assert.equal((await h.get(hk, '')).error, kNotFound);
    assert.equal((await h.del(hk, '')).error, kOk);
  });

  s.test('ResetTtl: an expired old value counts as missing and its TTL is gone', async (h) => {
    const hk = 'incr_test_reset_ttl';
    await h.put(hk, '', '100', 3);
    h.advanceSeconds(4);
    const r = await h.incr(hk, '', 1n);
    assert.equal(r.error, kOk);
    assert.equal(r.newValue, 1n, 'the expired 100 counts as 0');
    const ttl = await h.ttl(hk, '');
    assert.equal(ttl.error, kOk);
    assert.equal(ttl.ttlSeconds, -1);
  });

  s.test('ResetTtl: a positive TTL replaces, a negative one clears', async (h) => {
    const hk = 'incr_test_reset_ttl';
    await h.put(hk, '', '100');
    assert.equal((await h.ttl(hk, '')).ttlSeconds, -1);
    let r = await h.incr(hk, '', 1n, 10);
    assert.equal(r.error, kOk);
    assert.equal(r.newValue, 101n);
    assert.equal((await h.ttl(hk, '')).ttlSeconds, 10);
    assert.equal((await h.del(hk, '')).error, kOk);

    await h.put(hk, '', '200', 10);
    assert.equal((await h.ttl(hk, '')).ttlSeconds, 10);
    r = await h.incr(hk, '', 1n, 5);
    assert.equal(r.newValue, 201n);
    assert.equal((await h.ttl(hk, '')).ttlSeconds, 5, 'a shorter TTL replaces a longer one');
    r = await h.incr(hk, '', 1n, -1);
    assert.equal(r.error, kOk);
    assert.equal(r.newValue, 202n);
    assert.equal((await h.ttl(hk, '')).ttlSeconds, -1);
    h.advanceSeconds(100);
    assert.equal(await h.value(hk, ''), '202');
  });

  s.test('a missing key takes a positive TTL and ignores a negative one', async (h) => {
    let r = await h.incr('fresh', 'with_ttl', 5n, 7);
    assert.equal(r.newValue, 5n);
    assert.equal((await h.ttl('fresh', 'with_ttl')).ttlSeconds, 7);
    r = await h.incr('fresh', 'clear_ttl', 5n, -1);
    assert.equal(r.error, kOk);
    assert.equal(r.newValue, 5n);
    assert.equal((await h.ttl('fresh', 'clear_ttl')).ttlSeconds, -1);
    h.advanceSeconds(7);
    assert.equal((await h.get('fresh', 'with_ttl')).error, kNotFound);
  });

  s.test('an expired old value that is not an integer is not an error', async (h) => {
    await h.put('hk', 'sk', 'not a number', 2);
    h.advanceSeconds(2);
    const r = await h.incr('hk', 'sk', 3n);
    assert.equal(r.error, kOk);
    assert.equal(r.newValue, 3n);
    assert.equal(await h.value('hk', 'sk'), '3');
  });
});

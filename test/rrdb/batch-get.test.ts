/**
 * Upstream `src/test/function_test/base_api/test_batch_get.cpp` (batch_get across hash keys returns every
 * value that was set, skipping the missing ones), plus protocol.md §10: an empty batch_get is an invalid
 * argument. Upstream sends its batch to one partition with partition hash 0; here the one partition holds
 * every key.
 */
import assert from 'node:assert/strict';
import { StorageStatus } from '../../src/base/error-code.ts';
import type { FullKey } from '../../src/idl/rrdb.ts';
import { APP_ID, SERVER, b, forEachStore } from './harness.ts';

const { kOk, kInvalidArgument } = StorageStatus;

function fullKey(hashKey: string, sortKey: string): FullKey {
  return { hashKey: b(hashKey), sortKey: b(sortKey) };
}

forEachStore('batch_get', (s) => {
  s.test('set_and_then_batch_get', async (h) => {
    const keys: FullKey[] = [];
    for (let i = 0; i < 100; i++) {
      const put = await h.put(`hash_key_prefix_${i}`, `sort_key_prefix_${i}`, `value_${i}`);
      assert.equal(put.error, kOk);
      keys.push(fullKey(`hash_key_prefix_${i}`, `sort_key_prefix_${i}`));
    }
    for (let i = 0; i < 6; i++) keys.push(fullKey(`hash_key_prefix_no_exist_${i}`, `sort_key_prefix_no_exist_${i}`));

    const response = await h.db.batchGet({ keys });
    assert.equal(response.error, kOk);
    assert.equal(response.appId, APP_ID);
    assert.equal(response.server, SERVER);
    assert.equal(response.data.length, 100);
    response.data.forEach((data, i) => {
      assert.equal(data.hashKey.toString(), `hash_key_prefix_${i}`);
      assert.equal(data.sortKey.toString(), `sort_key_prefix_${i}`);
      assert.equal(data.value.toString(), `value_${i}`);
    });
  });

  s.test('an empty batch_get is an invalid argument', async (h) => {
    await h.put('hk', 'sk', 'v');
    const response = await h.db.batchGet({ keys: [] });
    assert.equal(response.error, kInvalidArgument);
    assert.equal(response.data.length, 0);
  });

  s.test('batch_get answers in request order and skips expired and removed keys', async (h) => {
    await h.put('h1', 'a', 'A');
    await h.put('h2', 'b', 'B', 3);
    await h.put('h3', 'c', 'C');
    await h.put('h1', 'd', 'D');
    await h.del('h1', 'd');
    await h.put('h0', 'e', '');

    const keys = [fullKey('h3', 'c'), fullKey('h2', 'b'), fullKey('h1', 'd'), fullKey('h1', 'a'), fullKey('h0', 'e')];
    let response = await h.db.batchGet({ keys });
    assert.equal(response.error, kOk);
    assert.deepEqual(
      response.data.map((d) => [d.hashKey.toString(), d.sortKey.toString(), d.value.toString()]),
      [['h3', 'c', 'C'], ['h2', 'b', 'B'], ['h1', 'a', 'A'], ['h0', 'e', '']],
    );

    h.advanceSeconds(3);
    response = await h.db.batchGet({ keys });
    assert.equal(response.error, kOk);
    assert.deepEqual(
      response.data.map((d) => [d.hashKey.toString(), d.sortKey.toString(), d.value.toString()]),
      [['h3', 'c', 'C'], ['h1', 'a', 'A'], ['h0', 'e', '']],
      'the expired key is left out',
    );

    response = await h.db.batchGet({ keys: [fullKey('nope', 'nope')] });
    assert.equal(response.error, kOk, 'no key found is still a success');
    assert.equal(response.data.length, 0);
  });
});

/**
 * Upstream `src/test/function_test/base_api/test_check_and_mutate.cpp`: the check types with a list of
 * mutations (puts and deletes), returned check values, TTLs of mutations; plus protocol.md §4.4/§10: an empty
 * mutate list, an unknown check type or an unknown mutate operation is an invalid argument (4) with no check
 * value returned and nothing written.
 *
 * As in upstream, one `mutations` object is reused: `mutations.set(k, v)` appends, so later calls send the
 * earlier puts too (the last one wins). The client keeps a mutation's TTL relative and makes it absolute
 * (now + ttl) when check_and_mutate is sent.
 */
import assert from 'node:assert/strict';
import { StorageStatus } from '../../src/base/error-code.ts';
import { CasCheckType as CT, type CheckAndSetResponse, type Mutate } from '../../src/idl/rrdb.ts';
import { b, forEachStore, type Harness } from './harness.ts';

const OK = StorageStatus.kOk;
const FAIL = StorageStatus.kTryAgain;
const INVALID = StorageStatus.kInvalidArgument;

/** Client `check_and_mutate(hash_key, check_sort_key, type, operand, mutations, options)`. */
function cam(
  h: Harness,
  hashKey: string,
  checkSortKey: string,
  checkType: number,
  operand: string,
  mutations: Mutate[],
  returnCheckValue = true,
): Promise<CheckAndSetResponse> {
  return h.checkAndMutate({
    hashKey: b(hashKey),
    checkSortKey: b(checkSortKey),
    checkType,
    checkOperand: b(operand),
    mutateList: [...mutations],
    returnCheckValue,
  });
}

/** undefined: check value not returned; null: returned, not existing; string: returned with that value. */
function expectResult(r: CheckAndSetResponse, error: number, checkValue: string | null | undefined, label: string): void {
  assert.equal(r.error, error, `${label}: error`);
  if (checkValue === undefined) {
    assert.equal(r.checkValueReturned, false, `${label}: check value not returned`);
    return;
  }
  assert.equal(r.checkValueReturned, true, `${label}: check value returned`);
  assert.equal(r.checkValueExist, checkValue !== null, `${label}: check value exist`);
  if (checkValue !== null) assert.equal(r.checkValue.toString(), checkValue, `${label}: check value`);
}

/** A check whose mutations all target the check key, with upstream's growing mutations list. */
class Sequence {
  readonly mutations: Mutate[] = [];
  constructor(
    private readonly h: Harness,
    private readonly hashKey: string,
  ) {}

  async step(
    checkKey: string,
    type: number,
    operand: string,
    set: [sortKey: string, value: string],
    expect: number,
    checkValue: string | null | undefined,
    then: string | undefined,
  ): Promise<void> {
    this.mutations.push(this.h.mutatePut(set[0], set[1]));
    const label = `check ${checkKey} type ${type} operand "${operand}" -> ${set[0]} = "${set[1]}"`;
    const r = await cam(this.h, this.hashKey, checkKey, type, operand, this.mutations, checkValue !== undefined);
    expectResult(r, expect, checkValue, label);
    assert.equal(r.decree, this.h.lastDecree, `${label}: decree`);
    assert.equal(await this.h.value(this.hashKey, set[0]), then, `${label}: value afterwards`);
  }
}

forEachStore('check_and_mutate', (s) => {
  s.test('value_not_exist', async (h) => {
    const hk = 'check_and_mutate_test_value_not_exist';
    const t = CT.CT_VALUE_NOT_EXIST;
    await h.del(hk, 'k1');
    let q = new Sequence(h, hk);
    await q.step('k1', t, '', ['k1', 'v1'], OK, null, 'v1');
    await q.step('k1', t, '', ['k1', 'v2'], FAIL, 'v1', 'v1');
    await q.step('k1', t, '', ['k1', 'v1'], FAIL, undefined, 'v1');
    await h.del(hk, 'k1');

    q = new Sequence(h, hk);
    await q.step('k2', t, '', ['k2', ''], OK, null, '');
    await q.step('k2', t, '', ['k2', 'v2'], FAIL, '', '');
    await h.del(hk, 'k2');

    q = new Sequence(h, hk);
    await q.step('k3', t, '', ['k4', 'v4'], OK, null, 'v4');
    assert.equal(await h.value(hk, 'k3'), undefined);
  });

  s.test('value_exist', async (h) => {
    const hk = 'check_and_mutate_test_value_exist';
    const t = CT.CT_VALUE_EXIST;
    let q = new Sequence(h, hk);
    await q.step('k1', t, '', ['k1', 'v1'], FAIL, null, undefined);
    await h.put(hk, 'k1', '');
    await q.step('k1', t, '', ['k1', 'v1'], OK, '', 'v1');
    await q.step('k1', t, '', ['k1', 'v2'], OK, 'v1', 'v2');
    await h.del(hk, 'k1');

    await h.put(hk, 'k3', 'v3');
    q = new Sequence(h, hk);
    await q.step('k3', t, '', ['k4', 'v4'], OK, 'v3', 'v4');
  });

  s.test('value_not_empty', async (h) => {
    const hk = 'check_and_mutate_test_value_not_empty';
    const t = CT.CT_VALUE_NOT_EMPTY;
    let q = new Sequence(h, hk);
    await q.step('k1', t, '', ['k1', 'v1'], FAIL, null, undefined);
    await h.put(hk, 'k1', '');
    await q.step('k1', t, '', ['k1', 'v1'], FAIL, '', '');
    await h.put(hk, 'k1', 'v1');
    await q.step('k1', t, '', ['k1', 'v2'], OK, 'v1', 'v2');
    await h.del(hk, 'k1');

    await h.put(hk, 'k3', 'v3');
    q = new Sequence(h, hk);
    await q.step('k3', t, '', ['k4', 'v4'], OK, 'v3', 'v4');
  });

  s.test('value_match_anywhere / prefix / postfix', async (h) => {
    const hk = 'check_and_mutate_test_value_match';
    const any = CT.CT_VALUE_MATCH_ANYWHERE;
    const pre = CT.CT_VALUE_MATCH_PREFIX;
    const post = CT.CT_VALUE_MATCH_POSTFIX;
    for (const t of [any, pre, post]) {
      await h.del(hk, 'k1');
      const q = new Sequence(h, hk);
      await q.step('k1', t, 'v', ['k1', 'v1'], FAIL, null, undefined);
      await h.put(hk, 'k1', '');
      await q.step('k1', t, 'v', ['k1', 'v1'], FAIL, '', '');
      await q.step('k1', t, '', ['k1', 'v1'], OK, '', 'v1');
      await q.step('k1', t, '', ['k1', 'v2'], OK, 'v1', 'v2');
      await q.step('k1', t, 'y', ['k1', 'v3'], FAIL, 'v2', 'v2');
      await q.step('k1', t, 'v2v', ['k1', 'v3'], FAIL, 'v2', 'v2');
      await q.step('k1', t, 'v2', ['k1', 'v111v'], OK, 'v2', 'v111v');
      // "111" is inside, "v1" a prefix, "1v" a postfix of v111v.
      await q.step('k1', t, '111', ['k1', 'v111v'], t === any ? OK : FAIL, 'v111v', 'v111v');
      await q.step('k1', t, 'v1', ['k1', 'v111v'], t === post ? FAIL : OK, 'v111v', 'v111v');
      await q.step('k1', t, '1v', ['k1', 'v3'], t === pre ? FAIL : OK, 'v111v', t === pre ? 'v111v' : 'v3');
    }
    await h.put(hk, 'k3', 'v333v');
    const q = new Sequence(h, hk);
    await q.step('k3', any, '333', ['k4', 'v4'], OK, 'v333v', 'v4');
    await q.step('k3', pre, 'v333', ['k4', 'v5'], OK, 'v333v', 'v5');
    await q.step('k3', post, '333v', ['k4', 'v6'], OK, 'v333v', 'v6');
  });

  s.test('value_bytes_compare', async (h) => {
    const hk = 'check_and_mutate_test_value_bytes_compare';
    let q = new Sequence(h, hk);
    await q.step('k1', CT.CT_VALUE_BYTES_EQUAL, '', ['k1', 'v1'], FAIL, null, undefined);
    await h.put(hk, 'k1', '');
    await q.step('k1', CT.CT_VALUE_BYTES_EQUAL, '', ['k1', 'v1'], OK, '', 'v1');
    await q.step('k1', CT.CT_VALUE_BYTES_EQUAL, '', ['k1', 'v2'], FAIL, 'v1', 'v1');
    await q.step('k1', CT.CT_VALUE_BYTES_EQUAL, 'v1', ['k1', 'v2'], OK, 'v1', 'v2');

    await h.put(hk, 'k5', 'v1');
    q = new Sequence(h, hk);
    await q.step('k5', CT.CT_VALUE_BYTES_LESS, 'v2', ['k5', 'v2'], OK, 'v1', 'v2');
    await q.step('k5', CT.CT_VALUE_BYTES_LESS_OR_EQUAL, 'v2', ['k5', 'v3'], OK, 'v2', 'v3');
    await q.step('k5', CT.CT_VALUE_BYTES_LESS_OR_EQUAL, 'v4', ['k5', 'v4'], OK, 'v3', 'v4');
    await q.step('k5', CT.CT_VALUE_BYTES_GREATER_OR_EQUAL, 'v4', ['k5', 'v5'], OK, 'v4', 'v5');
    await q.step('k5', CT.CT_VALUE_BYTES_GREATER_OR_EQUAL, 'v4', ['k5', 'v6'], OK, 'v5', 'v6');
    await q.step('k5', CT.CT_VALUE_BYTES_GREATER, 'v5', ['k5', 'v7'], OK, 'v6', 'v7');
    await q.step('k5', CT.CT_VALUE_BYTES_GREATER, 'v7', ['k5', 'v8'], FAIL, 'v7', 'v7');
    await q.step('k5', CT.CT_VALUE_BYTES_LESS, 'v7', ['k5', 'v8'], FAIL, 'v7', 'v7');
  });

  s.test('value_int_compare', async (h) => {
    const hk = 'check_and_mutate_test_value_int_compare';
    let q = new Sequence(h, hk);
    await q.step('k1', CT.CT_VALUE_INT_EQUAL, '1', ['k1', '2'], FAIL, null, undefined);
    await h.put(hk, 'k1', '');
    await q.step('k1', CT.CT_VALUE_INT_EQUAL, '1', ['k1', '2'], INVALID, '', '');
    await h.put(hk, 'k1', '1');
    await q.step('k1', CT.CT_VALUE_INT_EQUAL, '1', ['k1', '2'], OK, '1', '2');
    await q.step('k1', CT.CT_VALUE_INT_EQUAL, '', ['k1', '3'], INVALID, '2', '2');
    await q.step('k1', CT.CT_VALUE_INT_EQUAL, 'v1', ['k1', '3'], INVALID, '2', '2');
    await q.step('k1', CT.CT_VALUE_INT_EQUAL, '88888888888888888888888888888888888888888888888', ['k1', '3'], INVALID, '2', '2');
    await h.put(hk, 'k1', '0');
    await q.step('k1', CT.CT_VALUE_INT_EQUAL, '0', ['k1', '-1'], OK, '0', '-1');
    await q.step('k1', CT.CT_VALUE_INT_EQUAL, '-1', ['k1', '-2'], OK, '-1', '-2');
    await q.step('k1', CT.CT_VALUE_INT_EQUAL, ' -0x2', ['k1', '-3'], OK, '-2', '-3');

    await h.put(hk, 'k3', '3');
    q = new Sequence(h, hk);
    await q.step('k3', CT.CT_VALUE_INT_EQUAL, '3', ['k4', '4'], OK, '3', '4');

    await h.put(hk, 'k5', '1');
    q = new Sequence(h, hk);
    await q.step('k5', CT.CT_VALUE_INT_LESS, '2', ['k5', '2'], OK, '1', '2');
    await q.step('k5', CT.CT_VALUE_INT_LESS_OR_EQUAL, '2', ['k5', '3'], OK, '2', '3');
    await q.step('k5', CT.CT_VALUE_INT_LESS_OR_EQUAL, '4', ['k5', '4'], OK, '3', '4');
    await q.step('k5', CT.CT_VALUE_INT_GREATER_OR_EQUAL, '4', ['k5', '5'], OK, '4', '5');
    await q.step('k5', CT.CT_VALUE_INT_GREATER_OR_EQUAL, '4', ['k5', '6'], OK, '5', '6');
    await q.step('k5', CT.CT_VALUE_INT_GREATER, '5', ['k5', '7'], OK, '6', '7');
    await q.step('k5', CT.CT_VALUE_INT_GREATER, '010', ['k5', '8'], FAIL, '7', '7');

    // A missing value fails an int check before the operand is parsed.
    const r = await cam(h, hk, 'nope', CT.CT_VALUE_INT_EQUAL, 'junk', [h.mutatePut('nope', '1')]);
    expectResult(r, FAIL, null, 'missing value, junk operand');
  });

  s.test('invalid_type: an unknown check type is an invalid argument with no check value', async (h) => {
    const hk = 'check_and_mutate_test_value_invalid_type';
    const r = await cam(h, hk, 'k1', 100, 'v', [h.mutatePut('k1', 'v1')]);
    expectResult(r, INVALID, undefined, 'type 100');
    assert.equal(r.decree, h.lastDecree);
    assert.equal(await h.value(hk, 'k1'), undefined);
  });

  s.test('an unknown mutate operation is an invalid argument with no check value, and nothing is applied', async (h) => {
    const hk = 'cam_invalid_op';
    await h.put(hk, 'check', 'c');
    for (const operation of [2, -1]) {
      const bad: Mutate = { operation, sortKey: b('k2'), value: b('x'), setExpireTsSeconds: 0 };
      const r = await cam(h, hk, 'check', CT.CT_NO_CHECK, '', [h.mutatePut('k1', 'v1'), bad]);
      expectResult(r, INVALID, undefined, `operation ${operation}`);
      assert.equal(await h.value(hk, 'k1'), undefined, 'the valid mutation before it is not applied');
      assert.equal(await h.value(hk, 'k2'), undefined);
    }
  });

  s.test('an empty mutate list is an invalid argument', async (h) => {
    const hk = 'cam_empty';
    await h.put(hk, 'check', 'c');
    const r = await cam(h, hk, 'check', CT.CT_VALUE_EXIST, '', []);
    expectResult(r, INVALID, undefined, 'empty list');
    assert.equal(r.decree, h.lastDecree, 'the decree is consumed');
    assert.equal((await h.put(hk, 'next', 'n')).error, OK);
  });

  s.test('set_del: a put then a delete of one key in one list leaves it deleted', async (h) => {
    const hk = 'check_and_mutate_test_set_del';
    await h.del(hk, 'k1');
    const r = await cam(h, hk, 'k1', CT.CT_VALUE_NOT_EXIST, '', [h.mutatePut('k1', 'v1'), h.mutateDelete('k1')]);
    expectResult(r, OK, null, 'set then del');
    assert.equal((await h.get(hk, 'k1')).error, StorageStatus.kNotFound);
  });

  s.test('puts and deletes on several sort keys apply together, each with its TTL', async (h) => {
    const hk = 'cam_many';
    await h.multiSet(hk, [['check', '5'], ['k2', 'old2'], ['k3', 'old3']]);
    const mutations = [h.mutatePut('k1', 'v1'), h.mutateDelete('k2'), h.mutatePut('k4', 'v4', 20), h.mutateDelete('nope'), h.mutatePut('k3', 'v3')];
    let r = await cam(h, hk, 'check', CT.CT_VALUE_INT_GREATER, '4', mutations);
    expectResult(r, OK, '5', 'applied');
    assert.deepEqual(
      (await h.multiGetRange(hk, '', '')).kvs.map((kv) => [kv.key.toString(), kv.value.toString()]),
      [['check', '5'], ['k1', 'v1'], ['k3', 'v3'], ['k4', 'v4']],
    );
    assert.equal((await h.ttl(hk, 'k4')).ttlSeconds, 20);
    assert.equal((await h.ttl(hk, 'k1')).ttlSeconds, -1);

    // A failed check applies none of them.
    r = await cam(h, hk, 'check', CT.CT_VALUE_INT_LESS, '5', [h.mutateDelete('k1'), h.mutatePut('k9', 'v9')]);
    expectResult(r, FAIL, '5', 'not applied');
    assert.equal(await h.value(hk, 'k1'), 'v1');
    assert.equal(await h.value(hk, 'k9'), undefined);
    assert.equal((await h.sortkeyCount(hk)).count, 4);
  });

  s.test('multi_get_mutations: a value set with a TTL expires, and then counts as missing', async (h) => {
    const hk = 'check_and_mutate_test_multi_get_mutations';
    await h.del(hk, 'k1');
    let r = await cam(h, hk, 'k1', CT.CT_VALUE_NOT_EXIST, '', [h.mutatePut('k1', 'v1', 10)]);
    expectResult(r, OK, null, 'first');
    assert.equal((await h.ttl(hk, 'k1')).ttlSeconds, 10);
    h.advanceSeconds(12);
    assert.equal((await h.get(hk, 'k1')).error, StorageStatus.kNotFound);

    r = await cam(h, hk, 'k1', CT.CT_VALUE_NOT_EXIST, '', [h.mutatePut('k1', 'v1', 10)]);
    expectResult(r, OK, null, 'again after expiry');
    assert.equal(await h.value(hk, 'k1'), 'v1');
  });

  s.test('expire_seconds: a mutation TTL counts from when check_and_mutate is sent', async (h) => {
    const hk = 'check_and_mutate_test_expire_seconds';
    // Upstream adds k1 (ttl 10), sleeps 12 s, adds k2 (ttl 10), then sends: both TTLs start at the send.
    h.advanceSeconds(12);
    const mutations = [h.mutatePut('k1', 'v1', 10), h.mutatePut('k2', 'v2', 10)];
    const r = await cam(h, hk, 'k1', CT.CT_VALUE_NOT_EXIST, '', mutations);
    assert.equal(r.error, OK);
    assert.equal(r.checkValueReturned, true);
    assert.equal(await h.value(hk, 'k1'), 'v1');
    assert.equal((await h.ttl(hk, 'k1')).ttlSeconds, 10);
    assert.equal((await h.ttl(hk, 'k2')).ttlSeconds, 10);

    // A mutation whose absolute expire_ts is already past is written expired: invisible at once.
    const stale = { ...h.mutatePut('k3', 'v3'), setExpireTsSeconds: h.nowEpoch() - 1 };
    assert.equal((await cam(h, hk, 'k3', CT.CT_NO_CHECK, '', [stale])).error, OK);
    assert.equal((await h.get(hk, 'k3')).error, StorageStatus.kNotFound);
  });
});

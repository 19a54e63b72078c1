/**
 * Upstream `src/test/function_test/base_api/test_check_and_set.cpp`: every cas_check_type, the returned check
 * value, set_diff_sort_key and invalid check types; plus protocol.md §10 (int operands parsed as strtoll base
 * 0 over the whole buffer; a missing check value fails an int check with 13 before any 4) and TTLs on set.
 *
 * The C++ client answers PERR_OK with `set_succeed = false` for a server kTryAgain (13); here the server
 * codes are asserted directly: 0 = set, 13 = check failed, 4 = invalid argument.
 */
import assert from 'node:assert/strict';
import { StorageStatus } from '../../src/base/error-code.ts';
import { CasCheckType as CT, type CheckAndSetResponse } from '../../src/idl/rrdb.ts';
import { EMPTY, b, forEachStore, type Harness } from './harness.ts';

const OK = StorageStatus.kOk;
const FAIL = StorageStatus.kTryAgain;
const INVALID = StorageStatus.kInvalidArgument;

interface CasOptions {
  returnCheckValue?: boolean;
  ttlSeconds?: number;
}

/** Client `check_and_set(hash_key, check_sort_key, type, operand, set_sort_key, set_value, options)`. */
function cas(
  h: Harness,
  hashKey: string,
  checkSortKey: string,
  checkType: number,
  operand: string,
  setSortKey: string,
  setValue: string,
  options: CasOptions = {},
): Promise<CheckAndSetResponse> {
  const diff = setSortKey !== checkSortKey;
  return h.checkAndSet({
    hashKey: b(hashKey),
    checkSortKey: b(checkSortKey),
    checkType,
    checkOperand: b(operand),
    setDiffSortKey: diff,
    setSortKey: diff ? b(setSortKey) : EMPTY,
    setValue: b(setValue),
    setExpireTsSeconds: h.expireTs(options.ttlSeconds ?? 0),
    returnCheckValue: options.returnCheckValue ?? true,
  });
}

/**
 * `checkValue`: undefined = the check value was not returned; null = returned, but the value does not exist;
 * a string = returned and existing with that value.
 */
function expectResult(r: CheckAndSetResponse, error: number, checkValue: string | null | undefined, label: string): void {
  assert.equal(r.error, error, `${label}: error`);
  if (checkValue === undefined) {
    assert.equal(r.checkValueReturned, false, `${label}: check value not returned`);
    return;
  }
  assert.equal(r.checkValueReturned, true, `${label}: check value returned`);
  if (checkValue === null) {
    assert.equal(r.checkValueExist, false, `${label}: check value does not exist`);
  } else {
    assert.equal(r.checkValueExist, true, `${label}: check value exists`);
    assert.equal(r.checkValue.toString(), checkValue, `${label}: check value`);
  }
}

/** One client call and what upstream asserts after it. */
type Step =
  | { del: string }
  | { set: string; value: string }
  | {
      check: string;
      type: number;
      operand: string;
      setKey?: string;
      value: string;
      returnCheckValue?: boolean;
      expect: number;
      checkValue: string | null | undefined;
      /** The value of the set key afterwards (undefined: not found). */
      then: string | undefined;
    };

async function run(h: Harness, hashKey: string, steps: Step[]): Promise<void> {
  for (const [i, step] of steps.entries()) {
    if ('del' in step) {
      assert.equal((await h.del(hashKey, step.del)).error, OK);
    } else if ('set' in step) {
      assert.equal((await h.put(hashKey, step.set, step.value)).error, OK);
    } else {
      const setKey = step.setKey ?? step.check;
      const label = `step ${i}: check ${step.check} type ${step.type} operand "${step.operand}" -> set ${setKey} = "${step.value}"`;
      const options: CasOptions = {};
      if (step.returnCheckValue !== undefined) options.returnCheckValue = step.returnCheckValue;
      const r = await cas(h, hashKey, step.check, step.type, step.operand, setKey, step.value, options);
      expectResult(r, step.expect, step.checkValue, label);
      assert.equal(r.decree, h.lastDecree, `${label}: decree`);
      assert.equal(await h.value(hashKey, setKey), step.then, `${label}: value afterwards`);
    }
  }
}

forEachStore('check_and_set', (s) => {
  s.test('value_not_exist', async (h) => {
    const hk = 'check_and_set_test_value_not_exist';
    const t = CT.CT_VALUE_NOT_EXIST;
    await run(h, hk, [
      { del: 'k1' },
      { check: 'k1', type: t, operand: '', value: 'v1', expect: OK, checkValue: null, then: 'v1' },
      { check: 'k1', type: t, operand: '', value: 'v2', expect: FAIL, checkValue: 'v1', then: 'v1' },
      { check: 'k1', type: t, operand: '', value: 'v1', returnCheckValue: false, expect: FAIL, checkValue: undefined, then: 'v1' },
      { del: 'k1' },
      { del: 'k2' },
      { check: 'k2', type: t, operand: '', value: '', expect: OK, checkValue: null, then: '' },
      { check: 'k2', type: t, operand: '', value: 'v2', expect: FAIL, checkValue: '', then: '' },
      { del: 'k2' },
      { del: 'k3' },
      { del: 'k4' },
      { check: 'k3', type: t, operand: '', setKey: 'k4', value: 'v4', expect: OK, checkValue: null, then: 'v4' },
    ]);
    assert.equal(await h.value(hk, 'k3'), undefined, 'the check key is not written when another sort key is set');
  });

  s.test('value_exist', async (h) => {
    const t = CT.CT_VALUE_EXIST;
    await run(h, 'check_and_set_test_value_exist', [
      { del: 'k1' },
      { check: 'k1', type: t, operand: '', value: 'v1', expect: FAIL, checkValue: null, then: undefined },
      { set: 'k1', value: '' },
      { check: 'k1', type: t, operand: '', value: 'v1', expect: OK, checkValue: '', then: 'v1' },
      { check: 'k1', type: t, operand: '', value: 'v2', expect: OK, checkValue: 'v1', then: 'v2' },
      { del: 'k1' },
      { set: 'k3', value: 'v3' },
      { del: 'k4' },
      { check: 'k3', type: t, operand: '', setKey: 'k4', value: 'v4', expect: OK, checkValue: 'v3', then: 'v4' },
    ]);
  });

  s.test('value_not_empty', async (h) => {
    const t = CT.CT_VALUE_NOT_EMPTY;
    await run(h, 'check_and_set_test_value_not_empty', [
      { del: 'k1' },
      { check: 'k1', type: t, operand: '', value: 'v1', expect: FAIL, checkValue: null, then: undefined },
      { set: 'k1', value: '' },
      { check: 'k1', type: t, operand: '', value: 'v1', expect: FAIL, checkValue: '', then: '' },
      { set: 'k1', value: 'v1' },
      { check: 'k1', type: t, operand: '', value: 'v2', expect: OK, checkValue: 'v1', then: 'v2' },
      { del: 'k1' },
      { set: 'k3', value: 'v3' },
      { del: 'k4' },
      { check: 'k3', type: t, operand: '', setKey: 'k4', value: 'v4', expect: OK, checkValue: 'v3', then: 'v4' },
    ]);
  });

  s.test('value_not_exist_or_empty and no_check', async (h) => {
    await run(h, 'check_and_set_test_not_exist_or_empty', [
      { check: 'k1', type: CT.CT_VALUE_NOT_EXIST_OR_EMPTY, operand: '', value: '', expect: OK, checkValue: null, then: '' },
      { check: 'k1', type: CT.CT_VALUE_NOT_EXIST_OR_EMPTY, operand: '', value: 'v1', expect: OK, checkValue: '', then: 'v1' },
      { check: 'k1', type: CT.CT_VALUE_NOT_EXIST_OR_EMPTY, operand: '', value: 'v2', expect: FAIL, checkValue: 'v1', then: 'v1' },
      { check: 'k2', type: CT.CT_NO_CHECK, operand: 'ignored', value: 'v2', expect: OK, checkValue: null, then: 'v2' },
      { check: 'k2', type: CT.CT_NO_CHECK, operand: '', value: 'v3', expect: OK, checkValue: 'v2', then: 'v3' },
      { check: 'k2', type: CT.CT_NO_CHECK, operand: '', value: 'v4', returnCheckValue: false, expect: OK, checkValue: undefined, then: 'v4' },
    ]);
  });

  s.test('value_match_anywhere', async (h) => {
    const t = CT.CT_VALUE_MATCH_ANYWHERE;
    await run(h, 'check_and_set_test_value_match_anywhere', [
      { del: 'k1' },
      { check: 'k1', type: t, operand: 'v', value: 'v1', expect: FAIL, checkValue: null, then: undefined },
      { set: 'k1', value: '' },
      { check: 'k1', type: t, operand: 'v', value: 'v1', expect: FAIL, checkValue: '', then: '' },
      { check: 'k1', type: t, operand: '', value: 'v1', expect: OK, checkValue: '', then: 'v1' },
      { check: 'k1', type: t, operand: '', value: 'v2', expect: OK, checkValue: 'v1', then: 'v2' },
      { check: 'k1', type: t, operand: '2', value: 'v111v', expect: OK, checkValue: 'v2', then: 'v111v' },
      { check: 'k1', type: t, operand: '111', value: 'v2', expect: OK, checkValue: 'v111v', then: 'v2' },
      { check: 'k1', type: t, operand: 'y', value: 'v3', expect: FAIL, checkValue: 'v2', then: 'v2' },
      { check: 'k1', type: t, operand: 'v2v', value: 'v3', expect: FAIL, checkValue: 'v2', then: 'v2' },
      { check: 'k1', type: t, operand: 'v2', value: 'v3', expect: OK, checkValue: 'v2', then: 'v3' },
      { del: 'k1' },
      { set: 'k3', value: 'v333v' },
      { del: 'k4' },
      { check: 'k3', type: t, operand: '333', setKey: 'k4', value: 'v4', expect: OK, checkValue: 'v333v', then: 'v4' },
    ]);
  });

  s.test('value_match_prefix', async (h) => {
    const t = CT.CT_VALUE_MATCH_PREFIX;
    await run(h, 'check_and_set_test_value_match_prefix', [
      { del: 'k1' },
      { check: 'k1', type: t, operand: 'v', value: 'v1', expect: FAIL, checkValue: null, then: undefined },
      { set: 'k1', value: '' },
      { check: 'k1', type: t, operand: 'v', value: 'v1', expect: FAIL, checkValue: '', then: '' },
      { check: 'k1', type: t, operand: '', value: 'v1', expect: OK, checkValue: '', then: 'v1' },
      { check: 'k1', type: t, operand: '', value: 'v2', expect: OK, checkValue: 'v1', then: 'v2' },
      { check: 'k1', type: t, operand: 'v', value: 'v111v', expect: OK, checkValue: 'v2', then: 'v111v' },
      { check: 'k1', type: t, operand: '111', value: 'v2', expect: FAIL, checkValue: 'v111v', then: 'v111v' },
      { check: 'k1', type: t, operand: 'v111', value: 'v2', expect: OK, checkValue: 'v111v', then: 'v2' },
      { check: 'k1', type: t, operand: 'y', value: 'v3', expect: FAIL, checkValue: 'v2', then: 'v2' },
      { check: 'k1', type: t, operand: 'v2v', value: 'v3', expect: FAIL, checkValue: 'v2', then: 'v2' },
      { check: 'k1', type: t, operand: '2', value: 'v3', expect: FAIL, checkValue: 'v2', then: 'v2' },
      { check: 'k1', type: t, operand: 'v2', value: 'v3', expect: OK, checkValue: 'v2', then: 'v3' },
      { del: 'k1' },
      { set: 'k3', value: 'v333v' },
      { del: 'k4' },
      { check: 'k3', type: t, operand: 'v333', setKey: 'k4', value: 'v4', expect: OK, checkValue: 'v333v', then: 'v4' },
    ]);
  });

  s.test('value_match_postfix', async (h) => {
    const t = CT.CT_VALUE_MATCH_POSTFIX;
    await run(h, 'check_and_set_test_value_match_postfix', [
      { del: 'k1' },
      { check: 'k1', type: t, operand: 'v', value: 'v1', expect: FAIL, checkValue: null, then: undefined },
      { set: 'k1', value: '' },
      { check: 'k1', type: t, operand: 'v', value: 'v1', expect: FAIL, checkValue: '', then: '' },
      { check: 'k1', type: t, operand: '', value: 'v1', expect: OK, checkValue: '', then: 'v1' },
      { check: 'k1', type: t, operand: '', value: 'v2', expect: OK, checkValue: 'v1', then: 'v2' },
      { check: 'k1', type: t, operand: '2', value: 'v111v', expect: OK, checkValue: 'v2', then: 'v111v' },
      { check: 'k1', type: t, operand: '111', value: 'v2', expect: FAIL, checkValue: 'v111v', then: 'v111v' },
      { check: 'k1', type: t, operand: '111v', value: 'v2', expect: OK, checkValue: 'v111v', then: 'v2' },
      { check: 'k1', type: t, operand: 'y', value: 'v3', expect: FAIL, checkValue: 'v2', then: 'v2' },
      { check: 'k1', type: t, operand: '2v2', value: 'v3', expect: FAIL, checkValue: 'v2', then: 'v2' },
      { check: 'k1', type: t, operand: 'v', value: 'v3', expect: FAIL, checkValue: 'v2', then: 'v2' },
      { check: 'k1', type: t, operand: 'v2', value: 'v3', expect: OK, checkValue: 'v2', then: 'v3' },
      { del: 'k1' },
      { set: 'k3', value: 'v333v' },
      { del: 'k4' },
      { check: 'k3', type: t, operand: '333v', setKey: 'k4', value: 'v4', expect: OK, checkValue: 'v333v', then: 'v4' },
    ]);
  });

  s.test('value_bytes_compare', async (h) => {
    await run(h, 'check_and_set_test_value_bytes_compare', [
      { del: 'k1' },
      { check: 'k1', type: CT.CT_VALUE_BYTES_EQUAL, operand: '', value: 'v1', expect: FAIL, checkValue: null, then: undefined },
      { set: 'k1', value: '' },
      { check: 'k1', type: CT.CT_VALUE_BYTES_EQUAL, operand: '', value: 'v1', expect: OK, checkValue: '', then: 'v1' },
      { check: 'k1', type: CT.CT_VALUE_BYTES_EQUAL, operand: '', value: 'v2', expect: FAIL, checkValue: 'v1', then: 'v1' },
      { check: 'k1', type: CT.CT_VALUE_BYTES_EQUAL, operand: 'v1', value: 'v2', expect: OK, checkValue: 'v1', then: 'v2' },
      { del: 'k1' },
      { set: 'k3', value: 'v3' },
      { del: 'k4' },
      { check: 'k3', type: CT.CT_VALUE_BYTES_EQUAL, operand: 'v3', setKey: 'k4', value: 'v4', expect: OK, checkValue: 'v3', then: 'v4' },
      { set: 'k5', value: 'v1' },
      // v1 < v2, v2 <= v2, v3 <= v4, v4 >= v4, v5 >= v4, v6 > v5
      { check: 'k5', type: CT.CT_VALUE_BYTES_LESS, operand: 'v2', value: 'v2', expect: OK, checkValue: 'v1', then: 'v2' },
      { check: 'k5', type: CT.CT_VALUE_BYTES_LESS_OR_EQUAL, operand: 'v2', value: 'v3', expect: OK, checkValue: 'v2', then: 'v3' },
      { check: 'k5', type: CT.CT_VALUE_BYTES_LESS_OR_EQUAL, operand: 'v4', value: 'v4', expect: OK, checkValue: 'v3', then: 'v4' },
      { check: 'k5', type: CT.CT_VALUE_BYTES_GREATER_OR_EQUAL, operand: 'v4', value: 'v5', expect: OK, checkValue: 'v4', then: 'v5' },
      { check: 'k5', type: CT.CT_VALUE_BYTES_GREATER_OR_EQUAL, operand: 'v4', value: 'v6', expect: OK, checkValue: 'v5', then: 'v6' },
      { check: 'k5', type: CT.CT_VALUE_BYTES_GREATER, operand: 'v5', value: 'v7', expect: OK, checkValue: 'v6', then: 'v7' },
      // And the failing sides: v7 < v7, v7 <= v6, v7 >= v8, v7 > v7, v7 == v70.
      { check: 'k5', type: CT.CT_VALUE_BYTES_LESS, operand: 'v7', value: 'x', expect: FAIL, checkValue: 'v7', then: 'v7' },
      { check: 'k5', type: CT.CT_VALUE_BYTES_LESS_OR_EQUAL, operand: 'v6', value: 'x', expect: FAIL, checkValue: 'v7', then: 'v7' },
      { check: 'k5', type: CT.CT_VALUE_BYTES_GREATER_OR_EQUAL, operand: 'v8', value: 'x', expect: FAIL, checkValue: 'v7', then: 'v7' },
      { check: 'k5', type: CT.CT_VALUE_BYTES_GREATER, operand: 'v7', value: 'x', expect: FAIL, checkValue: 'v7', then: 'v7' },
      { check: 'k5', type: CT.CT_VALUE_BYTES_EQUAL, operand: 'v70', value: 'x', expect: FAIL, checkValue: 'v7', then: 'v7' },
      // Byte order, not numbers: "10" < "9"; a prefix is smaller: "v7" > "v".
      { set: 'k6', value: '10' },
      { check: 'k6', type: CT.CT_VALUE_BYTES_LESS, operand: '9', value: '11', expect: OK, checkValue: '10', then: '11' },
      { check: 'k5', type: CT.CT_VALUE_BYTES_GREATER, operand: 'v', value: 'v8', expect: OK, checkValue: 'v7', then: 'v8' },
    ]);
  });

  s.test('value_int_compare', async (h) => {
    await run(h, 'check_and_set_test_value_int_compare', [
      { del: 'k1' },
      { check: 'k1', type: CT.CT_VALUE_INT_EQUAL, operand: '1', value: '2', expect: FAIL, checkValue: null, then: undefined },
      { set: 'k1', value: '' },
      // An empty value is not an integer: invalid argument, but the check value is still returned.
      { check: 'k1', type: CT.CT_VALUE_INT_EQUAL, operand: '1', value: '2', expect: INVALID, checkValue: '', then: '' },
      { set: 'k1', value: '1' },
      { check: 'k1', type: CT.CT_VALUE_INT_EQUAL, operand: '1', value: '2', expect: OK, checkValue: '1', then: '2' },
      { check: 'k1', type: CT.CT_VALUE_INT_EQUAL, operand: '', value: '3', expect: INVALID, checkValue: '2', then: '2' },
      { check: 'k1', type: CT.CT_VALUE_INT_EQUAL, operand: 'v1', value: '3', expect: INVALID, checkValue: '2', then: '2' },
      {
        check: 'k1',
        type: CT.CT_VALUE_INT_EQUAL,
        operand: '88888888888888888888888888888888888888888888888',
        value: '3',
        expect: INVALID,
        checkValue: '2',
        then: '2',
      },
      { set: 'k1', value: '0' },
      { check: 'k1', type: CT.CT_VALUE_INT_EQUAL, operand: '0', value: '-1', expect: OK, checkValue: '0', then: '-1' },
      { check: 'k1', type: CT.CT_VALUE_INT_EQUAL, operand: '-1', value: '-2', expect: OK, checkValue: '-1', then: '-2' },
      { del: 'k1' },
      { set: 'k3', value: '3' },
      { del: 'k4' },
      { check: 'k3', type: CT.CT_VALUE_INT_EQUAL, operand: '3', setKey: 'k4', value: '4', expect: OK, checkValue: '3', then: '4' },
      { set: 'k5', value: '1' },
      // 1 < 2, 2 <= 2, 3 <= 4, 4 >= 4, 5 >= 4, 6 > 5
      { check: 'k5', type: CT.CT_VALUE_INT_LESS, operand: '2', value: '2', expect: OK, checkValue: '1', then: '2' },
      { check: 'k5', type: CT.CT_VALUE_INT_LESS_OR_EQUAL, operand: '2', value: '3', expect: OK, checkValue: '2', then: '3' },
      { check: 'k5', type: CT.CT_VALUE_INT_LESS_OR_EQUAL, operand: '4', value: '4', expect: OK, checkValue: '3', then: '4' },
      { check: 'k5', type: CT.CT_VALUE_INT_GREATER_OR_EQUAL, operand: '4', value: '5', expect: OK, checkValue: '4', then: '5' },
      { check: 'k5', type: CT.CT_VALUE_INT_GREATER_OR_EQUAL, operand: '4', value: '6', expect: OK, checkValue: '5', then: '6' },
      { check: 'k5', type: CT.CT_VALUE_INT_GREATER, operand: '5', value: '7', expect: OK, checkValue: '6', then: '7' },
      // The failing sides, and numbers compared as numbers: 7 > 10 is false although "7" > "10" as bytes.
      { check: 'k5', type: CT.CT_VALUE_INT_LESS, operand: '7', value: 'x', expect: FAIL, checkValue: '7', then: '7' },
      { check: 'k5', type: CT.CT_VALUE_INT_LESS_OR_EQUAL, operand: '6', value: 'x', expect: FAIL, checkValue: '7', then: '7' },
      { check: 'k5', type: CT.CT_VALUE_INT_GREATER_OR_EQUAL, operand: '8', value: 'x', expect: FAIL, checkValue: '7', then: '7' },
      { check: 'k5', type: CT.CT_VALUE_INT_GREATER, operand: '10', value: 'x', expect: FAIL, checkValue: '7', then: '7' },
      { check: 'k5', type: CT.CT_VALUE_INT_EQUAL, operand: '-7', value: 'x', expect: FAIL, checkValue: '7', then: '7' },
    ]);
  });

  s.test('int operands and values are parsed like strtoll base 0 over the whole buffer', async (h) => {
    const hk = 'int_parse';
    // [stored value, check type, operand, expected]
    const cases: Array<[string, number, string, number]> = [
      ['0x10', CT.CT_VALUE_INT_EQUAL, '16', OK],
      ['0X1F', CT.CT_VALUE_INT_EQUAL, '31', OK],
      ['16', CT.CT_VALUE_INT_EQUAL, '0x10', OK],
      ['010', CT.CT_VALUE_INT_EQUAL, '8', OK],
      ['010', CT.CT_VALUE_INT_EQUAL, '10', FAIL],
      ['8', CT.CT_VALUE_INT_EQUAL, '010', OK],
      [' 7', CT.CT_VALUE_INT_EQUAL, '7', OK],
      ['7', CT.CT_VALUE_INT_EQUAL, '\t\n 7', OK],
      ['+5', CT.CT_VALUE_INT_EQUAL, '5', OK],
      ['-1', CT.CT_VALUE_INT_EQUAL, '-0x1', OK],
      ['0', CT.CT_VALUE_INT_EQUAL, '-0', OK],
      ['0', CT.CT_VALUE_INT_EQUAL, '00', OK],
      ['9223372036854775807', CT.CT_VALUE_INT_GREATER, '9223372036854775806', OK],
      ['-9223372036854775808', CT.CT_VALUE_INT_LESS, '-9223372036854775807', OK],
      ['-9223372036854775808', CT.CT_VALUE_INT_EQUAL, '-0x8000000000000000', OK],
      ['10', CT.CT_VALUE_INT_GREATER, '9', OK],
      // Not a whole int64: invalid argument.
      ['7 ', CT.CT_VALUE_INT_EQUAL, '7', INVALID],
      ['7', CT.CT_VALUE_INT_EQUAL, '7 ', INVALID],
      ['7', CT.CT_VALUE_INT_EQUAL, '0x', INVALID],
      ['7', CT.CT_VALUE_INT_EQUAL, '08', INVALID],
      ['7', CT.CT_VALUE_INT_EQUAL, '1e3', INVALID],
      ['7', CT.CT_VALUE_INT_EQUAL, '12abc', INVALID],
      ['7', CT.CT_VALUE_INT_EQUAL, ' ', INVALID],
      ['7', CT.CT_VALUE_INT_EQUAL, '-', INVALID],
      ['7', CT.CT_VALUE_INT_EQUAL, '7\u0000', INVALID],
      ['7', CT.CT_VALUE_INT_LESS, '9223372036854775808', INVALID],
      ['7', CT.CT_VALUE_INT_GREATER, '-9223372036854775809', INVALID],
      ['9223372036854775808', CT.CT_VALUE_INT_EQUAL, '7', INVALID],
      ['abc', CT.CT_VALUE_INT_EQUAL, 'abc', INVALID],
    ];
    for (const [value, type, operand, expected] of cases) {
      await h.put(hk, 'k', value);
      const r = await cas(h, hk, 'k', type, operand, 'k', 'written');
      const label = `value ${JSON.stringify(value)} type ${type} operand ${JSON.stringify(operand)}`;
      expectResult(r, expected, value, label);
      assert.equal(await h.value(hk, 'k'), expected === OK ? 'written' : value, `${label}: value afterwards`);
    }
  });

  s.test('a missing or expired value fails an int check with 13 before the operand is looked at', async (h) => {
    const hk = 'int_missing';
    for (const operand of ['1', 'not a number', '', '88888888888888888888888888888888888888888888888']) {
      const r = await cas(h, hk, 'missing', CT.CT_VALUE_INT_LESS, operand, 'missing', 'v');
      expectResult(r, FAIL, null, `missing value, operand ${JSON.stringify(operand)}`);
      assert.equal(await h.value(hk, 'missing'), undefined);
    }
    await h.put(hk, 'expiring', 'not a number either', 5);
    h.advanceSeconds(5);
    const r = await cas(h, hk, 'expiring', CT.CT_VALUE_INT_EQUAL, 'junk', 'expiring', 'v');
    expectResult(r, FAIL, null, 'expired value');
  });

  s.test('invalid_type: an unknown check type is an invalid argument with no check value', async (h) => {
    const hk = 'check_and_set_test_value_invalid_type';
    await h.put(hk, 'k1', 'old');
    for (const type of [100, 18, -1]) {
      const r = await cas(h, hk, 'k1', type, 'v', 'k1', 'v1');
      assert.equal(r.error, INVALID, `type ${type}`);
      assert.equal(r.checkValueReturned, false, `type ${type}: no check value`);
      assert.equal(r.checkValueExist, false);
      assert.equal(r.decree, h.lastDecree);
      assert.equal(await h.value(hk, 'k1'), 'old', `type ${type}: nothing written`);
    }
  });

  s.test('set_diff_sort_key false sets the check key and ignores set_sort_key', async (h) => {
    const hk = 'diff';
    const r = await h.checkAndSet({
      hashKey: b(hk),
      checkSortKey: b('check'),
      checkType: CT.CT_VALUE_NOT_EXIST,
      checkOperand: EMPTY,
      setDiffSortKey: false,
      setSortKey: b('other'),
      setValue: b('v'),
      setExpireTsSeconds: 0,
      returnCheckValue: false,
    });
    expectResult(r, OK, undefined, 'not diff');
    assert.equal(await h.value(hk, 'check'), 'v');
    assert.equal(await h.value(hk, 'other'), undefined);
  });

  s.test('a TTL on set applies to the set value; an expired check value counts as missing', async (h) => {
    const hk = 'cas_ttl';
    let r = await cas(h, hk, 'k1', CT.CT_VALUE_NOT_EXIST, '', 'k1', 'v1', { ttlSeconds: 10 });
    expectResult(r, OK, null, 'set with ttl');
    const ttl = await h.ttl(hk, 'k1');
    assert.equal(ttl.error, StorageStatus.kOk);
    assert.equal(ttl.ttlSeconds, 10);

    h.advanceSeconds(4);
    r = await cas(h, hk, 'k1', CT.CT_VALUE_EXIST, '', 'k2', 'v2', { ttlSeconds: 3 });
    expectResult(r, OK, 'v1', 'check a live value, set another key with its own ttl');
    assert.equal((await h.ttl(hk, 'k2')).ttlSeconds, 3);
    assert.equal((await h.ttl(hk, 'k1')).ttlSeconds, 6);

    h.advanceSeconds(6);
    assert.equal(await h.value(hk, 'k1'), undefined);
    assert.equal(await h.value(hk, 'k2'), undefined);
    r = await cas(h, hk, 'k1', CT.CT_VALUE_EXIST, '', 'k1', 'v3');
    expectResult(r, FAIL, null, 'an expired value does not exist');
    r = await cas(h, hk, 'k1', CT.CT_VALUE_NOT_EXIST, '', 'k1', 'v3');
    expectResult(r, OK, null, 'so NOT_EXIST passes');
    assert.equal(await h.value(hk, 'k1'), 'v3');
    assert.equal((await h.ttl(hk, 'k1')).ttlSeconds, -1, 'set without ttl');
  });

  s.test('a failed check writes nothing but still consumes its decree', async (h) => {
    await h.put('hk', 'k', 'v');
    const before = h.lastDecree;
    const r = await cas(h, 'hk', 'k', CT.CT_VALUE_NOT_EXIST, '', 'other', 'x');
    expectResult(r, FAIL, 'v', 'failed check');
    assert.equal(r.decree, before + 1);
    assert.equal(h.db.lastAppliedDecree(), before + 1);
    assert.equal(await h.value('hk', 'other'), undefined);
    assert.equal((await h.put('hk', 'next', 'n')).error, OK, 'the next decree applies');
  });
});

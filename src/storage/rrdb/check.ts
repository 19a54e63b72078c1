/** The check of check_and_set / check_and_mutate (upstream `validate_check`). */
import { CasCheckType } from '../../idl/rrdb.ts';
import { parseInt64Strict } from './int64.ts';

export function isCheckTypeSupported(type: number): boolean {
  return Number.isInteger(type) && type >= CasCheckType.CT_NO_CHECK && type <= CasCheckType.CT_VALUE_INT_GREATER;
}

export interface CheckResult {
  passed: boolean;
  /** The value or the operand is not an int64 (int checks only). */
  invalidArgument: boolean;
}

const PASSED: CheckResult = { passed: true, invalidArgument: false };
const FAILED: CheckResult = { passed: false, invalidArgument: false };
const INVALID: CheckResult = { passed: false, invalidArgument: true };

/** Maps a three-way comparison onto the LESS..GREATER family starting at `lessType`. */
function compareToResult(c: number, type: number, lessType: number): CheckResult {
  const lessOrEqual = lessType + 1;
  const greaterOrEqual = lessType + 3;
  if (c < 0) return type <= lessOrEqual ? PASSED : FAILED;
  if (c > 0) return type >= greaterOrEqual ? PASSED : FAILED;
  return type >= lessOrEqual && type <= greaterOrEqual ? PASSED : FAILED;
}

/**
 * `valueExist` is false for a missing or expired value. Every value check fails on a missing value before
 * anything else is looked at, so an int check against a missing value is a plain failure (kTryAgain), not an
 * invalid operand, even when the operand is no integer (protocol.md §10).
 */
export function validateCheck(type: number, operand: Buffer, valueExist: boolean, value: Buffer): CheckResult {
  switch (type) {
    case CasCheckType.CT_NO_CHECK:
      return PASSED;
    case CasCheckType.CT_VALUE_NOT_EXIST:
      return valueExist ? FAILED : PASSED;
    case CasCheckType.CT_VALUE_NOT_EXIST_OR_EMPTY:
      return !valueExist || value.length === 0 ? PASSED : FAILED;
    case CasCheckType.CT_VALUE_EXIST:
      return valueExist ? PASSED : FAILED;
    case CasCheckType.CT_VALUE_NOT_EMPTY:
      return valueExist && value.length !== 0 ? PASSED : FAILED;
    case CasCheckType.CT_VALUE_MATCH_ANYWHERE:
    case CasCheckType.CT_VALUE_MATCH_PREFIX:
    case CasCheckType.CT_VALUE_MATCH_POSTFIX: {
      if (!valueExist) return FAILED;
      if (operand.length === 0) return PASSED;
      if (value.length < operand.length) return FAILED;
      let match: boolean;
      if (type === CasCheckType.CT_VALUE_MATCH_ANYWHERE) match = value.indexOf(operand) !== -1;
      else if (type === CasCheckType.CT_VALUE_MATCH_PREFIX) match = value.compare(operand, 0, operand.length, 0, operand.length) === 0;
      else match = value.compare(operand, 0, operand.length, value.length - operand.length) === 0;
      return match ? PASSED : FAILED;
    }
    case CasCheckType.CT_VALUE_BYTES_LESS:
    case CasCheckType.CT_VALUE_BYTES_LESS_OR_EQUAL:
    case CasCheckType.CT_VALUE_BYTES_EQUAL:
    case CasCheckType.CT_VALUE_BYTES_GREATER_OR_EQUAL:
    case CasCheckType.CT_VALUE_BYTES_GREATER:
      if (!valueExist) return FAILED;
      return compareToResult(Buffer.compare(value, operand), type, CasCheckType.CT_VALUE_BYTES_LESS);
    case CasCheckType.CT_VALUE_INT_LESS:
    case CasCheckType.CT_VALUE_INT_LESS_OR_EQUAL:
    case CasCheckType.CT_VALUE_INT_EQUAL:
    case CasCheckType.CT_VALUE_INT_GREATER_OR_EQUAL:
    case CasCheckType.CT_VALUE_INT_GREATER: {
      if (!valueExist) return FAILED;
      const valueInt = parseInt64Strict(value);
      if (valueInt === undefined) return INVALID;
      const operandInt = parseInt64Strict(operand);
      if (operandInt === undefined) return INVALID;
      const c = valueInt < operandInt ? -1 : valueInt > operandInt ? 1 : 0;
      return compareToResult(c, type, CasCheckType.CT_VALUE_INT_LESS);
    }
    default:
      return INVALID;
  }
}

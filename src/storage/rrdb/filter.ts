/** Hash-key and sort-key filters of multi_get and scans (upstream `validate_filter`). */
import { FilterType } from '../../idl/rrdb.ts';

export function isFilterTypeSupported(type: number): boolean {
  return type >= FilterType.FT_NO_FILTER && type <= FilterType.FT_MATCH_POSTFIX && Number.isInteger(type);
}

/** Byte-wise match; an empty pattern matches everything. */
export function matchFilter(type: number, pattern: Buffer, value: Buffer): boolean {
  if (type === FilterType.FT_NO_FILTER || pattern.length === 0) return true;
  if (value.length < pattern.length) return false;
  switch (type) {
    case FilterType.FT_MATCH_ANYWHERE:
      return value.indexOf(pattern) !== -1;
    case FilterType.FT_MATCH_PREFIX:
      return value.compare(pattern, 0, pattern.length, 0, pattern.length) === 0;
    case FilterType.FT_MATCH_POSTFIX:
      return value.compare(pattern, 0, pattern.length, value.length - pattern.length, value.length) === 0;
    default:
      return false;
  }
}

/**
 * Integer parsing for `incr` and the CT_VALUE_INT_* checks, as upstream's `buf2int64`: C `strtoll` with
 * base 0 that must consume the whole buffer. So leading whitespace, a sign, `0x` hex and leading-zero octal
 * are accepted; trailing bytes, an embedded NUL, an empty buffer and out-of-range values are not.
 */

const INT64_MIN = -(1n << 63n);
const INT64_MAX = (1n << 63n) - 1n;

function isCSpace(c: number): boolean {
  return c === 0x20 || (c >= 0x09 && c <= 0x0d);
}

function digitValue(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x61 && c <= 0x66) return c - 0x61 + 10;
  if (c >= 0x41 && c <= 0x46) return c - 0x41 + 10;
  return 99;
}

export function parseInt64Strict(buf: Uint8Array): bigint | undefined {
  const length = buf.length;
  if (length === 0) return undefined;
  let p = 0;
  while (p < length && isCSpace(buf[p]!)) p++;
  let negative = false;
  if (p < length && (buf[p] === 0x2b || buf[p] === 0x2d)) {
    negative = buf[p] === 0x2d;
    p++;
  }
  let base = 10;
  if (p < length && buf[p] === 0x30) {
    // "0x" switches to hex only when a hex digit follows; otherwise strtoll reads just "0".
    if (p + 2 < length && (buf[p + 1] === 0x78 || buf[p + 1] === 0x58) && digitValue(buf[p + 2]!) < 16) {
      base = 16;
      p += 2;
    } else {
      base = 8;
    }
  }
  const digitsStart = p;
  let value = 0n;
  const bigBase = BigInt(base);
  while (p < length) {
    const d = digitValue(buf[p]!);
    if (d >= base) break;
    value = value * bigBase + BigInt(d);
    p++;
  }
  // No digits at all: strtoll converts nothing, so the whole buffer is not consumed.
  if (p === digitsStart) return undefined;
  if (p !== length) return undefined;
  if (negative) value = -value;
  if (value < INT64_MIN || value > INT64_MAX) return undefined;
  return value;
}

export function isInt64(value: bigint): boolean {
  return value >= INT64_MIN && value <= INT64_MAX;
}

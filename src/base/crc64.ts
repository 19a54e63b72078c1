/**
 * Upstream's CRC-64, the routing hash (protocol.md §3.2): reflected polynomial 0x9A6C9329AC4BC9B5,
 * init and final xor all ones. It is none of the catalogued CRC-64 variants, so no library computes it.
 * The 64-bit register is kept as two uint32 halves: BigInt arithmetic per byte would be far slower.
 */

const POLY_REFLECTED = 0x9a6c9329ac4bc9b5n;

const TABLE_HI = new Uint32Array(256);
const TABLE_LO = new Uint32Array(256);
for (let i = 0; i < 256; i++) {
  let c = BigInt(i);
  for (let k = 0; k < 8; k++) c = c & 1n ? (c >> 1n) ^ POLY_REFLECTED : c >> 1n;
  TABLE_HI[i] = Number(c >> 32n);
  TABLE_LO[i] = Number(c & 0xffffffffn);
}

/** The register after `data`, as [hi, lo] uint32 halves. */
function crc64Halves(data: Uint8Array, start = 0, end = data.length): [number, number] {
  let hi = 0xffffffff;
  let lo = 0xffffffff;
  for (let p = start; p < end; p++) {
    const i = (lo ^ data[p]!) & 0xff;
    lo = (TABLE_LO[i]! ^ ((lo >>> 8) | (hi << 24))) >>> 0;
    hi = (TABLE_HI[i]! ^ (hi >>> 8)) >>> 0;
  }
  return [~hi >>> 0, ~lo >>> 0];
}

/** crc64 of `data[start, end)` as an unsigned 64-bit bigint. */
export function crc64(data: Uint8Array, start = 0, end = data.length): bigint {
  const [hi, lo] = crc64Halves(data, start, end);
  return (BigInt(hi) << 32n) | BigInt(lo);
}

/**
 * `crc64(data) mod count` without a BigInt when the count is a power of two (the server's own
 * `hash & (count - 1)` check); other counts take the unsigned modulo as the P, G and J clients do.
 */
export function crc64Mod(data: Uint8Array, count: number, start = 0, end = data.length): number {
  const [hi, lo] = crc64Halves(data, start, end);
  if (count > 0 && count <= 0x80000000 && (count & (count - 1)) === 0) return (lo & (count - 1)) >>> 0;
  return Number(((BigInt(hi) << 32n) | BigInt(lo)) % BigInt(count));
}

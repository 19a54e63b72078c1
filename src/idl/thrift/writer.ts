/**
 * Thrift binary writer over a growable buffer (big-endian). `finish()` returns exactly the bytes written.
 * Values out of a wire type's range are programmer errors (the server only writes what it computed), so
 * they fail an assertion instead of being silently truncated.
 */
import { assert } from '../../base/assert.ts';
import { MessageType, STRICT_VERSION_1, TType } from './ttype.ts';

const INITIAL_BYTES_DEFAULT = 256;
const I64_MIN = -(1n << 63n);
const I64_MAX = (1n << 63n) - 1n;

export class ThriftWriter {
  private buf: Buffer;
  private length = 0;

  constructor(initialBytes = INITIAL_BYTES_DEFAULT) {
    this.buf = Buffer.allocUnsafe(Math.max(16, initialBytes));
  }

  /** Bytes written so far. */
  get byteLength(): number {
    return this.length;
  }

  /**
   * Makes room for `bytes` and returns where they go. Callers must call it before naming `this.buf`: it may
   * replace the buffer, and `this.buf.write(..., this.reserve(n))` would write into the old one.
   */
  private reserve(bytes: number): number {
    const at = this.length;
    const needed = at + bytes;
    if (needed > this.buf.length) {
      let capacity = this.buf.length * 2;
      while (capacity < needed) capacity *= 2;
      const grown = Buffer.allocUnsafe(capacity);
      this.buf.copy(grown, 0, 0, at);
      this.buf = grown;
    }
    this.length = needed;
    return at;
  }

  writeByte(value: number): void {
    assert(Number.isInteger(value) && value >= -128 && value <= 255, `byte ${value} out of range`);
    const at = this.reserve(1);
    this.buf[at] = value & 0xff;
  }

  writeBool(value: boolean): void {
    const at = this.reserve(1);
    this.buf[at] = value ? 1 : 0;
  }

  writeI16(value: number): void {
    assert(Number.isInteger(value) && value >= -0x8000 && value <= 0x7fff, `i16 ${value} out of range`);
    const at = this.reserve(2);
    this.buf.writeInt16BE(value, at);
  }

  /** The 16 bits of an unsigned value such as a port, written where thrift declares an i16. */
  writeU16(value: number): void {
    assert(Number.isInteger(value) && value >= 0 && value <= 0xffff, `u16 ${value} out of range`);
    const at = this.reserve(2);
    this.buf.writeUInt16BE(value, at);
  }

  writeI32(value: number): void {
    assert(Number.isInteger(value) && value >= -0x80000000 && value <= 0x7fffffff, `i32 ${value} out of range`);
    const at = this.reserve(4);
    this.buf.writeInt32BE(value, at);
  }

  writeU32(value: number): void {
    assert(Number.isInteger(value) && value >= 0 && value <= 0xffffffff, `u32 ${value} out of range`);
    const at = this.reserve(4);
    this.buf.writeUInt32BE(value, at);
  }

  writeI64(value: bigint): void {
    assert(value >= I64_MIN && value <= I64_MAX, `i64 ${value} out of range`);
    const at = this.reserve(8);
    this.buf.writeBigInt64BE(value, at);
  }

  writeI64Number(value: number): void {
    assert(Number.isSafeInteger(value), `i64 ${value} is not a safe integer`);
    const at = this.reserve(8);
    this.buf.writeBigInt64BE(BigInt(value), at);
  }

  writeDouble(value: number): void {
    const at = this.reserve(8);
    this.buf.writeDoubleBE(value, at);
  }

  writeRaw(bytes: Uint8Array): void {
    const at = this.reserve(bytes.length);
    this.buf.set(bytes, at);
  }

  writeBinary(bytes: Uint8Array): void {
    this.writeI32(bytes.length);
    this.writeRaw(bytes);
  }

  writeString(value: string): void {
    const bytes = Buffer.byteLength(value, 'utf8');
    this.writeI32(bytes);
    const at = this.reserve(bytes);
    this.buf.write(value, at, bytes, 'utf8');
  }

  writeFieldBegin(type: number, id: number): void {
    this.writeByte(type);
    this.writeI16(id);
  }

  writeFieldStop(): void {
    this.writeByte(TType.STOP);
  }

  writeListBegin(elemType: number, count: number): void {
    this.writeByte(elemType);
    this.writeI32(count);
  }

  writeMapBegin(keyType: number, valueType: number, count: number): void {
    this.writeByte(keyType);
    this.writeByte(valueType);
    this.writeI32(count);
  }

  /** Always the strict form, as every client and the C++ server write it. */
  writeMessageBegin(name: string, type: MessageType, seqid: number): void {
    assert(type >= 1 && type <= 4, `message type ${type} is not CALL, REPLY, EXCEPTION or ONEWAY`);
    this.writeU32((STRICT_VERSION_1 | type) >>> 0);
    this.writeString(name);
    this.writeI32(seqid);
  }

  /** The bytes written, exactly; the writer must not be used afterwards. */
  finish(): Buffer {
    return this.buf.subarray(0, this.length);
  }
}

/**
 * A bounds-checked cursor over Thrift binary bytes (big-endian). Every read checks the bytes it needs
 * first, and a truncated input or a lying length throws PegasusError ERR_INVALID_DATA: the reader never
 * reads past `end` and never allocates from a length it has not checked against the remaining bytes.
 * Binary values are returned as views into the input (no copy); the caller owns the input's lifetime.
 */
import { PegasusError } from '../../base/error-code.ts';
import { MessageType, STRICT_VERSION_1, STRICT_VERSION_MASK, TType, minWireBytes } from './ttype.ts';

/** Deepest container/struct nesting `skip` follows; real Pegasus structs nest at most 4 deep. */
export const SKIP_DEPTH_MAX = 64;

export interface MessageBegin {
  name: string;
  type: MessageType;
  seqid: number;
}

export interface ContainerBegin {
  elemType: number;
  count: number;
}

export interface MapBegin {
  keyType: number;
  valueType: number;
  count: number;
}

function invalid(message: string): PegasusError {
  return new PegasusError('ERR_INVALID_DATA', message);
}

export class ThriftReader {
  offset: number;
  readonly end: number;

  constructor(
    readonly buf: Buffer,
    offset = 0,
    end = buf.length,
  ) {
    if (offset < 0 || end > buf.length || offset > end) throw invalid(`bad read window [${offset}, ${end}) of ${buf.length} bytes`);
    this.offset = offset;
    this.end = end;
  }

  remaining(): number {
    return this.end - this.offset;
  }

  private need(bytes: number, what: string): number {
    const at = this.offset;
    if (bytes > this.end - at) throw invalid(`${what} needs ${bytes} bytes at offset ${at}, ${this.end - at} remain`);
    this.offset = at + bytes;
    return at;
  }

  readByte(): number {
    return this.buf.readInt8(this.need(1, 'byte'));
  }

  readUnsignedByte(): number {
    return this.buf[this.need(1, 'byte')]!;
  }

  /** Any non-zero byte is true, as the C++ and Java readers do. */
  readBool(): boolean {
    return this.buf[this.need(1, 'bool')]! !== 0;
  }

  readI16(): number {
    return this.buf.readInt16BE(this.need(2, 'i16'));
  }

  readU16(): number {
    return this.buf.readUInt16BE(this.need(2, 'u16'));
  }

  readI32(): number {
    return this.buf.readInt32BE(this.need(4, 'i32'));
  }

  readI64(): bigint {
    return this.buf.readBigInt64BE(this.need(8, 'i64'));
  }

  /** An i64 that must fit a JS number exactly (decrees, counts, context ids). */
  readI64Number(): number {
    const at = this.offset;
    const value = this.readI64();
    if (value > BigInt(Number.MAX_SAFE_INTEGER) || value < BigInt(Number.MIN_SAFE_INTEGER)) {
      throw invalid(`i64 ${value} at offset ${at} does not fit a safe integer`);
    }
    return Number(value);
  }

  readDouble(): number {
    return this.buf.readDoubleBE(this.need(8, 'double'));
  }

  private readLength(what: string): number {
    const at = this.offset;
    const length = this.readI32();
    if (length < 0) throw invalid(`${what} length ${length} at offset ${at} is negative`);
    if (length > this.remaining()) throw invalid(`${what} length ${length} at offset ${at} overruns the ${this.remaining()} bytes left`);
    return length;
  }

  /** Thrift binary: i32 length + bytes, as a view into the input. */
  readBinary(): Buffer {
    const length = this.readLength('binary');
    const at = this.need(length, 'binary');
    return this.buf.subarray(at, at + length);
  }

  readString(): string {
    const length = this.readLength('string');
    const at = this.need(length, 'string');
    return this.buf.toString('utf8', at, at + length);
  }

  /** A field header's type byte; STOP ends the struct and has no id. */
  readFieldType(): number {
    return this.buf[this.need(1, 'field type')]!;
  }

  readFieldId(): number {
    return this.readI16();
  }

  private readCount(elementBytes: number, what: string): number {
    const at = this.offset;
    const count = this.readI32();
    if (count < 0) throw invalid(`${what} count ${count} at offset ${at} is negative`);
    if (count * elementBytes > this.remaining()) {
      throw invalid(`${what} count ${count} at offset ${at} needs more than the ${this.remaining()} bytes left`);
    }
    return count;
  }

  readListBegin(): ContainerBegin {
    const elemType = this.readUnsignedByte();
    const count = this.readCount(minWireBytes(elemType), 'list');
    return { elemType, count };
  }

  readSetBegin(): ContainerBegin {
    const elemType = this.readUnsignedByte();
    const count = this.readCount(minWireBytes(elemType), 'set');
    return { elemType, count };
  }

  readMapBegin(): MapBegin {
    const keyType = this.readUnsignedByte();
    const valueType = this.readUnsignedByte();
    const count = this.readCount(minWireBytes(keyType) + minWireBytes(valueType), 'map');
    return { keyType, valueType, count };
  }

  /** Strict form (what every client writes) or the old form: string name, byte type, i32 seqid. */
  readMessageBegin(): MessageBegin {
    const at = this.offset;
    const first = this.readI32();
    if (first < 0) {
      if (((first & STRICT_VERSION_MASK) >>> 0) !== STRICT_VERSION_1) {
        throw invalid(`bad thrift message version 0x${(first >>> 0).toString(16)} at offset ${at}`);
      }
      const name = this.readString();
      const seqid = this.readI32();
      return { name, type: first & 0xff, seqid };
    }
    this.offset = at;
    const name = this.readString();
    const type = this.readUnsignedByte();
    const seqid = this.readI32();
    return { name, type, seqid };
  }

  /** Skips one value of `type`, however nested, up to SKIP_DEPTH_MAX levels. */
  skip(type: number, depth = 0): void {
    if (depth > SKIP_DEPTH_MAX) throw invalid(`thrift value nests deeper than ${SKIP_DEPTH_MAX}`);
    switch (type) {
      case TType.BOOL:
      case TType.BYTE:
        this.need(1, 'skipped byte');
        return;
      case TType.I16:
        this.need(2, 'skipped i16');
        return;
      case TType.I32:
        this.need(4, 'skipped i32');
        return;
      case TType.I64:
      case TType.DOUBLE:
        this.need(8, 'skipped 8 bytes');
        return;
      case TType.STRING:
        this.need(this.readLength('skipped binary'), 'skipped binary');
        return;
      case TType.STRUCT:
        for (;;) {
          const fieldType = this.readFieldType();
          if (fieldType === TType.STOP) return;
          this.readFieldId();
          this.skip(fieldType, depth + 1);
        }
      case TType.MAP: {
        const { keyType, valueType, count } = this.readMapBegin();
        for (let i = 0; i < count; i++) {
          this.skip(keyType, depth + 1);
          this.skip(valueType, depth + 1);
        }
        return;
      }
      case TType.SET:
      case TType.LIST: {
        const { elemType, count } = this.readListBegin();
        for (let i = 0; i < count; i++) this.skip(elemType, depth + 1);
        return;
      }
      default:
        throw invalid(`cannot skip unknown thrift type id ${type}`);
    }
  }
}

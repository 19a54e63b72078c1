/**
 * Schema-driven Thrift codecs. A `ValueCodec<V>` knows the type byte it writes, which type bytes it accepts
 * on read (the rDSN primitives are lenient, see dsn.ts), how to read and write one value and the thrift
 * default used when a required field is absent. `structCodec` builds a struct codec from a field table that
 * the compiler checks against the TS shape: every property has a field, and optional properties (and only
 * they) are declared optional.
 *
 * Reading: unknown ids and fields whose wire type the codec does not accept are skipped (as thrift's
 * generated readers do); absent required fields take the default; absent optional fields stay undefined.
 * Writing: fields in id order, every required field, optional fields only when defined.
 */
import { assert } from '../../base/assert.ts';
import { PegasusError } from '../../base/error-code.ts';
import { ThriftReader } from './reader.ts';
import { TType } from './ttype.ts';
import { ThriftWriter } from './writer.ts';

export interface ValueCodec<V> {
  /** The type byte written in the field header (or list element type). */
  readonly wireType: number;
  accepts(wireType: number): boolean;
  /** Reads one value whose header announced `wireType` (one that `accepts`). */
  read(r: ThriftReader, wireType: number): V;
  write(w: ThriftWriter, value: V): void;
  /** The value of an absent required field (thrift's zero value). */
  defaultValue(): V;
}

function exactly(type: number): (wireType: number) => boolean {
  return (wireType) => wireType === type;
}

export const boolCodec: ValueCodec<boolean> = {
  wireType: TType.BOOL,
  accepts: exactly(TType.BOOL),
  read: (r) => r.readBool(),
  write: (w, v) => w.writeBool(v),
  defaultValue: () => false,
};

export const byteCodec: ValueCodec<number> = {
  wireType: TType.BYTE,
  accepts: exactly(TType.BYTE),
  read: (r) => r.readByte(),
  write: (w, v) => w.writeByte(v),
  defaultValue: () => 0,
};

export const i16Codec: ValueCodec<number> = {
  wireType: TType.I16,
  accepts: exactly(TType.I16),
  read: (r) => r.readI16(),
  write: (w, v) => w.writeI16(v),
  defaultValue: () => 0,
};

/** i32, and every thrift enum. */
export const i32Codec: ValueCodec<number> = {
  wireType: TType.I32,
  accepts: exactly(TType.I32),
  read: (r) => r.readI32(),
  write: (w, v) => w.writeI32(v),
  defaultValue: () => 0,
};

/** An i64 carrying arbitrary 64-bit integers (incr). */
export const i64Codec: ValueCodec<bigint> = {
  wireType: TType.I64,
  accepts: exactly(TType.I64),
  read: (r) => r.readI64(),
  write: (w, v) => w.writeI64(v),
  defaultValue: () => 0n,
};

/** An i64 that is a decree, count or id: a number, range-checked on read (ERR_INVALID_DATA). */
export const i64NumberCodec: ValueCodec<number> = {
  wireType: TType.I64,
  accepts: exactly(TType.I64),
  read: (r) => r.readI64Number(),
  write: (w, v) => w.writeI64Number(v),
  defaultValue: () => 0,
};

/**
 * An i64 read as a number, saturating outside the safe-integer range instead of refusing it: for fields
 * whose huge values only mean "none such" (a scan context id that cannot exist answers kNotFound) or are
 * ignored (multi_remove's deprecated max_count), where refusing the whole request would be wrong.
 */
export const i64SaturatingNumberCodec: ValueCodec<number> = {
  wireType: TType.I64,
  accepts: exactly(TType.I64),
  read: (r) => {
    const value = r.readI64();
    if (value > BigInt(Number.MAX_SAFE_INTEGER)) return Number.MAX_SAFE_INTEGER;
    if (value < BigInt(Number.MIN_SAFE_INTEGER)) return Number.MIN_SAFE_INTEGER;
    return Number(value);
  },
  write: (w, v) => w.writeI64Number(v),
  defaultValue: () => 0,
};

export const doubleCodec: ValueCodec<number> = {
  wireType: TType.DOUBLE,
  accepts: exactly(TType.DOUBLE),
  read: (r) => r.readDouble(),
  write: (w, v) => w.writeDouble(v),
  defaultValue: () => 0,
};

export const stringCodec: ValueCodec<string> = {
  wireType: TType.STRING,
  accepts: exactly(TType.STRING),
  read: (r) => r.readString(),
  write: (w, v) => w.writeString(v),
  defaultValue: () => '',
};

/** A plain thrift `binary` (type 11); Pegasus's keys and values are `dsn.blob` instead (dsn.ts). */
export const binaryCodec: ValueCodec<Buffer> = {
  wireType: TType.STRING,
  accepts: exactly(TType.STRING),
  read: (r) => r.readBinary(),
  write: (w, v) => w.writeBinary(v),
  defaultValue: () => Buffer.alloc(0),
};

/**
 * `list<elem>`. A list whose element type the element codec does not accept is skipped and read as empty,
 * the way a generated reader drops a field of the wrong type.
 */
export function listCodec<V>(elem: ValueCodec<V>): ValueCodec<V[]> {
  return {
    wireType: TType.LIST,
    accepts: exactly(TType.LIST),
    read(r) {
      const { elemType, count } = r.readListBegin();
      if (!elem.accepts(elemType)) {
        for (let i = 0; i < count; i++) r.skip(elemType, 1);
        return [];
      }
      const out: V[] = [];
      for (let i = 0; i < count; i++) out.push(elem.read(r, elemType));
      return out;
    },
    write(w, values) {
      w.writeListBegin(elem.wireType, values.length);
      for (const value of values) elem.write(w, value);
    },
    defaultValue: () => [],
  };
}

/** `map<k, v>` as a JS Map (later keys win, as in the generated readers). */
export function mapCodec<K, V>(key: ValueCodec<K>, value: ValueCodec<V>): ValueCodec<Map<K, V>> {
  return {
    wireType: TType.MAP,
    accepts: exactly(TType.MAP),
    read(r) {
      const { keyType, valueType, count } = r.readMapBegin();
      const out = new Map<K, V>();
      if (!key.accepts(keyType) || !value.accepts(valueType)) {
        for (let i = 0; i < count; i++) {
          r.skip(keyType, 1);
          r.skip(valueType, 1);
        }
        return out;
      }
      for (let i = 0; i < count; i++) {
        const k = key.read(r, keyType);
        out.set(k, value.read(r, valueType));
      }
      return out;
    },
    write(w, entries) {
      w.writeMapBegin(key.wireType, value.wireType, entries.size);
      for (const [k, v] of entries) {
        key.write(w, k);
        value.write(w, v);
      }
    },
    defaultValue: () => new Map(),
  };
}

/** Keys of T declared with `?`. */
type OptionalKeys<T> = { [K in keyof T]-?: {} extends Pick<T, K> ? K : never }[keyof T];

export interface RequiredField<V> {
  id: number;
  codec: ValueCodec<V>;
  optional?: false;
}

export interface OptionalField<V> {
  id: number;
  codec: ValueCodec<V>;
  optional: true;
}

/** The field table of a struct: one entry per property of T, optional exactly where T is. */
export type StructFields<T> = {
  [K in keyof T]-?: K extends OptionalKeys<T> ? OptionalField<Exclude<T[K], undefined>> : RequiredField<T[K]>;
};

export interface StructCodec<T> extends ValueCodec<T> {
  readonly structName: string;
  /** The struct's bytes (its fields and STOP). */
  encode(value: T): Buffer;
  /** Decodes one struct starting at `offset`, reading nothing at or past `limit`; `end` is the offset after its STOP. */
  decode(buf: Buffer, offset?: number, limit?: number): { value: T; end: number };
}

interface FieldEntry {
  name: string;
  id: number;
  codec: ValueCodec<unknown>;
  optional: boolean;
}

export function structCodec<T extends object>(structName: string, fields: StructFields<T>): StructCodec<T> {
  const entries: FieldEntry[] = [];
  for (const [name, spec] of Object.entries(fields) as Array<[string, RequiredField<unknown> | OptionalField<unknown>]>) {
    entries.push({ name, id: spec.id, codec: spec.codec, optional: spec.optional === true });
  }
  entries.sort((a, b) => a.id - b.id);
  const byId = new Map<number, FieldEntry>();
  for (const entry of entries) {
    assert(!byId.has(entry.id), `${structName}: field id ${entry.id} declared twice`);
    byId.set(entry.id, entry);
  }
  const required = entries.filter((entry) => !entry.optional);

  function read(r: ThriftReader): T {
    const out: Record<string, unknown> = {};
    for (const entry of required) out[entry.name] = entry.codec.defaultValue();
    for (;;) {
      const fieldType = r.readFieldType();
      if (fieldType === TType.STOP) break;
      const id = r.readFieldId();
      const entry = byId.get(id);
      if (entry !== undefined && entry.codec.accepts(fieldType)) out[entry.name] = entry.codec.read(r, fieldType);
      else r.skip(fieldType, 1);
    }
    // The field table is checked against T at compile time and every required key was set above.
    return out as T;
  }

  function write(w: ThriftWriter, value: T): void {
    const record = value as Record<string, unknown>;
    for (const entry of entries) {
      const fieldValue = record[entry.name];
      if (fieldValue === undefined) {
        assert(entry.optional, `${structName}.${entry.name} is required but undefined`);
        continue;
      }
      w.writeFieldBegin(entry.codec.wireType, entry.id);
      entry.codec.write(w, fieldValue);
    }
    w.writeFieldStop();
  }

  return {
    structName,
    wireType: TType.STRUCT,
    accepts: exactly(TType.STRUCT),
    read: (r) => read(r),
    write,
    defaultValue() {
      const out: Record<string, unknown> = {};
      for (const entry of required) out[entry.name] = entry.codec.defaultValue();
      return out as T;
    },
    encode(value) {
      const w = new ThriftWriter();
      write(w, value);
      return w.finish();
    },
    decode(buf, offset = 0, limit = buf.length) {
      const r = new ThriftReader(buf, offset, limit);
      const value = read(r);
      return { value, end: r.offset };
    },
  };
}

/** Decodes a whole buffer as one struct and refuses trailing bytes (used where a struct is the payload). */
export function decodeWhole<T>(codec: StructCodec<T>, buf: Buffer): T {
  const { value, end } = codec.decode(buf);
  if (end !== buf.length) throw new PegasusError('ERR_INVALID_DATA', `${buf.length - end} bytes after ${codec.structName}`);
  return value;
}

/**
 * The mutation as the log stores it, and its byte codec.
 *
 * Layout (little-endian), as upstream's `mutation::write_to` lays it out (incubator-pegasus:
 * src/replica/mutation.cpp): the header fields, the update count, one descriptor per update
 * `{code length, code name, serialization type, data length}`, then all update payloads. Task codes are
 * stored by *name* so a log survives a renumbering of RPC codes. The bytes need not match upstream.
 *
 * Decoding reads bytes that came from a disk: every length is checked against what remains before
 * anything is allocated, and any inconsistency is a PegasusError ERR_INVALID_DATA, never a crash.
 */
import { assert } from '../base/assert.ts';
import { PegasusError } from '../base/error-code.ts';
import { formatGpid, type Gpid } from '../base/gpid.ts';

export { formatGpid, gpidEquals, type Gpid } from '../base/gpid.ts';

export interface MutationHeader {
  gpid: Gpid;
  ballot: number;
  decree: number;
  /** Global byte offset of this mutation in the partition's log; assigned by `MutationLog.append`. */
  logOffset: number;
  lastCommittedDecree: number;
  timestampUs: number;
}

export interface MutationUpdate {
  /** Task code name, e.g. 'RPC_RRDB_RRDB_PUT'. */
  code: string;
  serializationType: number;
  data: Buffer;
}

export interface Mutation {
  header: MutationHeader;
  updates: MutationUpdate[];
}

/** 2 × i32 gpid + 5 × i64. */
export const MUTATION_HEADER_BYTES = 48;
/** Task code names are short identifiers; the bound keeps a corrupt length from reading megabytes. */
export const TASK_CODE_BYTES_MAX = 256;
/** Bounds the descriptor array a decoder may allocate; a mutation batches at most ~1 MiB of requests. */
export const MUTATION_UPDATES_MAX = 65_536;

const UPDATE_DESCRIPTOR_FIXED_BYTES = 12; // code length + serialization type + data length
const TASK_CODE_PATTERN = /^[\x21-\x7e]+$/;
const TWO_POW_32 = 0x1_0000_0000;


/** Checks what the caller hands to the log; a bad value is the caller's bug, reported, not asserted. */
export function validateMutation(mutation: Mutation): void {
  const h = mutation.header;
  const ints: Array<[string, number]> = [
    ['ballot', h.ballot], ['decree', h.decree], ['logOffset', h.logOffset],
    ['lastCommittedDecree', h.lastCommittedDecree], ['timestampUs', h.timestampUs],
  ];
  for (const [name, value] of ints) {
    if (!Number.isSafeInteger(value)) invalidParameter(`mutation header ${name} ${value} is not a safe integer`);
  }
  if (!isInt32(h.gpid.appId) || !isInt32(h.gpid.partitionIndex)) {
    invalidParameter(`mutation gpid ${formatGpid(h.gpid)} is not a pair of int32`);
  }
  if (h.decree < 1) invalidParameter(`mutation decree ${h.decree} is below 1`);
  if (mutation.updates.length > MUTATION_UPDATES_MAX) {
    invalidParameter(`mutation has ${mutation.updates.length} updates, more than ${MUTATION_UPDATES_MAX}`);
  }
  for (const u of mutation.updates) {
    if (!TASK_CODE_PATTERN.test(u.code) || u.code.length > TASK_CODE_BYTES_MAX) {
      invalidParameter(`task code ${JSON.stringify(u.code)} is not a printable ASCII name`);
    }
    if (!isInt32(u.serializationType)) invalidParameter(`serialization type ${u.serializationType} is not int32`);
    if (!Buffer.isBuffer(u.data)) invalidParameter('update data is not a Buffer');
  }
}

export function encodedMutationBytes(mutation: Mutation): number {
  let bytes = MUTATION_HEADER_BYTES + 4;
  for (const u of mutation.updates) bytes += UPDATE_DESCRIPTOR_FIXED_BYTES + u.code.length + u.data.length;
  return bytes;
}

/** Encodes a validated mutation (see `validateMutation`). */
export function encodeMutation(mutation: Mutation): Buffer {
  const out = Buffer.allocUnsafe(encodedMutationBytes(mutation));
  const h = mutation.header;
  let pos = 0;
  pos = out.writeInt32LE(h.gpid.appId, pos);
  pos = out.writeInt32LE(h.gpid.partitionIndex, pos);
  for (const v of [h.ballot, h.decree, h.logOffset, h.lastCommittedDecree, h.timestampUs]) {
    pos = writeSafeInt64LE(out, v, pos);
  }
  pos = out.writeUInt32LE(mutation.updates.length, pos);
  for (const u of mutation.updates) {
    pos = out.writeUInt32LE(u.code.length, pos);
    pos += out.write(u.code, pos, 'latin1');
    pos = out.writeInt32LE(u.serializationType, pos);
    pos = out.writeUInt32LE(u.data.length, pos);
  }
  for (const u of mutation.updates) pos += u.data.copy(out, pos);
  assert(pos === out.length, `mutation encoding wrote ${pos} of ${out.length} bytes`);
  return out;
}

/**
 * Decodes one mutation starting at `start`; returns it with the number of bytes it used. The payloads
 * are copied, so a decoded mutation does not pin the whole file buffer it came from.
 */
export function decodeMutation(buf: Buffer, start: number): { mutation: Mutation; bytes: number } {
  const r = new Reader(buf, start);
  const appId = r.int32();
  const partitionIndex = r.int32();
  const ballot = r.int64('ballot');
  const decree = r.int64('decree');
  const logOffset = r.int64('logOffset');
  const lastCommittedDecree = r.int64('lastCommittedDecree');
  const timestampUs = r.int64('timestampUs');
  const count = r.uint32();
  if (count > MUTATION_UPDATES_MAX || count * UPDATE_DESCRIPTOR_FIXED_BYTES > r.remaining()) {
    throw invalidData(`update count ${count} does not fit in ${r.remaining()} remaining bytes`);
  }
  const descriptors: Array<{ code: string; serializationType: number; dataBytes: number }> = [];
  for (let i = 0; i < count; i++) {
    const codeBytes = r.uint32();
    if (codeBytes === 0 || codeBytes > TASK_CODE_BYTES_MAX) throw invalidData(`task code length ${codeBytes}`);
    const code = r.bytes(codeBytes).toString('latin1');
    if (!TASK_CODE_PATTERN.test(code)) throw invalidData(`task code ${JSON.stringify(code)} is not printable`);
    descriptors.push({ code, serializationType: r.int32(), dataBytes: r.uint32() });
  }
  const updates: MutationUpdate[] = descriptors.map((d) => ({
    code: d.code,
    serializationType: d.serializationType,
    data: Buffer.from(r.bytes(d.dataBytes)),
  }));
  const mutation: Mutation = {
    header: { gpid: { appId, partitionIndex }, ballot, decree, logOffset, lastCommittedDecree, timestampUs },
    updates,
  };
  return { mutation, bytes: r.pos - start };
}

export function writeSafeInt64LE(buf: Buffer, value: number, pos: number): number {
  assert(Number.isSafeInteger(value), `${value} is not a safe integer`);
  const high = Math.floor(value / TWO_POW_32);
  buf.writeInt32LE(high, pos);
  buf.writeUInt32LE(value - high * TWO_POW_32, pos + 4);
  return pos + 8;
}

/** Reads an i64 written by `writeSafeInt64LE`; undefined when the stored value is not a safe integer. */
export function readSafeInt64LE(buf: Buffer, pos: number): number | undefined {
  const value = buf.readInt32LE(pos) * TWO_POW_32 + buf.readUInt32LE(pos + 4);
  return Number.isSafeInteger(value) ? value : undefined;
}

class Reader {
  constructor(
    private readonly buf: Buffer,
    public pos: number,
  ) {}

  remaining(): number {
    return this.buf.length - this.pos;
  }

  int32(): number {
    this.need(4);
    const v = this.buf.readInt32LE(this.pos);
    this.pos += 4;
    return v;
  }

  uint32(): number {
    this.need(4);
    const v = this.buf.readUInt32LE(this.pos);
    this.pos += 4;
    return v;
  }

  int64(field: string): number {
    this.need(8);
    const v = readSafeInt64LE(this.buf, this.pos);
    if (v === undefined) throw invalidData(`${field} is not a safe integer`);
    this.pos += 8;
    return v;
  }

  bytes(n: number): Buffer {
    this.need(n);
    const out = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }

  private need(n: number): void {
    if (n > this.remaining()) throw invalidData(`needs ${n} bytes at ${this.pos}, ${this.remaining()} remain`);
  }
}

function isInt32(v: number): boolean {
  return Number.isInteger(v) && v >= -0x8000_0000 && v <= 0x7fff_ffff;
}

function invalidData(message: string): PegasusError {
  return new PegasusError('ERR_INVALID_DATA', `mutation decode: ${message}`);
}

function invalidParameter(message: string): never {
  throw new PegasusError('ERR_INVALID_PARAMETERS', message);
}

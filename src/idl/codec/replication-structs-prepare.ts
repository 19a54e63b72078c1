/**
 * The RPC_PREPARE request body. Upstream does not send an IDL struct here (`prepare_msg` is declared but
 * unused): `replica::send_prepare_message` (src/replica/replica_2pc.cpp) writes, back to back,
 *
 *   1. the gpid, thrift-binary marshalled: one big-endian i64 (partition_index high, app_id low), exactly
 *      gpidCodec's payload, no field header;
 *   2. the receiver's replica_configuration as a thrift struct (fields + STOP);
 *   3. the mutation as `mutation::write_to` lays it out (src/replica/mutation.cpp), native little-endian
 *      PODs: i64 version 0; u64 gpid value (so app_id first, then partition_index, each i32 LE); i64 ballot,
 *      decree, log_offset, last_committed_decree, timestamp; i32 update count; per update {i32 code length,
 *      the code's name, i32 serialization type, i32 data length}; then every update's data.
 *
 * We write the same bytes inside our THFT frame, in place of the thrift args wrapper (a hand-serialized body
 * cannot be a thrift field). `mutation_update.start_time_ns` is not carried, as upstream does not carry it.
 * Reading refuses, with ERR_INVALID_DATA: a version other than 0 (upstream also accepts a legacy
 * vptr-prefixed header found only in very old log files, never on the wire), an empty or non-printable
 * task code (upstream asserts on it), lengths that overrun the body, i64s outside the safe-integer range,
 * and bytes after the mutation.
 */
import { assert } from '../../base/assert.ts';
import { PegasusError } from '../../base/error-code.ts';
import type { MutationData, MutationUpdate, PrepareRequest } from '../replication-consensus.ts';
import type { ArgsCodec } from './args-wrapper.ts';
import { ThriftReader } from '../thrift/reader.ts';
import { ThriftWriter } from '../thrift/writer.ts';
import { gpidCodec } from '../thrift/dsn.ts';
import { TType } from '../thrift/ttype.ts';
import { replicaConfigurationCodec } from './replication-structs.ts';

/** `mutation::write_mutation_header`'s leading i64: 0 in every header written since timestamps exist. */
export const MUTATION_HEADER_VERSION = 0;
/** version + gpid + five i64 fields. */
export const MUTATION_HEADER_WIRE_BYTES = 56;
/** Task code names are short identifiers; the bound keeps a corrupt length from allocating megabytes. */
export const PREPARE_TASK_CODE_BYTES_MAX = 256;

const UPDATE_DESCRIPTOR_FIXED_BYTES = 12; // code length + serialization type + data length
const TASK_CODE_PATTERN = /^[\x21-\x7e]+$/;

function invalid(message: string): PegasusError {
  return new PegasusError('ERR_INVALID_DATA', `RPC_PREPARE body: ${message}`);
}

/** The mutation part alone, little-endian, as `mutation::write_to` writes it. */
export function encodeWireMutation(mutation: MutationData): Buffer {
  const { header, updates } = mutation;
  const codes = updates.map((u) => {
    assert(TASK_CODE_PATTERN.test(u.code) && u.code.length <= PREPARE_TASK_CODE_BYTES_MAX, `bad task code ${JSON.stringify(u.code)}`);
    return Buffer.from(u.code, 'latin1');
  });
  let bytes = MUTATION_HEADER_WIRE_BYTES + 4;
  for (const [i, u] of updates.entries()) bytes += UPDATE_DESCRIPTOR_FIXED_BYTES + codes[i]!.length + u.data.length;
  const out = Buffer.alloc(bytes);
  let pos = out.writeBigInt64LE(BigInt(MUTATION_HEADER_VERSION), 0);
  pos = out.writeInt32LE(header.pid.appId, pos);
  pos = out.writeInt32LE(header.pid.partitionIndex, pos);
  for (const value of [header.ballot, header.decree, header.logOffset, header.lastCommittedDecree, header.timestamp]) {
    assert(Number.isSafeInteger(value), `mutation header value ${value} is not a safe integer`);
    pos = out.writeBigInt64LE(BigInt(value), pos);
  }
  pos = out.writeInt32LE(updates.length, pos);
  for (const [i, u] of updates.entries()) {
    const code = codes[i]!;
    pos = out.writeInt32LE(code.length, pos);
    pos += code.copy(out, pos);
    pos = out.writeInt32LE(u.serializationType, pos);
    pos = out.writeInt32LE(u.data.length, pos);
  }
  for (const u of updates) pos += u.data.copy(out, pos);
  assert(pos === out.length, `wire mutation wrote ${pos} of ${out.length} bytes`);
  return out;
}

/** A little-endian cursor over [pos, end) whose every overrun is ERR_INVALID_DATA. */
class LeCursor {
  constructor(
    private readonly buf: Buffer,
    public pos: number,
    private readonly end: number,
  ) {}

  remaining(): number {
    return this.end - this.pos;
  }

  private take(bytes: number, what: string): number {
    if (bytes > this.remaining()) throw invalid(`${what} needs ${bytes} bytes at ${this.pos}, ${this.remaining()} remain`);
    const at = this.pos;
    this.pos += bytes;
    return at;
  }

  i32(what: string): number {
    return this.buf.readInt32LE(this.take(4, what));
  }

  /** A non-negative i32 length or count. */
  length(what: string): number {
    const value = this.i32(what);
    if (value < 0) throw invalid(`${what} ${value} is negative`);
    return value;
  }

  i64(what: string): number {
    const value = this.buf.readBigInt64LE(this.take(8, what));
    if (value > BigInt(Number.MAX_SAFE_INTEGER) || value < BigInt(Number.MIN_SAFE_INTEGER)) {
      throw invalid(`${what} ${value} is not a safe integer`);
    }
    return Number(value);
  }

  bytes(count: number, what: string): Buffer {
    const at = this.take(count, what);
    return this.buf.subarray(at, at + count);
  }
}

/** Decodes the mutation part from `offset` up to `end`; returns it and the offset after it. */
export function decodeWireMutation(buf: Buffer, offset: number, end = buf.length): { value: MutationData; end: number } {
  const c = new LeCursor(buf, offset, end);
  const version = c.i64('header version');
  if (version !== MUTATION_HEADER_VERSION) throw invalid(`mutation header version ${version}, expected 0`);
  const appId = c.i32('gpid app_id');
  const partitionIndex = c.i32('gpid partition_index');
  const ballot = c.i64('ballot');
  const decree = c.i64('decree');
  const logOffset = c.i64('log_offset');
  const lastCommittedDecree = c.i64('last_committed_decree');
  const timestamp = c.i64('timestamp');
  const count = c.length('update count');
  if (count * UPDATE_DESCRIPTOR_FIXED_BYTES > c.remaining()) {
    throw invalid(`update count ${count} does not fit in ${c.remaining()} remaining bytes`);
  }
  const descriptors: Array<{ code: string; serializationType: number; dataBytes: number }> = [];
  for (let i = 0; i < count; i++) {
    const codeBytes = c.length('task code length');
    if (codeBytes === 0 || codeBytes > PREPARE_TASK_CODE_BYTES_MAX) throw invalid(`task code length ${codeBytes}`);
    const code = c.bytes(codeBytes, 'task code').toString('latin1');
    if (!TASK_CODE_PATTERN.test(code)) throw invalid(`task code ${JSON.stringify(code)} is not printable`);
    descriptors.push({ code, serializationType: c.i32('serialization type'), dataBytes: c.length('data length') });
  }
  // Copied, so a mutation kept in the prepare list does not pin the whole request buffer.
  const updates: MutationUpdate[] = descriptors.map((d) => ({
    code: d.code,
    serializationType: d.serializationType,
    data: Buffer.from(c.bytes(d.dataBytes, `${d.code} data`)),
  }));
  const header = { pid: { appId, partitionIndex }, ballot, decree, logOffset, lastCommittedDecree, timestamp };
  return { value: { header, updates }, end: c.pos };
}

export function encodePrepareRequest(request: PrepareRequest): Buffer {
  const w = new ThriftWriter();
  gpidCodec.write(w, request.pid);
  replicaConfigurationCodec.write(w, request.config);
  w.writeRaw(encodeWireMutation(request.mutation));
  return w.finish();
}

/** Decodes a whole prepare body starting at `offset`; trailing bytes are refused (no sender writes any). */
export function decodePrepareRequest(body: Buffer, offset = 0): PrepareRequest {
  const r = new ThriftReader(body, offset);
  const pid = gpidCodec.read(r, TType.STRUCT);
  const config = replicaConfigurationCodec.read(r, TType.STRUCT);
  const { value: mutation, end } = decodeWireMutation(body, r.offset);
  if (end !== body.length) throw invalid(`${body.length - end} bytes after the mutation`);
  return { pid, config, mutation };
}

/** RPC_PREPARE's args half, in the ArgsCodec shape of the other RPC tables. */
export const prepareArgsCodec: ArgsCodec<PrepareRequest> = {
  decodeArgs: (body, offset) => decodePrepareRequest(body, offset),
  encodeArgs: (args) => encodePrepareRequest(args),
};

/**
 * Response frames (protocol.md §1.4): i32 total length (counting itself), the RPC error *name*, a strict
 * REPLY message begin named `<request name>_ACK` with the request's seqid, and only for ERR_OK the result
 * wrapper: field 0 (STRUCT) holding the response struct, then STOP. Oneway requests get no response.
 */
import { assert } from '../../base/assert.ts';
import type { ErrorCode } from '../../base/error-code.ts';
import { PegasusError } from '../../base/error-code.ts';
import { ThriftReader } from '../../idl/thrift/reader.ts';
import { MessageType, TType } from '../../idl/thrift/ttype.ts';
import { ThriftWriter } from '../../idl/thrift/writer.ts';

export const ACK_SUFFIX = '_ACK';

export interface ResponseInput {
  errorName: ErrorCode;
  /** The request's RPC name; the reply is named `${name}_ACK`. */
  name: string;
  seqid: number;
  /** The encoded response struct (its fields and STOP), wrapped here as result field 0. Only with ERR_OK. */
  body?: Buffer;
}

export function encodeResponse(input: ResponseInput): Buffer {
  assert(input.body === undefined || input.errorName === 'ERR_OK', `a ${input.errorName} response carries no body`);
  const w = new ThriftWriter(64 + input.name.length + (input.body?.length ?? 0));
  w.writeI32(0); // total length, patched below once known
  w.writeString(input.errorName);
  w.writeMessageBegin(input.name + ACK_SUFFIX, MessageType.REPLY, input.seqid);
  if (input.body !== undefined) {
    w.writeFieldBegin(TType.STRUCT, 0);
    w.writeRaw(input.body);
    w.writeFieldStop();
  }
  const out = w.finish();
  out.writeInt32BE(out.length, 0);
  return out;
}

/** A response carrying only an RPC-level error (the C++ server sends no body then). */
export function encodeErrorResponse(errorName: ErrorCode, name: string, seqid: number): Buffer {
  return encodeResponse({ errorName, name, seqid });
}

export interface ParsedResponse {
  totalLength: number;
  errorName: string;
  /** The reply name, `<request name>_ACK`. */
  name: string;
  seqid: number;
  /** Offset of the response struct inside result field 0, when the frame has one. */
  resultOffset?: number;
}

/** Reads a whole response frame (what a client or a test receives). */
export function parseResponse(frame: Buffer): ParsedResponse {
  const r = new ThriftReader(frame);
  const totalLength = r.readI32();
  if (totalLength !== frame.length) {
    throw new PegasusError('ERR_INVALID_DATA', `response total_length ${totalLength} but the frame has ${frame.length} bytes`);
  }
  const errorName = r.readString();
  const { name, type, seqid } = r.readMessageBegin();
  if (type !== MessageType.REPLY) throw new PegasusError('ERR_INVALID_DATA', `response ${name} has message type ${type}`);
  if (errorName !== 'ERR_OK' || r.remaining() === 0) return { totalLength, errorName, name, seqid };
  const fieldType = r.readFieldType();
  if (fieldType !== TType.STRUCT) throw new PegasusError('ERR_INVALID_DATA', `response ${name} result has type ${fieldType}`);
  const fieldId = r.readFieldId();
  if (fieldId !== 0) throw new PegasusError('ERR_INVALID_DATA', `response ${name} result is field ${fieldId}, not 0`);
  return { totalLength, errorName, name, seqid, resultOffset: r.offset };
}

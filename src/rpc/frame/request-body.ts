/**
 * The request body (protocol.md §1.3): a thrift message begin (the RPC code as the name, CALL or ONEWAY, the
 * seqid the reply must echo), then the args wrapper struct, which the RPC's own decoder reads from
 * `argsOffset`.
 */
import { PegasusError } from '../../base/error-code.ts';
import { ThriftReader } from '../../idl/thrift/reader.ts';
import { MessageType } from '../../idl/thrift/ttype.ts';
import { ThriftWriter } from '../../idl/thrift/writer.ts';

/**
 * Longest RPC name accepted. Upstream's longest task code is well under 100 characters; the bound keeps a
 * hostile name from being decoded into a huge string just to be refused.
 */
export const RPC_NAME_BYTES_MAX = 256;

export interface RequestBody {
  name: string;
  type: typeof MessageType.CALL | typeof MessageType.ONEWAY;
  seqid: number;
  /** Offset in the body where the args struct starts. */
  argsOffset: number;
}

export function parseRequestBody(body: Buffer): RequestBody {
  const r = new ThriftReader(body);
  // Peek at the name length first: both message-begin forms put it within the first 8 bytes.
  const first = body.length >= 4 ? body.readInt32BE(0) : 0;
  const nameLength = first < 0 ? (body.length >= 8 ? body.readInt32BE(4) : 0) : first;
  if (nameLength > RPC_NAME_BYTES_MAX) {
    throw new PegasusError('ERR_INVALID_DATA', `rpc name of ${nameLength} bytes exceeds ${RPC_NAME_BYTES_MAX}`);
  }
  const { name, type, seqid } = r.readMessageBegin();
  if (type !== MessageType.CALL && type !== MessageType.ONEWAY) {
    throw new PegasusError('ERR_INVALID_DATA', `request ${name} has message type ${type}, not CALL or ONEWAY`);
  }
  return { name, type, seqid, argsOffset: r.offset };
}

/** A request body as the clients write it: strict message begin, then the encoded args wrapper. */
export function encodeRequestBody(name: string, type: RequestBody['type'], seqid: number, args: Buffer): Buffer {
  const w = new ThriftWriter(32 + name.length + args.length);
  w.writeMessageBegin(name, type, seqid);
  w.writeRaw(args);
  return w.finish();
}

/** Helpers shared by the codec round-trip tests. */
import assert from 'node:assert/strict';
import type { StructCodec } from '../../src/idl/thrift/codec.ts';
import { HostPortType, parseRpcAddress, type HostPort, type RpcAddress } from '../../src/idl/thrift/dsn.ts';

/** Encodes, decodes all of it back to an equal value, and checks re-encoding gives the same bytes. */
export function roundTrip<T>(codec: StructCodec<T>, value: T): T {
  const bytes = codec.encode(value);
  const { value: decoded, end } = codec.decode(bytes);
  assert.equal(end, bytes.length, `${codec.structName} consumed ${end} of ${bytes.length}`);
  assert.deepEqual(decoded, value, codec.structName);
  assert.deepEqual(codec.encode(decoded), bytes, `${codec.structName} re-encodes identically`);
  return decoded;
}

/** A wire rpc_address from "a.b.c.d:port". */
export function address(text: string): RpcAddress {
  const parsed = parseRpcAddress(text);
  assert.ok(parsed !== undefined, text);
  return parsed;
}

export const hostPort = (host: string, port: number): HostPort => ({ host, port, type: HostPortType.HOST_TYPE_IPV4 });

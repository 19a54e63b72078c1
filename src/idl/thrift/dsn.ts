/**
 * The rDSN primitive types (protocol.md §0.1). `idl/dsn.thrift` declares them as empty structs, so every
 * generated writer puts type byte 12 (STRUCT) in front of them, but the payload is hand-written and is not
 * a struct: no field headers, no STOP. We write 12 always (clients skip any other type byte) and read
 * leniently: the natural thrift type of the payload (11 for strings, 10 for the i64 forms) is accepted too.
 */
import type { Gpid } from '../../base/gpid.ts';
import type { ValueCodec } from './codec.ts';
import { TType } from './ttype.ts';

function structOr(natural: number): (wireType: number) => boolean {
  return (wireType) => wireType === TType.STRUCT || wireType === natural;
}

/** `dsn.blob`: i32 length + bytes. */
export const blobCodec: ValueCodec<Buffer> = {
  wireType: TType.STRUCT,
  accepts: structOr(TType.STRING),
  read: (r) => r.readBinary(),
  write: (w, v) => w.writeBinary(v),
  defaultValue: () => Buffer.alloc(0),
};

/** `dsn.error_code`: the error's *name* as a thrift string (numbers differ between clients). */
export const errorCodeCodec: ValueCodec<string> = {
  wireType: TType.STRUCT,
  accepts: structOr(TType.STRING),
  read: (r) => r.readString(),
  write: (w, v) => w.writeString(v),
  defaultValue: () => 'ERR_OK',
};

/** `dsn.task_code`: the task code's name as a thrift string. */
export const taskCodeCodec: ValueCodec<string> = {
  wireType: TType.STRUCT,
  accepts: structOr(TType.STRING),
  read: (r) => r.readString(),
  write: (w, v) => w.writeString(v),
  defaultValue: () => 'TASK_CODE_INVALID',
};

/** `dsn.gpid`: one i64, partition_index in the high 32 bits, app_id in the low 32 bits. */
export const gpidCodec: ValueCodec<Gpid> = {
  wireType: TType.STRUCT,
  accepts: structOr(TType.I64),
  read(r) {
    const partitionIndex = r.readI32();
    const appId = r.readI32();
    return { appId, partitionIndex };
  },
  write(w, v) {
    w.writeI32(v.partitionIndex);
    w.writeI32(v.appId);
  },
  defaultValue: () => ({ appId: 0, partitionIndex: 0 }),
};

/** An IPv4 endpoint; `ipv4` is the address as a u32 (a.b.c.d = a<<24|b<<16|c<<8|d). */
export interface RpcAddress {
  ipv4: number;
  port: number;
}

/** The invalid address, encoded as i64 0. */
export const RPC_ADDRESS_INVALID: RpcAddress = Object.freeze({ ipv4: 0, port: 0 });

/** The low 16 bits of an rpc_address: the host type, IPV4 = 1 (0 = invalid, 2 = group, which clients never see). */
const HOST_TYPE_IPV4 = 1;

export function isValidRpcAddress(address: RpcAddress): boolean {
  return address.ipv4 !== 0 || address.port !== 0;
}

export function formatRpcAddress(address: RpcAddress): string {
  const ip = address.ipv4;
  return `${ip >>> 24}.${(ip >>> 16) & 0xff}.${(ip >>> 8) & 0xff}.${ip & 0xff}:${address.port}`;
}

/** Parses "a.b.c.d:port"; undefined when it is not an IPv4 endpoint. */
export function parseRpcAddress(text: string): RpcAddress | undefined {
  const match = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3}):(\d{1,5})$/.exec(text);
  if (match === null) return undefined;
  const parts = match.slice(1).map(Number);
  const [a, b, c, d, port] = parts as [number, number, number, number, number];
  if (a > 255 || b > 255 || c > 255 || d > 255 || port > 0xffff) return undefined;
  return { ipv4: ((a << 24) | (b << 16) | (c << 8) | d) >>> 0, port };
}

/** "a.b.c.d:port" (or nothing) as a wire address; anything unparsable becomes the invalid address. */
export function toWireAddress(text: string | undefined): RpcAddress {
  return (text === undefined ? undefined : parseRpcAddress(text)) ?? { ...RPC_ADDRESS_INVALID };
}

/** A wire address as "a.b.c.d:port", or undefined for the invalid address. */
export function fromWireAddress(address: RpcAddress): string | undefined {
  return isValidRpcAddress(address) ? formatRpcAddress(address) : undefined;
}

/** `dsn.rpc_address`: one i64 = ip << 32 | port << 16 | 1; any other host type reads as invalid. */
export const rpcAddressCodec: ValueCodec<RpcAddress> = {
  wireType: TType.STRUCT,
  accepts: structOr(TType.I64),
  read(r) {
    const ipv4 = r.readI32() >>> 0;
    const port = r.readU16();
    const hostType = r.readU16() & 0x3;
    return hostType === HOST_TYPE_IPV4 ? { ipv4, port } : { ...RPC_ADDRESS_INVALID };
  },
  write(w, v) {
    const valid = isValidRpcAddress(v);
    w.writeU32(valid ? v.ipv4 : 0);
    w.writeU16(valid ? v.port : 0);
    w.writeU16(valid ? HOST_TYPE_IPV4 : 0);
  },
  defaultValue: () => ({ ...RPC_ADDRESS_INVALID }),
};

export const HostPortType = { HOST_TYPE_INVALID: 0, HOST_TYPE_IPV4: 1, HOST_TYPE_GROUP: 2 } as const;

export interface HostPort {
  host: string;
  port: number;
  type: number;
}

/** `dsn.host_port`: string host, i16 port (unsigned 16 bits), byte type; no STOP. */
export const hostPortCodec: ValueCodec<HostPort> = {
  wireType: TType.STRUCT,
  accepts: (wireType) => wireType === TType.STRUCT,
  read(r) {
    const host = r.readString();
    const port = r.readU16();
    const type = r.readUnsignedByte();
    return { host, port, type };
  },
  write(w, v) {
    w.writeString(v.host);
    w.writeU16(v.port);
    w.writeByte(v.type);
  },
  defaultValue: () => ({ host: '', port: 0, type: HostPortType.HOST_TYPE_INVALID }),
};

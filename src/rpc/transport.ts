/**
 * The transport contract (architecture.md §2, §3): what replica, meta and client code see of the network.
 * It is transport-agnostic on purpose: the TCP implementation (`tcp/`) and, later, the simulator's
 * SimNetwork implement the same interfaces, so the decision logic runs unchanged in both worlds.
 *
 * - A server receives `RpcRequest`s and answers each through its `RpcReply` exactly once (protocol.md §1.4;
 *   a oneway request gets no response at all).
 * - A client sends through an `RpcChannel`. RPC-level errors (the error name of the response frame) resolve
 *   normally, as `errorName`; transport failures reject with a `PegasusError` named as upstream names them:
 *   `ERR_TIMEOUT` (no response in time), `ERR_NETWORK_FAILURE` (connection lost or refused),
 *   `ERR_BUSY` (too many calls pending on one connection), `ERR_INVALID_DATA` (a malformed response).
 *
 * Dispatch semantics shared by every implementation live here too (`dispatchRpc`): unknown names get
 * ERR_HANDLER_NOT_FOUND (protocol.md §10), a handler that throws gets an error reply instead of taking the
 * process down.
 *
 * No I/O and no timers in this file (test/architecture/layers.test.ts).
 */
import { AssertionFailure, assert } from '../base/assert.ts';
import type { ErrorCode } from '../base/error-code.ts';
import { PegasusError, isPegasusError } from '../base/error-code.ts';
import type { Gpid } from '../base/gpid.ts';

// ---------------------------------------------------------------------------------------------------------
// Addresses

/**
 * A node's address as `a.b.c.d:port` (IPv4, like upstream's `rpc_address`). A plain string so it can key a
 * Map and appear in logs as is; build and check it with the helpers below.
 */
export type RpcAddress = string;

export interface HostPort {
  host: string;
  port: number;
}

const IPV4_PATTERN = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;

export function isIpv4(host: string): boolean {
  const match = IPV4_PATTERN.exec(host);
  return match !== null && match.slice(1).every((part) => Number(part) <= 255 && String(Number(part)) === part);
}

function isPort(port: number): boolean {
  return Number.isInteger(port) && port >= 0 && port <= 65535;
}

/** `host:port`; throws ERR_INVALID_PARAMETERS for a host that is not dotted IPv4 or a bad port. */
export function formatRpcAddress(host: string, port: number): RpcAddress {
  if (!isIpv4(host)) throw new PegasusError('ERR_INVALID_PARAMETERS', `host ${JSON.stringify(host)} is not an IPv4 address`);
  if (!isPort(port)) throw new PegasusError('ERR_INVALID_PARAMETERS', `port ${port} is out of range`);
  return `${host}:${port}`;
}

/** Splits `a.b.c.d:port`; throws ERR_INVALID_PARAMETERS for anything else. */
export function parseRpcAddress(address: string): HostPort {
  const colon = address.lastIndexOf(':');
  const host = address.slice(0, colon);
  const portText = address.slice(colon + 1);
  const port = /^\d{1,5}$/.test(portText) ? Number(portText) : -1;
  if (colon < 0 || !isIpv4(host) || !isPort(port)) {
    throw new PegasusError('ERR_INVALID_PARAMETERS', `${JSON.stringify(address)} is not an IPv4 host:port`);
  }
  return { host, port };
}

export function isRpcAddress(address: string): boolean {
  try {
    parseRpcAddress(address);
    return true;
  } catch {
    return false;
  }
}

// ---------------------------------------------------------------------------------------------------------
// Logging

/** The slice of a structured logger (pino's shape) the transport needs; pass none to stay silent. */
export interface RpcLogger {
  warn(obj: object, msg: string): void;
}

// ---------------------------------------------------------------------------------------------------------
// Server side

export interface RpcRequestHeader {
  /** Routes the request to a replica; (0, 0) for meta RPCs. */
  gpid: Gpid;
  /** Unsigned 64-bit crc64 of the hash key (0 for meta RPCs). */
  partitionHash: bigint;
  /** The client's timeout as it sent it (0 = not sent: the Node client never sends one). */
  clientTimeoutMs: number;
  /** Only the v1 header (Java client) can set it: lets a secondary serve the read. */
  isBackupRequest: boolean;
}

export interface RpcRequest {
  /** The RPC code, e.g. `RPC_RRDB_RRDB_GET`. */
  name: string;
  seqid: number;
  header: RpcRequestHeader;
  /** The args wrapper struct's bytes (decode with the RPC's `decodeArgs(args, 0)`). */
  args: Buffer;
  /** A oneway request gets no response; its reply methods only record that the handler finished. */
  oneway: boolean;
  /** Who sent it. */
  remote: RpcAddress;
}

/** Answers one request, once. A second answer is a programming error (assertion). */
export interface RpcReply {
  /** ERR_OK with the encoded response struct (fields + STOP), e.g. from `rpc.encodeResponse(...)`. */
  ok(result: Buffer): void;
  /** An RPC-level error: the frame carries only the name (protocol.md §1.4). Not ERR_OK. */
  error(errorName: ErrorCode): void;
  /** True once ok() or error() was called. */
  readonly answered: boolean;
}

/**
 * Handles one request. It may answer synchronously or later; a returned promise is only watched for
 * rejection (which is answered like a throw).
 */
export type RpcHandler = (request: RpcRequest, reply: RpcReply) => void | Promise<void>;

/** What a server transport exposes to the code that registers handlers. */
export interface RpcHandlerRegistry {
  /** One handler per RPC name; registering a name twice is an assertion. */
  register(name: string, handler: RpcHandler): void;
  /** Called for names without a handler; without a fallback those get ERR_HANDLER_NOT_FOUND. */
  setFallback(handler: RpcHandler | undefined): void;
}

/** A response as a transport writes it: an error name and, for ERR_OK, the response struct. */
export type RpcResponseSink = (errorName: ErrorCode, result: Buffer | undefined) => void;

/**
 * The reply object handed to a handler. `send` runs at most once; for oneway requests it never runs (the
 * reply still enforces the once rule, so a buggy handler shows up in tests of either kind).
 */
export function createReply(request: Pick<RpcRequest, 'name' | 'seqid' | 'oneway'>, send: RpcResponseSink): RpcReply {
  let answered = false;
  const answer = (errorName: ErrorCode, result: Buffer | undefined): void => {
    assert(!answered, `${request.name} seqid ${request.seqid} answered twice`);
    answered = true;
    if (!request.oneway) send(errorName, result);
  };
  return {
    ok: (result) => answer('ERR_OK', result),
    error: (errorName) => {
      assert(errorName !== 'ERR_OK', `${request.name}: reply.error needs an error, use reply.ok for ERR_OK`);
      answer(errorName, undefined);
    },
    get answered() {
      return answered;
    },
  };
}

/** Handlers by name plus a fallback: the table every server transport dispatches through. */
export class RpcHandlerTable implements RpcHandlerRegistry {
  private readonly handlers = new Map<string, RpcHandler>();
  private fallback: RpcHandler | undefined;

  register(name: string, handler: RpcHandler): void {
    assert(!this.handlers.has(name), `a handler for ${name} is already registered`);
    this.handlers.set(name, handler);
  }

  setFallback(handler: RpcHandler | undefined): void {
    this.fallback = handler;
  }

  lookup(name: string): RpcHandler | undefined {
    return this.handlers.get(name) ?? this.fallback;
  }
}

/** The error name a throwing handler's request is answered with. */
function errorNameOf(e: unknown): ErrorCode {
  // An expected failure carries its upstream name; anything else is a bug in the handler.
  return isPegasusError(e) && e.code !== 'ERR_OK' ? e.code : 'ERR_UNKNOWN';
}

function onHandlerFailure(e: unknown, request: RpcRequest, reply: RpcReply, logger: RpcLogger | undefined): void {
  // A failed assertion is a bug or corrupted state, not a bad request: stop loudly (the house rule, and
  // upstream's dassert), instead of answering and carrying on with a replica in an impossible state.
  if (e instanceof AssertionFailure) throw e;
  const errorName = errorNameOf(e);
  logger?.warn({ rpc: request.name, seqid: request.seqid, remote: request.remote, errorName, err: e }, 'rpc handler failed');
  // The handler may have answered before it threw; then the client already has its response.
  if (!reply.answered) reply.error(errorName);
}

/**
 * Runs the handler for `request`: unknown names are answered ERR_HANDLER_NOT_FOUND (upstream sends it under
 * `<name>_ACK`), a throw or a rejection is logged and answered with the PegasusError's code or ERR_UNKNOWN,
 * so a bad request cannot take a connection or the server down. The one exception is a failed assertion,
 * which propagates (an uncaught exception or rejection stops the process).
 */
export function dispatchRpc(table: RpcHandlerTable, request: RpcRequest, reply: RpcReply, logger?: RpcLogger): void {
  const handler = table.lookup(request.name);
  if (handler === undefined) {
    reply.error('ERR_HANDLER_NOT_FOUND');
    return;
  }
  try {
    const pending = handler(request, reply);
    if (pending instanceof Promise) pending.catch((e: unknown) => onHandlerFailure(e, request, reply, logger));
  } catch (e) {
    onHandlerFailure(e, request, reply, logger);
  }
}

// ---------------------------------------------------------------------------------------------------------
// Client side

export interface RpcCall {
  /** The RPC code, e.g. `RPC_RRDB_RRDB_PUT`. */
  name: string;
  /** (0, 0) for meta RPCs. */
  gpid: Gpid;
  /** Unsigned 64-bit; 0n for meta RPCs. */
  partitionHash: bigint;
  /** The args wrapper struct's bytes (the RPC's `encodeArgs`). */
  args: Buffer;
  /** The call fails with ERR_TIMEOUT when no response came within this; also sent as client_timeout. */
  timeoutMs: number;
  /** Fire and forget: resolves with ERR_OK once handed to the transport, no response is awaited. */
  oneway?: boolean;
}

export interface RpcCallResult {
  /** The response's RPC-level error name as the server sent it (a string: peers may send names we lack). */
  errorName: string;
  /** For ERR_OK two-way calls: the response struct (decode with the RPC's `decodeResponse(result, 0)`). */
  result?: Buffer;
}

/** Sends requests to other nodes and matches their responses. */
export interface RpcChannel {
  /**
   * Rejects with PegasusError ERR_TIMEOUT, ERR_NETWORK_FAILURE, ERR_BUSY or ERR_INVALID_DATA; RPC-level
   * errors resolve (look at `errorName`).
   */
  call(address: RpcAddress, call: RpcCall): Promise<RpcCallResult>;
  /** Fails every pending call with ERR_NETWORK_FAILURE and closes all connections. */
  close(): Promise<void>;
}

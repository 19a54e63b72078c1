/**
 * Shared pieces of the transport tests: an rrdb-shaped echo server on 127.0.0.1 (port 0), raw-socket
 * clients that write hand-made frames and collect what comes back, and bounded waits.
 */
import type { Socket } from 'node:net';
import { createConnection } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Gpid } from '../../src/base/gpid.ts';
import { RRDB_RPCS } from '../../src/idl/codec/rrdb-rpcs.ts';
import type { UpdateRequest } from '../../src/idl/rrdb.ts';
import { MessageType } from '../../src/idl/thrift/ttype.ts';
import { encodeRequestBody } from '../../src/rpc/frame/request-body.ts';
import { encodeRequestHeaderV0 } from '../../src/rpc/frame/request-header.ts';
import { ResponseFrameSplitter } from '../../src/rpc/frame/response-splitter.ts';
import type { RpcServerOptions } from '../../src/rpc/tcp/rpc-server.ts';
import { RpcServer } from '../../src/rpc/tcp/rpc-server.ts';
import type { RpcAddress, RpcCall, RpcLogger, RpcRequest } from '../../src/rpc/transport.ts';

export const GET = RRDB_RPCS.RPC_RRDB_RRDB_GET;
export const PUT = RRDB_RPCS.RPC_RRDB_RRDB_PUT;
export const CLEAR_SCANNER = RRDB_RPCS.RPC_RRDB_RRDB_CLEAR_SCANNER;
/** Test-only RPC names with special handlers. */
export const NEVER_REPLY = 'RPC_TEST_NEVER_REPLY';

export interface EchoServer {
  server: RpcServer;
  address: RpcAddress;
  /** Every request the handlers saw, in arrival order. */
  requests: RpcRequest[];
  /** Context ids of the oneway CLEAR_SCANNER requests received. */
  clearedScanners: number[];
  /** seqids in the order their responses were sent. */
  answerOrder: number[];
  warnings: Array<{ obj: object; msg: string }>;
}

export interface EchoServerOptions extends Partial<RpcServerOptions> {
  /** Milliseconds a GET waits before it answers (default: answers at once). */
  getDelayMs?: (request: RpcRequest) => number;
  /** Bytes of the GET response value: the value is `v:` + key, padded to this size. */
  getValueBytes?: number;
}

/** GET answers `v:<key>`; PUT answers with a growing decree; CLEAR_SCANNER records its context id. */
export async function startEchoServer(options: EchoServerOptions = {}): Promise<EchoServer> {
  const warnings: EchoServer['warnings'] = [];
  const logger: RpcLogger = { warn: (obj, msg) => warnings.push({ obj, msg }) };
  const server = new RpcServer({ port: 0, logger, ...options });
  const echo: EchoServer = { server, address: '', requests: [], clearedScanners: [], answerOrder: [], warnings };
  let decree = 0;
  server.register(GET.code, (request, reply) => {
    echo.requests.push(request);
    const key = GET.decodeArgs(request.args, 0);
    let value = Buffer.concat([Buffer.from('v:'), key]);
    if (options.getValueBytes !== undefined && value.length < options.getValueBytes) {
      value = Buffer.concat([value, Buffer.alloc(options.getValueBytes - value.length, 0x2e)]);
    }
    const answer = (): void => {
      echo.answerOrder.push(request.seqid);
      reply.ok(GET.encodeResponse({ error: 0, value, ...origin(request.header.gpid, echo.address) }));
    };
    const delayMs = options.getDelayMs?.(request) ?? -1;
    if (delayMs < 0) answer();
    else setTimeout(answer, delayMs);
  });
  server.register(PUT.code, (request, reply) => {
    echo.requests.push(request);
    PUT.decodeArgs(request.args, 0);
    reply.ok(PUT.encodeResponse({ error: 0, decree: ++decree, ...origin(request.header.gpid, echo.address) }));
  });
  server.register(CLEAR_SCANNER.code, (request) => {
    echo.requests.push(request);
    echo.clearedScanners.push(CLEAR_SCANNER.decodeArgs(request.args, 0));
  });
  server.register(NEVER_REPLY, (request) => {
    echo.requests.push(request);
  });
  echo.address = await server.listen();
  return echo;
}

function origin(gpid: Gpid, server: string): { appId: number; partitionIndex: number; server: string } {
  return { appId: gpid.appId, partitionIndex: gpid.partitionIndex, server };
}

export function getCall(key: string, timeoutMs = 2000): RpcCall {
  return {
    name: GET.code,
    gpid: { appId: 3, partitionIndex: 5 },
    partitionHash: 0x1234_5678_9abc_def0n,
    args: GET.encodeArgs(Buffer.from(key)),
    timeoutMs,
  };
}

export function putCall(request: UpdateRequest, timeoutMs = 2000): RpcCall {
  return { name: PUT.code, gpid: { appId: 3, partitionIndex: 1 }, partitionHash: 7n, args: PUT.encodeArgs(request), timeoutMs };
}

/** A whole v0 request frame, as the official clients write it. */
export function requestFrame(name: string, seqid: number, args: Buffer, oneway = false): Buffer {
  const body = encodeRequestBody(name, oneway ? MessageType.ONEWAY : MessageType.CALL, seqid, args);
  const header = encodeRequestHeaderV0({ appId: 1, partitionIndex: 0, clientTimeoutMs: 0, partitionHash: 0n, bodyLength: body.length });
  return Buffer.concat([header, body]);
}

export interface RawClient {
  socket: Socket;
  /** Response frames received so far. */
  frames: Buffer[];
  /** Bytes received in total. */
  bytes(): number;
  /** Resolves when the server closed the connection. */
  closed: Promise<void>;
}

/** A socket that speaks bytes, not the channel: for malformed input and for observing the raw responses. */
export async function rawClient(address: RpcAddress): Promise<RawClient> {
  const [host, port] = address.split(':');
  const socket = createConnection({ host: host!, port: Number(port) });
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  const splitter = new ResponseFrameSplitter();
  const frames: Buffer[] = [];
  let received = 0;
  socket.on('data', (chunk: Buffer) => {
    received += chunk.length;
    frames.push(...splitter.feed(chunk).frames);
  });
  socket.on('error', () => {});
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  return { socket, frames, bytes: () => received, closed };
}

/** Polls `condition` every few ms until it holds; fails after `timeoutMs`. */
export async function waitFor(condition: () => boolean, what: string, timeoutMs = 3000): Promise<void> {
  const stepMs = 5;
  for (let waited = 0; waited < timeoutMs; waited += stepMs) {
    if (condition()) return;
    await sleep(stepMs);
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
}

/** Resolves with true if `promise` settles within `ms`, else false. */
export async function settlesWithin(promise: Promise<unknown>, ms: number): Promise<boolean> {
  const timer = sleep(ms).then(() => false);
  return Promise.race([promise.then(() => true, () => true), timer]);
}

/**
 * One client connection to one remote node: writes requests with a v0 header (what the Node, Python and Go
 * clients send, protocol.md §1.1) and a strict message begin, numbers them with per-connection seqids, cuts
 * the response stream into frames and settles each pending call by seqid (responses come in any order).
 *
 * Failures, as RpcChannel promises them: a call with no response within its `timeoutMs` rejects with
 * ERR_TIMEOUT and a late response is dropped; losing the connection (refused, reset, closed, a malformed
 * response stream) rejects every pending call with ERR_NETWORK_FAILURE and the connection is not reused;
 * more than `pendingCallsMax` pending calls, or `writeBytesQueuedMax` request bytes the kernel has not
 * taken yet, reject with ERR_BUSY at once.
 */
import type { Socket } from 'node:net';
import { createConnection } from 'node:net';
import { assert } from '../../base/assert.ts';
import { PegasusError, isPegasusError } from '../../base/error-code.ts';
import { MessageType } from '../../idl/thrift/ttype.ts';
import { encodeRequestBody } from '../frame/request-body.ts';
import { encodeRequestHeaderV0 } from '../frame/request-header.ts';
import { ACK_SUFFIX, parseResponse } from '../frame/response.ts';
import { RESPONSE_FRAME_BYTES_MAX_DEFAULT, ResponseFrameSplitter } from '../frame/response-splitter.ts';
import type { RpcAddress, RpcCall, RpcCallResult, RpcLogger } from '../transport.ts';
import { parseRpcAddress } from '../transport.ts';
import { SocketWriteBatcher } from './write-batcher.ts';

export interface ClientConnectionLimits {
  /** Two-way calls awaiting a response on one connection; more fail with ERR_BUSY. */
  pendingCallsMax: number;
  /** Largest response frame accepted; a bigger one drops the connection. */
  responseFrameBytesMax: number;
  /** A connection not established by then fails its calls with ERR_NETWORK_FAILURE. */
  connectTimeoutMs: number;
  /**
   * Request bytes not yet taken by the kernel (queued while connecting, or a server that does not read);
   * past it calls fail with ERR_BUSY. It is what bounds oneway calls, which never count as pending.
   */
  writeBytesQueuedMax: number;
}

export const CLIENT_CONNECTION_LIMITS_DEFAULT: ClientConnectionLimits = {
  pendingCallsMax: 4096,
  responseFrameBytesMax: RESPONSE_FRAME_BYTES_MAX_DEFAULT,
  connectTimeoutMs: 3000,
  writeBytesQueuedMax: 64 * 1024 * 1024,
};

/** seqid is a thrift i32; wrap before it turns negative. */
const SEQID_MAX = 0x7fffffff;
/** Node's timers and the header's i32 client_timeout both stop here. */
export const TIMEOUT_MS_MAX = 0x7fffffff;

export function isValidTimeoutMs(timeoutMs: number): boolean {
  return Number.isInteger(timeoutMs) && timeoutMs > 0 && timeoutMs <= TIMEOUT_MS_MAX;
}

interface PendingCall {
  name: string;
  resolve(result: RpcCallResult): void;
  reject(error: PegasusError): void;
  timer: NodeJS.Timeout;
}

export interface ClientConnectionEvents {
  /** The TCP connection is up (the channel resets its reconnect backoff). */
  onConnected(connection: ClientConnection): void;
  /** The connection is gone for good; `everConnected` tells a refused connect from a dropped one. */
  onClosed(connection: ClientConnection, everConnected: boolean): void;
}

export class ClientConnection {
  private socket: Socket | undefined;
  private readonly splitter: ResponseFrameSplitter;
  private readonly batcher = new SocketWriteBatcher();
  private readonly pending = new Map<number, PendingCall>();
  private seqid = 0;
  private connected = false;
  private closed = false;
  private connectTimer: NodeJS.Timeout | undefined;
  private lateResponses = 0;
  private readonly socketClosed: Promise<void>;
  private markSocketClosed: () => void = () => {};

  /** Starts connecting after `connectDelayMs` (the channel's reconnect backoff; 0 = now). */
  constructor(
    readonly address: RpcAddress,
    private readonly limits: ClientConnectionLimits,
    connectDelayMs: number,
    private readonly events: ClientConnectionEvents,
    private readonly logger: RpcLogger | undefined,
  ) {
    this.splitter = new ResponseFrameSplitter({ frameBytesMax: limits.responseFrameBytesMax });
    this.socketClosed = new Promise((resolve) => (this.markSocketClosed = resolve));
    // Calls made during the delay queue in the batcher and count against pendingCallsMax.
    this.connectTimer = setTimeout(() => this.connect(), connectDelayMs);
  }

  get pendingCalls(): number {
    return this.pending.size;
  }

  /** Responses that came after their call had timed out, and were dropped. */
  get lateResponsesDropped(): number {
    return this.lateResponses;
  }

  get isClosed(): boolean {
    return this.closed;
  }

  call(call: RpcCall): Promise<RpcCallResult> {
    if (this.closed) return Promise.reject(new PegasusError('ERR_NETWORK_FAILURE', `connection to ${this.address} is closed`));
    assert(isValidTimeoutMs(call.timeoutMs), `timeoutMs ${call.timeoutMs} was not checked by the channel`);
    const oneway = call.oneway === true;
    if (!oneway && this.pending.size >= this.limits.pendingCallsMax) {
      return Promise.reject(new PegasusError('ERR_BUSY', `${this.pending.size} calls pending on ${this.address}`));
    }
    if (this.batcher.pendingBytes >= this.limits.writeBytesQueuedMax) {
      return Promise.reject(new PegasusError('ERR_BUSY', `${this.batcher.pendingBytes} request bytes queued to ${this.address}`));
    }
    const seqid = this.nextSeqid();
    const body = encodeRequestBody(call.name, oneway ? MessageType.ONEWAY : MessageType.CALL, seqid, call.args);
    const header = encodeRequestHeaderV0({
      appId: call.gpid.appId,
      partitionIndex: call.gpid.partitionIndex,
      clientTimeoutMs: call.timeoutMs,
      partitionHash: call.partitionHash,
      bodyLength: body.length,
    });
    this.batcher.push(header);
    this.batcher.push(body);
    // Oneway: nothing comes back, so handing it to the connection is all the caller can learn.
    if (oneway) return Promise.resolve({ errorName: 'ERR_OK' });
    return new Promise<RpcCallResult>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(seqid);
        reject(new PegasusError('ERR_TIMEOUT', `${call.name} to ${this.address} got no response in ${call.timeoutMs} ms`));
      }, call.timeoutMs);
      this.pending.set(seqid, { name: call.name, resolve, reject, timer });
    });
  }

  /** Fails every pending call with ERR_NETWORK_FAILURE and closes the socket; resolves once it is closed. */
  close(reason: string): Promise<void> {
    this.fail(new PegasusError('ERR_NETWORK_FAILURE', `connection to ${this.address} closed: ${reason}`));
    return this.socketClosed;
  }

  private nextSeqid(): number {
    this.seqid = this.seqid >= SEQID_MAX ? 1 : this.seqid + 1;
    // pendingCallsMax is far below 2^31, so a wrapped seqid is never still pending.
    assert(!this.pending.has(this.seqid), `seqid ${this.seqid} to ${this.address} is still pending`);
    return this.seqid;
  }

  private connect(): void {
    this.connectTimer = undefined;
    if (this.closed) return;
    const { host, port } = parseRpcAddress(this.address);
    const socket = createConnection({ host, port, noDelay: true });
    this.socket = socket;
    this.batcher.attach(socket);
    this.connectTimer = setTimeout(() => {
      this.fail(new PegasusError('ERR_NETWORK_FAILURE', `connect to ${this.address} took over ${this.limits.connectTimeoutMs} ms`));
    }, this.limits.connectTimeoutMs);
    socket.on('connect', () => {
      clearTimeout(this.connectTimer);
      this.connectTimer = undefined;
      this.connected = true;
      this.events.onConnected(this);
    });
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('error', (e) => this.fail(new PegasusError('ERR_NETWORK_FAILURE', `${this.address}: ${e.message}`, { cause: e })));
    socket.on('close', () => {
      this.fail(new PegasusError('ERR_NETWORK_FAILURE', `connection to ${this.address} closed by the peer`));
      this.markSocketClosed();
    });
  }

  private onData(chunk: Buffer): void {
    const { frames, error } = this.splitter.feed(chunk);
    for (const frame of frames) this.onFrame(frame);
    if (error !== undefined) {
      this.logger?.warn({ remote: this.address, reason: error.reason, err: error }, 'malformed response stream, closing');
      this.fail(new PegasusError('ERR_NETWORK_FAILURE', `malformed response stream from ${this.address}`, { cause: error }));
    }
  }

  private onFrame(frame: Buffer): void {
    if (this.closed) return;
    let parsed;
    try {
      parsed = parseResponse(frame);
    } catch (e) {
      if (!isPegasusError(e)) throw e;
      // Without a seqid the response cannot be matched, and the stream is suspect: drop the connection.
      this.logger?.warn({ remote: this.address, err: e }, 'unreadable response, closing');
      this.fail(new PegasusError('ERR_NETWORK_FAILURE', `unreadable response from ${this.address}`, { cause: e }));
      return;
    }
    const call = this.pending.get(parsed.seqid);
    if (call === undefined) {
      this.lateResponses++;
      return;
    }
    this.pending.delete(parsed.seqid);
    clearTimeout(call.timer);
    if (parsed.name !== call.name + ACK_SUFFIX) {
      call.reject(new PegasusError('ERR_INVALID_DATA', `seqid ${parsed.seqid}: ${call.name} answered as ${parsed.name}`));
      return;
    }
    const result = parsed.resultOffset === undefined ? undefined : frame.subarray(parsed.resultOffset);
    call.resolve(result === undefined ? { errorName: parsed.errorName } : { errorName: parsed.errorName, result });
  }

  private fail(error: PegasusError): void {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.connectTimer);
    this.connectTimer = undefined;
    this.batcher.discard();
    if (this.socket === undefined) this.markSocketClosed();
    else this.socket.destroy();
    const calls = [...this.pending.values()];
    this.pending.clear();
    for (const call of calls) {
      clearTimeout(call.timer);
      call.reject(error);
    }
    this.events.onClosed(this, this.connected);
  }
}

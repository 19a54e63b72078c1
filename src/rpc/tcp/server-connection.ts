/**
 * One Thrift connection on the server side: cuts the byte stream into request frames, dispatches each to
 * its handler, and writes the responses back in batches, in whatever order the handlers answer (clients
 * match them by seqid, protocol.md §1).
 *
 * Bounds (style.md practice 9), per connection:
 * - at most `inFlightRequestsMax` two-way requests dispatched and not yet answered;
 * - at most about `writeBytesQueuedMax` response bytes not yet taken by the kernel (the client may not read).
 * At either bound the connection stops dispatching and stops reading from the socket (TCP backpressure
 * then reaches the client); it resumes once both are under half their bound. Frames already read but not
 * dispatched wait in memory; there are at most one socket chunk's worth of them, because reading stops
 * while any wait. The write bound can be passed by at most the responses of requests already in flight.
 *
 * A framing error closes this connection only (upstream closes the session), never the server.
 */
import type { Socket } from 'node:net';
import type { ErrorCode } from '../../base/error-code.ts';
import { isPegasusError } from '../../base/error-code.ts';
import { MessageType } from '../../idl/thrift/ttype.ts';
import { parseRequestBody } from '../frame/request-body.ts';
import type { RequestFrame } from '../frame/request-splitter.ts';
import { RequestFrameSplitter } from '../frame/request-splitter.ts';
import { encodeResponse } from '../frame/response.ts';
import type { RpcAddress, RpcHandlerTable, RpcLogger, RpcRequest } from '../transport.ts';
import { createReply, dispatchRpc } from '../transport.ts';
import { SocketWriteBatcher } from './write-batcher.ts';

export interface ServerConnectionLimits {
  /** Two-way requests dispatched and not yet answered, per connection. */
  inFlightRequestsMax: number;
  /** Response bytes waiting for the kernel, per connection, before reading pauses. */
  writeBytesQueuedMax: number;
  /** Largest request body accepted (the splitter's bound). */
  requestBodyBytesMax: number;
  /** How long an orderly close waits for queued responses before it destroys the socket. */
  closeGraceMs: number;
}

export const SERVER_CONNECTION_LIMITS_DEFAULT: ServerConnectionLimits = {
  inFlightRequestsMax: 1024,
  writeBytesQueuedMax: 4 * 1024 * 1024,
  requestBodyBytesMax: 16 * 1024 * 1024,
  closeGraceMs: 1000,
};

export interface ServerConnectionStats {
  remote: RpcAddress;
  requestsReceived: number;
  responsesQueued: number;
  inFlightRequests: number;
  /** Response bytes not yet taken by the kernel, now and at most so far. */
  writeBytesQueued: number;
  writeBytesQueuedPeak: number;
  /** Whether reading is paused now, and how many times it was paused. */
  readPaused: boolean;
  readPauseCount: number;
}

/** Node's text for a peer's address, without the IPv4-mapped IPv6 prefix of a dual-stack listener. */
export function remoteAddressOf(socket: Socket): RpcAddress {
  const host = (socket.remoteAddress ?? '0.0.0.0').replace(/^::ffff:/, '');
  return `${host}:${socket.remotePort ?? 0}`;
}

export class ThriftServerConnection {
  readonly remote: RpcAddress;
  private readonly splitter: RequestFrameSplitter;
  private readonly batcher: SocketWriteBatcher;
  /** Frames read but not yet dispatched, consumed from `waitingHead`. */
  private waiting: Array<RequestFrame | undefined> = [];
  private waitingHead = 0;
  private inFlight = 0;
  private pumping = false;
  private closed = false;
  private paused = false;
  private pauseCount = 0;
  private received = 0;
  private responded = 0;
  private queuedPeak = 0;

  constructor(
    private readonly socket: Socket,
    private readonly handlers: RpcHandlerTable,
    private readonly limits: ServerConnectionLimits,
    private readonly logger: RpcLogger | undefined,
    private readonly onClosed: (connection: ThriftServerConnection) => void,
  ) {
    this.remote = remoteAddressOf(socket);
    this.splitter = new RequestFrameSplitter({ bodyBytesMax: limits.requestBodyBytesMax });
    this.batcher = new SocketWriteBatcher(() => this.pump());
    this.batcher.attach(socket);
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('drain', () => this.pump());
    socket.on('error', (e: NodeJS.ErrnoException) => {
      // Resets and broken pipes are how clients go away; only other errors are worth a line.
      if (e.code !== 'ECONNRESET' && e.code !== 'EPIPE') this.logger?.warn({ remote: this.remote, err: e }, 'rpc connection error');
    });
    socket.on('close', () => this.onSocketClosed());
  }

  /** Feeds bytes that were read before this object took the socket over (the sniffed prefix). */
  onData(chunk: Buffer): void {
    if (this.closed) return;
    const { frames, error } = this.splitter.feed(chunk);
    if (error !== undefined) {
      this.logger?.warn({ remote: this.remote, reason: error.reason, err: error }, 'rpc framing error, closing the connection');
      this.destroy();
      return;
    }
    for (const frame of frames) this.waiting.push(frame);
    this.received += frames.length;
    this.pump();
  }

  stats(): ServerConnectionStats {
    return {
      remote: this.remote,
      requestsReceived: this.received,
      responsesQueued: this.responded,
      inFlightRequests: this.inFlight,
      writeBytesQueued: this.batcher.pendingBytes,
      writeBytesQueuedPeak: this.queuedPeak,
      readPaused: this.paused,
      readPauseCount: this.pauseCount,
    };
  }

  /** Orderly close: stop reading, send what is queued, end; destroy if the peer does not go in time. */
  end(): void {
    if (this.closed) return;
    this.socket.pause();
    this.batcher.flush();
    this.socket.end();
    setTimeout(() => this.destroy(), this.limits.closeGraceMs).unref();
  }

  destroy(): void {
    this.socket.destroy();
    // Settle now rather than on the async 'close' event, so nothing more is dispatched or written.
    this.onSocketClosed();
  }

  /** Dispatches waiting frames while under both bounds, then pauses or resumes reading to match. */
  private pump(): void {
    if (this.closed || this.pumping) return;
    this.pumping = true;
    try {
      while (this.waitingHead < this.waiting.length && !this.atBound() && !this.closed) {
        const frame = this.waiting[this.waitingHead]!;
        this.waiting[this.waitingHead++] = undefined; // let the frame be collected once answered
        this.dispatch(frame);
      }
      if (this.waitingHead === this.waiting.length) {
        this.waiting = [];
        this.waitingHead = 0;
      }
    } finally {
      this.pumping = false;
    }
    this.updateReading();
  }

  private atBound(): boolean {
    return this.inFlight >= this.limits.inFlightRequestsMax || this.batcher.pendingBytes >= this.limits.writeBytesQueuedMax;
  }

  private updateReading(): void {
    if (this.closed) return;
    const waiting = this.waitingHead < this.waiting.length;
    if (!this.paused && (waiting || this.atBound())) {
      this.paused = true;
      this.pauseCount++;
      this.socket.pause();
    } else if (
      this.paused &&
      !waiting &&
      this.inFlight <= this.limits.inFlightRequestsMax / 2 &&
      this.batcher.pendingBytes <= this.limits.writeBytesQueuedMax / 2
    ) {
      this.paused = false;
      this.socket.resume();
    }
  }

  private dispatch(frame: RequestFrame): void {
    let body;
    try {
      body = parseRequestBody(frame.body);
    } catch (e) {
      if (!isPegasusError(e)) throw e;
      // A message begin we cannot read leaves no seqid to answer under: drop the session, as upstream does.
      this.logger?.warn({ remote: this.remote, err: e }, 'rpc request body unreadable, closing the connection');
      this.destroy();
      return;
    }
    const { header } = frame;
    const request: RpcRequest = {
      name: body.name,
      seqid: body.seqid,
      header: {
        gpid: { appId: header.appId, partitionIndex: header.partitionIndex },
        partitionHash: header.partitionHash,
        clientTimeoutMs: header.clientTimeoutMs,
        isBackupRequest: header.isBackupRequest,
      },
      args: frame.body.subarray(body.argsOffset),
      oneway: body.type === MessageType.ONEWAY,
      remote: this.remote,
    };
    if (!request.oneway) this.inFlight++;
    const reply = createReply(request, (errorName, result) => this.respond(request, errorName, result));
    dispatchRpc(this.handlers, request, reply, this.logger);
  }

  private respond(request: RpcRequest, errorName: ErrorCode, result: Buffer | undefined): void {
    this.inFlight--;
    // A reply after the connection went away has nobody to go to.
    if (this.closed) return;
    this.batcher.push(encodeResponse({ errorName, name: request.name, seqid: request.seqid, body: result }));
    this.responded++;
    this.queuedPeak = Math.max(this.queuedPeak, this.batcher.pendingBytes);
    this.pump();
  }

  private onSocketClosed(): void {
    if (this.closed) return;
    this.closed = true;
    this.batcher.discard();
    this.waiting = [];
    this.waitingHead = 0;
    this.onClosed(this);
  }
}

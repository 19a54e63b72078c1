/**
 * The TCP server of a meta or replica process. RPC and HTTP share its one port (architecture.md §1, as
 * upstream): each new connection's first four bytes decide its kind (sniff.ts). Thrift connections are
 * served here (server-connection.ts); HTTP ones are handed, with the bytes already read put back, to the
 * node:http Server its owner passes in; anything else is closed.
 *
 * Bounds: at most `connectionsMax` connections (Node refuses more); a connection must show its kind within
 * `sniffTimeoutMs`; per-connection bounds in server-connection.ts.
 */
import type { Server as HttpServer } from 'node:http';
import type { AddressInfo, Server, Socket } from 'node:net';
import { createServer } from 'node:net';
import { PegasusError } from '../../base/error-code.ts';
import type { RpcAddress, RpcHandler, RpcHandlerRegistry, RpcLogger } from '../transport.ts';
import { RpcHandlerTable, formatRpcAddress } from '../transport.ts';
import type { ServerConnectionLimits, ServerConnectionStats } from './server-connection.ts';
import { SERVER_CONNECTION_LIMITS_DEFAULT, ThriftServerConnection, remoteAddressOf } from './server-connection.ts';
import { SNIFF_BYTES, sniffConnection } from './sniff.ts';

export interface RpcServerOptions {
  /** IPv4 address to bind; default 127.0.0.1. */
  host?: string;
  /** 0 picks a free port (tests). */
  port: number;
  /** Receives the HTTP connections; without it they are closed. */
  httpServer?: HttpServer;
  logger?: RpcLogger;
  limits?: Partial<ServerConnectionLimits>;
  /** A connection that has not sent four bytes by then is closed. */
  sniffTimeoutMs?: number;
  connectionsMax?: number;
}

export const SNIFF_TIMEOUT_MS_DEFAULT = 10_000;
export const CONNECTIONS_MAX_DEFAULT = 10_000;

export class RpcServer implements RpcHandlerRegistry {
  private readonly handlers = new RpcHandlerTable();
  private readonly limits: ServerConnectionLimits;
  private readonly logger: RpcLogger | undefined;
  private readonly sniffTimeoutMs: number;
  private readonly server: Server;
  private readonly thriftConnections = new Set<ThriftServerConnection>();
  /** Sockets not (yet) owned by a ThriftServerConnection: still sniffing, or handed to HTTP. */
  private readonly otherSockets = new Set<Socket>();
  private listening = false;

  constructor(private readonly options: RpcServerOptions) {
    this.limits = { ...SERVER_CONNECTION_LIMITS_DEFAULT, ...options.limits };
    this.logger = options.logger;
    this.sniffTimeoutMs = options.sniffTimeoutMs ?? SNIFF_TIMEOUT_MS_DEFAULT;
    this.server = createServer({ noDelay: true }, (socket) => this.onConnection(socket));
    this.server.maxConnections = options.connectionsMax ?? CONNECTIONS_MAX_DEFAULT;
    this.server.on('error', (e) => this.logger?.warn({ err: e }, 'rpc server error'));
  }

  register(name: string, handler: RpcHandler): void {
    this.handlers.register(name, handler);
  }

  setFallback(handler: RpcHandler | undefined): void {
    this.handlers.setFallback(handler);
  }

  /** Binds; rejects with ERR_NETWORK_START_FAILED (e.g. the port is taken). */
  listen(): Promise<RpcAddress> {
    const host = this.options.host ?? '127.0.0.1';
    return new Promise((resolve, reject) => {
      const onError = (e: Error): void => {
        reject(new PegasusError('ERR_NETWORK_START_FAILED', `listen on ${host}:${this.options.port}: ${e.message}`, { cause: e }));
      };
      this.server.once('error', onError);
      this.server.listen(this.options.port, host, () => {
        this.server.off('error', onError);
        this.listening = true;
        resolve(this.address);
      });
    });
  }

  /** The bound address (after listen). */
  get address(): RpcAddress {
    const info = this.server.address() as AddressInfo | null;
    if (info === null) throw new PegasusError('ERR_SERVICE_NOT_ACTIVE', 'the rpc server is not listening');
    return formatRpcAddress(info.address, info.port);
  }

  /** Per-connection counters of the Thrift connections, for tests and metrics. */
  connectionStats(): ServerConnectionStats[] {
    return [...this.thriftConnections].map((connection) => connection.stats());
  }

  /** Stops listening, ends every connection (HTTP ones too) and resolves once all are gone. */
  close(): Promise<void> {
    const closed = new Promise<void>((resolve) => {
      if (!this.listening) resolve();
      else this.server.close(() => resolve());
    });
    this.listening = false;
    for (const connection of this.thriftConnections) connection.end();
    for (const socket of this.otherSockets) socket.destroy();
    return closed;
  }

  private onConnection(socket: Socket): void {
    this.otherSockets.add(socket);
    socket.on('close', () => this.otherSockets.delete(socket));
    socket.on('error', () => {}); // 'close' follows; the owner (or nobody) logs it
    const chunks: Buffer[] = [];
    let received = 0;
    const timer = setTimeout(() => {
      this.logger?.warn({ remote: remoteAddressOf(socket) }, 'connection sent no request in time, closing');
      socket.destroy();
    }, this.sniffTimeoutMs);
    const onData = (chunk: Buffer): void => {
      chunks.push(chunk);
      received += chunk.length;
      const head = chunks.length === 1 ? chunk : Buffer.concat(chunks, received);
      const kind = sniffConnection(head);
      if (kind === undefined) return; // fewer than four bytes, still a plausible start
      clearTimeout(timer);
      socket.off('data', onData);
      socket.off('close', onEarlyClose);
      if (kind === 'thrift') this.serveThrift(socket, head);
      else if (kind === 'http' && this.options.httpServer !== undefined) this.handOffHttp(socket, head, this.options.httpServer);
      else {
        this.logger?.warn({ remote: remoteAddressOf(socket), head: head.subarray(0, SNIFF_BYTES).toString('hex') }, 'unknown protocol, closing');
        socket.destroy();
      }
    };
    const onEarlyClose = (): void => clearTimeout(timer);
    socket.on('data', onData);
    socket.on('close', onEarlyClose);
  }

  private serveThrift(socket: Socket, head: Buffer): void {
    this.otherSockets.delete(socket);
    const connection = new ThriftServerConnection(socket, this.handlers, this.limits, this.logger, (c) => {
      this.thriftConnections.delete(c);
    });
    this.thriftConnections.add(connection);
    connection.onData(head);
  }

  private handOffHttp(socket: Socket, head: Buffer, httpServer: HttpServer): void {
    // node:http reads straight from the socket's handle when it can; pausing first and resuming after the
    // hand-off makes it take the put-back bytes through the stream before anything newer.
    socket.pause();
    socket.unshift(head);
    httpServer.emit('connection', socket);
    socket.resume();
  }
}

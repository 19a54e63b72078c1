/**
 * The TCP RpcChannel: one connection per remote address, opened on the first call and reused by every call
 * after it (many calls pipelined on it, protocol.md §1). A connection that fails is dropped; the next call
 * opens a new one, after a backoff that doubles with each consecutive failure up to
 * `reconnectBackoffMaxMs`, so a dead node is not hammered with connects. Calls made during the backoff wait
 * in the new connection (bounded by pendingCallsMax, each under its own timeout).
 */
import { PegasusError, isPegasusError } from '../../base/error-code.ts';
import type { RpcAddress, RpcCall, RpcCallResult, RpcChannel, RpcLogger } from '../transport.ts';
import { parseRpcAddress } from '../transport.ts';
import type { ClientConnectionLimits } from './client-connection.ts';
import { CLIENT_CONNECTION_LIMITS_DEFAULT, ClientConnection, TIMEOUT_MS_MAX, isValidTimeoutMs } from './client-connection.ts';

export interface TcpRpcChannelOptions {
  logger?: RpcLogger;
  limits?: Partial<ClientConnectionLimits>;
  /** Delay before reconnecting after the first failure; doubles per consecutive failure. */
  reconnectBackoffMs?: number;
  reconnectBackoffMaxMs?: number;
}

export const RECONNECT_BACKOFF_MS_DEFAULT = 10;
export const RECONNECT_BACKOFF_MAX_MS_DEFAULT = 1000;
/** Doubling stops here long before it could overflow; the max delay caps it anyway. */
const BACKOFF_DOUBLINGS_MAX = 16;

interface FailureRecord {
  consecutive: number;
  atMs: number;
}

export class TcpRpcChannel implements RpcChannel {
  private readonly limits: ClientConnectionLimits;
  private readonly logger: RpcLogger | undefined;
  private readonly backoffMs: number;
  private readonly backoffMaxMs: number;
  private readonly connections = new Map<RpcAddress, ClientConnection>();
  /** Recent connection failures per address; one entry per address ever called, cleared on success. */
  private readonly failures = new Map<RpcAddress, FailureRecord>();
  private closed = false;

  constructor(options: TcpRpcChannelOptions = {}) {
    this.limits = { ...CLIENT_CONNECTION_LIMITS_DEFAULT, ...options.limits };
    this.logger = options.logger;
    this.backoffMs = options.reconnectBackoffMs ?? RECONNECT_BACKOFF_MS_DEFAULT;
    this.backoffMaxMs = options.reconnectBackoffMaxMs ?? RECONNECT_BACKOFF_MAX_MS_DEFAULT;
  }

  call(address: RpcAddress, call: RpcCall): Promise<RpcCallResult> {
    if (this.closed) return Promise.reject(new PegasusError('ERR_NETWORK_FAILURE', 'the rpc channel is closed'));
    if (!isValidTimeoutMs(call.timeoutMs)) {
      return Promise.reject(new PegasusError('ERR_INVALID_PARAMETERS', `timeoutMs ${call.timeoutMs} must be a whole number in (0, ${TIMEOUT_MS_MAX}]`));
    }
    try {
      return this.connectionTo(address).call(call);
    } catch (e) {
      if (isPegasusError(e)) return Promise.reject(e);
      throw e;
    }
  }

  /** Calls awaiting a response to `address` (0 when there is no connection). */
  pendingCalls(address: RpcAddress): number {
    return this.connections.get(address)?.pendingCalls ?? 0;
  }

  /** Responses to `address` that arrived after their call timed out and were dropped, on the live connection. */
  lateResponsesDropped(address: RpcAddress): number {
    return this.connections.get(address)?.lateResponsesDropped ?? 0;
  }

  async close(): Promise<void> {
    this.closed = true;
    const connections = [...this.connections.values()];
    this.connections.clear();
    await Promise.all(connections.map((connection) => connection.close('the rpc channel is closing')));
  }

  private connectionTo(address: RpcAddress): ClientConnection {
    const existing = this.connections.get(address);
    if (existing !== undefined && !existing.isClosed) return existing;
    parseRpcAddress(address); // throws ERR_INVALID_PARAMETERS before anything is opened
    const connection = new ClientConnection(address, this.limits, this.reconnectDelayMs(address), {
      onConnected: () => this.failures.delete(address),
      onClosed: (c, everConnected) => this.onClosed(c, everConnected),
    }, this.logger);
    this.connections.set(address, connection);
    return connection;
  }

  private reconnectDelayMs(address: RpcAddress): number {
    const failure = this.failures.get(address);
    if (failure === undefined) return 0;
    const doublings = Math.min(failure.consecutive - 1, BACKOFF_DOUBLINGS_MAX);
    const backoffMs = Math.min(this.backoffMs * 2 ** doublings, this.backoffMaxMs);
    return Math.max(0, failure.atMs + backoffMs - Date.now());
  }

  private onClosed(connection: ClientConnection, everConnected: boolean): void {
    if (this.connections.get(connection.address) === connection) this.connections.delete(connection.address);
    if (this.closed) return;
    const previous = this.failures.get(connection.address);
    // A connection that worked and then dropped starts the count again; a refused one adds to it.
    const consecutive = everConnected || previous === undefined ? 1 : previous.consecutive + 1;
    this.failures.set(connection.address, { consecutive, atMs: Date.now() });
  }
}

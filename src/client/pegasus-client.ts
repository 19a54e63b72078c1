/**
 * The client's entry point: one connection pool (an RpcChannel) and one meta session per cluster, and one
 * Table handle per table name, shared by every `openTable` of that name.
 *
 *   const client = PegasusClient.create({ metaServers: ['127.0.0.1:34601'] });
 *   const table = await client.openTable('temp');
 *   await table.set('hk', 'sk', 'v', { ttlSeconds: 60 });
 *   await client.close();
 */
import { isRpcAddress, type RpcChannel } from '../rpc/transport.ts';
import { TcpRpcChannel } from '../rpc/tcp/rpc-channel.ts';
import { SYSTEM_CLOCK, type ClientClock } from './clock.ts';
import { ATTEMPTS_MAX, Deadline, checkTimeoutMs } from './deadline.ts';
import { PegasusClientError, invalidParameters } from './errors.ts';
import { MetaSession } from './meta-session.ts';
import type { CallOptions } from './options.ts';
import { Table } from './table.ts';
import { TableRouter } from './table-router.ts';

/** Upstream's clients give each operation 1000 ms by default (Node `operationTimeout`, Java `operation_timeout`). */
export const CLIENT_TIMEOUT_MS_DEFAULT = 1000;

export interface PegasusClientOptions {
  /** `a.b.c.d:port` of every meta server; the first is asked first. */
  metaServers: string[];
  /** Default deadline of each operation, retries included. */
  timeoutMs?: number;
  /** The transport; default a TcpRpcChannel owned (and closed) by the client. */
  channel?: RpcChannel;
  /** Wall time and sleeps; default the system clock. */
  clock?: ClientClock;
  /**
   * Sends of one operation to replica servers, retries included (default 64, bounded by the deadline too).
   * 1 never resends: a request whose outcome is unknown is reported, not repeated.
   */
  attemptsMax?: number;
}

export class PegasusClient {
  private readonly tables = new Map<string, Promise<Table>>();
  private closed = false;

  private constructor(
    private readonly channel: RpcChannel,
    private readonly ownsChannel: boolean,
    private readonly meta: MetaSession,
    private readonly clock: ClientClock,
    readonly timeoutMs: number,
    private readonly attemptsMax: number,
  ) {}

  /** Validates the options; connections open on first use. */
  static create(options: PegasusClientOptions): PegasusClient {
    for (const address of options.metaServers) {
      if (!isRpcAddress(address)) throw invalidParameters(`meta server ${JSON.stringify(address)} is not an IPv4 host:port`);
    }
    const timeoutMs = checkTimeoutMs(options.timeoutMs ?? CLIENT_TIMEOUT_MS_DEFAULT, 'timeoutMs');
    const channel = options.channel ?? new TcpRpcChannel();
    const meta = new MetaSession(channel, options.metaServers);
    const attemptsMax = options.attemptsMax ?? ATTEMPTS_MAX;
    if (!Number.isSafeInteger(attemptsMax) || attemptsMax < 1) throw invalidParameters(`attemptsMax ${attemptsMax} must be a positive integer`);
    return new PegasusClient(channel, options.channel === undefined, meta, options.clock ?? SYSTEM_CLOCK, timeoutMs, attemptsMax);
  }

  /**
   * The table's handle, after its partition configuration was fetched (so a missing table fails here, with
   * PegasusMetaError ERR_OBJECT_NOT_FOUND). Concurrent opens of one name share one query.
   */
  openTable(name: string, options: CallOptions = {}): Promise<Table> {
    if (this.closed) return Promise.reject(new PegasusClientError('ERR_INVALID_STATE', 'the client is closed'));
    if (name.length === 0) return Promise.reject(invalidParameters('the table name must not be empty'));
    const existing = this.tables.get(name);
    if (existing !== undefined) return existing;
    const router = new TableRouter(name, this.meta, this.channel, this.clock, this.attemptsMax);
    const opening = (async () => {
      const deadline = new Deadline(this.clock, checkTimeoutMs(options.timeoutMs ?? this.timeoutMs, 'timeoutMs'), options.signal);
      await router.refresh(deadline);
      return new Table(router, this.timeoutMs);
    })();
    this.tables.set(name, opening);
    // A failed open is not cached: the next call asks again.
    opening.catch(() => {
      if (this.tables.get(name) === opening) this.tables.delete(name);
    });
    return opening;
  }

  /** Closes the connections if the client created them; pending calls fail with ERR_NETWORK_FAILURE. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.tables.clear();
    if (this.ownsChannel) await this.channel.close();
  }

  /** The meta server asked first next time (follows ERR_FORWARD_TO_OTHERS). */
  get metaLeader(): string {
    return this.meta.leader;
  }
}

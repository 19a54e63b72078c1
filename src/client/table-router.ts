/**
 * One table's routing: the cached partition configuration from the meta server, and the retry loop every
 * replica RPC runs in (protocol.md §2, §3).
 *
 * Routing: pidx = crc64 mod partition_count, unsigned (the P, G and J clients); a partition whose ballot is
 * < 0 is a split child that is not ready, so its requests go to `pidx - count/2`.
 *
 * Errors from a replica server:
 * - re-query the meta, then retry: ERR_OBJECT_NOT_FOUND (the server does not host the partition),
 *   ERR_INVALID_STATE (not primary), ERR_PARENT_PARTITION_MISUSED (the split finished), ERR_INACTIVE_STATE
 *   and ERR_NOT_ENOUGH_MEMBER (the Python client re-queries on both), and the transport's
 *   ERR_NETWORK_FAILURE and ERR_TIMEOUT to that primary (the Node client's "session reset");
 * - retry without re-querying: ERR_BUSY, ERR_CAPACITY_EXCEEDED (the Node client's list);
 * - anything else fails at once. The Node client also retries ERR_INVALID_DATA and unknown errors until the
 *   timeout; we do not, since the same request gets the same refusal (a write over max_allowed_write_size).
 *
 * Retries are spaced by a bounded exponential back-off and stop at the operation's deadline (then
 * PegasusTimeoutError with the last failure as cause) or after `attemptsMax` (ATTEMPTS_MAX by default). As in
 * every upstream client, a write whose response was lost may be applied twice when it is retried (incr,
 * check_and_mutate included); `attemptsMax: 1` sends each request once, so an unknown outcome stays unknown
 * instead (the simulator's workloads rely on it).
 *
 * Concurrent refreshes of the table are de-duplicated: one query_cfg in flight, and a failure seen on an
 * older configuration than the cached one does not trigger another.
 */
import { isPegasusError } from '../base/error-code.ts';
import type { RrdbTwoWayRpc } from '../idl/codec/rrdb-rpcs.ts';
import type { RpcChannel } from '../rpc/transport.ts';
import type { ClientClock } from './clock.ts';
import { ATTEMPTS_MAX, backoffMs, type Deadline } from './deadline.ts';
import { PegasusAbortError, PegasusRpcError } from './errors.ts';
import type { MetaSession, TableConfig } from './meta-session.ts';

const REFRESH_ERRORS: ReadonlySet<string> = new Set([
  'ERR_OBJECT_NOT_FOUND',
  'ERR_INVALID_STATE',
  'ERR_PARENT_PARTITION_MISUSED',
  'ERR_INACTIVE_STATE',
  'ERR_NOT_ENOUGH_MEMBER',
  'ERR_NETWORK_FAILURE',
  'ERR_TIMEOUT',
]);
const RETRY_ERRORS: ReadonlySet<string> = new Set(['ERR_BUSY', 'ERR_CAPACITY_EXCEEDED']);

/** Where a request goes: by hash (normal operations) or to a fixed partition (unordered scanners). */
export interface RouteTarget {
  /** Unsigned crc64 sent in the header; also picks the partition unless `partitionIndex` is given. */
  partitionHash: bigint;
  partitionIndex?: number;
}

/** Partition index of a hash: unsigned modulo, then the split rule for a child that is not ready. */
export function routePartitionIndex(config: TableConfig, partitionHash: bigint): number {
  const count = config.partitionCount;
  const index = Number(partitionHash % BigInt(count));
  const ballot = config.partitions[index]?.ballot ?? 0;
  return ballot < 0 ? index - count / 2 : index;
}

export class TableRouter {
  private config: TableConfig | undefined;
  private generation = 0;
  private stale = true;
  private refreshing: Promise<TableConfig> | undefined;
  /** query_cfg calls made, for tests and metrics. */
  refreshCount = 0;

  constructor(
    readonly tableName: string,
    private readonly meta: MetaSession,
    private readonly channel: RpcChannel,
    readonly clock: ClientClock,
    private readonly attemptsMax: number = ATTEMPTS_MAX,
  ) {}

  /** The cached configuration, fetched first when there is none or it was invalidated. */
  async currentConfig(deadline: Deadline): Promise<TableConfig> {
    if (this.config !== undefined && !this.stale) return this.config;
    return this.refresh(deadline);
  }

  /** Queries the meta server, joining a query already in flight. */
  refresh(deadline: Deadline): Promise<TableConfig> {
    if (this.refreshing === undefined) {
      this.refreshCount++;
      const pending = this.meta.queryConfig(this.tableName, deadline).then((config) => {
        this.config = config;
        this.generation++;
        this.stale = false;
        return config;
      });
      this.refreshing = pending;
      const clear = (): void => {
        if (this.refreshing === pending) this.refreshing = undefined;
      };
      pending.then(clear, clear);
    }
    return deadline.race(this.refreshing);
  }

  /** Marks the configuration stale, unless it was already replaced since `generation`. */
  private invalidate(generation: number): void {
    if (generation === this.generation) this.stale = true;
  }

  get appId(): number | undefined {
    return this.config?.appId;
  }

  /** The last fetched configuration (undefined before the first). */
  get cachedConfig(): TableConfig | undefined {
    return this.config;
  }

  /**
   * Sends `args` (already encoded) to the primary of the target's partition and decodes the response,
   * retrying as the module comment says. Resolves only with an ERR_OK response; storage-level statuses are
   * the caller's to judge.
   */
  async call<Args, Response>(rpc: RrdbTwoWayRpc<Args, Response>, args: Buffer, target: RouteTarget, deadline: Deadline): Promise<Response> {
    const what = `${rpc.code} on table ${this.tableName}`;
    let lastError: unknown;
    for (let attempt = 0; attempt < this.attemptsMax; attempt++) {
      deadline.check(what, lastError);
      if (attempt > 0) {
        await deadline.sleep(backoffMs(attempt - 1));
        deadline.check(what, lastError);
      }
      const config = await this.currentConfig(deadline);
      const generation = this.generation;
      const partitionIndex = target.partitionIndex ?? routePartitionIndex(config, target.partitionHash);
      const primary = config.partitions[partitionIndex]?.primary;
      if (primary === undefined) {
        lastError = new PegasusRpcError('ERR_INVALID_STATE', `${what}: partition ${partitionIndex} has no primary`);
        this.invalidate(generation);
        continue;
      }
      let errorName: string;
      try {
        const reply = await deadline.race(
          this.channel.call(primary, {
            name: rpc.code,
            gpid: { appId: config.appId, partitionIndex },
            partitionHash: target.partitionHash,
            args,
            timeoutMs: deadline.callTimeoutMs(),
          }),
        );
        if (reply.errorName === 'ERR_OK' && reply.result !== undefined) return rpc.decodeResponse(reply.result, 0);
        errorName = reply.errorName;
      } catch (e) {
        if (e instanceof PegasusAbortError || !isPegasusError(e)) throw e;
        errorName = e.code;
      }
      lastError = new PegasusRpcError(errorName, `${what}: ${primary} answered ${errorName}`, primary);
      if (REFRESH_ERRORS.has(errorName)) this.invalidate(generation);
      else if (!RETRY_ERRORS.has(errorName)) throw lastError;
    }
    deadline.check(what, lastError);
    throw new PegasusRpcError('ERR_RETRY_EXHAUSTED', `${what} gave up after ${this.attemptsMax} attempts`, undefined, { cause: lastError });
  }

  /**
   * Fire and forget to the cached primary (CLEAR_SCANNER): no refresh, no retry, failures ignored, since
   * the server drops idle scan contexts by itself after a while anyway.
   */
  sendOneway(code: string, args: Buffer, target: RouteTarget, timeoutMs: number): void {
    const config = this.config;
    if (config === undefined) return;
    const partitionIndex = target.partitionIndex ?? routePartitionIndex(config, target.partitionHash);
    const primary = config.partitions[partitionIndex]?.primary;
    if (primary === undefined) return;
    this.channel
      .call(primary, { name: code, gpid: { appId: config.appId, partitionIndex }, partitionHash: target.partitionHash, args, timeoutMs, oneway: true })
      .catch(() => {});
  }
}


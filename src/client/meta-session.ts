/**
 * Table discovery through the meta servers (protocol.md §2): RPC_CM_QUERY_PARTITION_CONFIG_BY_INDEX, with
 * failover across the configured list.
 *
 * - A non-leader answers ERR_FORWARD_TO_OTHERS; when it names the leader in `partitions[0].primary` we go
 *   there next (the Go client's rule, which also adds an unlisted leader to the list), else to the next meta.
 * - ERR_SERVICE_NOT_ACTIVE (a leader still starting) and ERR_BUSY_CREATING (a table being created): wait a
 *   back-off and ask the same meta again (the Node client waits 1 s; we use the shorter bounded back-off).
 * - A transport failure or an unexpected frame error: the next meta, after a back-off once the whole list
 *   has been tried.
 * - Any other `err` (ERR_OBJECT_NOT_FOUND: no such table, ERR_BUSY_DROPPING, ...) is final: PegasusMetaError.
 * - ERR_OK with is_stateful false is not a real answer (the Python client ignores those too): next meta.
 */
import { isPegasusError } from '../base/error-code.ts';
import { META_RPCS } from '../idl/codec/meta-rpcs.ts';
import type { QueryCfgResponse } from '../idl/meta.ts';
import { formatRpcAddress as formatDsnAddress, isValidRpcAddress } from '../idl/thrift/dsn.ts';
import type { RpcChannel } from '../rpc/transport.ts';
import { ATTEMPTS_MAX, backoffMs, type Deadline } from './deadline.ts';
import { PegasusAbortError, PegasusMetaError, PegasusRpcError, invalidParameters } from './errors.ts';

const QUERY_CFG = META_RPCS.RPC_CM_QUERY_PARTITION_CONFIG_BY_INDEX;

export interface PartitionRoute {
  /** `host:port` of the primary, undefined while the partition has none. */
  primary: string | undefined;
  /** < 0 marks a split child that is not ready yet: its requests go to the parent. */
  ballot: number;
}

export interface TableConfig {
  appId: number;
  partitionCount: number;
  /** Indexed by partition index (clients index by `pid.pidx`, not by list position). */
  partitions: PartitionRoute[];
}

export class MetaSession {
  private readonly metas: string[];
  private current = 0;

  constructor(
    private readonly channel: RpcChannel,
    metaServers: readonly string[],
  ) {
    if (metaServers.length === 0) throw invalidParameters('metaServers must list at least one meta server');
    this.metas = [...metaServers];
  }

  /** The meta server the next query goes to first (the last one known to answer as leader). */
  get leader(): string {
    return this.metas[this.current]!;
  }

  async queryConfig(tableName: string, deadline: Deadline): Promise<TableConfig> {
    const args = QUERY_CFG.encodeArgs({ appName: tableName, partitionIndices: [] });
    // A single meta gets the whole budget; with several, one that hangs must leave time for the others.
    const perMetaCapMs = this.metas.length > 1 ? Math.ceil(deadline.timeoutMs / 2) : Number.POSITIVE_INFINITY;
    let lastError: unknown;
    for (let attempt = 0; attempt < ATTEMPTS_MAX; attempt++) {
      deadline.check(`query_cfg of table ${tableName}`, lastError);
      const address = this.leader;
      let response: QueryCfgResponse;
      try {
        const reply = await deadline.race(
          this.channel.call(address, {
            name: QUERY_CFG.code,
            gpid: { appId: 0, partitionIndex: 0 },
            partitionHash: 0n,
            args,
            timeoutMs: deadline.callTimeoutMs(perMetaCapMs),
          }),
        );
        if (reply.errorName !== 'ERR_OK' || reply.result === undefined) {
          throw new PegasusRpcError(reply.errorName, `meta server ${address} answered query_cfg with ${reply.errorName}`, address);
        }
        response = QUERY_CFG.decodeResponse(reply.result, 0);
      } catch (e) {
        if (e instanceof PegasusAbortError) throw e;
        if (!isPegasusError(e) && !(e instanceof PegasusRpcError)) throw e;
        lastError = e instanceof PegasusRpcError ? e : new PegasusRpcError(e.code, e.message, address, { cause: e });
        await this.moveOn(attempt, deadline);
        continue;
      }
      switch (response.err) {
        case 'ERR_OK':
          if (response.isStateful) return toTableConfig(tableName, response);
          lastError = new PegasusRpcError('ERR_INVALID_DATA', `meta server ${address} answered a stateless configuration`, address);
          await this.moveOn(attempt, deadline);
          break;
        case 'ERR_FORWARD_TO_OTHERS': {
          lastError = new PegasusMetaError(response.err, `meta server ${address} is not the leader`, address);
          const hint = response.partitions[0]?.primary;
          if (hint !== undefined && isValidRpcAddress(hint)) this.follow(formatDsnAddress(hint));
          else this.current = (this.current + 1) % this.metas.length;
          // Two metas that forward to each other must not spin: back off once the list has been walked.
          if (attempt >= this.metas.length) await deadline.sleep(backoffMs(attempt - this.metas.length));
          break;
        }
        case 'ERR_SERVICE_NOT_ACTIVE':
        case 'ERR_BUSY_CREATING':
          lastError = new PegasusMetaError(response.err, `meta server ${address}: table ${tableName} is not ready`, address);
          await deadline.sleep(backoffMs(attempt));
          break;
        default:
          throw new PegasusMetaError(response.err, `meta server ${address} refused table ${tableName}`, address);
      }
    }
    deadline.check(`query_cfg of table ${tableName}`, lastError);
    throw new PegasusRpcError('ERR_RETRY_EXHAUSTED', `query_cfg of table ${tableName} gave up after ${ATTEMPTS_MAX} attempts`, undefined, { cause: lastError });
  }

  private follow(leader: string): void {
    const index = this.metas.indexOf(leader);
    if (index >= 0) this.current = index;
    else this.current = this.metas.push(leader) - 1;
  }

  private async moveOn(attempt: number, deadline: Deadline): Promise<void> {
    this.current = (this.current + 1) % this.metas.length;
    if (attempt + 1 >= this.metas.length) await deadline.sleep(backoffMs(attempt + 1 - this.metas.length));
  }
}

function toTableConfig(tableName: string, response: QueryCfgResponse): TableConfig {
  const count = response.partitionCount;
  if (!Number.isInteger(count) || count <= 0) {
    throw new PegasusMetaError('ERR_INVALID_DATA', `table ${tableName} has partition_count ${count}`);
  }
  const partitions: PartitionRoute[] = Array.from({ length: count }, () => ({ primary: undefined, ballot: 0 }));
  for (const partition of response.partitions) {
    const index = partition.pid.partitionIndex;
    if (index < 0 || index >= count || partition.pid.appId !== response.appId) continue;
    partitions[index] = {
      primary: isValidRpcAddress(partition.primary) ? formatDsnAddress(partition.primary) : undefined,
      ballot: partition.ballot,
    };
  }
  return { appId: response.appId, partitionCount: count, partitions };
}

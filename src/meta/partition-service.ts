/**
 * Partition configurations at run time (pegasus-internals.md §2.7, contract F2–F4): the replica's update
 * requests (on_update_configuration), config sync, node death, and the cure pass that sends
 * CT_ASSIGN_PRIMARY proposals. At most one store write per partition is in flight (`pending`); a write
 * goes to the store before memory changes or a reply (§9 item 4).
 */
import { isPegasusError } from '../base/error-code.ts';
import { AppStatus, type AppInfo } from '../idl/meta.ts';
import { REPLICATION_RPCS } from '../idl/codec/replication-rpcs.ts';
import {
  ConfigType,
  type ConfigurationQueryByNodeRequest,
  type ConfigurationQueryByNodeResponse,
  type ConfigurationUpdateRequest,
  type ConfigurationUpdateResponse,
  type ReplicaInfo,
} from '../idl/replication.ts';
import {
  RPC_ADDRESS_INVALID,
  formatRpcAddress as formatWireAddress,
  isValidRpcAddress,
  parseRpcAddress as parseWireAddress,
  type RpcAddress as WireAddress,
} from '../idl/thrift/dsn.ts';
import type { MetaStateStore } from '../metastore/meta-state-store.ts';
import type { RpcAddress, RpcChannel } from '../rpc/transport.ts';
import type { DdlService } from './ddl-service.ts';
import type { MetaLimits, MetaLogger } from './meta-env.ts';
import type { NodeLiveness } from './node-liveness.ts';
import { cureMissingPrimary } from './partition-guardian.ts';
import {
  LAST_DROPS_MAX,
  fromWireConfig,
  gpidKey,
  partitionConfigToJson,
  sameMembership,
  toWireConfig,
  withLastDrop,
  type PartitionConfig,
} from './partition-config.ts';
import type { AppState, ServerState } from './server-state.ts';

interface ProposalInFlight {
  readonly node: RpcAddress;
  readonly ballot: number;
  readonly sentAtMs: number;
}

function wireAddress(address: RpcAddress): WireAddress {
  return parseWireAddress(address) ?? { ...RPC_ADDRESS_INVALID };
}

export class PartitionService {
  /** Partitions with a store write in flight (upstream's "sync pending"). */
  private readonly pending = new Map<string, Promise<unknown>>();
  private readonly proposals = new Map<string, ProposalInFlight>();
  /** What each node last reported holding (config sync), by gpid; the source of F4's recovery. */
  private readonly storedReplicas = new Map<RpcAddress, Map<string, ReplicaInfo>>();

  constructor(
    private readonly state: ServerState,
    private readonly store: MetaStateStore,
    private readonly liveness: NodeLiveness,
    private readonly ddl: DdlService,
    private readonly channel: RpcChannel,
    private readonly logger: MetaLogger,
    private readonly limits: MetaLimits,
    private readonly nowMs: () => number,
  ) {}

  get pendingCount(): number {
    return this.pending.size;
  }

  get proposalsInFlight(): number {
    return this.proposals.size;
  }

  /**
   * Resolves once no write of `appId`'s partitions is in flight. The drop waits for it (with the table
   * marked dropping, so no new write starts) so that its own write of the partitions comes last.
   */
  async whenIdle(appId: number): Promise<void> {
    for (;;) {
      const writes = [...this.pending].filter(([key]) => key.startsWith(`${appId}.`)).map(([, w]) => w);
      if (writes.length === 0) return;
      await Promise.allSettled(writes);
    }
  }

  /** The gpids a node reported at its last config sync. */
  storedReplicasOf(node: RpcAddress): readonly ReplicaInfo[] {
    return [...(this.storedReplicas.get(node)?.values() ?? [])];
  }

  private liveApp(appId: number): AppState | undefined {
    const app = this.state.apps.get(appId);
    return app !== undefined && app.info.status === AppStatus.AS_AVAILABLE && this.ddl.transient.get(app.info.appName) === undefined ? app : undefined;
  }

  /** Writes `next` for its partition (store first, then memory); false when the write failed. */
  private async writePartition(next: PartitionConfig): Promise<{ ok: true } | { ok: false; error: unknown }> {
    const key = gpidKey(next.appId, next.partitionIndex);
    const write = this.store.setData(this.state.paths.partition(next.appId, next.partitionIndex), partitionConfigToJson(next));
    this.pending.set(key, write);
    try {
      await write;
    } catch (error) {
      return { ok: false, error };
    } finally {
      this.pending.delete(key);
    }
    this.state.applyPartition(next);
    this.proposals.delete(key);
    return { ok: true };
  }

  private canStartWrite(key: string): boolean {
    return !this.pending.has(key) && this.pending.size < this.limits.partitionWritesInFlightMax;
  }

  /**
   * RPC_CM_UPDATE_PARTITION_CONFIGURATION (upstream `server_state::on_update_configuration`). Resolves
   * undefined when the request must get no reply: an update of that partition is pending (the replica
   * retries every second, and the retry finds the result).
   */
  async onUpdateConfiguration(request: ConfigurationUpdateRequest): Promise<ConfigurationUpdateResponse | undefined> {
    const { appId, partitionIndex } = request.config.pid;
    const app = this.state.apps.get(appId);
    const current = app?.partitions[partitionIndex];
    if (app === undefined || current === undefined) return { err: 'ERR_OBJECT_NOT_FOUND', config: request.config };
    if (app.info.status === AppStatus.AS_DROPPED) return { err: 'ERR_APP_DROPPED', config: toWireConfig(current) };
    const asked = fromWireConfig(request.config);
    if (sameMembership(asked, current)) return { err: 'ERR_OK', config: toWireConfig(current) };
    if (asked.ballot !== current.ballot + 1) return { err: 'ERR_INVALID_VERSION', config: toWireConfig(current) };
    const key = gpidKey(appId, partitionIndex);
    if (!this.canStartWrite(key) || this.ddl.transient.has(app.info.appName)) return undefined;
    const node = isValidRpcAddress(request.node) ? formatWireAddress(request.node) : undefined;
    if (request.type === ConfigType.CT_ASSIGN_PRIMARY && (node === undefined || asked.primary !== node || asked.secondaries.length > 0)) {
      return { err: 'ERR_INVALID_PARAMETERS', config: toWireConfig(current) };
    }
    // max_replica_count is the table's, not the replica's to change; last_drops stays bounded.
    const next: PartitionConfig = { ...asked, maxReplicaCount: current.maxReplicaCount, lastDrops: asked.lastDrops.slice(-LAST_DROPS_MAX) };
    const written = await this.writePartition(next);
    if (!written.ok) {
      this.logger.warn({ gpid: key, err: written.error }, 'writing the updated partition configuration failed');
      return { err: isPegasusError(written.error) ? written.error.code : 'ERR_UNKNOWN', config: toWireConfig(current) };
    }
    this.logger.info({ gpid: key, ballot: next.ballot, primary: next.primary, type: request.type }, 'partition configuration updated');
    return { err: 'ERR_OK', config: toWireConfig(next) };
  }

  /** RPC_CM_CONFIG_SYNC (contract F2). */
  onConfigSync(request: ConfigurationQueryByNodeRequest): ConfigurationQueryByNodeResponse {
    if (!isValidRpcAddress(request.node)) return { err: 'ERR_INVALID_PARAMETERS', partitions: [] };
    const node = formatWireAddress(request.node);
    const stored = request.storedReplicas ?? [];
    // Bounded by the nodes the liveness table accepts: only nodes that beaconed are remembered.
    if (this.liveness.isKnown(node)) this.storedReplicas.set(node, new Map(stored.map((r) => [gpidKey(r.pid.appId, r.pid.partitionIndex), r])));
    const partitions: ConfigurationUpdateRequest[] = [];
    for (const { app, pc } of this.state.partitionsServedBy(node)) {
      if (app.info.status !== AppStatus.AS_AVAILABLE) continue;
      partitions.push(this.updateRequest(app.info, pc, ConfigType.CT_INVALID, node));
    }
    // A dropped table keeps its data on the replica servers until its hold time is over, so that recall can
    // bring it back (upstream's hold_seconds_for_dropped_app / drop reserve_seconds); only then, or for a
    // table the meta never heard of, may a replica server garbage-collect its copy.
    const nowSeconds = Math.floor(this.nowMs() / 1000);
    const gcReplicas = stored.filter((r) => {
      const app = this.state.apps.get(r.pid.appId);
      return app === undefined || (app.info.status === AppStatus.AS_DROPPED && app.info.expireSecond <= nowSeconds);
    });
    return { err: 'ERR_OK', partitions, gcReplicas };
  }

  private updateRequest(info: AppInfo, pc: PartitionConfig, type: number, node: RpcAddress): ConfigurationUpdateRequest {
    return { info, config: toWireConfig(pc), type, node: wireAddress(node), hostNode: { ...RPC_ADDRESS_INVALID } };
  }

  /**
   * Contract F4 (upstream `on_change_node_state(false)`): for every partition whose primary is a dead node,
   * the meta itself writes {ballot + 1, no primary, last_drops + node}. Partitions with a pending write are
   * left to the next pass (the cure pass calls this too).
   */
  removeDeadPrimaries(): void {
    for (const app of this.state.apps.values()) {
      if (this.liveApp(app.info.appId) === undefined) continue;
      for (const pc of app.partitions) {
        if (pc.primary === undefined || this.liveness.isAlive(pc.primary)) continue;
        const key = gpidKey(pc.appId, pc.partitionIndex);
        if (!this.canStartWrite(key)) continue;
        const dead = pc.primary;
        const next: PartitionConfig = { ...pc, ballot: pc.ballot + 1, primary: undefined, lastDrops: withLastDrop(pc.lastDrops, dead) };
        void this.writePartition(next).then((written) => {
          if (written.ok) {
            this.logger.warn({ gpid: key, ballot: next.ballot, node: dead }, 'primary dead: partition has no primary now');
            this.cure();
          } else {
            this.logger.warn({ gpid: key, err: written.error }, 'writing the dead primary out failed; retried on the next pass');
          }
        });
      }
    }
  }

  /**
   * The cure pass (contract F3): every available partition without a primary and without a pending write
   * gets a CT_ASSIGN_PRIMARY proposal to the node the guardian chooses. A proposal already sent for the same
   * ballot to the same node is not sent again before `proposalRetryMs`.
   */
  cure(): void {
    const nowMs = this.nowMs();
    for (const [key, p] of this.proposals) if (nowMs - p.sentAtMs >= this.limits.proposalRetryMs) this.proposals.delete(key);
    const alive = this.liveness.aliveNodes();
    if (alive.length === 0) return;
    const primaries = new Map<RpcAddress, number>();
    const bump = (node: RpcAddress): void => void primaries.set(node, (primaries.get(node) ?? 0) + 1);
    for (const app of this.state.apps.values()) for (const pc of app.partitions) if (pc.primary !== undefined) bump(pc.primary);
    for (const p of this.proposals.values()) bump(p.node);
    for (const app of this.state.apps.values()) {
      if (this.liveApp(app.info.appId) === undefined) continue;
      for (const pc of app.partitions) {
        if (pc.primary !== undefined) continue;
        const key = gpidKey(pc.appId, pc.partitionIndex);
        if (this.pending.has(key)) continue;
        const inFlight = this.proposals.get(key);
        if (inFlight !== undefined && inFlight.ballot === pc.ballot && alive.includes(inFlight.node)) continue;
        if (inFlight === undefined && this.proposals.size >= this.limits.proposalsInFlightMax) return;
        const action = cureMissingPrimary(pc, alive, (n) => primaries.get(n) ?? 0);
        if (action.kind !== 'assign-primary') continue;
        this.proposals.set(key, { node: action.node, ballot: pc.ballot, sentAtMs: nowMs });
        bump(action.node);
        this.sendProposal(this.updateRequest(app.info, pc, ConfigType.CT_ASSIGN_PRIMARY, action.node), action.node);
      }
    }
  }

  private sendProposal(proposal: ConfigurationUpdateRequest, node: RpcAddress): void {
    const rpc = REPLICATION_RPCS.RPC_CONFIG_PROPOSAL;
    this.logger.info({ gpid: gpidKey(proposal.config.pid.appId, proposal.config.pid.partitionIndex), ballot: proposal.config.ballot, node }, 'proposing CT_ASSIGN_PRIMARY');
    this.channel
      .call(node, { name: rpc.code, gpid: proposal.config.pid, partitionHash: 0n, args: rpc.encodeArgs(proposal), timeoutMs: this.limits.sendTimeoutMs, oneway: true })
      .catch((e: unknown) => this.logger.warn({ node, err: e }, 'sending a proposal failed; the cure pass sends it again'));
  }
}

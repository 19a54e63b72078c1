/**
 * CT_ASSIGN_PRIMARY on the replica server (pegasus-internals.md §2.7, contract F3; upstream
 * replica_config.cpp `on_config_proposal` → `assign_primary` → `update_configuration_on_meta_server`):
 * the proposed node opens (or creates) the replica, stays INACTIVE while it asks the meta for
 * `ballot + 1` with itself as primary, retries every second while unanswered, and on ERR_OK persists the new
 * ballot to `.init-info` before it becomes primary. A later proposal, or a config sync that already shows the
 * outcome, supersedes the request; so does the attempt bound.
 */
import type { TimerHandle } from '../../base/clock.ts';
import { isPegasusError } from '../../base/error-code.ts';
import { formatGpid, type Gpid } from '../../base/gpid.ts';
import { REPLICATION_RPCS } from '../../idl/codec/replication-rpcs.ts';
import type { AppInfo, PartitionConfiguration } from '../../idl/meta.ts';
import { ConfigType, type ConfigurationUpdateRequest } from '../../idl/replication.ts';
import { formatRpcAddress as formatWireAddress, parseRpcAddress as parseWireAddress, RPC_ADDRESS_INVALID } from '../../idl/thrift/dsn.ts';
import type { RpcAddress } from '../../rpc/transport.ts';
import type { HostedReplica } from './hosted-replica.ts';
import type { ReplicaStubEnv, ReplicaStubLimits } from './stub-env.ts';

/** What the assigner needs from the stub that hosts the replicas. */
export interface ReplicaHost {
  find(gpid: Gpid): HostedReplica | undefined;
  /** The hosted replica, created (directory + `.app-info`) when missing; rejects when the host is full. */
  findOrCreate(gpid: Gpid, info: AppInfo): Promise<HostedReplica>;
  /** Where reconfiguration requests go: the meta the failure detector talks to. */
  metaAddress(): RpcAddress;
  /** Whether the lease to the meta holds (F1): a replica only becomes primary while it does. */
  connected(): boolean;
}

interface PendingUpdate {
  /** The ballot asked for (the proposal's + 1). */
  ballot: number;
  attempts: number;
  timer: TimerHandle | undefined;
  done: boolean;
}

/** Persists `ballot` (if higher) and then makes the open replica primary at it, unless it already is. */
export async function becomePrimaryDurably(hosted: HostedReplica, ballot: number, env: ReplicaStubEnv): Promise<void> {
  await hosted.persistBallot(ballot);
  const replica = hosted.replica;
  if (replica === undefined || hosted.retired) return;
  if (replica.status === 'PS_PRIMARY' && replica.ballot >= ballot) return;
  replica.becomePrimary(ballot);
  env.logger.info({ gpid: hosted.name, ballot }, 'replica is primary');
}

export class PrimaryAssigner {
  private readonly pending = new Map<string, PendingUpdate>();
  private stopped = false;

  constructor(
    private readonly env: ReplicaStubEnv,
    private readonly limits: ReplicaStubLimits,
    private readonly host: ReplicaHost,
  ) {}

  /** Updates in flight, by gpid text (tests, status page). */
  get inFlight(): number {
    return this.pending.size;
  }

  /** RPC_CONFIG_PROPOSAL (one-way). */
  onProposal(proposal: ConfigurationUpdateRequest): void {
    const { logger, config } = this.env;
    const gpid = proposal.config.pid;
    const name = formatGpid(gpid);
    if (this.stopped) return;
    if (proposal.type !== ConfigType.CT_ASSIGN_PRIMARY) {
      // Secondaries, learners and removal arrive with replication; until then such a proposal cannot be
      // carried out by a one-replica group and is dropped (the meta proposes again if it still wants it).
      logger.warn({ gpid: name, type: proposal.type }, 'proposal type not supported until replication lands: ignored');
      return;
    }
    if (formatWireAddress(proposal.node) !== config.selfAddress) {
      logger.warn({ gpid: name, node: formatWireAddress(proposal.node) }, 'proposal names another node: ignored');
      return;
    }
    if (proposal.info.appId !== gpid.appId || gpid.partitionIndex < 0 || gpid.partitionIndex >= proposal.info.partitionCount) {
      logger.warn({ gpid: name, appId: proposal.info.appId }, 'proposal with an inconsistent app_info: ignored');
      return;
    }
    const hosted = this.host.find(gpid);
    if (hosted !== undefined && proposal.config.ballot < hosted.ballot) {
      logger.info({ gpid: name, proposed: proposal.config.ballot, local: hosted.ballot }, 'stale proposal: ignored');
      return;
    }
    const ballot = proposal.config.ballot + 1;
    const current = this.pending.get(name);
    if (current !== undefined && current.ballot >= ballot) return; // the same request is already in flight
    this.supersede(gpid);
    const update: PendingUpdate = { ballot, attempts: 0, timer: undefined, done: false };
    this.pending.set(name, update);
    const request: ConfigurationUpdateRequest = {
      info: proposal.info,
      config: this.requestedConfig(proposal.config, ballot),
      type: ConfigType.CT_ASSIGN_PRIMARY,
      node: parseWireAddress(config.selfAddress) ?? { ...RPC_ADDRESS_INVALID },
      hostNode: { ...RPC_ADDRESS_INVALID },
    };
    this.prepare(gpid, proposal.info, update, request).catch((e: unknown) => {
      this.finish(name, update);
      logger.warn({ gpid: name, ballot, err: e }, 'cannot take the proposed primary role');
    });
  }

  /** Drops the update in flight for `gpid` (a newer proposal, a config sync showing the outcome, gc). */
  supersede(gpid: Gpid): void {
    const name = formatGpid(gpid);
    const update = this.pending.get(name);
    if (update !== undefined) this.finish(name, update);
  }

  /** The pending request's ballot for `gpid`, if any. */
  pendingBallot(gpid: Gpid): number | undefined {
    return this.pending.get(formatGpid(gpid))?.ballot;
  }

  stop(): void {
    this.stopped = true;
    for (const [name, update] of [...this.pending]) this.finish(name, update);
  }

  private requestedConfig(current: PartitionConfiguration, ballot: number): PartitionConfiguration {
    const self = this.env.config.selfAddress;
    return {
      ...current,
      ballot,
      primary: parseWireAddress(self) ?? { ...RPC_ADDRESS_INVALID },
      secondaries: [],
      lastDrops: current.lastDrops.filter((a) => formatWireAddress(a) !== self),
      hpPrimary: undefined,
      hpSecondaries: undefined,
      hpLastDrops: undefined,
    };
  }

  private async prepare(gpid: Gpid, info: AppInfo, update: PendingUpdate, request: ConfigurationUpdateRequest): Promise<void> {
    const hosted = await this.host.findOrCreate(gpid, info);
    const replica = await hosted.open();
    if (update.done) return;
    // Upstream pauses 2PC for the whole reconfiguration (INACTIVE, transient).
    replica.becomeInactive();
    this.send(gpid, update, request);
  }

  private send(gpid: Gpid, update: PendingUpdate, request: ConfigurationUpdateRequest): void {
    const name = formatGpid(gpid);
    if (update.done) return;
    if (update.attempts >= this.limits.updateAttemptsMax) {
      this.env.logger.warn({ gpid: name, ballot: update.ballot, attempts: update.attempts }, 'update-configuration unanswered: giving up until the next proposal');
      this.finish(name, update);
      return;
    }
    update.attempts++;
    const rpc = REPLICATION_RPCS.RPC_CM_UPDATE_PARTITION_CONFIGURATION;
    const retryLater = (why: string): void => {
      if (update.done) return;
      this.env.logger.info({ gpid: name, ballot: update.ballot, attempt: update.attempts, why }, 'update-configuration retry');
      update.timer = this.env.clock.setTimer(this.limits.updateRetryIntervalMs, () => this.send(gpid, update, request));
    };
    this.env.network.channel
      .call(this.host.metaAddress(), {
        name: rpc.code,
        gpid,
        partitionHash: 0n,
        args: rpc.encodeArgs(request),
        timeoutMs: this.limits.updateRetryIntervalMs,
      })
      .then(
        (result) => {
          if (update.done) return;
          if (result.errorName !== 'ERR_OK' || result.result === undefined) {
            retryLater(result.errorName);
            return;
          }
          const response = rpc.decodeResponse(result.result, 0);
          if (response.err === 'ERR_OK') {
            this.onAccepted(gpid, update, response.config).catch((e: unknown) => {
              this.env.logger.error({ gpid: name, ballot: update.ballot, err: e }, 'cannot become primary after the meta accepted');
            });
          } else if (response.err === 'ERR_BUSY' || response.err === 'ERR_TIMEOUT') {
            retryLater(response.err);
          } else {
            // ERR_INVALID_VERSION and the like: the meta moved on; its cure proposes again if needed.
            this.env.logger.warn({ gpid: name, ballot: update.ballot, err: response.err, metaBallot: response.config.ballot }, 'update-configuration refused');
            this.finish(name, update);
          }
        },
        (e: unknown) => {
          // No answer (timeout, connection lost): upstream resends after a second.
          if (update.done) return;
          if (isPegasusError(e) && e.code === 'ERR_TIMEOUT') this.send(gpid, update, request);
          else retryLater(e instanceof Error ? e.message : String(e));
        },
      );
  }

  private async onAccepted(gpid: Gpid, update: PendingUpdate, accepted: PartitionConfiguration): Promise<void> {
    const name = formatGpid(gpid);
    this.finish(name, update);
    const self = this.env.config.selfAddress;
    if (formatWireAddress(accepted.primary) !== self || accepted.ballot < update.ballot) {
      this.env.logger.warn({ gpid: name, ballot: accepted.ballot, primary: formatWireAddress(accepted.primary) }, 'the accepted configuration does not make this node primary');
      return;
    }
    const hosted = this.host.find(gpid);
    if (hosted === undefined || this.stopped) return;
    await hosted.persistBallot(accepted.ballot);
    // Without a lease the replica stays INACTIVE (ballot persisted); the next config sync resumes it.
    if (!this.host.connected()) return;
    await becomePrimaryDurably(hosted, accepted.ballot, this.env);
  }

  private finish(name: string, update: PendingUpdate): void {
    update.done = true;
    update.timer?.cancel();
    if (this.pending.get(name) === update) this.pending.delete(name);
  }
}

/**
 * Config sync on the replica server (pegasus-internals.md §1.2, contract F2; upstream replica_stub.cpp
 * `query_configuration_by_node` / `on_node_query_reply`): while connected to the meta, every
 * `config_sync_interval_ms` (and at once on connecting) the node reports every replica it stores and
 * applies the answer —
 * - a listed partition (this node is its primary or a secondary): the replica is opened if closed and
 *   handed the configuration (`Replica.onConfigSync`: adopt a higher ballot, resume a paused role, or ask
 *   the meta to drop a role it lost in a restart);
 * - a stored replica in `gcReplicas`: close it and rename its directory to `.gar` (data kept on disk);
 * - a stored replica not listed, not learning and not reconfiguring, while other partitions of its table
 *   are listed: close it (its directory stays and is still reported: it may be a last drop the meta needs);
 * - anything else not listed: stop serving it, keep it open.
 * At most one sync is in flight; ERR_BUSY is retried after 500 ms as upstream does.
 */
import type { TimerHandle } from '../../base/clock.ts';
import { formatGpid, type Gpid } from '../../base/gpid.ts';
import { REPLICATION_RPCS } from '../../idl/codec/replication-rpcs.ts';
import type { ConfigurationQueryByNodeResponse, ConfigurationUpdateRequest } from '../../idl/replication.ts';
import { toWireAddress } from '../../idl/thrift/dsn.ts';
import type { RpcAddress } from '../../rpc/transport.ts';
import type { HostedReplica } from './hosted-replica.ts';
import type { ReplicaStubEnv, ReplicaStubLimits } from './stub-env.ts';

export interface SyncHost {
  find(gpid: Gpid): HostedReplica | undefined;
  /** Where config syncs go: the meta the failure detector talks to. */
  metaAddress(): RpcAddress;
  /** Whether the lease to the meta holds (F1). */
  connected(): boolean;
  hosted(): HostedReplica[];
  /** Closes the replica and renames its directory to `.gar`. */
  collectGarbage(hosted: HostedReplica): Promise<void>;
}

export class ConfigSyncer {
  private inFlight = false;
  private timer: TimerHandle | undefined;
  private retryTimer: TimerHandle | undefined;
  private stopped = true;
  /** Syncs answered ERR_OK (tests, status page). */
  syncsApplied = 0;

  constructor(
    private readonly env: ReplicaStubEnv,
    private readonly limits: ReplicaStubLimits,
    private readonly host: SyncHost,
  ) {}

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.schedule();
  }

  stop(): void {
    this.stopped = true;
    this.timer?.cancel();
    this.retryTimer?.cancel();
  }

  private schedule(): void {
    this.timer = this.env.clock.setTimer(this.env.config.configSyncIntervalMs, () => {
      if (this.stopped) return;
      this.syncNow();
      this.schedule();
    });
  }

  /** Sends a sync now if connected and none is in flight. */
  syncNow(): void {
    // `config_sync_disabled` (tests only): the node never learns its partitions from the meta.
    if (this.stopped || this.inFlight || this.env.config.configSyncDisabled || !this.host.connected()) return;
    const rpc = REPLICATION_RPCS.RPC_CM_CONFIG_SYNC;
    const request = {
      node: toWireAddress(this.env.config.selfAddress),
      storedReplicas: this.host.hosted().map((h) => h.info(this.env.config.diskTag)),
    };
    this.inFlight = true;
    this.env.network.channel
      .call(this.host.metaAddress(), {
        name: rpc.code,
        gpid: { appId: 0, partitionIndex: 0 },
        partitionHash: 0n,
        args: rpc.encodeArgs(request),
        timeoutMs: this.limits.configSyncTimeoutMs,
      })
      .then(
        async (result) => {
          if (result.errorName !== 'ERR_OK' || result.result === undefined) {
            this.env.logger.warn({ err: result.errorName }, 'config sync failed');
            return;
          }
          const response = rpc.decodeResponse(result.result, 0);
          if (response.err === 'ERR_BUSY') {
            this.retryTimer?.cancel();
            this.retryTimer = this.env.clock.setTimer(this.limits.configSyncBusyRetryMs, () => this.syncNow());
            return;
          }
          if (response.err !== 'ERR_OK') {
            this.env.logger.warn({ err: response.err }, 'config sync refused');
            return;
          }
          await this.apply(response);
          this.syncsApplied++;
        },
        (e: unknown) => this.env.logger.warn({ err: e }, 'config sync failed'),
      )
      .catch((e: unknown) => this.env.logger.error({ err: e }, 'applying a config sync failed'))
      .finally(() => {
        this.inFlight = false;
      });
  }

  private async apply(response: ConfigurationQueryByNodeResponse): Promise<void> {
    if (this.stopped) return;
    const listed = new Set<string>();
    const listedApps = new Set<number>();
    for (const entry of response.partitions) {
      listed.add(formatGpid(entry.config.pid));
      listedApps.add(entry.config.pid.appId);
    }
    const garbage = new Set((response.gcReplicas ?? []).map((r) => formatGpid(r.pid)));
    const work: Promise<void>[] = response.partitions.map((entry) => this.applyListed(entry));
    for (const hosted of this.host.hosted()) {
      if (listed.has(hosted.name)) continue;
      const replica = hosted.replica;
      if (garbage.has(hosted.name)) {
        work.push(this.host.collectGarbage(hosted));
      } else if (replica !== undefined && (replica.status === 'PS_POTENTIAL_SECONDARY' || replica.isReconfiguring)) {
        continue; // learning, or a proposal being carried out that the meta has not recorded yet
      } else if (listedApps.has(hosted.gpid.appId)) {
        if (hosted.replica !== undefined) this.env.logger.info({ gpid: hosted.name }, 'not listed by the meta: closing (directory kept)');
        work.push(hosted.close());
      } else {
        hosted.replica?.becomeInactive();
      }
    }
    const outcomes = await Promise.allSettled(work);
    for (const outcome of outcomes) {
      if (outcome.status === 'rejected') this.env.logger.warn({ err: outcome.reason }, 'applying a config sync entry failed');
    }
  }

  private async applyListed(entry: ConfigurationUpdateRequest): Promise<void> {
    const hosted = this.host.find(entry.config.pid);
    if (hosted === undefined) {
      // The meta thinks this node holds the partition but its directory is gone. Creating an empty replica
      // here would silently lose the data; the primary's failing prepares or the meta's failure detection
      // take the member out instead.
      this.env.logger.warn({ gpid: formatGpid(entry.config.pid), ballot: entry.config.ballot }, 'listed by the meta but not stored here');
      return;
    }
    await hosted.updateAppInfo(entry.info);
    const replica = await hosted.open();
    // The lease may have expired while the answer was on its way: act only while it holds (F1).
    if (this.stopped || !this.host.connected()) return;
    replica.onConfigSync(entry.config);
  }
}

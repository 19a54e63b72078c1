/**
 * A whole cluster in one process on a SimWorld (architecture.md §3, simulation.md): one meta server, N replica
 * servers and the clients' machine, running the very MetaServer and ReplicaStub that production runs, wired
 * to simulated Envs. Crashing a server kills its process (the world fences everything it left behind);
 * restarting builds a new server on the same disks, as a real restart does.
 *
 * Timers are the test profile's, shortened further where the simulator gains from it; every relationship
 * upstream relies on (beacon < lease < grace) is kept.
 */
import { assert } from '../base/assert.ts';
import { formatGpid } from '../base/gpid.ts';
import { PegasusClient } from '../client/pegasus-client.ts';
import type { Table } from '../client/table.ts';
import { MetaServer } from '../meta/meta-server.ts';
import type { MetaServerConfig } from '../meta/meta-env.ts';
import type { Replica } from '../replica/replica.ts';
import type { BrokenVariant } from '../replica/replica-env.ts';
import { ReplicaStub } from '../replica/stub/replica-stub.ts';
import type { ReplicaStubConfig } from '../replica/stub/stub-env.ts';
import type { RpcAddress } from '../rpc/transport.ts';
import type { SimNode } from './sim-world.ts';
import { SimWorld, type SimWorldOptions } from './sim-world.ts';

export const SIM_META_ADDRESS = '10.0.0.100:34601';
export const SIM_CLIENT_ADDRESS = '10.0.1.1:40001';
export const SIM_TABLE = 'temp';

export function simReplicaAddress(index: number): RpcAddress {
  return `10.0.0.${index + 1}:34801`;
}

export interface SimClusterOptions {
  readonly world: SimWorldOptions;
  readonly replicaServerCount: number;
  readonly partitionCount: number;
  readonly maxReplicaCount: number;
  /** Per-machine clock skew (ms), drawn by the caller; absent = 0. */
  readonly skewMs?: ReadonlyMap<RpcAddress, number>;
  /** plog_force_flush on every replica server. */
  readonly plogForceFlush: boolean;
  /** Applied bytes after which a MemStore flushes by itself. */
  readonly memtableBytesMax: number;
  /** Client operation timeout. */
  readonly clientTimeoutMs: number;
  /** Plog appends and syncs take up to this long (0: instant). */
  readonly slowDiskMaxMs: number;
  /** Period of the replicas' checkpoint and plog GC timer; default 2 s (nothing reserved, so GC is eager). */
  readonly checkpointIntervalMs?: number;
  /** Test-only: every replica runs this broken variant (the checkers must catch it). */
  readonly brokenVariant?: BrokenVariant;
}

/** The simulator's timers: the test profile's shape (beacon 1 s, lease 3 s, grace 4 s), all kept in order. */
export const SIM_TIMING = {
  fdBeaconIntervalSeconds: 1,
  fdCheckIntervalSeconds: 1,
  fdLeaseSeconds: 3,
  fdGraceSeconds: 4,
  configSyncIntervalMs: 1000,
  lbIntervalMs: 1000,
  groupCheckIntervalMs: 1000,
  prepareTimeoutMsForSecondaries: 1000,
  prepareTimeoutMsForPotentialSecondaries: 2000,
  replicaAssignDelayMsForDropouts: 3000,
} as const;

function metaConfig(): MetaServerConfig {
  return {
    selfAddress: SIM_META_ADDRESS,
    clusterRoot: '/pegasus/sim',
    metaServers: [SIM_META_ADDRESS],
    clusterName: 'sim',
    zookeeperHosts: [],
    functionLevel: 'lively',
    fdDisabled: false,
    fdCheckIntervalSeconds: SIM_TIMING.fdCheckIntervalSeconds,
    fdGraceSeconds: SIM_TIMING.fdGraceSeconds,
    lbIntervalMs: SIM_TIMING.lbIntervalMs,
    holdSecondsForDroppedApp: 3600,
    minAllowedReplicaCount: 1,
    maxAllowedReplicaCount: 5,
    replicaAssignDelayMsForDropouts: SIM_TIMING.replicaAssignDelayMsForDropouts,
    mutation2pcMinReplicaCount: 0,
  };
}

function stubConfig(self: RpcAddress, brokenVariant: BrokenVariant | undefined, checkpointIntervalMs: number): ReplicaStubConfig {
  return {
    ...(brokenVariant === undefined ? {} : { brokenVariant }),
    selfAddress: self,
    metaServers: [SIM_META_ADDRESS],
    diskTag: 'default',
    fdDisabled: false,
    fdBeaconIntervalSeconds: SIM_TIMING.fdBeaconIntervalSeconds,
    fdCheckIntervalSeconds: SIM_TIMING.fdCheckIntervalSeconds,
    fdLeaseSeconds: SIM_TIMING.fdLeaseSeconds,
    configSyncDisabled: false,
    configSyncIntervalMs: SIM_TIMING.configSyncIntervalMs,
    writeSizeBytesMax: 1024 * 1024,
    stalenessForCommit: 20,
    prepareListCapacity: 110,
    batchWriteDisabled: false,
    replicaTiming: {
      prepareTimeoutMsForSecondaries: SIM_TIMING.prepareTimeoutMsForSecondaries,
      prepareTimeoutMsForPotentialSecondaries: SIM_TIMING.prepareTimeoutMsForPotentialSecondaries,
      groupCheckIntervalMs: SIM_TIMING.groupCheckIntervalMs,
      // Derived from max_replica_count (3 → 2), so a lone primary never acknowledges writes by itself.
      mutation2pcMinReplicaCount: 0,
      // Checkpoints and plog GC often, with nothing reserved, so learners meet every learn type.
      checkpointIntervalMs,
      logPrivateReserveMaxBytes: 0,
      logPrivateReserveMaxTimeMs: 0,
      checkpointReserveMinCount: 1,
      checkpointReserveTimeSeconds: 0,
    },
  };
}

export class SimCluster {
  readonly world: SimWorld;
  readonly metaNode: SimNode;
  readonly replicaNodes: SimNode[];
  readonly clientNode: SimNode;
  private metaServer: MetaServer | undefined;
  private readonly stubs = new Map<RpcAddress, ReplicaStub>();
  private readonly clients = new Map<number, PegasusClient>();

  constructor(readonly options: SimClusterOptions) {
    this.world = new SimWorld(options.world);
    const skew = (address: RpcAddress): number => options.skewMs?.get(address) ?? 0;
    this.metaNode = this.world.addNode(SIM_META_ADDRESS, { skewMs: skew(SIM_META_ADDRESS) });
    const diskRandom = this.world.random.fork('slow-disk');
    this.replicaNodes = Array.from({ length: options.replicaServerCount }, (_, i) => {
      const address = simReplicaAddress(i);
      // The delay is an event of the process doing the I/O: if it dies meanwhile, the write never happens.
      const ioDelay = (): Promise<void> =>
        new Promise((resolve) => this.world.loop.scheduleAfter(diskRandom.int(0, options.slowDiskMaxMs), 'disk io', resolve, this.world.node(address).process));
      // Small plog files, so GC has whole files to drop.
      const storage = {
        memtableBytesMax: options.memtableBytesMax,
        log: { forceFlush: options.plogForceFlush, fileSizeBytesMax: 4096 },
        ...(options.slowDiskMaxMs > 0 ? { ioDelay } : {}),
      };
      return this.world.addNode(address, { skewMs: skew(address), storage });
    });
    this.clientNode = this.world.addNode(SIM_CLIENT_ADDRESS);
  }

  /** Starts every server and creates the table; resolves once the loop ran the starts. */
  async start(maxEvents: number): Promise<void> {
    await this.startMeta();
    for (const node of this.replicaNodes) await this.startReplicaServer(node);
    const meta = this.metaServer!;
    const created = meta.createApp({
      appName: SIM_TABLE,
      options: {
        partitionCount: this.options.partitionCount,
        replicaCount: this.options.maxReplicaCount,
        successIfExist: true,
        appType: 'pegasus',
        isStateful: true,
        envs: new Map(),
      },
    });
    let done = false;
    void created.finally(() => {
      done = true;
    });
    await this.world.runUntil(() => done, maxEvents);
    assert(done, 'creating the sim table did not finish');
    const response = await created;
    assert(response.err === 'ERR_OK', `creating the sim table failed: ${response.err}`);
  }

  private async startMeta(): Promise<void> {
    const node = this.metaNode;
    const server = new MetaServer({ clock: node.clock, network: node.network, metaStore: node.metaStore, logger: node.logger, config: metaConfig() });
    this.metaServer = server;
    await server.start();
  }

  private async startReplicaServer(node: SimNode): Promise<void> {
    const stub = new ReplicaStub({ clock: node.clock, network: node.network, storage: node.storage, logger: node.logger, config: stubConfig(node.address, this.options.brokenVariant, this.options.checkpointIntervalMs ?? 2000) });
    this.stubs.set(node.address, stub);
    // Loading replays plogs: it completes in microtasks on the simulated disks.
    await stub.start();
  }

  get meta(): MetaServer | undefined {
    return this.metaNode.alive ? this.metaServer : undefined;
  }

  stub(address: RpcAddress): ReplicaStub | undefined {
    return this.world.node(address).alive ? this.stubs.get(address) : undefined;
  }

  /**
   * The table through client `clientId`'s own PegasusClient (its own routing cache, as separate client
   * processes have), on the clients' machine; each request is sent once, so unknown outcomes stay unknown.
   */
  async table(clientId = 0): Promise<Table> {
    let client = this.clients.get(clientId);
    if (client === undefined) {
      client = PegasusClient.create({
        metaServers: [SIM_META_ADDRESS],
        channel: this.clientNode.channel,
        clock: this.clientNode.clientClock,
        timeoutMs: this.options.clientTimeoutMs,
        attemptsMax: 1,
      });
      this.clients.set(clientId, client);
    }
    return client.openTable(SIM_TABLE);
  }

  // ---- faults -----------------------------------------------------------------------------------------

  crashServer(address: RpcAddress, machine: boolean): void {
    const node = this.world.node(address);
    if (machine) this.world.crashMachine(node);
    else this.world.crashProcess(node);
    if (address === SIM_META_ADDRESS) this.metaServer = undefined;
    else this.stubs.delete(address);
  }

  async restartServer(address: RpcAddress): Promise<void> {
    const node = this.world.restart(address);
    if (address === SIM_META_ADDRESS) await this.startMeta();
    else await this.startReplicaServer(node);
  }

  // ---- observation ------------------------------------------------------------------------------------

  /** Every open replica of every running replica server, with its server's address. */
  liveReplicas(): Array<{ node: RpcAddress; gpid: string; replica: Replica }> {
    const out: Array<{ node: RpcAddress; gpid: string; replica: Replica }> = [];
    for (const node of this.replicaNodes) {
      const stub = this.stub(node.address);
      if (stub === undefined) continue;
      for (const hosted of stub.hosted()) {
        const replica = hosted.replica;
        if (replica !== undefined) out.push({ node: node.address, gpid: formatGpid(hosted.gpid), replica });
      }
    }
    return out;
  }

  /**
   * Healthy as the meta sees it (§2.2: a primary and max_replica_count members) and as the replicas see
   * it (the primary serves at the meta's ballot with exactly those secondaries) — except partitions the
   * meta holds DEAD under upstream's DDD rule (every member lost; it waits for an operator): those are
   * listed in `dddPartitions()` instead (simulation.md "Liveness with DDD").
   */
  healthy(options: { excludeDdd: boolean } = { excludeDdd: false }): boolean {
    const meta = this.meta;
    if (meta === undefined) return false;
    const response = meta.queryConfig({ appName: SIM_TABLE, partitionIndices: [] });
    if (response.err !== 'ERR_OK') return false;
    const replicas = this.liveReplicas();
    const ddd = new Set(options.excludeDdd ? this.dddPartitions() : []);
    for (const pc of response.partitions) {
      if (ddd.has(pc.pid.partitionIndex)) continue;
      if (pc.ballot <= 0 || pc.secondaries.length + 1 < this.options.maxReplicaCount) return false;
      const gpid = formatGpid(pc.pid);
      const primary = replicas.find((r) => r.gpid === gpid && r.replica.status === 'PS_PRIMARY' && r.replica.ballot === pc.ballot);
      if (primary === undefined || primary.replica.members().secondaries.length !== pc.secondaries.length) return false;
    }
    return true;
  }

  /** Partition indexes of the table the meta keeps DEAD under the DDD rule (no safe primary to choose). */
  dddPartitions(): number[] {
    const meta = this.meta;
    if (meta === undefined) return [];
    const app = meta.queryConfig({ appName: SIM_TABLE, partitionIndices: [] });
    if (app.err !== 'ERR_OK') return [];
    return meta
      .dddDiagnose({ pid: { appId: app.appId, partitionIndex: -1 } })
      .partitions.filter((p) => p.config.primary.ipv4 === 0 && p.config.secondaries.length === 0)
      .map((p) => p.config.pid.partitionIndex);
  }
}

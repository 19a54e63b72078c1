/**
 * One simulation run per seed (simulation.md): the seed draws the run's fault mix (swarm testing: which
 * fault kinds are on and how hard), starts a 4-server cluster with a 3-replica table, runs the clients while
 * faults are injected, then heals everything and checks
 *   - the PacificA invariants before every event,
 *   - liveness: every partition healthy again within a bound once faults stop,
 *   - linearizability of the client history, and durability of every acknowledged write against a final
 *     read of every hash key.
 * The same seed replays the same run exactly (same trace hash). A run never throws for a failed check: it
 * reports, with everything needed to replay it.
 */
import { hashKeyPartitionIndex } from '../base/key-schema.ts';
import type { Table } from '../client/table.ts';
import { checkDurability } from './check/durability.ts';
import { InvariantChecker } from './check/invariants.ts';
import { checkLinearizable, formatHistory } from './check/linearizability.ts';
import type { Replica } from '../replica/replica.ts';
import type { BrokenVariant } from '../replica/replica-env.ts';
import { SIM_META_ADDRESS, SimCluster, simReplicaAddress } from './sim-cluster.ts';
import { SimRandom } from './sim-random.ts';
import { Workload, readFinalState } from './sim-workload.ts';

export interface SimRunOptions {
  readonly brokenVariant?: BrokenVariant;
  /** Client operations per client (4 clients). Default 60. */
  readonly opsPerClient?: number;
  /** Adds the whole history of these hash keys to the report's details (debugging a failure). */
  readonly dumpHashKeys?: readonly string[];
}

/** What a seed drew: the fault mix of this run. */
export interface SwarmConfig {
  readonly dropRate: number;
  readonly duplicateRate: number;
  readonly delayMaxMs: number;
  readonly partitions: boolean;
  readonly processCrashes: boolean;
  readonly machineCrash: boolean;
  readonly metaCrashes: boolean;
  readonly clockSkew: boolean;
  readonly plogForceFlush: boolean;
  /** Plog I/O latency bound (0: instant). */
  readonly slowDiskMaxMs: number;
  /** With plog_force_flush: every replica server loses power at once, now and then. */
  readonly powerLoss: boolean;
}

export interface SimCoverage {
  clientOps: number;
  okOps: number;
  processCrashes: number;
  machineCrashes: number;
  partitions: number;
  primaryChanges: number;
  reconciledDecrees: number;
  learnCache: number;
  learnLog: number;
  learnApp: number;
  /** Partitions left DEAD by the DDD rule (every member lost), excluded from the liveness check. */
  dddPartitions: number;
}

export interface SimReport {
  readonly seed: number;
  readonly ok: boolean;
  readonly failures: string[];
  readonly swarm: SwarmConfig;
  readonly coverage: SimCoverage;
  readonly traceHash: string;
  readonly virtualMs: number;
  readonly events: number;
  /** Printed only on failure: the trace tail, logs and the minimal failing history. */
  readonly details: string;
}

const REPLICA_SERVERS = 4;
const PARTITIONS = 4;
const HASH_KEYS = ['h0', 'h1', 'h2', 'h3', 'h4', 'h5'];
const SORT_KEYS = ['a', 'b', 'c', 'd'];
const EVENTS_MAX = 3_000_000;
const HEALTHY_WITHIN_MS = 60_000;
/** Search budget per hash key: generous, since a fault-heavy part has many writes of unknown outcome. */
const CHECK_LIMITS = { maxSearchSteps: 10_000_000 } as const;

export function drawSwarm(random: SimRandom): SwarmConfig {
  return {
    dropRate: random.pick([0, 0, 0.005, 0.02]),
    duplicateRate: random.pick([0, 0.01, 0.05]),
    delayMaxMs: random.pick([1, 5, 20, 60]),
    partitions: random.chance(0.5),
    processCrashes: random.chance(0.7),
    machineCrash: random.chance(0.4),
    metaCrashes: random.chance(0.3),
    clockSkew: random.chance(0.5),
    plogForceFlush: random.chance(0.3),
    // Up to HDD-under-load latencies: a disk slower than the network is where "ack before the log write"
    // shows.
    slowDiskMaxMs: random.pick([0, 0, 5, 30, 120]),
    powerLoss: random.chance(0.6),
  };
}

export async function runSimulation(seed: number, options: SimRunOptions = {}): Promise<SimReport> {
  const failures: string[] = [];
  const root = SimRandom.fromSeed(seed);
  const swarm = drawSwarm(root.fork('swarm'));
  const faultRandom = root.fork('faults');
  const skewMs = new Map<string, number>();
  if (swarm.clockSkew) {
    const skewRandom = root.fork('skew');
    for (let i = 0; i < REPLICA_SERVERS; i++) skewMs.set(simReplicaAddress(i), skewRandom.int(-200, 200));
  }
  const cluster = new SimCluster({
    world: { seed, network: { faults: { delayMinMs: 0, delayMaxMs: 1 } } },
    replicaServerCount: REPLICA_SERVERS,
    partitionCount: PARTITIONS,
    maxReplicaCount: 3,
    skewMs,
    plogForceFlush: swarm.plogForceFlush,
    memtableBytesMax: 4096,
    clientTimeoutMs: 2000,
    slowDiskMaxMs: swarm.slowDiskMaxMs,
    ...(options.brokenVariant === undefined ? {} : { brokenVariant: options.brokenVariant }),
  });
  const world = cluster.world;
  const invariants = new InvariantChecker();
  const coverage: SimCoverage = {
    clientOps: 0, okOps: 0, processCrashes: 0, machineCrashes: 0, partitions: 0, primaryChanges: 0, reconciledDecrees: 0, learnCache: 0, learnLog: 0, learnApp: 0, dddPartitions: 0,
  };
  /** Every Replica object that ever ran (a restart makes new ones): their counters make the coverage. */
  const seenReplicas = new Set<Replica>();
  /** Before every event: one scan of the live replicas serves the invariants and the coverage tally. */
  const checkInvariants = (): boolean => {
    const live = cluster.liveReplicas();
    for (const { replica } of live) seenReplicas.add(replica);
    return !invariants.check(live);
  };
  let details = '';
  let assertion: unknown;
  const onUnhandled = (reason: unknown): void => {
    assertion ??= reason;
  };
  process.on('unhandledRejection', onUnhandled);
  try {
    await cluster.start(EVENTS_MAX);
    let run = await world.runUntil(() => checkInvariants() || cluster.healthy() || assertion !== undefined, EVENTS_MAX);
    if (!cluster.healthy() && invariants.violations.length === 0 && assertion === undefined) failures.push(`the cluster did not become healthy at start (${run.reason})`);

    world.network.setFaults({
      requestDropRate: swarm.dropRate,
      responseDropRate: swarm.dropRate,
      duplicateRate: swarm.duplicateRate,
      duplicatable: (name) => !name.startsWith('RPC_RRDB_'),
      delayMinMs: 0,
      delayMaxMs: swarm.delayMaxMs,
    });
    const workload = new Workload(
      { clients: 4, hashKeys: HASH_KEYS, sortKeys: SORT_KEYS, opsPerClient: options.opsPerClient ?? 60, thinkMsMax: 50 },
      root.fork('workload'),
      { nowMs: () => world.loop.nowMs, sleep: (ms) => cluster.clientNode.clientClock.sleep(ms) },
    );
    workload.start((clientId) => cluster.table(clientId));
    const faults = new FaultInjector(cluster, swarm, faultRandom, coverage);
    faults.start();
    run = await world.runUntil(() => checkInvariants() || workload.done || assertion !== undefined, EVENTS_MAX);
    faults.stop();
    workload.stop();
    // Heal: no more faults, every server back; then the group must become healthy within the bound.
    world.network.heal();
    world.network.setFaults({ requestDropRate: 0, responseDropRate: 0, duplicateRate: 0, delayMinMs: 0, delayMaxMs: 1 });
    for (const node of [cluster.metaNode, ...cluster.replicaNodes]) if (!node.alive) await cluster.restartServer(node.address);
    const healDeadlineMs = world.loop.nowMs + HEALTHY_WITHIN_MS;
    run = await world.runUntil(() => checkInvariants() || (workload.done && cluster.healthy()) || world.loop.nowMs > healDeadlineMs || assertion !== undefined, EVENTS_MAX);
    // Only partitions the DDD rule still holds DEAD at the deadline are excused (simulation.md).
    if (invariants.violations.length === 0 && assertion === undefined && !cluster.healthy({ excludeDdd: true })) {
      failures.push(`not healthy ${HEALTHY_WITHIN_MS} ms after the faults stopped (${run.reason})`);
    }

    // Hash keys of DEAD (DDD) partitions cannot be read until an operator acts: they are left out of the
    // final read and of the checks that need it.
    const ddd = new Set(cluster.dddPartitions());
    coverage.dddPartitions = ddd.size;
    const readableKeys = HASH_KEYS.filter((k) => !ddd.has(hashKeyPartitionIndex(Buffer.from(k), PARTITIONS)));
    // Final read of every hash key (retried until it succeeds: the client sends each request once).
    let finalState: Map<string, Array<[string, string]>> | undefined;
    if (failures.length === 0 && invariants.violations.length === 0 && assertion === undefined) {
      let table: Table | undefined;
      for (let attempt = 0; attempt < 50 && finalState === undefined; attempt++) {
        const reading = (async () => {
          table ??= await cluster.table();
          return readFinalState(table, readableKeys);
        })();
        let settled = false;
        reading.then(
          (state) => {
            finalState = state;
            settled = true;
          },
          () => {
            settled = true;
          },
        );
        await world.runUntil(() => settled, EVENTS_MAX);
        if (finalState === undefined) await world.runFor(200, EVENTS_MAX);
      }
      if (finalState === undefined) failures.push('the final read never succeeded');
    }
    if (assertion !== undefined) failures.push(`assertion: ${assertion instanceof Error ? assertion.stack ?? assertion.message : String(assertion)}`);
    failures.push(...invariants.violations.map((v) => `invariant: ${v}`));

    coverage.clientOps = workload.history.length;
    coverage.okOps = workload.okCount();
    coverage.primaryChanges = invariants.primaryBallots;
    for (const replica of seenReplicas) {
      coverage.reconciledDecrees += replica.stats.reconciledDecrees;
      coverage.learnCache += replica.learner.roundsApplied.cache;
      coverage.learnLog += replica.learner.roundsApplied.log;
      coverage.learnApp += replica.learner.roundsApplied.app;
    }

    for (const hashKey of options.dumpHashKeys ?? []) {
      details += `\n--- whole history of ${hashKey} ---\n${formatHistory(workload.history.filter((e) => e.hashKey === hashKey))}`;
    }
    if (failures.length === 0 && finalState !== undefined) {
      const linear = checkLinearizable(workload.history, CHECK_LIMITS);
      for (const f of linear.failures) {
        failures.push(`not linearizable on ${f.hashKey}: ${f.explanation}`);
        details += `\n--- minimal failing history (${f.hashKey}) ---\n${formatHistory(f.entries)}`;
      }
      for (const i of linear.inconclusive) failures.push(`linearizability inconclusive on ${i.hashKey}: ${i.reason}`);
      const durable = checkDurability(workload.history.filter((e) => readableKeys.includes(e.hashKey)), finalState, CHECK_LIMITS);
      if (!durable.ok) {
        for (const l of durable.lost.slice(0, 5)) failures.push(`durability: lost ${l.hashKey}/${l.sortKey}: ${l.explanation}`);
        for (const u of durable.unreachable.slice(0, 3)) failures.push(`durability: final state of ${u.hashKey} unreachable: ${u.explanation}`);
        for (const i of durable.inconclusive) failures.push(`durability inconclusive on ${i.hashKey}: ${i.reason}`);
        if (durable.unreadHashKeys.length > 0) failures.push(`durability: hash keys never read back: ${durable.unreadHashKeys.join(' ')}`);
      }
    }
  } catch (e) {
    failures.push(`run failed: ${e instanceof Error ? e.stack ?? e.message : String(e)}`);
  } finally {
    process.off('unhandledRejection', onUnhandled);
  }
  if (failures.length > 0 || (options.dumpHashKeys?.length ?? 0) > 0) details = `${world.failureReport()}${details}`;
  else if (details !== '') details = `seed ${seed}${details}`;
  return {
    seed,
    ok: failures.length === 0,
    failures,
    swarm,
    coverage,
    traceHash: world.traceHash(),
    virtualMs: world.loop.nowMs,
    events: world.loop.eventsRun,
    details,
  };
}

/**
 * Injects the seed's faults while the clients run: at most one replica server down at a time (restarted
 * after a while), at most one machine crash per run unless plog_force_flush is on (that is the promise:
 * any single machine crash, or any crashes with fsync), network partitions that heal, meta restarts.
 */
class FaultInjector {
  private stopped = false;
  private down: string | undefined;
  private machineCrashes = 0;

  constructor(
    private readonly cluster: SimCluster,
    private readonly swarm: SwarmConfig,
    private readonly random: SimRandom,
    private readonly coverage: SimCoverage,
  ) {}

  start(): void {
    this.next();
  }

  stop(): void {
    this.stopped = true;
  }

  private next(): void {
    const loop = this.cluster.world.loop;
    loop.scheduleAfter(this.random.int(300, 2500), 'fault', () => {
      if (this.stopped) return;
      this.inject();
      this.next();
    });
  }

  private inject(): void {
    const choices: Array<() => void> = [];
    if (this.swarm.processCrashes || this.swarm.machineCrash) choices.push(() => this.crashReplicaServer());
    if (this.swarm.partitions) choices.push(() => this.partition());
    if (this.swarm.metaCrashes) choices.push(() => this.crashMeta());
    // The promise with fsync on: no acknowledged write is lost under any crashes, all at once included.
    if (this.swarm.plogForceFlush && this.swarm.powerLoss) choices.push(() => this.powerLoss());
    if (choices.length === 0) return;
    this.random.pick(choices)();
  }

  private crashReplicaServer(): void {
    if (this.down !== undefined) return;
    const address = this.random.pick(this.cluster.replicaNodes).address;
    const machineAllowed = this.swarm.machineCrash && (this.swarm.plogForceFlush || this.machineCrashes === 0);
    const machine = machineAllowed && (!this.swarm.processCrashes || this.random.chance(0.5));
    if (!machine && !this.swarm.processCrashes) return;
    this.cluster.crashServer(address, machine);
    if (machine) {
      this.machineCrashes++;
      this.coverage.machineCrashes++;
    } else {
      this.coverage.processCrashes++;
    }
    this.down = address;
    this.cluster.world.loop.scheduleAfter(this.random.int(500, 8000), 'restart', () => {
      if (this.down !== address) return;
      this.down = undefined;
      if (!this.cluster.world.node(address).alive) void this.cluster.restartServer(address);
    });
  }

  private powerLoss(): void {
    if (this.down !== undefined) return;
    const nodes = this.cluster.replicaNodes.map((n) => n.address);
    for (const address of nodes) this.cluster.crashServer(address, true);
    this.coverage.machineCrashes += nodes.length;
    this.down = 'all';
    this.cluster.world.loop.scheduleAfter(this.random.int(500, 4000), 'power back', () => {
      if (this.down !== 'all') return;
      this.down = undefined;
      for (const address of nodes) if (!this.cluster.world.node(address).alive) void this.cluster.restartServer(address);
    });
  }

  private partition(): void {
    const { network, loop } = this.cluster.world;
    const nodes = [SIM_META_ADDRESS, ...this.cluster.replicaNodes.map((n) => n.address)];
    const isolated = this.random.pick(nodes);
    network.partition([isolated], nodes.filter((n) => n !== isolated), { symmetric: this.random.chance(0.7) });
    this.coverage.partitions++;
    loop.scheduleAfter(this.random.int(500, 6000), 'heal', () => network.heal());
  }

  private crashMeta(): void {
    if (!this.cluster.metaNode.alive) return;
    this.cluster.crashServer(SIM_META_ADDRESS, false);
    this.coverage.processCrashes++;
    this.cluster.world.loop.scheduleAfter(this.random.int(500, 4000), 'meta restart', () => {
      if (!this.cluster.metaNode.alive) void this.cluster.restartServer(SIM_META_ADDRESS);
    });
  }
}

/**
 * A simulated world: one seed, one loop, one network, one metadata store, and the nodes on them. This is
 * the API the cluster harness builds on: for each address a SimNode whose current process offers exactly
 * what a MetaEnv or a ReplicaStubEnv needs (`clock`, `network`, `storage` or `metaStore`, `logger`) and
 * what a PegasusClient needs (`channel`, `clientClock`), plus the fault hooks `crashProcess`,
 * `crashMachine` and `restart`.
 *
 * A node is a machine (address, wall clock with its skew, disks) that runs one process at a time. A crash
 * kills the process: its timers, callbacks and pending calls never run again, its memory is gone, and the
 * harness builds new servers on the node's new process after `restart` (a fresh channel, handler table,
 * clock and storage view, the same disks).
 *
 * Sub-streams of the seed used here (so the harness must fork other labels): `network`, `disk`,
 * `metastore`.
 */
import { assert } from '../base/assert.ts';
import type { ClientClock } from '../client/clock.ts';
import type { MetaStateStore, MetaStoreLimits } from '../metastore/meta-state-store.ts';
import { DEFAULT_META_STORE_LIMITS } from '../metastore/meta-state-store.ts';
import type { ReplicaStorage } from '../replica/stub/stub-env.ts';
import type { RpcAddress, RpcChannel, RpcHandlerTable } from '../rpc/transport.ts';
import { parseRpcAddress } from '../rpc/transport.ts';
import { SimClientClock, SimClock, SimMachineClock } from './sim-clock.ts';
import { SimLogBuffer, type SimLogger } from './sim-logger.ts';
import { SimLoop, type SimLoopOptions, type SimRunResult, type SimStop } from './sim-loop.ts';
import { SimMetaStore } from './sim-meta-store.ts';
import { SimNetwork, type SimNetworkFaults, type SimNetworkLimits } from './sim-network.ts';
import { SimProcess } from './sim-process.ts';
import { SimRandom, type SimSeed } from './sim-random.ts';
import { SimNodeStorage, type SimStorageOptions } from './sim-storage.ts';

export interface SimWorldOptions {
  readonly seed: SimSeed;
  readonly loop?: SimLoopOptions;
  readonly network?: { readonly faults?: Partial<SimNetworkFaults>; readonly limits?: Partial<SimNetworkLimits> };
  /** Log lines kept for failure reports (all nodes together). Default 5000. */
  readonly logTailMax?: number;
  /** The metadata store's limits and its per-call latency (0 by default: results in microtasks). */
  readonly metaStore?: { readonly limits?: MetaStoreLimits; readonly delayMinMs?: number; readonly delayMaxMs?: number };
}

export interface SimNodeOptions {
  /** The machine's clock error: its wall time is the loop's plus this. Default 0. */
  readonly skewMs?: number;
  readonly storage?: SimStorageOptions;
}

/** What one process of a node owns; replaced wholesale by a restart. */
interface ProcessParts {
  readonly process: SimProcess;
  readonly clock: SimClock;
  readonly clientClock: SimClientClock;
  readonly channel: RpcChannel;
  readonly handlers: RpcHandlerTable;
  readonly storage: ReplicaStorage;
  readonly logger: SimLogger;
  metaStore: MetaStateStore | undefined;
}

export interface SimWorldStats {
  processCrashes: number;
  machineCrashes: number;
  restarts: number;
}

export class SimNode {
  private parts: ProcessParts;

  /** @internal Built by SimWorld.addNode. */
  constructor(
    private readonly world: SimWorld,
    readonly address: RpcAddress,
    /** The machine's wall clock; its skew can change at runtime. */
    readonly machineClock: SimMachineClock,
    /** The machine's replica directories, for inspection and disk faults; processes use `storage`. */
    readonly disk: SimNodeStorage,
  ) {
    this.parts = world.startProcess(this, 1);
  }

  get process(): SimProcess {
    return this.parts.process;
  }

  get alive(): boolean {
    return this.parts.process.alive;
  }

  /** 1 for the first process, +1 per restart. */
  get epoch(): number {
    return this.parts.process.epoch;
  }

  /** The EnvClock of the current process. */
  get clock(): SimClock {
    return this.live().clock;
  }

  /** The ClientClock of the current process (for a PegasusClient running on this node). */
  get clientClock(): ClientClock {
    return this.live().clientClock;
  }

  get channel(): RpcChannel {
    return this.live().channel;
  }

  get handlers(): RpcHandlerTable {
    return this.live().handlers;
  }

  /** `{ channel, handlers }`: the StubNetwork / MetaNetwork of the current process. */
  get network(): { readonly channel: RpcChannel; readonly handlers: RpcHandlerTable } {
    const parts = this.live();
    return { channel: parts.channel, handlers: parts.handlers };
  }

  /** The ReplicaStorage of the current process (a replica server's Env). */
  get storage(): ReplicaStorage {
    return this.live().storage;
  }

  /** The world's metadata store as the current process sees it (a meta server's Env). */
  get metaStore(): MetaStateStore {
    const parts = this.live();
    parts.metaStore ??= this.world.metaStore.forProcess(parts.process);
    return parts.metaStore;
  }

  get logger(): SimLogger {
    return this.live().logger;
  }

  /** @internal */
  replaceProcess(parts: ProcessParts): void {
    this.parts = parts;
  }

  /** The harness wires a process's Env only while it runs; asking a dead node is a harness bug. */
  private live(): ProcessParts {
    assert(this.parts.process.alive, `${this.parts.process.name} is down: restart it before wiring its Env`);
    return this.parts;
  }
}

export class SimWorld {
  readonly seed: SimSeed;
  /** The root stream; the harness forks its own labels from it (see the file comment for taken ones). */
  readonly random: SimRandom;
  readonly loop: SimLoop;
  readonly network: SimNetwork;
  readonly logs: SimLogBuffer;
  readonly metaStore: SimMetaStore;
  readonly stats: SimWorldStats = { processCrashes: 0, machineCrashes: 0, restarts: 0 };
  private readonly diskRandom: SimRandom;
  private readonly nodesByAddress = new Map<RpcAddress, SimNode>();

  constructor(options: SimWorldOptions) {
    this.seed = options.seed;
    this.random = SimRandom.fromSeed(options.seed);
    this.loop = new SimLoop(options.loop);
    this.network = new SimNetwork(this.loop, this.random.fork('network'), options.network);
    this.logs = new SimLogBuffer(this.loop, options.logTailMax);
    this.diskRandom = this.random.fork('disk');
    const metaStoreRandom = this.random.fork('metastore');
    const delayMaxMs = options.metaStore?.delayMaxMs ?? 0;
    this.metaStore = new SimMetaStore(
      options.metaStore?.limits ?? DEFAULT_META_STORE_LIMITS,
      delayMaxMs === 0 ? undefined : { loop: this.loop, random: metaStoreRandom, delayMinMs: options.metaStore?.delayMinMs ?? 0, delayMaxMs },
    );
  }

  // ---- nodes --------------------------------------------------------------------------------------------

  /** A new machine at `address`, its first process already running. */
  addNode(address: RpcAddress, options: SimNodeOptions = {}): SimNode {
    parseRpcAddress(address);
    assert(!this.nodesByAddress.has(address), `node ${address} exists already`);
    const machineClock = new SimMachineClock(this.loop, options.skewMs ?? 0);
    const disk = new SimNodeStorage(address, () => machineClock.nowMs(), options.storage);
    const node = new SimNode(this, address, machineClock, disk);
    this.nodesByAddress.set(address, node);
    return node;
  }

  node(address: RpcAddress): SimNode {
    const node = this.nodesByAddress.get(address);
    assert(node !== undefined, `no node ${address}`);
    return node;
  }

  /** In the order they were added. */
  get nodes(): SimNode[] {
    return [...this.nodesByAddress.values()];
  }

  /** @internal A process of `node` with a fresh channel, handler table, clock and storage view. */
  startProcess(node: SimNode, epoch: number): ProcessParts {
    const process = new SimProcess(node.address, epoch);
    const logger = this.logs.logger(process.name);
    const { channel, handlers } = this.network.attach(process, logger);
    return {
      process,
      clock: new SimClock(this.loop, node.machineClock, process),
      clientClock: new SimClientClock(this.loop, node.machineClock, process),
      channel,
      handlers,
      storage: node.disk.forProcess(process),
      logger,
      metaStore: undefined,
    };
  }

  // ---- faults -------------------------------------------------------------------------------------------

  /** The process dies: memory, timers and pending calls are gone; written bytes stay. */
  crashProcess(target: SimNode | RpcAddress): void {
    const node = this.resolve(target);
    assert(node.alive, `${node.process.name} is down already`);
    this.kill(node);
    node.disk.crashProcess();
    this.stats.processCrashes++;
    this.logs.add('world', 'warn', { node: node.address, epoch: node.epoch }, 'process crash');
  }

  /**
   * The machine loses power: the process dies if it ran, and every plog keeps only its synced bytes and a
   * random prefix of the rest. Also valid on a node whose process crashed already.
   */
  crashMachine(target: SimNode | RpcAddress): void {
    const node = this.resolve(target);
    if (node.alive) this.kill(node);
    node.disk.crashMachine(this.diskRandom);
    this.stats.machineCrashes++;
    this.logs.add('world', 'warn', { node: node.address, epoch: node.epoch }, 'machine crash');
  }

  /** Starts the next process of a crashed node on the same disks; the harness then builds its servers. */
  restart(target: SimNode | RpcAddress): SimNode {
    const node = this.resolve(target);
    assert(!node.alive, `${node.process.name} is still running`);
    node.replaceProcess(this.startProcess(node, node.epoch + 1));
    this.stats.restarts++;
    this.logs.add('world', 'info', { node: node.address, epoch: node.epoch }, 'process restart');
    return node;
  }

  // ---- running ------------------------------------------------------------------------------------------

  runUntil(stop: SimStop, maxEvents: number): Promise<SimRunResult> {
    return this.loop.runUntil(stop, maxEvents);
  }

  runFor(durationMs: number, maxEvents: number): Promise<SimRunResult> {
    return this.loop.runFor(durationMs, maxEvents);
  }

  traceHash(): string {
    return this.loop.traceHash();
  }

  /** Everything needed to understand and replay a failed run: print it when a check fails. */
  failureReport(): string {
    const net = this.network.stats;
    const down = this.nodes.filter((n) => !n.alive).map((n) => n.process.name);
    return [
      `seed ${this.seed} (replay with --seed ${this.seed})`,
      `virtual time ${this.loop.nowMs} ms, events run ${this.loop.eventsRun}, skipped ${this.loop.eventsSkipped}, trace hash ${this.traceHash()}`,
      `crashes: ${this.stats.processCrashes} process, ${this.stats.machineCrashes} machine, ${this.stats.restarts} restarts; down: ${down.join(' ') || 'none'}`,
      `network: sent ${net.messagesSent}, delivered ${net.messagesDelivered}, dropped ${net.messagesDropped} ${JSON.stringify(net.droppedBy)}, ` +
        `duplicated ${net.messagesDuplicated}, timed out ${net.callsTimedOut}, late ${net.lateResponses}; cut: ${this.network.cutLinks().join(' ') || 'none'}`,
      '--- last events ---',
      ...this.loop.traceTail(),
      '--- last log lines ---',
      this.logs.format(),
    ].join('\n');
  }

  private resolve(target: SimNode | RpcAddress): SimNode {
    return typeof target === 'string' ? this.node(target) : target;
  }

  private kill(node: SimNode): void {
    node.process.kill();
    this.network.detach(node.process);
  }
}

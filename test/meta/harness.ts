/**
 * A fake Env for the meta server: a manual clock (time moves only when the test says, timers fire in
 * order), a store that can fail or hold its writes, and an in-memory network that records outgoing calls
 * and delivers incoming RPCs encoded with the real codec tables.
 */
import assert from 'node:assert/strict';
import type { EnvClock, TimerHandle } from '../../src/base/clock.ts';
import { PegasusError } from '../../src/base/error-code.ts';
import { META_RPCS } from '../../src/idl/codec/meta-rpcs.ts';
import { REPLICATION_RPCS } from '../../src/idl/codec/replication-rpcs.ts';
import type { AppInfo, PartitionConfiguration } from '../../src/idl/meta.ts';
import type { ConfigurationUpdateRequest, ReplicaInfo } from '../../src/idl/replication.ts';
import { ConfigType, PartitionStatus } from '../../src/idl/replication.ts';
import {
  formatRpcAddress as formatWire,
  isValidRpcAddress,
  parseRpcAddress as parseWire,
  RPC_ADDRESS_INVALID,
  type RpcAddress as WireAddress,
} from '../../src/idl/thrift/dsn.ts';
import { MetaServer } from '../../src/meta/meta-server.ts';
import type { MetaLimits, MetaLogger, MetaServerConfig } from '../../src/meta/meta-env.ts';
import { MemMetaStore } from '../../src/metastore/mem-meta-store.ts';
import type { DeleteOptions, MetaStateStore, TransactionOp } from '../../src/metastore/meta-state-store.ts';
import { createReply, RpcHandlerTable, type RpcCall, type RpcCallResult, type RpcChannel } from '../../src/rpc/transport.ts';

export class ManualClock implements EnvClock {
  private now = 1_700_000_000_000;
  private seq = 0;
  private readonly timers = new Map<number, { atMs: number; callback: () => void }>();

  nowMs(): number {
    return this.now;
  }

  setTimer(delayMs: number, callback: () => void): TimerHandle {
    const id = this.seq++;
    this.timers.set(id, { atMs: this.now + Math.max(0, delayMs), callback });
    return { cancel: () => void this.timers.delete(id) };
  }

  /** Moves time forward by `ms`, firing every due timer in time order (ties in creation order). */
  advance(ms: number): void {
    const target = this.now + ms;
    for (;;) {
      let next: [number, { atMs: number; callback: () => void }] | undefined;
      for (const entry of this.timers) if (entry[1].atMs <= target && (next === undefined || entry[1].atMs < next[1].atMs)) next = entry;
      if (next === undefined) break;
      this.timers.delete(next[0]);
      this.now = Math.max(this.now, next[1].atMs);
      next[1].callback();
    }
    this.now = target;
  }

  get pendingTimers(): number {
    return this.timers.size;
  }
}

/** MemMetaStore whose writes can be made to fail or to wait until released. */
export class TestStore implements MetaStateStore {
  failWrites = false;
  private held: Array<() => void> | undefined;
  writes = 0;

  constructor(readonly inner: MetaStateStore = new MemMetaStore()) {}

  /** Writes from now on wait until the returned function is called. */
  hold(): () => void {
    const held: Array<() => void> = [];
    this.held = held;
    return () => {
      this.held = undefined;
      for (const go of held) go();
    };
  }

  private async write<T>(op: () => Promise<T>): Promise<T> {
    if (this.held !== undefined) await new Promise<void>((resolve) => this.held!.push(resolve));
    if (this.failWrites) throw new PegasusError('ERR_FILE_OPERATION_FAILED', 'injected store failure');
    this.writes++;
    return op();
  }

  createNode(path: string, data?: Buffer): Promise<void> {
    return this.write(() => this.inner.createNode(path, data));
  }
  deleteNode(path: string, options?: DeleteOptions): Promise<void> {
    return this.write(() => this.inner.deleteNode(path, options));
  }
  setData(path: string, data: Buffer): Promise<void> {
    return this.write(() => this.inner.setData(path, data));
  }
  submitTransaction(ops: readonly TransactionOp[]): Promise<void> {
    return this.write(() => this.inner.submitTransaction(ops));
  }
  getData(path: string): Promise<Buffer> {
    return this.inner.getData(path);
  }
  getChildren(path: string): Promise<string[]> {
    return this.inner.getChildren(path);
  }
  exists(path: string): Promise<boolean> {
    return this.inner.exists(path);
  }
  close(): Promise<void> {
    return this.inner.close();
  }
}

export interface SentCall {
  readonly address: string;
  readonly call: RpcCall;
}

export class RecordingChannel implements RpcChannel {
  readonly sent: SentCall[] = [];
  call(address: string, call: RpcCall): Promise<RpcCallResult> {
    this.sent.push({ address, call });
    return Promise.resolve({ errorName: 'ERR_OK' });
  }
  close(): Promise<void> {
    return Promise.resolve();
  }
  /** The proposals sent so far, decoded, and forgets them. */
  takeProposals(): Array<{ to: string; proposal: ConfigurationUpdateRequest }> {
    const out = this.sent
      .filter((s) => s.call.name === 'RPC_CONFIG_PROPOSAL')
      .map((s) => ({ to: s.address, proposal: REPLICATION_RPCS.RPC_CONFIG_PROPOSAL.decodeArgs(s.call.args, 0) }));
    this.sent.length = 0;
    return out;
  }
}

export const silentLogger: MetaLogger = { info: () => {}, warn: () => {}, error: () => {} };

export const META_ADDRESS = '127.0.0.1:34601';

export function testConfig(overrides: Partial<MetaServerConfig> = {}): MetaServerConfig {
  return {
    selfAddress: META_ADDRESS,
    clusterRoot: '/pegasus/onebox',
    metaServers: [META_ADDRESS],
    clusterName: 'onebox',
    zookeeperHosts: ['127.0.0.1:22181'],
    functionLevel: 'steady',
    fdDisabled: false,
    fdCheckIntervalSeconds: 1,
    fdGraceSeconds: 4,
    lbIntervalMs: 1000,
    holdSecondsForDroppedApp: 3600,
    minAllowedReplicaCount: 1,
    maxAllowedReplicaCount: 5,
    ...overrides,
  };
}

interface TwoWay<Args, Response> {
  readonly code: string;
  encodeArgs(args: Args): Buffer;
  decodeResponse(body: Buffer, offset: number): Response;
}

export type Answer<Response> = { kind: 'ok'; response: Response } | { kind: 'error'; errorName: string } | { kind: 'none' };

/** One meta server on a fake Env. */
export class MetaHarness {
  readonly clock = new ManualClock();
  readonly handlers = new RpcHandlerTable();
  readonly channel = new RecordingChannel();
  readonly meta: MetaServer;

  constructor(
    readonly store: TestStore = new TestStore(),
    config: Partial<MetaServerConfig> = {},
    limits: Partial<MetaLimits> = {},
  ) {
    this.meta = new MetaServer({
      clock: this.clock,
      network: { channel: this.channel, handlers: this.handlers },
      metaStore: store,
      logger: silentLogger,
      config: testConfig(config),
      limits,
    });
  }

  static async started(store?: TestStore, config?: Partial<MetaServerConfig>, limits?: Partial<MetaLimits>): Promise<MetaHarness> {
    const h = new MetaHarness(store, config, limits);
    await h.meta.start();
    return h;
  }

  /** Delivers one RPC as a transport would and waits for its handler to finish. */
  async rpc<Args, Response>(rpc: TwoWay<Args, Response>, args: Args, remote = '127.0.0.1:1'): Promise<Answer<Response>> {
    const handler = this.handlers.lookup(rpc.code);
    assert.ok(handler !== undefined, `no handler for ${rpc.code}`);
    let answer: Answer<Response> = { kind: 'none' };
    const request = { name: rpc.code, seqid: 1, header: { gpid: { appId: 0, partitionIndex: 0 }, partitionHash: 0n, clientTimeoutMs: 0, isBackupRequest: false }, args: rpc.encodeArgs(args), oneway: false, remote };
    const reply = createReply(request, (errorName, result) => {
      answer = errorName === 'ERR_OK' && result !== undefined ? { kind: 'ok', response: rpc.decodeResponse(result, 0) } : { kind: 'error', errorName };
    });
    await handler(request, reply);
    return answer;
  }

  /** The response of an RPC that must be answered ERR_OK at the RPC level. */
  async ok<Args, Response>(rpc: TwoWay<Args, Response>, args: Args): Promise<Response> {
    const answer = await this.rpc(rpc, args);
    assert.equal(answer.kind, 'ok', `${rpc.code}: expected a response, got ${JSON.stringify(answer)}`);
    return (answer as { response: Response }).response;
  }

  async createApp(appName: string, partitionCount: number, replicaCount = 1, successIfExist = false) {
    return this.ok(META_RPCS.RPC_CM_CREATE_APP, {
      appName,
      options: { partitionCount, replicaCount, successIfExist, appType: 'pegasus', isStateful: true, envs: new Map() },
    });
  }

  async queryConfig(appName: string, partitionIndices: number[] = []) {
    return this.ok(META_RPCS.RPC_CM_QUERY_PARTITION_CONFIG_BY_INDEX, { appName, partitionIndices });
  }

  async beacon(node: string, startTime = 1): Promise<void> {
    const ack = await this.ok(REPLICATION_RPCS.RPC_FD_FAILURE_DETECTOR_PING, {
      time: this.clock.nowMs(),
      fromNode: wire(node),
      toNode: wire(META_ADDRESS),
      startTime,
    });
    assert.equal(ack.allowed, true);
  }

  /** What a replica server does on a proposal (contract F3): ask for ballot + 1 with itself as primary. */
  assignRequest(proposal: ConfigurationUpdateRequest, node: string): ConfigurationUpdateRequest {
    const me = wire(node);
    return {
      info: proposal.info,
      config: {
        ...proposal.config,
        ballot: proposal.config.ballot + 1,
        primary: me,
        secondaries: [],
        lastDrops: proposal.config.lastDrops.filter((a) => formatWire(a) !== node),
      },
      type: ConfigType.CT_ASSIGN_PRIMARY,
      node: me,
      hostNode: { ...RPC_ADDRESS_INVALID },
    };
  }

  /**
   * The request a replica server sends for `type` about `node`, built as upstream's replica builds it: the
   * partition's configuration `base` with ballot + 1 and the change applied (CT_ADD_SECONDARY, a proposal
   * type, is carried out as the primary's CT_UPGRADE_TO_SECONDARY once the learner caught up).
   */
  changeRequest(info: AppInfo, base: PartitionConfiguration, type: number, node: string): ConfigurationUpdateRequest {
    const n = wire(node);
    const same = (a: WireAddress) => text(a) === node;
    const primaryIsNode = isValidRpcAddress(base.primary) && same(base.primary);
    let config: PartitionConfiguration = { ...base, ballot: base.ballot + 1 };
    let sent = type;
    switch (type) {
      case ConfigType.CT_ASSIGN_PRIMARY:
        config = { ...config, primary: n, secondaries: [], lastDrops: base.lastDrops.filter((a) => !same(a)) };
        break;
      case ConfigType.CT_UPGRADE_TO_PRIMARY:
        config = { ...config, primary: n, secondaries: base.secondaries.filter((a) => !same(a)) };
        break;
      case ConfigType.CT_ADD_SECONDARY:
      case ConfigType.CT_UPGRADE_TO_SECONDARY:
        sent = ConfigType.CT_UPGRADE_TO_SECONDARY;
        config = { ...config, secondaries: [...base.secondaries, n] };
        break;
      case ConfigType.CT_DOWNGRADE_TO_SECONDARY:
        config = { ...config, primary: { ...RPC_ADDRESS_INVALID }, secondaries: [...base.secondaries, n] };
        break;
      case ConfigType.CT_DOWNGRADE_TO_INACTIVE:
      case ConfigType.CT_REMOVE:
        config = primaryIsNode ? { ...config, primary: { ...RPC_ADDRESS_INVALID } } : { ...config, secondaries: base.secondaries.filter((a) => !same(a)) };
        break;
      default:
        break;
    }
    delete config.hpPrimary;
    delete config.hpSecondaries;
    delete config.hpLastDrops;
    return { info, config, type: sent, node: n, hostNode: { ...RPC_ADDRESS_INVALID } };
  }

  /** The current configuration of one partition and its table's info. */
  async current(appName: string, partitionIndex: number): Promise<{ info: AppInfo; pc: PartitionConfiguration }> {
    const cfg = await this.queryConfig(appName, [partitionIndex]);
    assert.equal(cfg.err, 'ERR_OK');
    const apps = await this.ok(META_RPCS.RPC_CM_LIST_APPS, { status: 0 });
    const info = apps.infos.find((i) => i.appId === cfg.appId);
    assert.ok(info !== undefined);
    return { info, pc: cfg.partitions[0]! };
  }

  /** Sends the change as a replica server would and returns the meta's answer (kind 'none' = no reply). */
  async change(appName: string, partitionIndex: number, type: number, node: string) {
    const { info, pc } = await this.current(appName, partitionIndex);
    return this.update(this.changeRequest(info, pc, type, node));
  }

  /** Carries out every proposal sent so far as the replica servers would (the target sends the update). */
  async carryOutProposals(): Promise<Array<{ to: string; type: number; node: string }>> {
    const done: Array<{ to: string; type: number; node: string }> = [];
    for (const { to, proposal } of this.channel.takeProposals()) {
      const answer = await this.update(this.changeRequest(proposal.info, proposal.config, proposal.type, text(proposal.node)));
      assert.equal(answer.kind, 'ok');
      assert.equal((answer as { response: { err: string } }).response.err, 'ERR_OK', `carrying out ${proposal.type} to ${to}`);
      done.push({ to, type: proposal.type, node: text(proposal.node) });
    }
    return done;
  }

  /** Moves time on in 1 s steps; only `alive` keep beaconing. */
  async tick(ms: number, alive: readonly string[]): Promise<void> {
    for (let left = ms; left > 0; left -= 1000) {
      this.clock.advance(Math.min(1000, left));
      for (const node of alive) await this.beacon(node);
      await settle();
    }
  }

  async update(request: ConfigurationUpdateRequest) {
    return this.rpc(REPLICATION_RPCS.RPC_CM_UPDATE_PARTITION_CONFIGURATION, request);
  }

  /** Accepts every proposal sent so far as the replica servers would; returns how many. */
  async acceptProposals(): Promise<number> {
    return this.acceptProposalsFrom(this.channel.takeProposals());
  }

  async acceptProposalsFrom(proposals: Array<{ to: string; proposal: ConfigurationUpdateRequest }>): Promise<number> {
    for (const { to, proposal } of proposals) {
      const answer = await this.update(this.assignRequest(proposal, to));
      assert.equal(answer.kind, 'ok');
      assert.equal((answer as { response: { err: string } }).response.err, 'ERR_OK');
    }
    return proposals.length;
  }
}

export function wire(address: string): WireAddress {
  const w = parseWire(address);
  assert.ok(w !== undefined, address);
  return w;
}

export function text(address: WireAddress): string {
  return formatWire(address);
}

export function replicaInfo(
  appId: number,
  partitionIndex: number,
  ballot: number,
  decrees: { committed?: number; prepared?: number; status?: number } = {},
): ReplicaInfo {
  return {
    pid: { appId, partitionIndex },
    ballot,
    status: decrees.status ?? PartitionStatus.PS_PRIMARY,
    lastCommittedDecree: decrees.committed ?? 0,
    lastPreparedDecree: decrees.prepared ?? decrees.committed ?? 0,
    lastDurableDecree: 0,
    appType: 'pegasus',
    diskTag: 'default',
  };
}

/** Lets pending promise callbacks (store writes of the MemMetaStore) run. */
export async function settle(): Promise<void> {
  for (let i = 0; i < 10; i++) await new Promise<void>((resolve) => setImmediate(resolve));
}

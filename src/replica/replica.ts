/**
 * One replica of a partition under PacificA (pegasus-internals.md §2): the primary's write path (queue →
 * decree → prepare list → plog + RPC_PREPARE to every secondary and learner → commit once logged here and
 * acknowledged by all → apply → reply), the secondary's `on_prepare`, the group check, reconfiguration
 * through the meta, reconciliation on promotion, and learning on both sides (learn-*.ts hold the learn
 * rounds). Reads are served only by the primary, once reconciled.
 *
 * It touches the world only through its ReplicaEnv, its PartitionDb and its MutationLog, so the simulator
 * runs this very code. State transitions are synchronous; log writes, applies and RPCs complete later as
 * their own events. Every ballot increase is persisted before the replica acts on it: while a persist is in
 * flight, incoming messages wait in a bounded queue, in order (see `afterBallotDurable`).
 */
import { AssertionFailure, assert } from '../base/assert.ts';
import type { TimerHandle } from '../base/clock.ts';
import { PegasusError, isPegasusError, type ErrorCode } from '../base/error-code.ts';
import { formatGpid } from '../base/gpid.ts';
import { REPLICATION_RPCS } from '../idl/codec/replication-rpcs.ts';
import type { PartitionConfiguration } from '../idl/meta.ts';
import {
  LearnerStatus,
  type GroupCheckRequest,
  type GroupCheckResponse,
  type LearnNotifyResponse,
  type LearnRequest,
  type LearnResponse,
  type PrepareAck,
  type PrepareRequest,
} from '../idl/replication-consensus.ts';
import { ConfigType, type ConfigurationUpdateRequest, type ReplicaConfiguration } from '../idl/replication.ts';
import { RPC_ADDRESS_INVALID, fromWireAddress, toWireAddress } from '../idl/thrift/dsn.ts';
import type { Mutation } from '../log/mutation.ts';
import type { MutationLog } from '../log/mutation-log.ts';
import type { RpcAddress } from '../rpc/transport.ts';
import type { PartitionDb } from '../storage/rrdb/partition-db.ts';
import { checkWriteRequest, isBatchable, type WriteRequest } from '../storage/rrdb/write-service.ts';
import { CheckpointTimer } from './checkpoint-timer.ts';
import { LearneeSide } from './learnee.ts';
import { LearnerSide } from './learner.ts';
import { MutationQueue, type QueuedWrite } from './mutation-queue.ts';
import { fromWireMutation, toWireMutation } from './mutation-wire.ts';
import { PrepareList } from './prepare-list.ts';
import { mutation2pcMinReplicaCount, type ReplicaEnv } from './replica-env.ts';
import { ReplicaMutation, decodeWrite, encodeWrite, type WriteReply } from './replica-mutation.ts';
import { statusFromWire, transitionAllowed, wireStatus, type ReplicaStatus } from './status-transition.ts';
import { nextConfig, type ChangeContext } from './config-change.ts';
import { MutationTimestamps } from './timestamp.ts';

export { wireStatus, type ReplicaStatus } from './status-transition.ts';

interface ClientWrite extends QueuedWrite {
  write: WriteRequest;
  reply: WriteReply;
}

/** Messages waiting for a ballot to be persisted; beyond it they are dropped (their senders retry). */
const WAITING_FOR_BALLOT_MAX = 1024;

/** A snapshot of the decree family for status pages, config sync and the simulator's invariants. */
export interface ReplicaProgress {
  status: ReplicaStatus;
  ballot: number;
  lastDurableDecree: number;
  lastFlushedDecree: number;
  lastAppliedDecree: number;
  lastCommittedDecree: number;
  lastPreparedDecree: number;
}

export class Replica {
  private statusNow: ReplicaStatus = 'PS_INACTIVE';
  private inactiveIsTransient = false;
  private ballotNow = 0;
  private primaryNow: RpcAddress | undefined;
  /** The partition configuration as the meta last stated it (a primary builds its update requests on it). */
  private partitionConfig: PartitionConfiguration | undefined;
  private secondaries: RpcAddress[] = [];
  /** An update request is with the meta; 2PC is paused (INACTIVE, transient) until its answer. */
  private reconfiguring = false;
  private readonly prepareList: PrepareList<ReplicaMutation>;
  private readonly queue: MutationQueue<ClientWrite>;
  private readonly timestamps: MutationTimestamps;
  private applying: Promise<void> = Promise.resolve();
  /** A new primary serves reads only once everything its predecessor may have committed is committed. */
  private readsAllowedFromDecree = 0;
  private failure: unknown;
  /** Write-queue slots freed by commits and not yet handed to waiting writes. */
  private freedSlots = 0;
  private groupCheckTimer: TimerHandle | undefined;
  private lastPrepareSentMs = 0;
  private readonly timers = new Set<TimerHandle>();
  /** Defined while a ballot is being persisted: what arrived meanwhile, in order. */
  private waitingForBallot: Array<() => void> | undefined;
  private durableBallot: number;
  private closed = false;
  /** Secondary side: replies to duplicate prepares of a mutation whose log write is still running. */
  private readonly ackWaiters = new Map<ReplicaMutation, Array<() => void>>();
  readonly learnee: LearneeSide;
  readonly learner: LearnerSide;
  private readonly checkpointTimer: CheckpointTimer;
  /**
   * The newest ballot this replica holds data of or served at: the highest ballot of a mutation it logged
   * (or replayed), and of a role it held. Unlike `ballot`, a ballot merely adopted from a configuration (a
   * restarted replica dropping itself) does not raise it. The meta's DDD rule ranks the last drops by it:
   * a replica that lost its log tail in a machine crash must not outrank one that kept it for a ballot it
   * never did anything at.
   */
  private dataBallotNow = 0;
  /** Counters for status pages and the simulator's coverage figures. */
  readonly stats = { promotions: 0, reconciledDecrees: 0, remoteFailures: 0 };

  private dbNow: PartitionDb;
  private logNow: MutationLog;
  /** LT_APP is replacing the store and plog: nothing may touch them meanwhile. */
  private swappingStorage = false;

  private constructor(
    db: PartitionDb,
    log: MutationLog,
    readonly env: ReplicaEnv,
  ) {
    this.dbNow = db;
    this.logNow = log;
    this.durableBallot = env.persistedBallot();
    this.timestamps = new MutationTimestamps(() => env.clock.nowMs());
    this.prepareList = new PrepareList<ReplicaMutation>(db.lastAppliedDecree(), env.prepareListCapacity, (mutation) => this.onCommit(mutation));
    this.queue = new MutationQueue<ClientWrite>({
      inFlightMax: env.stalenessForCommit,
      batchBytesMax: env.writeSizeBytesMax,
      batchWriteDisabled: env.batchWriteDisabled,
      queuedWritesMax: env.queuedWritesMax,
    });
    this.learnee = new LearneeSide(this);
    this.learner = new LearnerSide(this);
    this.checkpointTimer = new CheckpointTimer(
      {
        db: () => this.dbNow,
        log: () => this.logNow,
        mayCheckpoint: () => !this.swappingStorage && !this.closed && this.statusNow !== 'PS_ERROR',
        closed: () => this.closed,
        nowMs: () => env.clock.nowMs(),
        later: (delayMs, callback) => void this.later(delayMs, callback),
        onLocalFailure: (e) => this.onLocalFailure(e),
      },
      env.timing,
    );
  }

  /**
   * Opens a replica on its store and log and replays the log from the store's decree (§3.5): committed
   * mutations are applied again, a higher ballot in the log raises the local ballot, and the uncommitted
   * tail stays in the prepare list for the next primary to reconcile. The replica starts INACTIVE (not
   * transient: it has to be told its role again).
   */
  static async open(db: PartitionDb, log: MutationLog, env: ReplicaEnv): Promise<Replica> {
    const replica = new Replica(db, log, env);
    replica.ballotNow = env.persistedBallot();
    replica.dataBallotNow = env.persistedDataBallot();
    const logged: Mutation[] = [];
    await log.replay(db.lastAppliedDecree() + 1, (mutation) => logged.push(mutation));
    for (const mutation of logged) replica.prepareReplayed(mutation);
    await replica.applying;
    replica.throwIfFailed();
    replica.checkpointTimer.start();
    return replica;
  }

  /** One mutation from a log (this replica's on open, a learnee's in LT_LOG/LT_CACHE): prepared as INACTIVE. */
  prepareReplayed(mutation: Mutation): ReplicaMutation | undefined {
    if (mutation.header.decree <= this.prepareList.lastCommittedDecree()) return undefined;
    const existing = this.prepareList.get(mutation.header.decree);
    // A later copy of a decree under an older ballot (possible only after a log epoch reset) loses.
    if (existing !== undefined && existing.ballot > mutation.header.ballot) return undefined;
    this.ballotNow = Math.max(this.ballotNow, mutation.header.ballot);
    this.noteDataBallot(mutation.header.ballot);
    this.timestamps.observe(mutation.header.timestampUs);
    const replayed = new ReplicaMutation(mutation, this.decodeLogged(mutation), [], false);
    replayed.markLogged();
    this.prepareList.prepare(replayed, 'PS_INACTIVE');
    return replayed;
  }

  // ---- accessors --------------------------------------------------------------------------------------

  get db(): PartitionDb {
    return this.dbNow;
  }

  get log(): MutationLog {
    return this.logNow;
  }

  /**
   * LT_APP on the learner: closes the store and plog, installs the learned checkpoint in their place and
   * restarts the prepare list at its decree. The caller (the learner) holds prepares off meanwhile.
   */
  async replaceStorageWithCheckpoint(decree: number): Promise<void> {
    assert(!this.swappingStorage, 'two storage swaps at once');
    this.swappingStorage = true;
    try {
      await this.checkpointTimer.idle();
      await this.applying;
      await this.logNow.close();
      await this.dbNow.close();
      const { db, log } = await this.env.installLearnedCheckpoint(decree);
      this.dbNow = db;
      this.logNow = log;
      await db.loadCheckpoints();
      this.prepareList.reset(db.lastAppliedDecree());
    } finally {
      this.swappingStorage = false;
    }
  }

  get status(): ReplicaStatus {
    return this.statusNow;
  }

  get ballot(): number {
    return this.ballotNow;
  }

  get dataBallot(): number {
    return this.dataBallotNow;
  }

  private noteDataBallot(ballot: number): void {
    if (ballot <= this.dataBallotNow) return;
    this.dataBallotNow = ballot;
    // Losing this write in a crash only under-reports the data ballot, the safe direction for DDD.
    this.env.persistDataBallot(ballot).catch((e: unknown) => this.onLocalFailure(e));
  }

  get primary(): RpcAddress | undefined {
    return this.primaryNow;
  }

  get isTransientlyInactive(): boolean {
    return this.statusNow === 'PS_INACTIVE' && this.inactiveIsTransient;
  }

  get isReconfiguring(): boolean {
    return this.reconfiguring;
  }

  get name(): string {
    return formatGpid(this.env.gpid);
  }

  members(): { primary: RpcAddress | undefined; secondaries: readonly RpcAddress[]; learners: readonly RpcAddress[] } {
    return { primary: this.primaryNow, secondaries: [...this.secondaries], learners: this.learnee.learnerAddresses() };
  }

  lastCommittedDecree(): number {
    return this.prepareList.lastCommittedDecree();
  }

  maxPreparedDecree(): number {
    return this.prepareList.maxDecree();
  }

  preparedMutation(decree: number): ReplicaMutation | undefined {
    return this.prepareList.get(decree);
  }

  prepareListMinDecree(): number {
    return this.prepareList.minDecree();
  }

  progress(): ReplicaProgress {
    return {
      status: this.statusNow,
      ballot: this.ballotNow,
      lastDurableDecree: this.db.lastDurableDecree(),
      lastFlushedDecree: this.db.lastFlushedDecree(),
      lastAppliedDecree: this.db.lastAppliedDecree(),
      lastCommittedDecree: this.prepareList.lastCommittedDecree(),
      lastPreparedDecree: this.prepareList.maxDecree(),
    };
  }

  /** The replica configuration a member or learner is told in prepares and group checks. */
  replicaConfigFor(status: ReplicaStatus, learnerSignature = 0): ReplicaConfiguration {
    return {
      pid: { ...this.env.gpid },
      ballot: this.ballotNow,
      primary: toWireAddress(this.primaryNow),
      status: wireStatus(status),
      learnerSignature,
    };
  }

  // ---- ballots ----------------------------------------------------------------------------------------

  /**
   * Runs `run` once `ballot` is durable in `.init-info` (§2.2: persisted before acting). Anything arriving
   * while a persist is in flight queues behind it, in arrival order, so no message is handled under a
   * ballot that is not yet on disk and none overtakes another.
   */
  afterBallotDurable(ballot: number, run: () => void): void {
    if (this.closed || this.statusNow === 'PS_ERROR') return;
    if (this.waitingForBallot !== undefined) {
      if (this.waitingForBallot.length >= WAITING_FOR_BALLOT_MAX) {
        this.env.logger?.warn({ gpid: this.name, ballot }, 'too many messages wait for a ballot persist: dropped one');
        return;
      }
      this.waitingForBallot.push(() => this.afterBallotDurable(ballot, run));
      return;
    }
    if (ballot <= this.durableBallot) {
      run();
      return;
    }
    this.waitingForBallot = [];
    this.env.persistBallot(ballot).then(
      () => {
        this.durableBallot = Math.max(this.durableBallot, ballot);
        const waiting = this.waitingForBallot ?? [];
        this.waitingForBallot = undefined;
        if (this.closed || this.statusNow === 'PS_ERROR') return;
        run();
        for (const next of waiting) next();
      },
      (e: unknown) => {
        this.waitingForBallot = undefined;
        this.onLocalFailure(e);
      },
    );
  }

  // ---- status changes ---------------------------------------------------------------------------------

  private setStatus(to: ReplicaStatus, transient = false): void {
    const from = this.statusNow;
    this.statusNow = to;
    if (to === 'PS_SECONDARY' || to === 'PS_POTENTIAL_SECONDARY') this.noteDataBallot(this.ballotNow);
    this.inactiveIsTransient = to === 'PS_INACTIVE' && transient;
    if (to !== 'PS_PRIMARY') this.stopGroupCheck();
    if (from === 'PS_PRIMARY' && to !== 'PS_PRIMARY' && !(to === 'PS_INACTIVE' && transient)) this.leavePrimary();
    if (from === 'PS_POTENTIAL_SECONDARY' && to !== 'PS_POTENTIAL_SECONDARY' && to !== 'PS_SECONDARY') this.learner.stop();
  }

  /** The primary role ends for good: waiting clients are told, learners forgotten, queue slots reset. */
  private leavePrimary(): void {
    this.failWaiting('ERR_INVALID_STATE');
    this.learnee.clear();
    this.queue.resetInFlight();
    this.freedSlots = 0;
    for (let d = this.prepareList.lastCommittedDecree() + 1; d <= this.prepareList.maxDecree(); d++) {
      const m = this.prepareList.get(d);
      if (m !== undefined) m.fromQueue = false;
    }
  }

  /**
   * Stops serving without closing (INACTIVE, transient): the lease to the meta expired. Prepared mutations
   * and their waiting clients stay; a config sync that confirms the role resumes it at the same ballot.
   */
  onMetaDisconnected(): void {
    if (this.statusNow === 'PS_PRIMARY' || this.statusNow === 'PS_SECONDARY') this.setStatus('PS_INACTIVE', true);
  }

  /**
   * Stops serving for good (INACTIVE, not transient): the meta no longer lists this replica for this node.
   * Only the meta's CT_ASSIGN_PRIMARY or learning brings it back.
   */
  becomeInactive(): void {
    if (this.statusNow !== 'PS_ERROR' && !(this.statusNow === 'PS_INACTIVE' && !this.inactiveIsTransient)) this.setStatus('PS_INACTIVE');
  }

  /**
   * Applies a partition configuration stated by the meta (an update's answer, a proposal, a config sync)
   * whose ballot is already durable. Same ballot: only the allowed transitions; higher: adopt the role.
   */
  private applyPartitionConfig(pc: PartitionConfiguration): void {
    if (pc.ballot < this.ballotNow || this.closed || this.statusNow === 'PS_ERROR') return;
    const self = this.env.selfAddress;
    const primary = fromWireAddress(pc.primary);
    const secondaries = pc.secondaries.map(fromWireAddress).filter((a): a is RpcAddress => a !== undefined);
    let role: ReplicaStatus;
    if (primary === self) role = 'PS_PRIMARY';
    else if (secondaries.includes(self)) role = 'PS_SECONDARY';
    else role = this.statusNow === 'PS_POTENTIAL_SECONDARY' ? 'PS_POTENTIAL_SECONDARY' : 'PS_INACTIVE';
    const ballotIncreases = pc.ballot > this.ballotNow;
    if (!transitionAllowed({ status: this.statusNow, inactiveIsTransient: this.inactiveIsTransient }, role, ballotIncreases)) {
      this.env.logger?.info({ gpid: this.name, from: this.statusNow, to: role, ballot: pc.ballot }, 'configuration change refused by the transition rules');
      if (ballotIncreases) {
        this.ballotNow = pc.ballot;
        this.primaryNow = primary;
        this.setStatus('PS_INACTIVE');
      }
      return;
    }
    if (!ballotIncreases && role === this.statusNow && role !== 'PS_PRIMARY') {
      this.primaryNow = primary;
      return;
    }
    this.ballotNow = pc.ballot;
    this.primaryNow = primary;
    switch (role) {
      case 'PS_PRIMARY':
        this.partitionConfig = pc;
        this.secondaries = secondaries;
        this.becomePrimaryNow(!ballotIncreases);
        break;
      case 'PS_SECONDARY':
        this.partitionConfig = undefined;
        this.secondaries = [];
        this.setStatus('PS_SECONDARY');
        break;
      case 'PS_POTENTIAL_SECONDARY':
        break;
      default:
        this.setStatus('PS_INACTIVE');
    }
  }

  /**
   * Serves as primary at the current ballot. On a new ballot (or resuming after a pause), every decree in
   * (committed, prepared] is prepared again under this ballot to the current members — copying the old
   * mutation with its waiting clients, or an empty one where missing — so whatever an earlier primary may
   * have committed is committed again (§2.3 reconciliation); reads wait until that is done.
   */
  private becomePrimaryNow(resumeSameBallot: boolean): void {
    const wasPrimaryBefore = this.statusNow === 'PS_PRIMARY' || this.isTransientlyInactive;
    if (!wasPrimaryBefore) {
      this.queue.resetInFlight();
      this.freedSlots = 0;
    }
    this.statusNow = 'PS_PRIMARY';
    this.inactiveIsTransient = false;
    this.noteDataBallot(this.ballotNow);
    this.learnee.clear();
    if (this.env.brokenVariant === 'skip-reconciliation' && !resumeSameBallot) {
      for (const reply of this.takeTailReplies()) reply.error('ERR_INVALID_STATE');
      this.prepareList.reset(this.prepareList.lastCommittedDecree());
    }
    const from = this.prepareList.lastCommittedDecree() + 1;
    const to = this.prepareList.maxDecree();
    if (!resumeSameBallot) {
      this.readsAllowedFromDecree = to;
      this.stats.promotions++;
      this.stats.reconciledDecrees += to - from + 1;
    }
    for (let decree = from; decree <= to; decree++) {
      const old = this.prepareList.get(decree);
      if (resumeSameBallot && old !== undefined && old.ballot === this.ballotNow) {
        // The same mutation under the same ballot: only the members that still owe an ack are asked again.
        this.sendPrepareToAll(old, true);
        continue;
      }
      const fromQueue = wasPrimaryBefore && old !== undefined && old.fromQueue;
      if (old !== undefined) old.fromQueue = false;
      this.prepareAndLog(old?.writes ?? [], old?.takeReplies() ?? [], decree, old?.timestampUs, fromQueue);
    }
    this.env.logger?.info({ gpid: this.name, ballot: this.ballotNow, secondaries: this.secondaries, reconcile: to - from + 1 }, 'replica is primary');
    this.tryCommit();
    this.startGroupCheck();
  }

  // ---- client requests --------------------------------------------------------------------------------

  private minReplicaCount(): number {
    return mutation2pcMinReplicaCount(this.env.timing.mutation2pcMinReplicaCount, this.env.appInfo().maxReplicaCount);
  }

  /** A client write (§2.3): refused unless primary with enough members; oversized ones before any decree. */
  onClientWrite(write: WriteRequest, reply: WriteReply): void {
    if (this.statusNow !== 'PS_PRIMARY') {
      reply.error('ERR_INVALID_STATE');
      return;
    }
    if (this.secondaries.length + 1 < this.minReplicaCount()) {
      reply.error('ERR_NOT_ENOUGH_MEMBER');
      return;
    }
    let batch: ClientWrite[] | undefined;
    try {
      checkWriteRequest(write, this.env.writeSizeBytesMax);
      batch = this.queue.add({ write, reply, batchable: isBatchable(write.code), bytes: encodeWrite(write).data.length });
    } catch (e) {
      if (!isPegasusError(e)) throw e;
      reply.error(e.code);
      return;
    }
    if (batch !== undefined) this.startMutation(batch);
  }

  /**
   * Runs a read if this replica may serve it: the primary, after reconciliation. A backup request (the Java
   * client's `is_backup_request`, sent to a secondary when the primary is slow) may be served by a secondary
   * too, possibly stale, as upstream allows (§2.10).
   */
  async onClientRead<T>(read: (db: PartitionDb) => Promise<T>, options: { backupRequest?: boolean } = {}): Promise<T> {
    if (options.backupRequest === true && this.statusNow === 'PS_SECONDARY') return read(this.db);
    // The broken variant serves reads in any role but ERROR: as a secondary, or as a primary that lost its lease.
    if (this.env.brokenVariant === 'read-on-secondary' && this.statusNow !== 'PS_ERROR' && this.statusNow !== 'PS_POTENTIAL_SECONDARY') {
      if (this.statusNow !== 'PS_PRIMARY') this.env.logger?.info({ gpid: this.name, status: this.statusNow }, 'broken variant: read served without being primary');
      return read(this.db);
    }
    if (this.statusNow !== 'PS_PRIMARY') throw new PegasusError('ERR_INVALID_STATE', `${this.name} is not primary`);
    if (this.prepareList.lastCommittedDecree() < this.readsAllowedFromDecree) {
      throw new PegasusError('ERR_INVALID_STATE', `${this.name} is still reconciling`);
    }
    return read(this.db);
  }

  private startMutation(batch: ClientWrite[]): void {
    this.prepareAndLog(
      batch.map((w) => w.write),
      batch.map((w) => w.reply),
      this.prepareList.maxDecree() + 1,
      undefined,
      true,
    );
  }

  /** `fromQueue`: the mutation holds a slot of the write queue, freed at its commit. */
  private prepareAndLog(writes: WriteRequest[], replies: WriteReply[], decree: number, timestampUs: number | undefined, fromQueue: boolean): void {
    const header = {
      gpid: this.env.gpid,
      ballot: this.ballotNow,
      decree,
      logOffset: 0,
      lastCommittedDecree: this.prepareList.lastCommittedDecree(),
      timestampUs: timestampUs ?? this.timestamps.next(),
    };
    const mutation = new ReplicaMutation({ header, updates: writes.map(encodeWrite) }, writes, replies, fromQueue);
    if (this.env.brokenVariant !== 'commit-before-all-acks') {
      for (const node of this.secondaries) mutation.expectAck(node);
      for (const node of this.learnee.learnersReceiving(decree)) mutation.expectAck(node);
    }
    this.prepareList.prepare(mutation, 'PS_PRIMARY');
    this.sendPrepareToAll(mutation, false);
    const ballot = this.ballotNow;
    if (this.env.brokenVariant === 'apply-before-logging') {
      mutation.markLogged();
      this.tryCommit();
    }
    this.log.append(mutation.data).then(
      () => {
        mutation.markLogged();
        if (this.statusNow === 'PS_PRIMARY' && this.ballotNow === ballot) this.tryCommit();
      },
      (e: unknown) => this.onLocalFailure(e),
    );
  }

  /**
   * Commits every ready mutation from the commit point on, then lets queued writes into freed slots.
   *
   * Below `mutation_2pc_min_replica_count` members nothing commits, not even the reconciled tail or an
   * empty write (upstream commits those on a lone primary): a write committed on fewer members than that
   * is lost with one machine crash, which this project promises to survive. The tail commits once the
   * meta has added enough secondaries (they receive it while learning).
   */
  tryCommit(): void {
    if (this.statusNow !== 'PS_PRIMARY') return;
    if (this.secondaries.length + 1 < this.minReplicaCount()) return;
    this.prepareList.commit(this.prepareList.lastCommittedDecree() + 1, 'COMMIT_ALL_READY');
    this.startFreedSlots();
  }

  private sendPrepareToAll(mutation: ReplicaMutation, onlyMissing: boolean): void {
    this.lastPrepareSentMs = this.env.clock.nowMs();
    for (const node of this.secondaries) if (!onlyMissing || mutation.waitsFor(node)) this.sendPrepare(node, mutation, 'PS_SECONDARY', 0);
    for (const node of this.learnee.learnersReceiving(mutation.decree)) {
      if (!onlyMissing || mutation.waitsFor(node)) this.sendPrepare(node, mutation, 'PS_POTENTIAL_SECONDARY', this.learnee.signatureOf(node));
    }
  }

  /** RPC_PREPARE to one member or learner; the reply (or its absence) is judged by `onPrepareReply`. */
  sendPrepare(node: RpcAddress, mutation: ReplicaMutation, role: 'PS_SECONDARY' | 'PS_POTENTIAL_SECONDARY', learnerSignature: number): void {
    const rpc = REPLICATION_RPCS.RPC_PREPARE;
    const timing = this.env.timing;
    const timeoutMs = role === 'PS_SECONDARY' ? timing.prepareTimeoutMsForSecondaries : timing.prepareTimeoutMsForPotentialSecondaries;
    const deadlineMs = this.env.clock.nowMs() + timeoutMs;
    const ballot = this.ballotNow;
    const request: PrepareRequest = { pid: { ...this.env.gpid }, config: this.replicaConfigFor(role, learnerSignature), mutation: toWireMutation(mutation.data) };
    const args = rpc.encodeArgs(request);
    const attempt = (): void => {
      const remainingMs = deadlineMs - this.env.clock.nowMs();
      if (remainingMs <= 0) {
        this.onPrepareFailed(node, mutation, ballot, 'ERR_TIMEOUT');
        return;
      }
      this.env.channel.call(node, { name: rpc.code, gpid: this.env.gpid, partitionHash: 0n, args, timeoutMs: remainingMs }).then(
        (result) => {
          if (!this.isCurrentPrimary(ballot)) return;
          let ack: PrepareAck | undefined;
          if (result.errorName === 'ERR_OK' && result.result !== undefined) ack = rpc.decodeResponse(result.result, 0);
          const err = ack?.err ?? result.errorName;
          if (err === 'ERR_OK') {
            if (mutation.ack(node)) {
              this.tryCommit();
              if (role === 'PS_POTENTIAL_SECONDARY') this.learnee.onLearnerAck(node);
            }
            return;
          }
          // A paused member or a learner still copying: upstream retries after 5 ms while time remains.
          if ((err === 'ERR_INACTIVE_STATE' || err === 'ERR_TRY_AGAIN') && mutation.waitsFor(node)) {
            this.later(timing.prepareRetryDelayMs, attempt);
            return;
          }
          this.onPrepareFailed(node, mutation, ballot, err);
        },
        (e: unknown) => this.onPrepareFailed(node, mutation, ballot, isPegasusError(e) ? e.code : 'ERR_UNKNOWN'),
      );
    };
    attempt();
  }

  private isCurrentPrimary(ballot: number): boolean {
    return !this.closed && this.ballotNow === ballot && (this.statusNow === 'PS_PRIMARY' || this.isTransientlyInactive);
  }

  private onPrepareFailed(node: RpcAddress, mutation: ReplicaMutation, ballot: number, err: string): void {
    if (!this.isCurrentPrimary(ballot) || !mutation.waitsFor(node)) return;
    if (mutation.decree <= this.prepareList.lastCommittedDecree()) return;
    this.env.logger?.info({ gpid: this.name, node, decree: mutation.decree, err }, 'prepare failed');
    this.handleRemoteFailure(node);
  }

  /**
   * A member or learner did not acknowledge (§2.3): a learner is dropped (no ballot change); a secondary is
   * removed through the meta with CT_DOWNGRADE_TO_INACTIVE before 2PC may go on without it.
   */
  handleRemoteFailure(node: RpcAddress): void {
    if (this.learnee.isLearner(node)) {
      this.learnee.remove(node);
      this.tryCommit();
      return;
    }
    if (this.statusNow !== 'PS_PRIMARY' || !this.secondaries.includes(node)) return;
    this.stats.remoteFailures++;
    this.requestConfigChange(ConfigType.CT_DOWNGRADE_TO_INACTIVE, node);
  }

  /**
   * Called by the prepare list, in decree order: apply (one at a time), reply, then free the queue slot.
   */
  private onCommit(mutation: ReplicaMutation): void {
    this.applying = this.applying.then(async () => {
      // Committed but not applied here (this replica failed): the write stands in the group, so its clients
      // get no answer rather than a refusal.
      if (this.statusNow === 'PS_ERROR') {
        mutation.takeReplies();
        return;
      }
      try {
        const responses = await this.db.apply(mutation.decree, mutation.timestampUs, mutation.writes);
        mutation.takeReplies().forEach((reply, i) => reply.ok(responses[i]!));
      } catch (e) {
        mutation.takeReplies();
        this.onLocalFailure(e);
      }
    });
    if (mutation.fromQueue) {
      mutation.fromQueue = false;
      this.freedSlots++;
    }
  }

  /** Resolves once every commit so far is applied. */
  whenApplied(): Promise<void> {
    return this.applying;
  }

  /**
   * Lets queued writes into the slots committed mutations freed. Done after the prepare list's commit loop
   * returns, never from inside it, so preparing a new decree cannot re-enter a commit in progress.
   */
  private startFreedSlots(): void {
    for (; this.freedSlots > 0; this.freedSlots--) {
      const next = this.queue.complete();
      if (next !== undefined && this.statusNow === 'PS_PRIMARY') this.startMutation(next);
      else if (next !== undefined) for (const w of next) w.reply.error('ERR_INVALID_STATE');
    }
  }

  // ---- secondary: on_prepare --------------------------------------------------------------------------

  /** RPC_PREPARE on a secondary or learner (§2.3); acks only after the plog append completes. */
  onPrepare(request: PrepareRequest, ack: (ack: PrepareAck) => void): void {
    const reply = (err: ErrorCode, decree = request.mutation.header.decree): void =>
      ack({
        pid: { ...this.env.gpid },
        err,
        ballot: this.ballotNow,
        decree,
        lastCommittedDecreeInApp: this.db.lastAppliedDecree(),
        lastCommittedDecreeInPrepareList: this.prepareList.lastCommittedDecree(),
      });
    const ballot = request.mutation.header.ballot;
    if (ballot < this.ballotNow || request.config.ballot < this.ballotNow) {
      reply('ERR_VERSION_OUTDATED');
      return;
    }
    this.afterBallotDurable(request.config.ballot, () => {
      if (request.config.ballot > this.ballotNow) this.applyReplicaConfig(request.config);
      if (request.config.ballot < this.ballotNow || ballot < this.ballotNow) {
        reply('ERR_VERSION_OUTDATED');
        return;
      }
      this.onPrepareNow(request, reply);
    });
  }

  private onPrepareNow(request: PrepareRequest, reply: (err: ErrorCode) => void): void {
    const status = this.statusNow;
    if (status === 'PS_INACTIVE') {
      reply(this.inactiveIsTransient ? 'ERR_INACTIVE_STATE' : 'ERR_INVALID_STATE');
      return;
    }
    if (status === 'PS_ERROR' || status === 'PS_PRIMARY') {
      reply('ERR_INVALID_STATE');
      return;
    }
    if (status === 'PS_POTENTIAL_SECONDARY' && !this.learner.acceptsPrepares(request.config.learnerSignature)) {
      reply('ERR_TRY_AGAIN');
      return;
    }
    const data = fromWireMutation(request.mutation);
    const decree = data.header.decree;
    if (decree <= this.prepareList.lastCommittedDecree()) {
      reply('ERR_OK');
      return;
    }
    const existing = this.prepareList.get(decree);
    if (existing !== undefined && existing.ballot === data.header.ballot) {
      // A duplicate of a mutation already prepared here: acked once its log write is done.
      if (existing.isLogged()) reply('ERR_OK');
      else this.ackWaiters.get(existing)?.push(() => reply('ERR_OK'));
      return;
    }
    let writes: WriteRequest[];
    try {
      writes = data.updates.map(decodeWrite);
    } catch (e) {
      if (!isPegasusError(e)) throw e;
      reply('ERR_INVALID_DATA');
      return;
    }
    this.timestamps.observe(data.header.timestampUs);
    this.noteDataBallot(data.header.ballot);
    const mutation = new ReplicaMutation(data, writes, [], false);
    this.prepareList.prepare(mutation, status);
    const waiters: Array<() => void> = [() => reply('ERR_OK')];
    if (this.env.brokenVariant === 'apply-before-logging') {
      mutation.markLogged();
      waiters.pop()!();
    }
    this.ackWaiters.set(mutation, waiters);
    this.log.append(mutation.data).then(
      () => {
        mutation.markLogged();
        this.ackWaiters.delete(mutation);
        if (this.closed || this.statusNow === 'PS_ERROR') return;
        for (const w of waiters) w();
      },
      (e: unknown) => {
        this.ackWaiters.delete(mutation);
        this.onLocalFailure(e);
      },
    );
  }

  /** A replica configuration from the primary (prepare, group check, add learner) at a durable ballot. */
  applyReplicaConfig(config: ReplicaConfiguration): void {
    const to = statusFromWire(config.status);
    if (to === undefined || config.ballot < this.ballotNow) return;
    const ballotIncreases = config.ballot > this.ballotNow;
    if (!transitionAllowed({ status: this.statusNow, inactiveIsTransient: this.inactiveIsTransient }, to, ballotIncreases)) {
      if (ballotIncreases) {
        this.ballotNow = config.ballot;
        this.primaryNow = fromWireAddress(config.primary);
        this.setStatus('PS_INACTIVE');
      }
      return;
    }
    this.ballotNow = config.ballot;
    this.primaryNow = fromWireAddress(config.primary);
    if (to === 'PS_PRIMARY') return; // only the meta makes a primary
    if (to !== this.statusNow) this.setStatus(to);
    else if (to === 'PS_SECONDARY' || to === 'PS_POTENTIAL_SECONDARY') this.noteDataBallot(this.ballotNow);
  }

  // ---- reconfiguration through the meta ---------------------------------------------------------------

  /**
   * Builds the next configuration (ballot + 1 with `node`'s change), pauses 2PC (INACTIVE, transient) and
   * sends it to the meta (§2.7). The answer — ours or the meta's current one — is applied once durable.
   */
  requestConfigChange(type: number, node: RpcAddress): void {
    const pc = this.partitionConfig;
    if (this.reconfiguring || pc === undefined || this.closed) return;
    const next = nextConfig(pc, type, node, this.changeContext());
    if (next === undefined) return;
    this.reconfiguring = true;
    if (this.statusNow === 'PS_PRIMARY' || this.statusNow === 'PS_SECONDARY') this.setStatus('PS_INACTIVE', true);
    this.sendUpdate(type, node, next, () => {
      if (type === ConfigType.CT_REMOVE) this.sendRemoveReplica(node, next);
    });
  }

  private changeContext(): ChangeContext {
    return { self: this.env.selfAddress, ballot: this.ballotNow, committedDecree: this.prepareList.lastCommittedDecree() };
  }

  private sendUpdate(type: number, node: RpcAddress, next: PartitionConfiguration, onAccepted: () => void): void {
    const request: ConfigurationUpdateRequest = {
      info: this.env.appInfo(),
      config: next,
      type,
      node: toWireAddress(node),
      hostNode: { ...RPC_ADDRESS_INVALID },
    };
    this.env.logger?.info({ gpid: this.name, type, node, ballot: next.ballot }, 'update-configuration sent to the meta');
    this.env.updateConfigurationOnMeta(request).then(
      (response) => {
        this.reconfiguring = false;
        if (this.closed || this.statusNow === 'PS_ERROR') return;
        if (response.err !== 'ERR_OK') {
          this.env.logger?.info({ gpid: this.name, type, err: response.err, metaBallot: response.config.ballot }, 'update-configuration refused');
        }
        // ERR_OK carries our configuration; a refusal carries the meta's current one: either is the truth.
        this.afterBallotDurable(response.config.ballot, () => {
          this.applyPartitionConfig(response.config);
          if (response.err === 'ERR_OK') onAccepted();
          this.resumeIfStillPrimary(response.config);
        });
      },
      (e: unknown) => {
        this.reconfiguring = false;
        // Unanswered: stay paused; the next config sync either resumes this role or takes it away.
        this.env.logger?.warn({ gpid: this.name, type, err: e }, 'update-configuration unanswered');
      },
    );
  }

  /** A refused request leaves the configuration as it was: a paused primary at that ballot resumes. */
  private resumeIfStillPrimary(pc: PartitionConfiguration): void {
    if (pc.ballot === this.ballotNow && fromWireAddress(pc.primary) === this.env.selfAddress && this.isTransientlyInactive) {
      this.partitionConfig = pc;
      this.becomePrimaryNow(true);
    }
  }

  private sendRemoveReplica(node: RpcAddress, pc: PartitionConfiguration): void {
    const rpc = REPLICATION_RPCS.RPC_REMOVE_REPLICA;
    const request: ConfigurationUpdateRequest = { info: this.env.appInfo(), config: pc, type: ConfigType.CT_REMOVE, node: toWireAddress(node), hostNode: { ...RPC_ADDRESS_INVALID } };
    this.env.channel
      .call(node, { name: rpc.code, gpid: this.env.gpid, partitionHash: 0n, args: rpc.encodeArgs(request), timeoutMs: this.env.timing.prepareTimeoutMsForSecondaries, oneway: true })
      .catch(() => undefined); // one-way: a lost one is repaired by config sync (the node is no member)
  }

  /** RPC_CONFIG_PROPOSAL from the meta (§2.7 direction 1). */
  onConfigProposal(proposal: ConfigurationUpdateRequest): void {
    if (this.closed || this.reconfiguring || proposal.config.ballot < this.ballotNow) return;
    this.afterBallotDurable(proposal.config.ballot, () => {
      if (this.reconfiguring || proposal.config.ballot < this.ballotNow) return;
      if (proposal.config.ballot > this.ballotNow) this.applyPartitionConfig(proposal.config);
      if (proposal.config.ballot !== this.ballotNow) return;
      const node = fromWireAddress(proposal.node);
      if (node === undefined) return;
      switch (proposal.type) {
        case ConfigType.CT_ASSIGN_PRIMARY:
        case ConfigType.CT_UPGRADE_TO_PRIMARY:
          if (node !== this.env.selfAddress) return;
          if (proposal.type === ConfigType.CT_UPGRADE_TO_PRIMARY && this.statusNow === 'PS_INACTIVE' && !this.inactiveIsTransient) {
            // Still listed as a secondary, but this replica restarted (or was removed) since: its log may
            // lack acknowledged mutations a machine crash took. It must not lead; it leaves the group so
            // the meta upgrades a secondary that kept its state (it comes back by learning).
            this.dropSelfOnMeta(proposal.config);
            return;
          }
          this.partitionConfig = proposal.config;
          this.reconfiguring = true;
          this.setStatus('PS_INACTIVE', true);
          this.sendUpdate(proposal.type, node, nextConfig(proposal.config, proposal.type, node, this.changeContext())!, () => undefined);
          return;
        case ConfigType.CT_ADD_SECONDARY:
        case ConfigType.CT_ADD_SECONDARY_FOR_LB:
          if (this.statusNow !== 'PS_PRIMARY' || node === this.env.selfAddress || this.secondaries.includes(node)) return;
          this.learnee.addLearner(node);
          return;
        case ConfigType.CT_REMOVE:
        case ConfigType.CT_DOWNGRADE_TO_INACTIVE:
          if (this.statusNow !== 'PS_PRIMARY' || node === this.env.selfAddress) return;
          if (this.learnee.isLearner(node)) this.handleRemoteFailure(node);
          else this.requestConfigChange(proposal.type, node);
          return;
        default:
          this.env.logger?.warn({ gpid: this.name, type: proposal.type }, 'proposal type not supported: ignored');
      }
    });
  }

  /**
   * A config sync entry (§1.2; upstream `replica::on_config_sync`): adopt a higher ballot, resume a paused
   * role the meta confirms, and — when the meta still names this replica although it was not resumed (it
   * restarted, so its role is gone) and no live primary can fix that — ask the meta to drop it
   * (upstream `remove_replica_on_meta_server`), so the guardian rebuilds the group.
   */
  onConfigSync(pc: PartitionConfiguration): void {
    if (this.closed || this.reconfiguring || this.statusNow === 'PS_POTENTIAL_SECONDARY' || pc.ballot < this.ballotNow) return;
    this.afterBallotDurable(pc.ballot, () => {
      if (this.reconfiguring || pc.ballot < this.ballotNow) return;
      if (this.statusNow === 'PS_PRIMARY' && pc.ballot === this.ballotNow) return;
      this.applyPartitionConfig(pc);
      if (this.statusNow !== 'PS_INACTIVE' || this.inactiveIsTransient || pc.ballot !== this.ballotNow) return;
      const self = this.env.selfAddress;
      const primary = fromWireAddress(pc.primary);
      const member = primary === self || pc.secondaries.some((a) => fromWireAddress(a) === self);
      if (member && (primary === self || primary === undefined)) this.dropSelfOnMeta(pc);
    });
  }

  /** Upstream `remove_replica_on_meta_server`: asks the meta to take this replica out of `pc`. */
  private dropSelfOnMeta(pc: PartitionConfiguration): void {
    if (this.reconfiguring) return;
    const self = this.env.selfAddress;
    this.partitionConfig = pc;
    this.reconfiguring = true;
    const next = nextConfig(pc, ConfigType.CT_DOWNGRADE_TO_INACTIVE, self, this.changeContext());
    if (next === undefined) {
      this.reconfiguring = false;
      return;
    }
    this.sendUpdate(ConfigType.CT_DOWNGRADE_TO_INACTIVE, self, next, () => undefined);
  }

  /** RPC_REMOVE_REPLICA: the primary removed this member; it stops serving and waits to be collected. */
  onRemoveReplica(request: ConfigurationUpdateRequest): void {
    if (request.config.ballot < this.ballotNow) return;
    this.afterBallotDurable(request.config.ballot, () => {
      if (request.config.ballot < this.ballotNow) return;
      this.ballotNow = request.config.ballot;
      this.setStatus('PS_INACTIVE');
    });
  }

  // ---- group check ------------------------------------------------------------------------------------

  private startGroupCheck(): void {
    this.stopGroupCheck();
    if (this.env.timing.groupCheckDisabled) return;
    this.groupCheckTimer = this.env.clock.setTimer(this.env.timing.groupCheckIntervalMs, () => {
      this.groupCheckTimer = undefined;
      if (this.statusNow !== 'PS_PRIMARY' || this.closed) return;
      this.groupCheck();
      this.startGroupCheck();
    });
  }

  private stopGroupCheck(): void {
    this.groupCheckTimer?.cancel();
    this.groupCheckTimer = undefined;
  }

  /** One round (§2.5): every secondary and learner is checked; an idle primary also sends an empty write. */
  groupCheck(): void {
    const nowMs = this.env.clock.nowMs();
    if (!this.env.timing.emptyWriteDisabled && nowMs - this.lastPrepareSentMs >= this.env.timing.groupCheckIntervalMs) {
      this.prepareAndLog([], [], this.prepareList.maxDecree() + 1, undefined, false);
    }
    const targets: Array<[RpcAddress, ReplicaStatus, number]> = [
      ...this.secondaries.map((n): [RpcAddress, ReplicaStatus, number] => [n, 'PS_SECONDARY', 0]),
      ...this.learnee.learnerAddresses().map((n): [RpcAddress, ReplicaStatus, number] => [n, 'PS_POTENTIAL_SECONDARY', this.learnee.signatureOf(n)]),
    ];
    const ballot = this.ballotNow;
    const rpc = REPLICATION_RPCS.RPC_GROUP_CHECK;
    for (const [node, role, signature] of targets) {
      const request: GroupCheckRequest = {
        app: this.env.appInfo(),
        node: toWireAddress(node),
        config: this.replicaConfigFor(role, signature),
        lastCommittedDecree: this.prepareList.lastCommittedDecree(),
      };
      this.env.channel
        .call(node, { name: rpc.code, gpid: this.env.gpid, partitionHash: 0n, args: rpc.encodeArgs(request), timeoutMs: this.env.timing.groupCheckIntervalMs })
        .then(
          (result) => {
            if (!this.isCurrentPrimary(ballot) || this.statusNow !== 'PS_PRIMARY') return;
            const response = result.errorName === 'ERR_OK' && result.result !== undefined ? rpc.decodeResponse(result.result, 0) : undefined;
            if (response === undefined || response.err !== 'ERR_OK') {
              this.handleRemoteFailure(node);
              return;
            }
            if (role === 'PS_POTENTIAL_SECONDARY') this.learnee.onLearnerReport(node, response);
          },
          () => {
            if (this.isCurrentPrimary(ballot) && this.statusNow === 'PS_PRIMARY') this.handleRemoteFailure(node);
          },
        );
    }
  }

  /** RPC_GROUP_CHECK on a secondary or learner. */
  onGroupCheck(request: GroupCheckRequest, answer: (response: GroupCheckResponse) => void): void {
    const respond = (err: ErrorCode): void =>
      answer({
        pid: { ...this.env.gpid },
        err,
        lastCommittedDecreeInApp: this.db.lastAppliedDecree(),
        lastCommittedDecreeInPrepareList: this.prepareList.lastCommittedDecree(),
        learnerStatus: this.statusNow === 'PS_POTENTIAL_SECONDARY' ? this.learner.status : LearnerStatus.LearningInvalid,
        learnerSignature: this.statusNow === 'PS_POTENTIAL_SECONDARY' ? this.learner.signature : 0,
        node: toWireAddress(this.env.selfAddress),
      });
    if (request.config.ballot < this.ballotNow) {
      respond('ERR_VERSION_OUTDATED');
      return;
    }
    this.afterBallotDurable(request.config.ballot, () => {
      if (request.config.ballot > this.ballotNow) this.applyReplicaConfig(request.config);
      if (request.config.ballot < this.ballotNow) {
        respond('ERR_VERSION_OUTDATED');
        return;
      }
      if (this.statusNow === 'PS_SECONDARY') {
        this.prepareList.commit(request.lastCommittedDecree, 'COMMIT_TO_DECREE_SOFT');
        respond('ERR_OK');
      } else if (this.statusNow === 'PS_POTENTIAL_SECONDARY' && this.learner.signature === request.config.learnerSignature) {
        this.learner.kick();
        respond('ERR_OK');
      } else {
        respond(this.isTransientlyInactive ? 'ERR_INACTIVE_STATE' : 'ERR_INVALID_STATE');
      }
    });
  }

  // ---- learning: entry points (the rounds are in learnee.ts / learner.ts) -----------------------------

  /** RPC_LEARN_ADD_LEARNER: the primary wants this node as a learner (§2.8). */
  onAddLearner(request: GroupCheckRequest): void {
    if (request.config.ballot < this.ballotNow) return;
    this.afterBallotDurable(request.config.ballot, () => {
      if (request.config.ballot < this.ballotNow) return;
      const status = this.statusNow;
      const fromStatus = { status, inactiveIsTransient: this.inactiveIsTransient };
      const ballotIncreases = request.config.ballot > this.ballotNow;
      if (status !== 'PS_POTENTIAL_SECONDARY' && !transitionAllowed(fromStatus, 'PS_POTENTIAL_SECONDARY', ballotIncreases)) return;
      if (status === 'PS_PRIMARY' || status === 'PS_SECONDARY') {
        if (!ballotIncreases) return; // a member at this ballot is not a learner
      }
      this.ballotNow = request.config.ballot;
      this.primaryNow = fromWireAddress(request.config.primary);
      if (status !== 'PS_POTENTIAL_SECONDARY') this.setStatus('PS_POTENTIAL_SECONDARY');
      this.learner.start(request.config.learnerSignature);
    });
  }

  /** RPC_LEARN on the primary. */
  onLearn(request: LearnRequest): Promise<LearnResponse> {
    return this.learnee.onLearn(request);
  }

  /** RPC_LEARN_COMPLETION_NOTIFY on the primary. */
  onLearnCompletionNotify(report: GroupCheckResponse): LearnNotifyResponse {
    if (this.statusNow !== 'PS_PRIMARY') return { pid: { ...this.env.gpid }, err: 'ERR_INVALID_STATE', signature: report.learnerSignature };
    const node = fromWireAddress(report.node);
    if (node === undefined) return { pid: { ...this.env.gpid }, err: 'ERR_INVALID_PARAMETERS', signature: report.learnerSignature };
    return { pid: { ...this.env.gpid }, err: this.learnee.onLearnerReport(node, report), signature: report.learnerSignature };
  }

  /** The primary asks the meta to make a learner that caught up a secondary (CT_UPGRADE_TO_SECONDARY). */
  upgradeLearner(node: RpcAddress): void {
    if (this.statusNow !== 'PS_PRIMARY' || this.reconfiguring) return;
    this.requestConfigChange(ConfigType.CT_UPGRADE_TO_SECONDARY, node);
  }

  commitHard(decree: number): void {
    this.prepareList.commit(decree, 'COMMIT_TO_DECREE_HARD');
  }

  /**
   * A learner proved `decree` committed (it applied it, and a replica applies only what a primary declared
   * committed): the primary commits up to it too, even below the member minimum — it claims nothing new.
   * False when an entry up to it is missing or not logged here.
   */
  commitKnownCommitted(decree: number): boolean {
    // With enough members the normal 2PC commits it as soon as they ack; the learner just asks again.
    if (this.statusNow !== 'PS_PRIMARY' || this.secondaries.length + 1 >= this.minReplicaCount()) return false;
    if (decree > this.prepareList.maxDecree()) return false;
    for (let d = this.prepareList.lastCommittedDecree() + 1; d <= decree; d++) if (this.prepareList.get(d)?.isLogged() !== true) return false;
    this.prepareList.commit(decree, 'COMMIT_TO_DECREE_HARD');
    this.startFreedSlots();
    return true;
  }

  /** Runs `callback` after `delayMs` unless the replica closed meanwhile; cancelled on close. */
  later(delayMs: number, callback: () => void): TimerHandle {
    const handle = this.env.clock.setTimer(delayMs, () => {
      this.timers.delete(handle);
      if (!this.closed) callback();
    });
    this.timers.add(handle);
    return handle;
  }

  // ---- failures ---------------------------------------------------------------------------------------

  private decodeLogged(mutation: Mutation): WriteRequest[] {
    try {
      const writes = mutation.updates.map(decodeWrite);
      // A logged mutation is one batch of single writes or one write of another kind; anything else
      // cannot have been written by a primary.
      if (writes.length > 1 && !writes.every((w) => isBatchable(w.code))) throw new PegasusError('ERR_INVALID_DATA', 'mixed batch');
      return writes;
    } catch (e) {
      if (!isPegasusError(e)) throw e;
      // Upstream logs an undecodable write and skips it: it is already in the plog, and refusing to open
      // would make the whole partition unavailable for one bad record.
      this.env.logger?.warn({ gpid: this.name, decree: mutation.header.decree, err: e }, 'skipping an undecodable logged mutation');
      return [];
    }
  }

  /** A plog or storage failure: the replica goes to ERROR (terminal) and every waiting client is told. */
  onLocalFailure(e: unknown): void {
    if (e instanceof AssertionFailure) throw e;
    if (this.statusNow === 'PS_ERROR') return;
    this.failure = e;
    this.env.logger?.warn({ gpid: this.name, err: e }, 'replica failed locally');
    this.setStatus('PS_ERROR');
    this.failWaiting('ERR_INVALID_STATE');
  }

  /**
   * Writes still queued never got a decree: they are refused (`errorName`), and a client may safely send
   * them again. Writes already prepared may still commit under the next primary, so they get no answer, as
   * upstream gives none: the client times out and treats the outcome as unknown.
   */
  private failWaiting(errorName: ErrorCode): void {
    for (const waiting of this.queue.drain()) waiting.reply.error(errorName);
    this.takeTailReplies();
  }

  /** The client replies waiting on uncommitted mutations, taken out of them. */
  private takeTailReplies(): WriteReply[] {
    const out: WriteReply[] = [];
    for (let d = this.prepareList.lastCommittedDecree() + 1; d <= this.prepareList.maxDecree(); d++) out.push(...(this.prepareList.get(d)?.takeReplies() ?? []));
    return out;
  }

  throwIfFailed(): void {
    if (this.statusNow === 'PS_ERROR') {
      throw new PegasusError('ERR_INVALID_STATE', `${this.name} is in ERROR`, { cause: this.failure });
    }
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** Stops serving: waiting clients get ERR_INVALID_STATE (they re-query the meta); applies finish. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.statusNow !== 'PS_ERROR') this.setStatus('PS_INACTIVE');
    this.failWaiting('ERR_INVALID_STATE');
    this.stopGroupCheck();
    this.learner.stop();
    for (const t of this.timers) t.cancel();
    this.timers.clear();
    await this.applying;
    await this.log.close();
    await this.db.close();
  }
}

assert(WAITING_FOR_BALLOT_MAX > 0, 'the ballot wait queue needs room');

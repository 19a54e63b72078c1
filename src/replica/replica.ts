/**
 * One replica of a partition: the write path of a primary (queue → decree → prepare list → plog → commit →
 * apply → reply), reads on the primary, and recovery from the plog on open (pegasus-internals.md §2.3,
 * §3.5). This first form serves a one-replica group: a mutation is ready to commit once it is logged. The
 * 2PC with secondaries, group check and learning extend it in the replication issue, on the same prepare
 * list and queue.
 *
 * It touches the world only through what it is given — the PartitionDb, the MutationLog and a clock — so the
 * simulator can run it. State transitions are synchronous; log writes and applies complete later as their
 * own events, and applies run one at a time in decree order.
 */
import { assert } from '../base/assert.ts';
import { PegasusError, isPegasusError, type ErrorCode } from '../base/error-code.ts';
import { formatGpid, type Gpid } from '../base/gpid.ts';
import type { Mutation } from '../log/mutation.ts';
import type { MutationLog } from '../log/mutation-log.ts';
import type { PartitionDb } from '../storage/rrdb/partition-db.ts';
import { checkWriteRequest, isBatchable, type WriteRequest } from '../storage/rrdb/write-service.ts';
import { MutationQueue, type QueuedWrite } from './mutation-queue.ts';
import { PREPARE_LIST_CAPACITY_DEFAULT, PrepareList } from './prepare-list.ts';
import { ReplicaMutation, decodeWrite, encodeWrite, type WriteReply } from './replica-mutation.ts';
import { MutationTimestamps } from './timestamp.ts';

export type ReplicaStatus = 'PS_INACTIVE' | 'PS_PRIMARY' | 'PS_ERROR';

export interface ReplicaLogger {
  warn(fields: object, message: string): void;
}

export interface ReplicaOptions {
  gpid: Gpid;
  nowMs: () => number;
  /** `max_mutation_count_in_prepare_list`. */
  prepareListCapacity?: number;
  /** `staleness_for_commit`: mutations in 2PC at once. */
  stalenessForCommit?: number;
  /** `max_allowed_write_size`, also the batch bound of single puts. */
  writeSizeBytesMax?: number;
  /** `batch_write_disabled`. */
  batchWriteDisabled?: boolean;
  /** Client writes waiting for a mutation before new ones get ERR_BUSY. */
  queuedWritesMax?: number;
  logger?: ReplicaLogger;
}

interface ClientWrite extends QueuedWrite {
  write: WriteRequest;
  reply: WriteReply;
}

export class Replica {
  private state: ReplicaStatus = 'PS_INACTIVE';
  private ballotNow = 0;
  private readonly prepareList: PrepareList<ReplicaMutation>;
  private readonly queue: MutationQueue<ClientWrite>;
  private readonly timestamps: MutationTimestamps;
  private applying: Promise<void> = Promise.resolve();
  /** A new primary serves reads only once everything its predecessor may have committed is committed. */
  private readsAllowedFromDecree = 0;
  private failure: unknown;
  /** Write-queue slots freed by commits and not yet handed to waiting writes. */
  private freedSlots = 0;

  private constructor(
    readonly db: PartitionDb,
    private readonly log: MutationLog,
    private readonly options: ReplicaOptions,
  ) {
    this.timestamps = new MutationTimestamps(options.nowMs);
    this.prepareList = new PrepareList<ReplicaMutation>(
      db.lastAppliedDecree(),
      options.prepareListCapacity ?? PREPARE_LIST_CAPACITY_DEFAULT,
      (mutation) => this.onCommit(mutation),
    );
    const writeSizeBytesMax = options.writeSizeBytesMax ?? 1024 * 1024;
    this.queue = new MutationQueue<ClientWrite>({
      inFlightMax: options.stalenessForCommit ?? 20,
      batchBytesMax: writeSizeBytesMax,
      batchWriteDisabled: options.batchWriteDisabled ?? false,
      queuedWritesMax: options.queuedWritesMax ?? 10_000,
    });
  }

  /**
   * Opens a replica on its store and log and replays the log from the store's decree (§3.5): committed
   * mutations are applied again, a higher ballot in the log raises the local ballot, and the uncommitted
   * tail stays in the prepare list for the next primary to reconcile. The replica starts INACTIVE.
   */
  static async open(db: PartitionDb, log: MutationLog, options: ReplicaOptions): Promise<Replica> {
    const replica = new Replica(db, log, options);
    const logged: Mutation[] = [];
    await log.replay(db.lastAppliedDecree() + 1, (mutation) => logged.push(mutation));
    for (const mutation of logged) {
      if (mutation.header.decree <= replica.prepareList.lastCommittedDecree()) continue;
      replica.ballotNow = Math.max(replica.ballotNow, mutation.header.ballot);
      replica.timestamps.observe(mutation.header.timestampUs);
      const replayed = new ReplicaMutation(mutation, replica.decodeLogged(mutation), [], false);
      replayed.markLogged();
      replica.prepareList.prepare(replayed, 'PS_INACTIVE');
    }
    await replica.applying;
    replica.throwIfFailed();
    return replica;
  }

  get status(): ReplicaStatus {
    return this.state;
  }

  get ballot(): number {
    return this.ballotNow;
  }

  lastCommittedDecree(): number {
    return this.prepareList.lastCommittedDecree();
  }

  maxPreparedDecree(): number {
    return this.prepareList.maxDecree();
  }

  /**
   * Becomes the primary at `ballot` (assigned by the meta; never lower than what this replica has seen).
   * Reconciliation: every decree in (committed, prepared] is prepared again under the new ballot, so what
   * an earlier primary may have committed is committed again; reads wait until that is done.
   */
  becomePrimary(ballot: number): void {
    this.throwIfFailed();
    if (ballot < this.ballotNow) throw new PegasusError('ERR_INVALID_VERSION', `ballot ${ballot} is older than ${this.ballotNow}`);
    this.ballotNow = ballot;
    this.state = 'PS_PRIMARY';
    this.queue.resetInFlight();
    this.freedSlots = 0;
    const from = this.prepareList.lastCommittedDecree() + 1;
    const to = this.prepareList.maxDecree();
    this.readsAllowedFromDecree = to;
    for (let decree = from; decree <= to; decree++) {
      const old = this.prepareList.get(decree);
      this.prepareAndLog(old?.writes ?? [], [], decree, old?.timestampUs, false);
    }
  }

  /**
   * Stops serving without closing (INACTIVE, transient upstream): the lease to the meta expired, or a
   * reconfiguration is in flight. Waiting writes are told ERR_INVALID_STATE so their clients re-query the
   * meta; the prepared tail stays for the next becomePrimary to reconcile.
   */
  becomeInactive(): void {
    if (this.state === 'PS_ERROR') return;
    this.state = 'PS_INACTIVE';
    this.failWaiting('ERR_INVALID_STATE');
  }

  /** A client write (§2.3): refused unless primary, oversized or unstorable ones before any decree. */
  onClientWrite(write: WriteRequest, reply: WriteReply): void {
    if (this.state !== 'PS_PRIMARY') {
      reply.error('ERR_INVALID_STATE');
      return;
    }
    const writeSizeBytesMax = this.options.writeSizeBytesMax ?? 1024 * 1024;
    let batch: ClientWrite[] | undefined;
    try {
      checkWriteRequest(write, writeSizeBytesMax);
      batch = this.queue.add({ write, reply, batchable: isBatchable(write.code), bytes: encodeWrite(write).data.length });
    } catch (e) {
      if (!isPegasusError(e)) throw e;
      reply.error(e.code);
      return;
    }
    if (batch !== undefined) this.startMutation(batch);
  }

  /** Runs a read if this replica may serve it: the primary, after reconciliation. */
  async onClientRead<T>(read: (db: PartitionDb) => Promise<T>): Promise<T> {
    if (this.state !== 'PS_PRIMARY') throw new PegasusError('ERR_INVALID_STATE', `${formatGpid(this.options.gpid)} is not primary`);
    if (this.prepareList.lastCommittedDecree() < this.readsAllowedFromDecree) {
      throw new PegasusError('ERR_INVALID_STATE', `${formatGpid(this.options.gpid)} is still reconciling`);
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
  private prepareAndLog(
    writes: WriteRequest[],
    replies: WriteReply[],
    decree: number,
    timestampUs: number | undefined,
    fromQueue: boolean,
  ): void {
    const header = {
      gpid: this.options.gpid,
      ballot: this.ballotNow,
      decree,
      logOffset: 0,
      lastCommittedDecree: this.prepareList.lastCommittedDecree(),
      timestampUs: timestampUs ?? this.timestamps.next(),
    };
    const mutation = new ReplicaMutation({ header, updates: writes.map(encodeWrite) }, writes, replies, fromQueue);
    this.prepareList.prepare(mutation, 'PS_PRIMARY');
    this.log.append(mutation.data).then(
      () => {
        mutation.markLogged();
        if (this.state !== 'PS_PRIMARY') return;
        this.prepareList.commit(this.prepareList.lastCommittedDecree() + 1, 'COMMIT_ALL_READY');
        this.startFreedSlots();
      },
      (e: unknown) => this.onLocalFailure(e),
    );
  }

  /** Called by the prepare list, in decree order: apply (one at a time), reply, then let the next write in. */
  private onCommit(mutation: ReplicaMutation): void {
    this.applying = this.applying.then(async () => {
      if (this.state === 'PS_ERROR') {
        for (const reply of mutation.takeReplies()) reply.error('ERR_INVALID_STATE');
        return;
      }
      try {
        const responses = await this.db.apply(mutation.decree, mutation.timestampUs, mutation.writes);
        mutation.takeReplies().forEach((reply, i) => reply.ok(responses[i]!));
      } catch (e) {
        for (const reply of mutation.takeReplies()) reply.error('ERR_INVALID_STATE');
        this.onLocalFailure(e);
      }
    });
    if (mutation.fromQueue) this.freedSlots++;
  }

  /**
   * Lets queued writes into the slots committed mutations freed. Done after the prepare list's commit loop
   * returns, never from inside it, so preparing a new decree cannot re-enter a commit in progress.
   */
  private startFreedSlots(): void {
    for (; this.freedSlots > 0; this.freedSlots--) {
      const next = this.queue.complete();
      if (next !== undefined) this.startMutation(next);
    }
  }

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
      this.options.logger?.warn({ gpid: formatGpid(this.options.gpid), decree: mutation.header.decree, err: e }, 'skipping an undecodable logged mutation');
      return [];
    }
  }

  /** A plog or storage failure: the replica goes to ERROR (terminal) and every waiting client is told. */
  private onLocalFailure(e: unknown): void {
    if (this.state === 'PS_ERROR') return;
    this.state = 'PS_ERROR';
    this.failure = e;
    this.options.logger?.warn({ gpid: formatGpid(this.options.gpid), err: e }, 'replica failed locally');
    this.failWaiting('ERR_INVALID_STATE');
  }

  private failWaiting(errorName: ErrorCode): void {
    for (const waiting of this.queue.drain()) waiting.reply.error(errorName);
    for (let d = this.prepareList.lastCommittedDecree() + 1; d <= this.prepareList.maxDecree(); d++) {
      for (const reply of this.prepareList.get(d)?.takeReplies() ?? []) reply.error(errorName);
    }
  }

  private throwIfFailed(): void {
    if (this.state === 'PS_ERROR') {
      throw new PegasusError('ERR_INVALID_STATE', `${formatGpid(this.options.gpid)} is in ERROR`, { cause: this.failure });
    }
  }

  /** Stops serving: waiting clients get ERR_INVALID_STATE (they re-query the meta); applies finish. */
  async close(): Promise<void> {
    if (this.state !== 'PS_ERROR') this.state = 'PS_INACTIVE';
    this.failWaiting('ERR_INVALID_STATE');
    await this.applying;
    await this.log.close();
    await this.db.close();
  }
}

assert(PREPARE_LIST_CAPACITY_DEFAULT >= 20, 'the prepare list must hold at least staleness_for_commit decrees');

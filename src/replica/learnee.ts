/**
 * The primary's side of learning (pegasus-internals.md §2.8; upstream replica_learn.cpp `on_learn`,
 * `add_potential_secondary`, `handle_learning_succeeded_on_primary`): the learners it registered, their
 * signatures, from which decree each receives live prepares, and the answer to each learn round —
 *   - LT_CACHE: everything the learner lacks up to the commit point is still in the prepare list: it is sent
 *     inline, the learner receives prepares from `committed + 1` on, and the uncommitted tail is prepared to
 *     it right after the answer;
 *   - LT_LOG: the plog still holds the learner's next decree: a bounded run of committed mutations read from
 *     the plog is sent inline (our transport instead of upstream's file copy), and the learner asks again;
 *   - LT_APP: otherwise (the plog was collected): the learner copies a fresh checkpoint over RPC_NFS_COPY
 *     (checkpoint-copy.ts) and asks again from its decree.
 */
import { isPegasusError, type ErrorCode } from '../base/error-code.ts';
import { REPLICATION_RPCS } from '../idl/codec/replication-rpcs.ts';
import { LearnType, LearnerStatus, type GroupCheckRequest, type GroupCheckResponse, type LearnRequest, type LearnResponse } from '../idl/replication-consensus.ts';
import { encodedMutationBytes, type Mutation } from '../log/mutation.ts';
import type { RpcAddress } from '../rpc/transport.ts';
import { encodeMutationList } from './mutation-wire.ts';
import { fromWireAddress, toWireAddress } from '../idl/thrift/dsn.ts';
import type { Replica } from './replica.ts';

interface LearnerInfo {
  signature: number;
  /** From this decree on the learner receives (and must acknowledge) live prepares; undefined until LT_CACHE. */
  prepareStartDecree: number | undefined;
  status: number;
}

/** Signatures are unique per primary: the ballot in the high bits, a counter below (upstream's scheme). */
const SIGNATURE_COUNTER_BITS = 2 ** 20;
/** Upstream's invalid_decree. */
export const INVALID_DECREE = -1;

export class LearneeSide {
  private readonly learners = new Map<RpcAddress, LearnerInfo>();
  private signatureCounter = 0;
  /** Learn rounds answered, by type (coverage for the simulator, status pages). */
  readonly roundsAnswered = { cache: 0, log: 0, app: 0 };

  constructor(private readonly replica: Replica) {}

  learnerAddresses(): RpcAddress[] {
    return [...this.learners.keys()];
  }

  isLearner(node: RpcAddress): boolean {
    return this.learners.has(node);
  }

  signatureOf(node: RpcAddress): number {
    return this.learners.get(node)?.signature ?? 0;
  }

  learnersReceiving(decree: number): RpcAddress[] {
    const out: RpcAddress[] = [];
    for (const [node, info] of this.learners) if (info.prepareStartDecree !== undefined && info.prepareStartDecree <= decree) out.push(node);
    return out;
  }

  /** Forgets a learner, and every ack the uncommitted mutations still wait for from it. */
  remove(node: RpcAddress): void {
    if (!this.learners.delete(node)) return;
    const r = this.replica;
    for (let d = r.lastCommittedDecree() + 1; d <= r.maxPreparedDecree(); d++) r.preparedMutation(d)?.ack(node);
  }

  clear(): void {
    for (const node of [...this.learners.keys()]) this.remove(node);
  }

  /** CT_ADD_SECONDARY on the primary: registers the learner and tells it (one-way RPC_LEARN_ADD_LEARNER). */
  addLearner(node: RpcAddress): void {
    const r = this.replica;
    let info = this.learners.get(node);
    if (info === undefined) {
      this.signatureCounter = (this.signatureCounter + 1) % SIGNATURE_COUNTER_BITS;
      info = { signature: r.ballot * SIGNATURE_COUNTER_BITS + this.signatureCounter, prepareStartDecree: undefined, status: LearnerStatus.LearningWithoutPrepare };
      this.learners.set(node, info);
      r.env.logger?.info({ gpid: r.name, learner: node, signature: info.signature }, 'learner added');
    }
    const rpc = REPLICATION_RPCS.RPC_LEARN_ADD_LEARNER;
    const request: GroupCheckRequest = {
      app: r.env.appInfo(),
      node: toWireAddress(node),
      config: r.replicaConfigFor('PS_POTENTIAL_SECONDARY', info.signature),
      lastCommittedDecree: r.lastCommittedDecree(),
    };
    r.env.channel
      .call(node, { name: rpc.code, gpid: r.env.gpid, partitionHash: 0n, args: rpc.encodeArgs(request), timeoutMs: r.env.timing.prepareTimeoutMsForPotentialSecondaries, oneway: true })
      .catch(() => undefined); // one-way: the meta proposes again if the learner never shows up
  }

  /** A learner's status from a group-check reply or a completion notice; a finished one is upgraded. */
  onLearnerReport(node: RpcAddress, report: GroupCheckResponse): ErrorCode {
    const info = this.learners.get(node);
    if (info === undefined) return 'ERR_OBJECT_NOT_FOUND';
    if (info.signature !== report.learnerSignature) return 'ERR_WRONG_CHECKSUM';
    info.status = report.learnerStatus;
    if (report.learnerStatus === LearnerStatus.LearningSucceeded) this.upgradeIfCaughtUp(node);
    else if (report.learnerStatus === LearnerStatus.LearningFailed) this.replica.handleRemoteFailure(node);
    return 'ERR_OK';
  }

  /** A learner acknowledged a prepare: if it had finished learning, it may now be caught up. */
  onLearnerAck(node: RpcAddress): void {
    if (this.learners.get(node)?.status === LearnerStatus.LearningSucceeded) this.upgradeIfCaughtUp(node);
  }

  /**
   * A learner that finished learning becomes a secondary only once it has also logged every mutation
   * prepared to it (from its prepare start on). Otherwise it would join the membership without a tail the
   * old members hold — possibly mutations an earlier primary committed, which this primary does not know
   * committed yet — and a crash of this primary could then make it primary without them.
   */
  private upgradeIfCaughtUp(node: RpcAddress): void {
    const r = this.replica;
    const info = this.learners.get(node);
    if (info?.prepareStartDecree === undefined) return;
    // Committed entries are on the learner already: their commit needed its ack, or (below the member
    // minimum) the learner itself proved them committed.
    for (let d = Math.max(info.prepareStartDecree, r.lastCommittedDecree() + 1); d <= r.maxPreparedDecree(); d++) {
      const m = r.preparedMutation(d);
      if (m === undefined || m.waitsFor(node)) return;
    }
    r.upgradeLearner(node);
  }

  /** RPC_LEARN: one learn round. */
  async onLearn(request: LearnRequest): Promise<LearnResponse> {
    const r = this.replica;
    const node = fromWireAddress(request.learner);
    const info = node === undefined ? undefined : this.learners.get(node);
    const answer = (err: ErrorCode, extra: Partial<LearnResponse> = {}): LearnResponse => ({
      err,
      config: r.replicaConfigFor('PS_POTENTIAL_SECONDARY', info?.signature ?? request.signature),
      lastCommittedDecree: r.lastCommittedDecree(),
      prepareStartDecree: INVALID_DECREE,
      type: LearnType.LT_INVALID,
      state: { fromDecreeExcluded: 0, toDecreeIncluded: 0, meta: Buffer.alloc(0), files: [] },
      learnee: toWireAddress(r.env.selfAddress),
      baseLocalDir: '',
      ...extra,
    });
    if (r.status !== 'PS_PRIMARY') return answer('ERR_INVALID_STATE');
    if (node === undefined || info === undefined) return answer('ERR_OBJECT_NOT_FOUND');
    if (info.signature !== request.signature) return answer('ERR_WRONG_CHECKSUM');
    const learnerCommitted = request.lastCommittedDecreeInApp;
    if (learnerCommitted > r.lastCommittedDecree()) {
      r.tryCommit();
      // The learner has applied more than this primary knows committed. It applied only what a primary
      // declared committed, so those decrees are; commit them here too if this replica holds them, else
      // never ship it older state.
      if (learnerCommitted > r.lastCommittedDecree() && !r.commitKnownCommitted(learnerCommitted)) return answer('ERR_INCONSISTENT_STATE');
    }
    const learnStart = learnerCommitted + 1;
    const committed = r.lastCommittedDecree();
    const fromDecreeExcluded = learnStart - 1;
    if (this.cacheCovers(learnStart, committed)) {
      const mutations: Mutation[] = [];
      for (let d = learnStart; d <= committed; d++) mutations.push(r.preparedMutation(d)!.data);
      const prepareStartDecree = committed + 1;
      info.prepareStartDecree = prepareStartDecree;
      info.status = LearnerStatus.LearningWithPrepareTransient;
      this.roundsAnswered.cache++;
      // The uncommitted tail goes to the learner now (upstream replays the prepare list after answering):
      // until the learner has applied the answer it says ERR_TRY_AGAIN, and prepares are retried.
      this.prepareTailTo(node, prepareStartDecree, info.signature);
      return answer('ERR_OK', {
        type: LearnType.LT_CACHE,
        prepareStartDecree,
        state: { fromDecreeExcluded, toDecreeIncluded: committed, meta: encodeMutationList(mutations), files: [] },
      });
    }
    let fromLog: Mutation[];
    try {
      fromLog = await this.readCommittedFromLog(learnStart, committed);
    } catch (e) {
      if (!isPegasusError(e)) throw e;
      return answer(e.code);
    }
    if (r.status !== 'PS_PRIMARY' || this.learners.get(node) !== info) return answer('ERR_INVALID_STATE');
    if (fromLog.length > 0 && fromLog[0]!.header.decree === learnStart) {
      this.roundsAnswered.log++;
      const toDecreeIncluded = fromLog[fromLog.length - 1]!.header.decree;
      return answer('ERR_OK', {
        type: LearnType.LT_LOG,
        state: { fromDecreeExcluded, toDecreeIncluded, meta: encodeMutationList(fromLog), files: [] },
      });
    }
    if (learnStart > committed) {
      // Nothing committed to ship yet (the learner is level with the commit point): come back shortly.
      return answer('ERR_TRY_AGAIN');
    }
    // The plog no longer reaches back to the learner's next decree: it copies a checkpoint of everything
    // applied here (the plog keeps what follows it: GC never passes the newest checkpoint).
    let decree: number;
    try {
      decree = await r.db.syncCheckpoint();
    } catch (e) {
      if (!isPegasusError(e)) throw e;
      return answer(e.code);
    }
    if (r.status !== 'PS_PRIMARY' || this.learners.get(node) !== info) return answer('ERR_INVALID_STATE');
    this.roundsAnswered.app++;
    return answer('ERR_OK', {
      type: LearnType.LT_APP,
      state: { fromDecreeExcluded, toDecreeIncluded: decree, meta: Buffer.alloc(0), files: [] },
    });
  }

  /** Every decree of [from, to] is still in the prepare list. */
  private cacheCovers(from: number, to: number): boolean {
    const r = this.replica;
    if (from < r.prepareListMinDecree()) return false;
    for (let d = from; d <= to; d++) if (r.preparedMutation(d) === undefined) return false;
    return true;
  }

  /**
   * Committed mutations from `from` on, out of the plog, at most `learnResponseBytesMax` bytes, contiguous.
   * A decree logged several times (re-prepared under higher ballots) is shipped in its last form.
   */
  private async readCommittedFromLog(from: number, committed: number): Promise<Mutation[]> {
    const r = this.replica;
    if (from > committed) return [];
    const byDecree = new Map<number, Mutation>();
    await r.log.replay(from, (m) => {
      const d = m.header.decree;
      if (d > committed) return;
      const seen = byDecree.get(d);
      if (seen === undefined || seen.header.ballot <= m.header.ballot) byDecree.set(d, m);
    });
    const out: Mutation[] = [];
    let bytes = 0;
    for (let d = from; d <= committed; d++) {
      const m = byDecree.get(d);
      if (m === undefined) break;
      bytes += encodedMutationBytes(m);
      if (out.length > 0 && bytes > r.env.timing.learnResponseBytesMax) break;
      out.push(m);
    }
    return out;
  }

  /** The uncommitted mutations a LT_CACHE learner must also hold, each then awaiting its ack. */
  private prepareTailTo(node: RpcAddress, prepareStartDecree: number, signature: number): void {
    const r = this.replica;
    if (r.status !== 'PS_PRIMARY' || this.learners.get(node)?.signature !== signature) return;
    for (let d = prepareStartDecree; d <= r.maxPreparedDecree(); d++) {
      const m = r.preparedMutation(d);
      if (m === undefined || m.waitsFor(node)) continue;
      m.expectAck(node);
      r.sendPrepare(node, m, 'PS_POTENTIAL_SECONDARY', signature);
    }
  }
}


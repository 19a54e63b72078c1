/**
 * The learner's side (pegasus-internals.md §2.8; upstream replica_learn.cpp `init_learn`,
 * `on_learn_reply`): a POTENTIAL_SECONDARY asks its primary for what it lacks, one round at a time, until it
 * holds everything up to the decree from which it receives live prepares; then it reports
 * LearningSucceeded (RPC_LEARN_COMPLETION_NOTIFY, also in group-check replies) and the primary has it
 * upgraded to secondary through the meta.
 *
 * Learned mutations are written to this replica's own plog before they are prepared, so a crash in the
 * middle of learning replays them like any other logged mutation (upstream writes LT_CACHE mutations to
 * its plog the same way). Committed decrees the learner already applied are skipped.
 */
import type { TimerHandle } from '../base/clock.ts';
import { isPegasusError } from '../base/error-code.ts';
import { REPLICATION_RPCS } from '../idl/codec/replication-rpcs.ts';
import { LearnType, LearnerStatus, type GroupCheckResponse, type LearnResponse } from '../idl/replication-consensus.ts';
import type { Mutation } from '../log/mutation.ts';
import { decodeMutationList } from './mutation-wire.ts';
import { toWireAddress } from '../idl/thrift/dsn.ts';
import type { Replica } from './replica.ts';

export class LearnerSide {
  signature = 0;
  status: number = LearnerStatus.LearningInvalid;
  private roundInFlight = false;
  private retryTimer: TimerHandle | undefined;
  private prepareStartDecree = -1;
  /** Rounds applied, by type (coverage for the simulator, status pages). */
  readonly roundsApplied = { cache: 0, log: 0, app: 0 };

  constructor(private readonly replica: Replica) {}

  /** RPC_LEARN_ADD_LEARNER: a new signature restarts learning; the same one just nudges it. */
  start(signature: number): void {
    if (signature !== this.signature || this.status === LearnerStatus.LearningInvalid || this.status === LearnerStatus.LearningFailed) {
      this.stop();
      this.signature = signature;
      this.status = LearnerStatus.LearningWithoutPrepare;
      this.prepareStartDecree = -1;
      this.replica.env.logger?.info({ gpid: this.replica.name, signature }, 'learning started');
    }
    this.kick();
  }

  stop(): void {
    this.retryTimer?.cancel();
    this.retryTimer = undefined;
    this.roundInFlight = false;
    this.status = LearnerStatus.LearningInvalid;
  }

  /** Prepares are accepted once the learner holds everything before the primary's prepare start. */
  acceptsPrepares(signature: number): boolean {
    return signature === this.signature && (this.status === LearnerStatus.LearningWithPrepare || this.status === LearnerStatus.LearningSucceeded);
  }

  /** Starts a round unless one is in flight; a learner that finished reports again instead. */
  kick(): void {
    const r = this.replica;
    if (r.status !== 'PS_POTENTIAL_SECONDARY' || this.roundInFlight || r.isClosed) return;
    if (this.status === LearnerStatus.LearningSucceeded) {
      this.notifyCompletion();
      return;
    }
    if (this.status === LearnerStatus.LearningWithPrepare) {
      this.checkSucceeded();
      return;
    }
    this.retryTimer?.cancel();
    this.retryTimer = undefined;
    this.roundInFlight = true;
    const signature = this.signature;
    const primary = r.primary;
    if (primary === undefined) {
      this.roundInFlight = false;
      return;
    }
    const rpc = REPLICATION_RPCS.RPC_LEARN;
    const request = {
      pid: { ...r.env.gpid },
      learner: toWireAddress(r.env.selfAddress),
      signature,
      lastCommittedDecreeInApp: r.db.lastAppliedDecree(),
      lastCommittedDecreeInPrepareList: r.lastCommittedDecree(),
      appSpecificLearnRequest: Buffer.alloc(0),
      maxGcedDecree: -1,
    };
    r.env.channel
      .call(primary, { name: rpc.code, gpid: r.env.gpid, partitionHash: 0n, args: rpc.encodeArgs(request), timeoutMs: r.env.timing.prepareTimeoutMsForPotentialSecondaries })
      .then(
        async (result) => {
          if (result.errorName !== 'ERR_OK' || result.result === undefined) return this.retryLater(signature, result.errorName);
          const response = rpc.decodeResponse(result.result, 0);
          if (response.err !== 'ERR_OK') return this.retryLater(signature, response.err);
          if (response.type === LearnType.LT_APP) await this.applyCheckpoint(signature, primary, response);
          else await this.apply(signature, response);
        },
        (e: unknown) => this.retryLater(signature, isPegasusError(e) ? e.code : String(e)),
      )
      .catch((e: unknown) => {
        // A learned round that cannot be applied (bad bytes, a full disk): fail this round, try again later.
        if (isPegasusError(e)) this.retryLater(signature, e.code);
        else r.onLocalFailure(e);
      });
  }

  private current(signature: number): boolean {
    const r = this.replica;
    return !r.isClosed && r.status === 'PS_POTENTIAL_SECONDARY' && this.signature === signature;
  }

  private retryLater(signature: number, why: string): void {
    if (!this.current(signature)) return;
    this.roundInFlight = false;
    this.replica.env.logger?.info({ gpid: this.replica.name, signature, why }, 'learn round failed; retrying');
    this.retryTimer?.cancel();
    this.retryTimer = this.replica.later(this.replica.env.timing.learnRetryDelayMs, () => {
      this.retryTimer = undefined;
      this.kick();
    });
  }

  private async apply(signature: number, response: LearnResponse): Promise<void> {
    const r = this.replica;
    if (!this.current(signature)) return;
    if (response.config.ballot > r.ballot) {
      // The learnee moved to a newer ballot; its next add-learner or group check brings it here.
      return this.retryLater(signature, 'newer ballot at the learnee');
    }
    if (response.type !== LearnType.LT_CACHE && response.type !== LearnType.LT_LOG) return this.retryLater(signature, `learn type ${response.type}`);
    const mutations = decodeMutationList(response.state.meta);
    const to = response.state.toDecreeIncluded;
    const fresh = mutations.filter((m) => m.header.decree > r.lastCommittedDecree());
    if (!contiguous(fresh, r.lastCommittedDecree() + 1, to)) return this.retryLater(signature, 'learned mutations do not cover the range');
    // Logged first: what is prepared here must survive a crash like any prepared mutation.
    await Promise.all(fresh.map((m) => r.log.append(m)));
    if (!this.current(signature)) return;
    for (const m of fresh) r.prepareReplayed(m);
    if (to > r.lastCommittedDecree()) r.commitHard(to);
    await r.whenApplied();
    if (!this.current(signature)) return;
    this.roundInFlight = false;
    if (response.type === LearnType.LT_CACHE) {
      this.roundsApplied.cache++;
      this.prepareStartDecree = response.prepareStartDecree;
      this.status = LearnerStatus.LearningWithPrepare;
      this.checkSucceeded();
    } else {
      this.roundsApplied.log++;
      this.kick();
    }
  }

  /** LT_APP: copy the learnee's checkpoint, make it this replica's data, then ask again from its decree. */
  private async applyCheckpoint(signature: number, learnee: string, response: LearnResponse): Promise<void> {
    const r = this.replica;
    const decree = response.state.toDecreeIncluded;
    if (decree <= r.db.lastAppliedDecree()) return this.retryLater(signature, `checkpoint ${decree} is not ahead of this replica`);
    // Upstream gates empty learners only (a whole table's worth of copies at once after a node replacement).
    const gated = r.db.lastAppliedDecree() === 0;
    if (gated && !r.env.tryAcquireLearnAppSlot()) return this.retryLater(signature, 'learn_app_max_concurrent_count copies already run here');
    try {
      await r.env.copyCheckpointFrom(learnee, decree);
      if (!this.current(signature)) return;
      await r.replaceStorageWithCheckpoint(decree);
    } finally {
      if (gated) r.env.releaseLearnAppSlot();
    }
    if (!this.current(signature)) return;
    this.roundsApplied.app++;
    this.roundInFlight = false;
    this.kick();
  }

  /** With prepares flowing, learning is done once everything before the prepare start is applied. */
  private checkSucceeded(): void {
    if (this.status !== LearnerStatus.LearningWithPrepare) return;
    if (this.replica.db.lastAppliedDecree() >= this.prepareStartDecree - 1) {
      this.status = LearnerStatus.LearningSucceeded;
      this.replica.env.logger?.info({ gpid: this.replica.name, signature: this.signature }, 'learning succeeded');
      this.notifyCompletion();
    }
  }

  /** RPC_LEARN_COMPLETION_NOTIFY: the primary then asks the meta to make this learner a secondary. */
  private notifyCompletion(): void {
    const r = this.replica;
    const primary = r.primary;
    if (primary === undefined) return;
    const rpc = REPLICATION_RPCS.RPC_LEARN_COMPLETION_NOTIFY;
    const report: GroupCheckResponse = {
      pid: { ...r.env.gpid },
      err: 'ERR_OK',
      lastCommittedDecreeInApp: r.db.lastAppliedDecree(),
      lastCommittedDecreeInPrepareList: r.lastCommittedDecree(),
      learnerStatus: this.status,
      learnerSignature: this.signature,
      node: toWireAddress(r.env.selfAddress),
    };
    r.env.channel
      .call(primary, { name: rpc.code, gpid: r.env.gpid, partitionHash: 0n, args: rpc.encodeArgs(report), timeoutMs: r.env.timing.prepareTimeoutMsForPotentialSecondaries })
      .catch(() => undefined); // the next group check carries the same report
  }
}

function contiguous(mutations: readonly Mutation[], from: number, to: number): boolean {
  if (to < from) return mutations.length === 0;
  if (mutations.length !== to - from + 1) return false;
  return mutations.every((m, i) => m.header.decree === from + i);
}

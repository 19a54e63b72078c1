/**
 * A replica's checkpoint and plog GC timer (pegasus-internals.md §3.4; upstream `on_checkpoint_timer`):
 * every `checkpoint_interval_seconds`, checkpoint what RocksDB has flushed, keep the checkpoints the reserve
 * rules ask for, then drop plog files wholly covered by the newest checkpoint (never the current file,
 * never what a replay from the flushed decree needs: durable ≤ flushed). A learner whose start decree the
 * plog no longer covers is then taught from a checkpoint (LT_APP). One round at a time.
 */
import { isPegasusError } from '../base/error-code.ts';
import type { MutationLog } from '../log/mutation-log.ts';
import type { PartitionDb } from '../storage/rrdb/partition-db.ts';
import type { ReplicaTiming } from './replica-env.ts';

/** What the timer needs of its replica. */
export interface CheckpointTarget {
  /** The current store and plog (LT_APP replaces them). */
  db(): PartitionDb;
  log(): MutationLog;
  /** False while the replica is closed, failed, or replacing its store (LT_APP). */
  mayCheckpoint(): boolean;
  closed(): boolean;
  nowMs(): number;
  /** A timer cancelled when the replica closes. */
  later(delayMs: number, callback: () => void): void;
  onLocalFailure(e: unknown): void;
}

export class CheckpointTimer {
  private running = false;
  private done: Promise<void> = Promise.resolve();

  constructor(
    private readonly target: CheckpointTarget,
    private readonly timing: ReplicaTiming,
  ) {}

  start(): void {
    if (this.timing.checkpointDisabled) return;
    this.target.later(this.timing.checkpointIntervalMs, () => {
      this.runOnce().finally(() => this.start());
    });
  }

  /** Resolves once no round is running (the store may then be closed or replaced). */
  async idle(): Promise<void> {
    while (this.running) await this.done;
  }

  private runOnce(): Promise<void> {
    if (this.running || !this.target.mayCheckpoint()) return Promise.resolve();
    this.done = this.round();
    return this.done;
  }

  private async round(): Promise<void> {
    this.running = true;
    const { target, timing } = this;
    try {
      const db = target.db();
      await db.asyncCheckpoint();
      await db.gcCheckpoints({ reserveMinCount: timing.checkpointReserveMinCount, reserveTimeSeconds: timing.checkpointReserveTimeSeconds }, target.nowMs());
      if (timing.plogGcEnabled && !target.closed()) {
        await target.log().garbageCollect({
          durableDecree: db.lastDurableDecree(),
          validStartOffset: 0,
          reserveMaxBytes: timing.logPrivateReserveMaxBytes,
          reserveMaxTimeMs: timing.logPrivateReserveMaxTimeMs,
        });
      }
    } catch (e) {
      // A learner reading the plog holds it (ERR_BUSY), or the log closed meanwhile: the next round
      // collects. Anything else is a local storage failure.
      if (!(isPegasusError(e) && (e.code === 'ERR_BUSY' || e.code === 'ERR_INVALID_STATE'))) target.onLocalFailure(e);
    } finally {
      this.running = false;
    }
  }
}

/**
 * The prepare list (upstream `prepare_list`, pegasus-internals.md §2.4): the in-memory window of prepared
 * mutations of one replica, keyed by decree, and the commit point. It decides nothing about the network;
 * it only keeps the window and commits, calling `committer` for each mutation in decree order exactly once.
 *
 * Window: at most `capacity` decrees (`max_mutation_count_in_prepare_list`, 110) from the smallest kept one;
 * committed entries are popped from the bottom to make room, never uncommitted ones.
 */
import { assert } from '../base/assert.ts';
import { PegasusError } from '../base/error-code.ts';

/** What the list needs to know of a mutation. */
export interface PreparedMutation {
  readonly decree: number;
  readonly ballot: number;
  /** The commit point the sender knew when it prepared this mutation (piggy-backed commit). */
  readonly lastCommittedDecree: number;
  /** Written to this replica's plog. */
  isLogged(): boolean;
  /** Logged here and acknowledged by everyone that must acknowledge it. */
  isReadyForCommit(): boolean;
}

/**
 * COMMIT_TO_DECREE_HARD: every decree up to d must be present and logged (anything else is a broken
 * invariant). COMMIT_TO_DECREE_SOFT: up to d, stopping at the first one not ready. COMMIT_ALL_READY: from
 * the commit point on, while ready and while ballots do not decrease.
 */
export type CommitType = 'COMMIT_TO_DECREE_HARD' | 'COMMIT_TO_DECREE_SOFT' | 'COMMIT_ALL_READY';

/** The replica roles the list distinguishes when preparing. */
export type PrepareStatus = 'PS_PRIMARY' | 'PS_SECONDARY' | 'PS_POTENTIAL_SECONDARY' | 'PS_INACTIVE';

export const PREPARE_LIST_CAPACITY_DEFAULT = 110;

export class PrepareList<M extends PreparedMutation> {
  private readonly slots: Array<M | undefined>;
  /** The smallest decree the window may hold (upstream's start decree); slots are `decree % capacity`. */
  private startDecree: number;
  private endDecree: number;
  private committedDecree: number;

  constructor(
    initDecree: number,
    readonly capacity: number,
    private readonly committer: (mutation: M) => void,
  ) {
    assert(Number.isSafeInteger(initDecree) && initDecree >= 0, `bad initial decree ${initDecree}`);
    assert(Number.isInteger(capacity) && capacity > 0, `bad prepare list capacity ${capacity}`);
    this.slots = new Array<M | undefined>(capacity).fill(undefined);
    this.startDecree = initDecree + 1;
    this.endDecree = initDecree;
    this.committedDecree = initDecree;
  }

  lastCommittedDecree(): number {
    return this.committedDecree;
  }

  /** The largest decree in the window, or the commit point when the window is empty. */
  maxDecree(): number {
    return Math.max(this.endDecree, this.committedDecree);
  }

  minDecree(): number {
    return this.startDecree;
  }

  count(): number {
    return this.endDecree >= this.startDecree ? this.endDecree - this.startDecree + 1 : 0;
  }

  get(decree: number): M | undefined {
    if (decree < this.startDecree || decree > this.endDecree) return undefined;
    return this.slots[decree % this.capacity];
  }

  /**
   * Adds a prepared mutation (upstream `prepare_list::prepare`). A secondary first hard-commits what the
   * primary says is committed; a replica replaying its log (INACTIVE) jumps the window when the log's commit
   * point is past it. A decree at or below the commit point is refused: that would rewrite history.
   */
  prepare(mutation: M, status: PrepareStatus): void {
    const decree = mutation.decree;
    assert(decree > this.committedDecree, `prepare of decree ${decree} at or below the commit point ${this.committedDecree}`);
    switch (status) {
      case 'PS_PRIMARY':
        break;
      case 'PS_SECONDARY':
      case 'PS_POTENTIAL_SECONDARY':
        this.commit(mutation.lastCommittedDecree, 'COMMIT_TO_DECREE_HARD');
        break;
      case 'PS_INACTIVE':
        if (mutation.lastCommittedDecree > this.maxDecree()) this.reset(mutation.lastCommittedDecree);
        else if (mutation.lastCommittedDecree > this.committedDecree) this.commit(mutation.lastCommittedDecree, 'COMMIT_TO_DECREE_HARD');
        break;
    }
    this.makeRoom(decree);
    this.put(mutation);
  }

  /** Pops committed entries from the bottom until `decree` fits the window; refuses if it cannot. */
  private makeRoom(decree: number): void {
    while (decree - this.startDecree >= this.capacity && this.committedDecree >= this.startDecree) this.popMin();
    if (decree - this.startDecree >= this.capacity) {
      throw new PegasusError(
        'ERR_CAPACITY_EXCEEDED',
        `decree ${decree} is beyond the prepare list window [${this.startDecree}, ${this.startDecree + this.capacity - 1}] of uncommitted mutations`,
      );
    }
  }

  private put(mutation: M): void {
    const decree = mutation.decree;
    const existing = this.get(decree);
    // A re-prepare of the same decree (a new primary's reconciliation) replaces it only with a newer ballot.
    if (existing !== undefined) assert(mutation.ballot >= existing.ballot, `decree ${decree} re-prepared with an older ballot`);
    this.slots[decree % this.capacity] = mutation;
    if (decree > this.endDecree) {
      for (let d = Math.max(this.endDecree + 1, this.startDecree); d < decree; d++) this.slots[d % this.capacity] = undefined;
      this.endDecree = decree;
    }
  }

  private popMin(): void {
    this.slots[this.startDecree % this.capacity] = undefined;
    this.startDecree++;
    if (this.endDecree < this.startDecree - 1) this.endDecree = this.startDecree - 1;
  }

  /** Commits per `type`; returns how many mutations were committed. */
  commit(decree: number, type: CommitType): number {
    if (decree <= this.committedDecree) return 0;
    let committed = 0;
    switch (type) {
      case 'COMMIT_TO_DECREE_HARD':
        for (let d = this.committedDecree + 1; d <= decree; d++) {
          const mutation = this.get(d);
          assert(mutation !== undefined && mutation.isLogged(), `hard commit to ${decree} finds decree ${d} missing or not logged`);
          this.commitOne(mutation);
          committed++;
        }
        return committed;
      case 'COMMIT_TO_DECREE_SOFT':
        for (let d = this.committedDecree + 1; d <= decree; d++) {
          const mutation = this.get(d);
          if (mutation === undefined || !mutation.isReadyForCommit()) break;
          this.commitOne(mutation);
          committed++;
        }
        return committed;
      case 'COMMIT_ALL_READY': {
        if (decree !== this.committedDecree + 1) return 0;
        let lastBallot = this.get(this.committedDecree)?.ballot ?? 0;
        for (let mutation = this.get(decree); mutation !== undefined; mutation = this.get(this.committedDecree + 1)) {
          if (!mutation.isReadyForCommit() || mutation.ballot < lastBallot) break;
          lastBallot = mutation.ballot;
          this.commitOne(mutation);
          committed++;
        }
        return committed;
      }
    }
  }

  private commitOne(mutation: M): void {
    this.committedDecree = mutation.decree;
    this.committer(mutation);
  }

  /** Empties the list and sets the commit point to `decree` (a learner reset, or a log replay jump). */
  reset(decree: number): void {
    this.slots.fill(undefined);
    this.startDecree = decree + 1;
    this.endDecree = decree;
    this.committedDecree = decree;
  }

  /** Drops every entry at or below `decree` (they are known to be applied elsewhere). */
  truncate(decree: number): void {
    while (this.startDecree <= decree && this.startDecree <= this.endDecree) this.popMin();
    if (this.startDecree <= decree) {
      this.startDecree = decree + 1;
      this.endDecree = Math.max(this.endDecree, decree);
    }
    if (this.committedDecree < decree) this.committedDecree = decree;
  }
}

/**
 * PacificA's invariants, checked on the live replicas before every simulated event (simulation.md
 * "Invariants after every event"; pegasus-internals.md §2.1):
 *   - at most one primary per ballot of a partition, ever;
 *   - per replica, `last_durable ≤ last_flushed ≤ last_applied ≤ last_committed ≤ last_prepared`;
 *   - committed prefixes agree: a decree committed on two replicas holds the same mutation (compared by
 *     timestamp and update bytes — a re-prepare under a higher ballot keeps both);
 *   - what a primary committed is logged on every secondary serving at its ballot (2PC: a mutation commits
 *     only once every member logged it) — judged by the secondary's plog itself (its bytes reached the
 *     OS), not by the replica's own bookkeeping.
 * It reads replicas through `Replica.progress()` and `preparedMutation()` only, and remembers what it saw,
 * so a violation between two replicas that never coexist is still found.
 */
import type { Replica } from '../../replica/replica.ts';

export interface ObservedReplica {
  readonly node: string;
  readonly gpid: string;
  readonly replica: Replica;
}

export class InvariantChecker {
  private readonly primaries = new Map<string, string>();
  private readonly committed = new Map<string, { digest: string; node: string; ballot: number }>();
  /** Per replica object: the highest committed decree already compared. */
  private readonly checkedUpTo = new WeakMap<Replica, number>();
  readonly violations: string[] = [];
  /** Distinct (partition, ballot) pairs that had a primary: promotions, for coverage. */
  primaryBallots = 0;

  check(replicas: readonly ObservedReplica[]): boolean {
    for (const { node, gpid, replica } of replicas) {
      const p = replica.progress();
      if (p.status === 'PS_PRIMARY') {
        const key = `${gpid}@${p.ballot}`;
        const seen = this.primaries.get(key);
        if (seen === undefined) {
          this.primaries.set(key, node);
          this.primaryBallots++;
        } else if (seen !== node) {
          this.fail(`two primaries of ${gpid} at ballot ${p.ballot}: ${seen} and ${node}`);
        }
      }
      if (!(p.lastDurableDecree <= p.lastFlushedDecree && p.lastFlushedDecree <= p.lastAppliedDecree && p.lastAppliedDecree <= p.lastCommittedDecree && p.lastCommittedDecree <= p.lastPreparedDecree)) {
        this.fail(`${gpid} on ${node}: decree order broken: durable ${p.lastDurableDecree} flushed ${p.lastFlushedDecree} applied ${p.lastAppliedDecree} committed ${p.lastCommittedDecree} prepared ${p.lastPreparedDecree}`);
      }
      const from = Math.max(this.checkedUpTo.get(replica) ?? 0, replica.prepareListMinDecree() - 1) + 1;
      for (let d = from; d <= p.lastCommittedDecree; d++) {
        const m = replica.preparedMutation(d);
        if (m === undefined) continue;
        const digest = `${m.timestampUs}:${m.data.updates.map((u) => `${u.code}/${u.data.toString('base64')}`).join(',')}`;
        const key = `${gpid}#${d}`;
        const seen = this.committed.get(key);
        if (seen === undefined) this.committed.set(key, { digest, node, ballot: m.ballot });
        else if (seen.digest !== digest) {
          this.fail(`${gpid} decree ${d} committed differently on ${node} (ballot ${m.ballot}) than on ${seen.node} (ballot ${seen.ballot})`);
        }
      }
      this.checkedUpTo.set(replica, Math.max(this.checkedUpTo.get(replica) ?? 0, p.lastCommittedDecree));
      if (p.status === 'PS_PRIMARY') this.checkCommittedLoggedOnMembers(node, gpid, replica, replicas);
    }
    return this.violations.length === 0;
  }

  private checkCommittedLoggedOnMembers(node: string, gpid: string, primary: Replica, replicas: readonly ObservedReplica[]): void {
    const committed = primary.lastCommittedDecree();
    for (const secondaryNode of primary.members().secondaries) {
      const secondary = replicas.find((r) => r.node === secondaryNode && r.gpid === gpid)?.replica;
      if (secondary === undefined || secondary.status !== 'PS_SECONDARY' || secondary.ballot !== primary.ballot) continue;
      for (let d = Math.max(secondary.lastCommittedDecree() + 1, primary.prepareListMinDecree()); d <= committed; d++) {
        const mine = primary.preparedMutation(d);
        if (mine === undefined || mine.ballot !== primary.ballot) continue;
        const theirs = secondary.preparedMutation(d);
        if (theirs === undefined || !theirs.isLogged() || secondary.log.writtenEndOffset() <= theirs.data.header.logOffset) {
          this.fail(`${gpid}: primary ${node} committed decree ${d} at ballot ${primary.ballot} before secondary ${secondaryNode} logged it`);
          return;
        }
      }
    }
  }

  private fail(message: string): void {
    if (this.violations.length < 20) this.violations.push(message);
  }
}

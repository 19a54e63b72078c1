/**
 * Concurrent writers for kill tests, with the bookkeeping that decides "no acknowledged write lost".
 *
 * Each writer owns its keys and overwrites them in turn with unique values (`<label>-w<writer>-<seq>`), one
 * request at a time, so per key the writes are ordered and the last acknowledged one is well defined. A write
 * that failed (timeout, retries exhausted, ...) has an unknown outcome: it may have been applied, before or
 * after the client gave up. A key must therefore read back either its last acknowledged value, or the value
 * of a write with an unknown outcome sent after that ack (or, with no ack at all, nothing). Anything else —
 * an older acknowledged value, a missing key — is a lost acknowledged write.
 */
import type { Table } from '../../src/client/index.ts';
import { sleep } from './cluster-harness.ts';

interface KeyRecord {
  /** The last value a set was acknowledged for. */
  acked: string | undefined;
  /** Values of failed sets sent after `acked`: each may or may not have been applied. */
  unknown: string[];
}

export interface LoadOptions {
  writers: number;
  keysPerWriter: number;
  /** Distinguishes this load's keys and values from other tests'. */
  label: string;
  /**
   * Every other writer gives each write only this long (the others use the client's timeout): shorter than a
   * failover, so writes caught by one end with an unknown outcome and the check has to allow for them.
   */
  impatientTimeoutMs?: number;
}

export class WriteLoad {
  private readonly keys = new Map<string, KeyRecord>();
  private readonly ackCounts: number[];
  private readonly running: Promise<void>[] = [];
  private stopping = false;
  /** Failed writes by error code, for the report (they are expected while a primary moves). */
  readonly failures = new Map<string, number>();

  constructor(
    private readonly table: Table,
    private readonly options: LoadOptions,
  ) {
    this.ackCounts = new Array<number>(options.writers).fill(0);
  }

  start(): void {
    for (let w = 0; w < this.options.writers; w++) this.running.push(this.writer(w));
  }

  private async writer(w: number): Promise<void> {
    const options = w % 2 === 1 && this.options.impatientTimeoutMs !== undefined ? { timeoutMs: this.options.impatientTimeoutMs } : {};
    for (let seq = 0; !this.stopping; seq++) {
      const hashKey = `${this.options.label}-w${w}-k${seq % this.options.keysPerWriter}`;
      const value = `${this.options.label}-w${w}-${seq}`;
      let record = this.keys.get(hashKey);
      if (record === undefined) this.keys.set(hashKey, (record = { acked: undefined, unknown: [] }));
      try {
        await this.table.set(hashKey, 's', value, options);
        record.acked = value;
        record.unknown = [];
        this.ackCounts[w]!++;
      } catch (e) {
        record.unknown.push(value);
        const code = typeof e === 'object' && e !== null && 'code' in e ? String(e.code) : String(e);
        this.failures.set(code, (this.failures.get(code) ?? 0) + 1);
        // A failing partition answers at once (no primary yet): do not spin on it.
        await sleep(50);
      }
    }
  }

  get acked(): number {
    return this.ackCounts.reduce((a, b) => a + b, 0);
  }

  /** Acknowledged writes per writer so far; pass it to `waitProgress` to wait for more. */
  mark(): number[] {
    return [...this.ackCounts];
  }

  /**
   * Resolves once every writer has had `count` more writes acknowledged than at `since`: since a writer
   * cycles through its keys one at a time, a full round means every one of its keys' partitions takes writes.
   */
  async waitProgress(since: readonly number[], count: number, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    const behind = () => this.ackCounts.map((n, w) => (n - (since[w] ?? 0) < count ? w : -1)).filter((w) => w >= 0);
    while (behind().length > 0) {
      if (Date.now() > deadline) {
        throw new Error(`writers ${behind().join(', ')} did not get ${count} more writes acknowledged within ${timeoutMs} ms (acked per writer: ${this.ackCounts.join(', ')}; failures: ${this.describeFailures()})`);
      }
      await sleep(50);
    }
  }

  /** Stops the writers after their current request. */
  async stop(): Promise<void> {
    this.stopping = true;
    await Promise.all(this.running);
  }

  /** Writes whose outcome is unknown. */
  get failed(): number {
    return [...this.failures.values()].reduce((a, b) => a + b, 0);
  }

  describeFailures(): string {
    return [...this.failures].map(([code, n]) => `${code} x${n}`).join(', ') || 'none';
  }

  /** Reads every key back; returns one line per key whose value no acknowledged history allows. */
  async verify(table: Table = this.table): Promise<string[]> {
    const problems: string[] = [];
    for (const [hashKey, record] of this.keys) {
      const got = (await table.get(hashKey, 's'))?.toString();
      const allowed = [record.acked, ...record.unknown];
      if (!allowed.includes(got)) problems.push(`${hashKey}: read ${got ?? '(nothing)'}, acknowledged ${record.acked ?? '(nothing)'}, unknown outcome [${record.unknown.join(', ')}]`);
    }
    return problems;
  }

  get keyCount(): number {
    return this.keys.size;
  }
}

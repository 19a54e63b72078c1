/**
 * Mutation timestamps (upstream's per-replica monotonic microsecond generator): unique and increasing
 * within a partition even when the clock stalls or steps back, because they become timetags that order
 * writes across duplicating clusters.
 */
export class MutationTimestamps {
  private lastUs = 0;

  constructor(private readonly nowMs: () => number) {}

  next(): number {
    const nowUs = Math.floor(this.nowMs() * 1000);
    this.lastUs = Math.max(this.lastUs + 1, nowUs);
    return this.lastUs;
  }

  /** A secondary or a replay advances past every timestamp it has seen. */
  observe(timestampUs: number): void {
    if (timestampUs > this.lastUs) this.lastUs = timestampUs;
  }
}

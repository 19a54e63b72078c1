/**
 * The line `pegasus bench` shows while a phase runs: elapsed time, operations, current ops/s, errors. On a
 * terminal it is redrawn in place every second; into a pipe or file it becomes a line every few seconds,
 * so logs stay readable.
 */
export interface ProgressCounts {
  readonly operations: number;
  readonly errors: number;
}

const TTY_INTERVAL_MS = 1000;
const PIPE_INTERVAL_MS = 5000;

export class ProgressLine {
  private drawn = false;

  constructor(private readonly out: NodeJS.WriteStream = process.stdout) {}

  /** A line that stays (a phase's result, a skipped system). */
  note(text: string): void {
    this.clear();
    this.out.write(`${text}\n`);
  }

  /** Shows `label`'s progress until the returned function is called. */
  track(label: string, read: () => ProgressCounts): () => void {
    const startMs = performance.now();
    let last = { atMs: startMs, operations: 0 };
    const tty = this.out.isTTY === true;
    const timer = setInterval(
      () => {
        const now = performance.now();
        const counts = read();
        // A counter that restarted (the warm-up ended) reads as a new start, not a negative rate.
        const delta = counts.operations >= last.operations ? counts.operations - last.operations : counts.operations;
        const rate = Math.round((delta * 1000) / Math.max(1, now - last.atMs));
        last = { atMs: now, operations: counts.operations };
        const text = `  ${label}: ${Math.round((now - startMs) / 1000)} s, ${counts.operations} ops, ${rate} ops/s, ${counts.errors} errors`;
        if (tty) {
          this.out.write(`\r\x1b[2K${text}`);
          this.drawn = true;
        } else {
          this.out.write(`${text}\n`);
        }
      },
      tty ? TTY_INTERVAL_MS : PIPE_INTERVAL_MS,
    );
    return () => {
      clearInterval(timer);
      this.clear();
    };
  }

  private clear(): void {
    if (!this.drawn) return;
    this.out.write('\r\x1b[2K');
    this.drawn = false;
  }
}

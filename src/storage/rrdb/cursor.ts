/**
 * Row-at-a-time view of a batched `StoreIterator`, so the rrdb loops can mirror upstream's
 * `it->Valid() / key() / value() / Next()` while crossing into the store once per batch.
 */
import type { StoreIterator } from '../partition-store.ts';

/** Bytes asked per batch; a hint, the store returns at least one row. */
const FETCH_BYTES_MAX = 4 * 1024 * 1024;

export class RangeCursor {
  private keys: Buffer[] = [];
  private values: Buffer[] = [];
  private position = 0;
  private exhausted = false;

  constructor(
    private readonly iterator: StoreIterator,
    private fetchCount: number,
  ) {}

  /** True when a row is buffered; otherwise call `fill()`. */
  buffered(): boolean {
    return this.position < this.keys.length;
  }

  /** Reads the next batch; false when the iterator has no more rows (upstream's `!it->Valid()`). */
  async fill(): Promise<boolean> {
    if (this.buffered()) return true;
    if (this.exhausted) return false;
    const batch = await this.iterator.read(this.fetchCount, FETCH_BYTES_MAX);
    this.keys = batch.keys;
    this.values = batch.values;
    this.position = 0;
    this.exhausted = batch.done;
    return this.keys.length > 0;
  }

  /** Upstream's `it->Valid()` after a loop: is there a row at the current position? */
  async valid(): Promise<boolean> {
    return this.buffered() || this.fill();
  }

  key(): Buffer {
    return this.keys[this.position]!;
  }

  value(): Buffer {
    return this.values[this.position]!;
  }

  next(): void {
    this.position++;
  }

  /** Rows per batch from now on (a scan context reads with its own batch size). */
  setFetchCount(count: number): void {
    this.fetchCount = Math.max(1, count);
  }

  close(): void {
    this.iterator.close();
  }
}

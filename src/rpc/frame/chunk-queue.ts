/**
 * The bytes a connection has received but not yet framed, kept as the socket's chunks (no copy on arrival):
 * both frame splitters read their prefixes and take whole frames from it.
 */
export class ChunkQueue {
  private chunks: Buffer[] = [];
  private buffered = 0;

  get length(): number {
    return this.buffered;
  }

  push(chunk: Buffer): void {
    if (chunk.length === 0) return;
    this.chunks.push(chunk);
    this.buffered += chunk.length;
  }

  clear(): void {
    this.chunks = [];
    this.buffered = 0;
  }

  /** The first `bytes` queued bytes as one Buffer, merging leading chunks when they are split. */
  peek(bytes: number): Buffer {
    const first = this.chunks[0];
    if (first !== undefined && first.length >= bytes) return first;
    let merged = 0;
    let count = 0;
    while (merged < bytes) merged += this.chunks[count++]!.length;
    const joined = Buffer.concat(this.chunks.slice(0, count), merged);
    this.chunks.splice(0, count, joined);
    return joined;
  }

  /** Removes and returns the first `bytes` queued bytes (a view when they lie in one chunk). */
  take(bytes: number): Buffer {
    if (bytes === 0) return Buffer.alloc(0);
    this.buffered -= bytes;
    const first = this.chunks[0]!;
    if (first.length >= bytes) {
      if (first.length === bytes) this.chunks.shift();
      else this.chunks[0] = first.subarray(bytes);
      return first.subarray(0, bytes);
    }
    const out = Buffer.allocUnsafe(bytes);
    let filled = 0;
    while (filled < bytes) {
      const chunk = this.chunks[0]!;
      const part = Math.min(chunk.length, bytes - filled);
      chunk.copy(out, filled, 0, part);
      filled += part;
      if (part === chunk.length) this.chunks.shift();
      else this.chunks[0] = chunk.subarray(part);
    }
    return out;
  }
}

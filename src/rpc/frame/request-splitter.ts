/**
 * Cuts a connection's byte stream into request frames. Feed it socket chunks in order; it returns the
 * frames completed so far, or stops at the first framing violation (upstream closes the session there, so
 * nothing after it is read). It holds at most one incomplete frame, whose size it checks against
 * `bodyBytesMax` as soon as the header is in, so a lying body_length never makes it buffer beyond the bound.
 *
 * The bound is not `max_allowed_write_size` (1 MiB): writes above that must still be read so the replica
 * can answer ERR_INVALID_DATA (protocol.md §10). 16 MiB is the hard cap: far above any legitimate request,
 * low enough that a hostile connection cannot pin much memory.
 */
import { FrameError } from './frame-error.ts';
import type { RequestHeader } from './request-header.ts';
import { parseRequestHeader, requestHeaderBytes } from './request-header.ts';

export const REQUEST_BODY_BYTES_MAX_DEFAULT = 16 * 1024 * 1024;

export interface RequestFrame {
  header: RequestHeader;
  /** The body: message begin + args (parse with parseRequestBody). Owns its memory or a chunk's. */
  body: Buffer;
}

export interface SplitResult {
  frames: RequestFrame[];
  /** Set once the stream broke the framing rules; the splitter then accepts nothing more. */
  error?: FrameError;
}

export interface RequestFrameSplitterOptions {
  bodyBytesMax?: number;
}

export class RequestFrameSplitter {
  readonly bodyBytesMax: number;
  private chunks: Buffer[] = [];
  private buffered = 0;
  /** The header of the frame being assembled, once it is complete. */
  private pendingHeader: RequestHeader | undefined;
  private failure: FrameError | undefined;

  constructor(options: RequestFrameSplitterOptions = {}) {
    this.bodyBytesMax = options.bodyBytesMax ?? REQUEST_BODY_BYTES_MAX_DEFAULT;
  }

  /** Bytes held for the incomplete frame. */
  get bufferedBytes(): number {
    return this.buffered;
  }

  get error(): FrameError | undefined {
    return this.failure;
  }

  feed(chunk: Buffer): SplitResult {
    const frames: RequestFrame[] = [];
    if (this.failure !== undefined) return { frames, error: this.failure };
    if (chunk.length > 0) {
      this.chunks.push(chunk);
      this.buffered += chunk.length;
    }
    try {
      for (;;) {
        const frame = this.nextFrame();
        if (frame === undefined) break;
        frames.push(frame);
      }
    } catch (e) {
      if (!(e instanceof FrameError)) throw e;
      this.failure = e;
      this.chunks = [];
      this.buffered = 0;
      this.pendingHeader = undefined;
      return { frames, error: e };
    }
    return { frames };
  }

  private nextFrame(): RequestFrame | undefined {
    if (this.pendingHeader === undefined) {
      if (this.buffered === 0) return undefined;
      // requestHeaderBytes needs at most 12 bytes; it checks the magic on whatever is there.
      const prefix = this.peek(Math.min(this.buffered, 12));
      const headerBytes = requestHeaderBytes(prefix);
      if (headerBytes === undefined || this.buffered < headerBytes) return undefined;
      const header = parseRequestHeader(this.peek(headerBytes));
      if (header.bodyLength > this.bodyBytesMax) {
        throw new FrameError('body_too_large', `body_length ${header.bodyLength} exceeds ${this.bodyBytesMax}`);
      }
      this.consume(headerBytes);
      this.pendingHeader = header;
    }
    const header = this.pendingHeader;
    if (this.buffered < header.bodyLength) return undefined;
    const body = this.take(header.bodyLength);
    this.pendingHeader = undefined;
    return { header, body };
  }

  /** The first `bytes` buffered bytes as one Buffer, merging leading chunks when they are split. */
  private peek(bytes: number): Buffer {
    const first = this.chunks[0];
    if (first !== undefined && first.length >= bytes) return first;
    let merged = 0;
    let count = 0;
    while (merged < bytes) merged += this.chunks[count++]!.length;
    const joined = Buffer.concat(this.chunks.slice(0, count), merged);
    this.chunks.splice(0, count, joined);
    return joined;
  }

  private consume(bytes: number): void {
    this.take(bytes);
  }

  /** Removes and returns the first `bytes` buffered bytes (a view when they lie in one chunk). */
  private take(bytes: number): Buffer {
    this.buffered -= bytes;
    const first = this.chunks[0];
    if (bytes === 0) return Buffer.alloc(0);
    if (first !== undefined && first.length >= bytes) {
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

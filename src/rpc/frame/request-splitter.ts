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
import { FrameSplitter, type FrameSplit } from './frame-splitter.ts';
import type { RequestHeader } from './request-header.ts';
import { parseRequestHeader, requestHeaderBytes } from './request-header.ts';

export const REQUEST_BODY_BYTES_MAX_DEFAULT = 16 * 1024 * 1024;

export interface RequestFrame {
  header: RequestHeader;
  /** The body: message begin + args (parse with parseRequestBody). Owns its memory or a chunk's. */
  body: Buffer;
}

export type SplitResult = FrameSplit<RequestFrame, FrameError>;

export interface RequestFrameSplitterOptions {
  bodyBytesMax?: number;
}

export class RequestFrameSplitter extends FrameSplitter<RequestFrame, FrameError> {
  readonly bodyBytesMax: number;
  /** The header of the frame being assembled, once it is complete. */
  private pendingHeader: RequestHeader | undefined;

  constructor(options: RequestFrameSplitterOptions = {}) {
    super();
    this.bodyBytesMax = options.bodyBytesMax ?? REQUEST_BODY_BYTES_MAX_DEFAULT;
  }

  protected isFramingError(e: unknown): e is FrameError {
    return e instanceof FrameError;
  }

  protected forgetPending(): void {
    this.pendingHeader = undefined;
  }

  protected nextFrame(): RequestFrame | undefined {
    if (this.pendingHeader === undefined) {
      if (this.queue.length === 0) return undefined;
      // requestHeaderBytes needs at most 12 bytes; it checks the magic on whatever is there.
      const prefix = this.queue.peek(Math.min(this.queue.length, 12));
      const headerBytes = requestHeaderBytes(prefix);
      if (headerBytes === undefined || this.queue.length < headerBytes) return undefined;
      const header = parseRequestHeader(this.queue.peek(headerBytes));
      if (header.bodyLength > this.bodyBytesMax) {
        throw new FrameError('body_too_large', `body_length ${header.bodyLength} exceeds ${this.bodyBytesMax}`);
      }
      this.queue.take(headerBytes);
      this.pendingHeader = header;
    }
    const header = this.pendingHeader;
    if (this.queue.length < header.bodyLength) return undefined;
    const body = this.queue.take(header.bodyLength);
    this.pendingHeader = undefined;
    return { header, body };
  }
}

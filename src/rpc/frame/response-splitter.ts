/**
 * Cuts a client connection's byte stream into response frames (protocol.md §1.4): each frame starts with an
 * i32 total length that counts its own four bytes. Feed socket chunks in order; it returns the frames
 * completed so far (each a whole frame, ready for `parseResponse`), or stops at the first violation: after
 * a bad length the stream cannot be resynchronised, so the connection owner drops the connection.
 *
 * It holds at most one incomplete frame and checks the announced length as soon as the four length bytes are
 * in, so a lying length never makes it buffer beyond `frameBytesMax`.
 */
import { PegasusError } from '../../base/error-code.ts';
import { FrameSplitter, type FrameSplit } from './frame-splitter.ts';

/**
 * Largest response accepted by default. Responses are bigger than requests (a multi_get or scan batch of
 * large values), so the cap is above the request splitter's 16 MiB; it only has to stop a broken or hostile
 * peer from pinning unbounded memory.
 */
export const RESPONSE_FRAME_BYTES_MAX_DEFAULT = 64 * 1024 * 1024;

/**
 * The smallest well-formed response: total length (4), error name length (4), message begin version (4),
 * reply name length (4), seqid (4), even with empty names.
 */
export const RESPONSE_FRAME_BYTES_MIN = 20;

export type ResponseFrameErrorReason = 'bad_length' | 'frame_too_large';

/** A response stream that breaks the framing rules; the code is ERR_INVALID_DATA and `reason` says why. */
export class ResponseFrameError extends PegasusError {
  constructor(
    readonly reason: ResponseFrameErrorReason,
    message: string,
  ) {
    super('ERR_INVALID_DATA', `${reason}: ${message}`);
  }
}

export type ResponseSplitResult = FrameSplit<Buffer, ResponseFrameError>;

export interface ResponseFrameSplitterOptions {
  frameBytesMax?: number;
}

export class ResponseFrameSplitter extends FrameSplitter<Buffer, ResponseFrameError> {
  readonly frameBytesMax: number;
  /** Total length of the frame being assembled, once its length prefix is in. */
  private pendingLength: number | undefined;

  constructor(options: ResponseFrameSplitterOptions = {}) {
    super();
    this.frameBytesMax = options.frameBytesMax ?? RESPONSE_FRAME_BYTES_MAX_DEFAULT;
  }

  protected isFramingError(e: unknown): e is ResponseFrameError {
    return e instanceof ResponseFrameError;
  }

  protected forgetPending(): void {
    this.pendingLength = undefined;
  }

  protected nextFrame(): Buffer | undefined {
    if (this.pendingLength === undefined) {
      if (this.queue.length < 4) return undefined;
      // The signed i32 at the front, possibly spread over several chunks.
      const length = this.queue.peek(4).readInt32BE(0);
      if (length < RESPONSE_FRAME_BYTES_MIN) {
        throw new ResponseFrameError('bad_length', `total_length ${length} is below the minimum ${RESPONSE_FRAME_BYTES_MIN}`);
      }
      if (length > this.frameBytesMax) {
        throw new ResponseFrameError('frame_too_large', `total_length ${length} exceeds ${this.frameBytesMax}`);
      }
      this.pendingLength = length;
    }
    if (this.queue.length < this.pendingLength) return undefined;
    const frame = this.queue.take(this.pendingLength);
    this.pendingLength = undefined;
    return frame;
  }
}

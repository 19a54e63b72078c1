/**
 * What both frame splitters share: queue the socket's chunks, cut as many whole frames as are in, and stop
 * for good at the first framing violation (the stream cannot be resynchronised; the connection is dropped).
 * A subclass says how one frame is cut and what its framing errors are.
 */
import { ChunkQueue } from './chunk-queue.ts';

export interface FrameSplit<F, E> {
  frames: F[];
  /** Set once the stream broke the framing rules; the splitter then accepts nothing more. */
  error?: E;
}

export abstract class FrameSplitter<F, E extends Error> {
  protected readonly queue = new ChunkQueue();
  private failure: E | undefined;

  /** Bytes held for the incomplete frame. */
  get bufferedBytes(): number {
    return this.queue.length;
  }

  get error(): E | undefined {
    return this.failure;
  }

  feed(chunk: Buffer): FrameSplit<F, E> {
    const frames: F[] = [];
    if (this.failure !== undefined) return { frames, error: this.failure };
    this.queue.push(chunk);
    try {
      for (;;) {
        const frame = this.nextFrame();
        if (frame === undefined) break;
        frames.push(frame);
      }
    } catch (e) {
      if (!this.isFramingError(e)) throw e;
      this.failure = e;
      this.queue.clear();
      this.forgetPending();
      return { frames, error: e };
    }
    return { frames };
  }

  /** The next whole frame, or undefined until more bytes arrive; throws a framing error on a violation. */
  protected abstract nextFrame(): F | undefined;
  protected abstract isFramingError(e: unknown): e is E;
  /** Drops what is known of the frame being assembled. */
  protected abstract forgetPending(): void;
}

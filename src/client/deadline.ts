/**
 * One operation's time budget and cancellation: the overall deadline every retry loop runs under (upstream
 * clients give each operation one `timeout`, default 1000 ms, and retry inside it), and the caller's optional
 * AbortSignal.
 */
import type { ClientClock } from './clock.ts';
import { PegasusAbortError, PegasusTimeoutError, invalidParameters } from './errors.ts';

/** The transport refuses a timeout of 0; an almost-spent budget still gets one millisecond. */
const CALL_TIMEOUT_MS_MIN = 1;

export function checkTimeoutMs(timeoutMs: number, what: string): number {
  if (!Number.isInteger(timeoutMs) || timeoutMs <= 0) throw invalidParameters(`${what} ${timeoutMs} must be a positive whole number of ms`);
  return timeoutMs;
}

export class Deadline {
  readonly atMs: number;

  constructor(
    readonly clock: ClientClock,
    readonly timeoutMs: number,
    readonly signal?: AbortSignal,
  ) {
    this.atMs = clock.nowMs() + timeoutMs;
  }

  remainingMs(): number {
    return this.atMs - this.clock.nowMs();
  }

  /** The timeout for the next RPC: what is left, at least 1 ms. */
  callTimeoutMs(capMs = Number.POSITIVE_INFINITY): number {
    return Math.max(CALL_TIMEOUT_MS_MIN, Math.min(Math.ceil(this.remainingMs()), capMs));
  }

  /** Throws PegasusAbortError when aborted, PegasusTimeoutError (with `lastError` as cause) when expired. */
  check(what: string, lastError?: unknown): void {
    if (this.signal?.aborted === true) throw new PegasusAbortError({ cause: this.signal.reason });
    if (this.remainingMs() <= 0) {
      throw new PegasusTimeoutError(`${what} did not complete within ${this.timeoutMs} ms`, lastError === undefined ? undefined : { cause: lastError });
    }
  }

  /** Sleeps `ms`, cut short at the deadline; an abort rejects with PegasusAbortError. */
  async sleep(ms: number): Promise<void> {
    const sleepMs = Math.max(0, Math.min(ms, this.remainingMs()));
    try {
      await this.clock.sleep(sleepMs, this.signal);
    } catch (e) {
      if (this.signal?.aborted === true) throw new PegasusAbortError({ cause: this.signal.reason });
      throw e;
    }
  }

  /** Settles with `promise`, or rejects with PegasusAbortError as soon as the signal aborts. */
  race<T>(promise: Promise<T>): Promise<T> {
    const signal = this.signal;
    if (signal === undefined) return promise;
    if (signal.aborted) {
      promise.catch(() => {}); // its outcome no longer matters to anyone
      return Promise.reject(new PegasusAbortError({ cause: signal.reason }));
    }
    return new Promise<T>((resolve, reject) => {
      const onAbort = (): void => reject(new PegasusAbortError({ cause: signal.reason }));
      signal.addEventListener('abort', onAbort, { once: true });
      promise.then(
        (value) => {
          signal.removeEventListener('abort', onAbort);
          resolve(value);
        },
        (e: unknown) => {
          signal.removeEventListener('abort', onAbort);
          reject(e);
        },
      );
    });
  }
}

/** Exponential back-off between attempts: 10, 20, 40 ... ms, capped (upstream N waits timeout/3). */
export const RETRY_BACKOFF_MS_MIN = 10;
export const RETRY_BACKOFF_MS_MAX = 200;
/** A hard bound on attempts besides the deadline, so no loop can spin even with a clock that stands still. */
export const ATTEMPTS_MAX = 64;

export function backoffMs(attempt: number): number {
  return Math.min(RETRY_BACKOFF_MS_MAX, RETRY_BACKOFF_MS_MIN * 2 ** Math.min(attempt, 10));
}

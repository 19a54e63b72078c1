/**
 * Time as a simulated node sees it (architecture.md §3): the Env's `EnvClock` and the client's `ClientClock`
 * on the loop's virtual time.
 *
 * Wall time is per machine: `SIM_EPOCH_BASE_MS + virtual time + skew`, the skew being that machine's clock
 * error, which the harness may set and change at runtime (simulation.md: lease arithmetic must hold under
 * clock skew between nodes). Timers are not skewed: a delay is measured on the loop, as a monotonic clock
 * would measure it, whatever the wall clock says.
 *
 * Timers belong to one process: they are loop events owned by its SimProcess, so after a crash none fires.
 */
import { assert } from '../base/assert.ts';
import type { EnvClock, TimerHandle } from '../base/clock.ts';
import type { ClientClock } from '../client/clock.ts';
import type { SimLoop } from './sim-loop.ts';
import type { SimProcess } from './sim-process.ts';

/** A plausible Unix time (June 2025) for virtual time 0, so timestamps look like real ones in every codec. */
export const SIM_EPOCH_BASE_MS = 1_750_000_000_000;

/** One machine's wall clock: survives process restarts (the skew is the machine's, not the process's). */
export class SimMachineClock {
  private skew: number;

  constructor(
    private readonly loop: SimLoop,
    skewMs = 0,
    private readonly epochBaseMs = SIM_EPOCH_BASE_MS,
  ) {
    assert(Number.isFinite(skewMs), `clock skew ${skewMs} ms is not finite`);
    this.skew = skewMs;
  }

  get skewMs(): number {
    return this.skew;
  }

  /** Steps this machine's clock (as NTP might); it can step backwards, like a real wall clock. */
  setSkewMs(skewMs: number): void {
    assert(Number.isFinite(skewMs), `clock skew ${skewMs} ms is not finite`);
    this.skew = skewMs;
  }

  /** Whole Unix milliseconds, as Date.now() gives them (codecs write i64 times). */
  nowMs(): number {
    return Math.floor(this.epochBaseMs + this.loop.nowMs + this.skew);
  }
}

/** The EnvClock of one process (meta server or replica stub). */
export class SimClock implements EnvClock {
  constructor(
    protected readonly loop: SimLoop,
    private readonly machine: SimMachineClock,
    protected readonly process: SimProcess,
  ) {}

  nowMs(): number {
    return this.machine.nowMs();
  }

  setTimer(delayMs: number, callback: () => void): TimerHandle {
    return this.loop.scheduleAfter(delayMs, `timer ${this.process.name}`, callback, this.process);
  }
}

/** The client's clock: the same wall time, and sleeps that are loop timers of the client's process. */
export class SimClientClock extends SimClock implements ClientClock {
  /** Resolves after `ms` of virtual time; rejects with the signal's reason if it aborts first. */
  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    if (signal?.aborted === true) return Promise.reject(signal.reason);
    return new Promise<void>((resolve, reject) => {
      const onAbort = (): void => {
        timer.cancel();
        reject(signal?.reason);
      };
      const timer = this.loop.scheduleAfter(ms, `sleep ${this.process.name}`, () => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      }, this.process);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }
}

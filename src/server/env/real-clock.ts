/** The production EnvClock: the system clock and Node's timers (unref'd so they never keep a process alive). */
import type { EnvClock, TimerHandle } from '../../base/clock.ts';

export const realClock: EnvClock = {
  nowMs: () => Date.now(),
  setTimer(delayMs: number, callback: () => void): TimerHandle {
    const timer = setTimeout(callback, Math.max(0, delayMs));
    timer.unref();
    return { cancel: () => clearTimeout(timer) };
  },
};

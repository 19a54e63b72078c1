/**
 * Time as the decision logic sees it (architecture.md §3): a clock and timers handed in through the Env, so
 * the simulator can run the same code on virtual time. The real implementation is in src/server/env/.
 */
export interface TimerHandle {
  cancel(): void;
}

export interface EnvClock {
  /** Unix time in milliseconds. */
  nowMs(): number;
  /** Runs `callback` once after `delayMs`, as its own event. */
  setTimer(delayMs: number, callback: () => void): TimerHandle;
}

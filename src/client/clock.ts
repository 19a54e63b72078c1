/**
 * The client's time source: wall time for deadlines and for turning a TTL into an absolute expire_ts
 * (protocol.md §4.4), and the sleeps between retries. Injectable so tests can shift "now".
 */
import { setTimeout as sleepMs } from 'node:timers/promises';

export interface ClientClock {
  /** Unix time in milliseconds. */
  nowMs(): number;
  /** Resolves after `ms`; rejects with the signal's reason if it aborts first. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

export const SYSTEM_CLOCK: ClientClock = {
  nowMs: () => Date.now(),
  sleep: async (ms, signal) => {
    await sleepMs(ms, undefined, signal === undefined ? undefined : { signal });
  },
};

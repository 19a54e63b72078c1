/**
 * The simulator's one event queue and its driver (simulation.md "One event queue"). Every message
 * delivery, timer firing and fault is an event with a virtual time in milliseconds (integer or not) and a
 * sequence number; events run in (time, sequence) order, so two events at the same time run in the order
 * they were scheduled.
 *
 * The driver pops one event, runs it, and then lets every promise continuation it caused settle before it
 * pops the next one. Only the driver yields to Node's event loop, and it does so with one `setImmediate`
 * between events (see `settle`). Each executed event feeds (time, sequence, label) into a running SHA-256,
 * the trace hash that proves a seed replays the same run, and its label into a bounded tail for failure
 * reports.
 *
 * An event may belong to an owner (a simulated process): once the owner is dead, its events are popped and
 * dropped without running, which is how a crashed process's timers and pending callbacks never run again.
 */
import { createHash, type Hash } from 'node:crypto';
import { assert } from '../base/assert.ts';
import { RingBuffer } from './ring-buffer.ts';

/** Whoever an event runs on behalf of; a dead owner's events never run. */
export interface SimEventOwner {
  readonly alive: boolean;
}

export interface SimEventHandle {
  /** The event will not run; cancelling an event that ran or was cancelled already does nothing. */
  cancel(): void;
}

/**
 * What an event runs. Its return value is ignored unless it is a promise: then a rejection fails the run
 * like a throw, instead of becoming an unhandled rejection.
 */
export type SimEventFn = () => unknown;

interface SimEvent {
  readonly atMs: number;
  readonly seq: number;
  readonly label: string;
  readonly fn: SimEventFn;
  readonly owner: SimEventOwner | undefined;
  cancelled: boolean;
  done: boolean;
}

/** An event threw or its promise rejected: a bug in simulated code or in the harness, never a fault. */
export class SimEventError extends Error {
  override readonly name = 'SimEventError';
  constructor(
    readonly label: string,
    readonly atMs: number,
    readonly seq: number,
    cause: unknown,
  ) {
    super(`event #${seq} "${label}" at ${atMs} ms failed: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
  }
}

/** The queue outgrew its bound: a runaway scheduler (e.g. a timer that re-arms itself at zero delay forever). */
export class SimQueueFullError extends Error {
  override readonly name = 'SimQueueFullError';
}

export interface SimLoopOptions {
  /** Labels of the last executed events kept for failure reports. Default 2000. */
  traceTailMax?: number;
  /** Events queued at once (cancelled ones included until compaction). Default 1,000,000. */
  queuedEventsMax?: number;
}

/** Stop at this virtual time, or once the predicate holds (checked before every event). */
export type SimStop = number | (() => boolean);

export interface SimRunResult {
  /** time: reached the stop time; predicate: it held; idle: no event left; eventLimit: ran maxEvents. */
  readonly reason: 'time' | 'predicate' | 'idle' | 'eventLimit';
  readonly eventsRun: number;
  readonly nowMs: number;
}

const TRACE_TAIL_MAX_DEFAULT = 2000;
const QUEUED_EVENTS_MAX_DEFAULT = 1_000_000;
/** Cancelled events are removed lazily; past this many (and half the heap) the heap is rebuilt without them. */
const CANCELLED_COMPACTION_MIN = 1024;

function before(a: SimEvent, b: SimEvent): boolean {
  return a.atMs < b.atMs || (a.atMs === b.atMs && a.seq < b.seq);
}

/**
 * Lets every promise continuation the last event caused run before the next event.
 *
 * Why one `setImmediate` is enough and deterministic: Node drains the whole nextTick and microtask queues
 * after every macrotask callback, including the microtasks queued while draining, so a promise chain of any
 * depth settles before the immediate fires. Simulated code has no other way to be woken up: it has no real
 * timers or I/O (test/architecture/layers.test.ts forbids them in the decision logic and in src/sim/, and
 * MemStore, MemLogDir and MemMetaStore complete in microtasks only), so every external completion enters
 * through this queue, one event at a time, and the order of continuations depends on the event order alone.
 * This is the only place in src/sim/ allowed to touch a real timer API.
 */
function settle(): Promise<void> {
  return new Promise<void>((resolve) => setImmediate(resolve));
}

export class SimLoop {
  private readonly heap: SimEvent[] = [];
  private readonly queuedEventsMax: number;
  private readonly hash: Hash = createHash('sha256');
  private readonly tail: RingBuffer<string>;
  private virtualNowMs = 0;
  private nextSeq = 0;
  private cancelledInHeap = 0;
  private executed = 0;
  private skipped = 0;
  private running = false;
  private failure: SimEventError | undefined;

  constructor(options: SimLoopOptions = {}) {
    this.tail = new RingBuffer(options.traceTailMax ?? TRACE_TAIL_MAX_DEFAULT);
    this.queuedEventsMax = options.queuedEventsMax ?? QUEUED_EVENTS_MAX_DEFAULT;
  }

  /** Virtual milliseconds since the simulation started. */
  get nowMs(): number {
    return this.virtualNowMs;
  }

  /** Events waiting to run (cancelled ones excluded; a dead owner's still count until popped). */
  get pendingEvents(): number {
    return this.heap.length - this.cancelledInHeap;
  }

  get eventsRun(): number {
    return this.executed;
  }

  /** Events popped without running because their owner had died. */
  get eventsSkipped(): number {
    return this.skipped;
  }

  /** Runs `fn` at virtual time `atMs` (not in the past), after every event already queued for that time. */
  schedule(atMs: number, label: string, fn: SimEventFn, owner?: SimEventOwner): SimEventHandle {
    assert(Number.isFinite(atMs), `event "${label}" at ${atMs} ms: not a finite time`);
    assert(atMs >= this.virtualNowMs, `event "${label}" at ${atMs} ms is in the past (now ${this.virtualNowMs} ms)`);
    if (this.heap.length >= this.queuedEventsMax) {
      throw new SimQueueFullError(`${this.heap.length} events queued, scheduling "${label}" at ${atMs} ms`);
    }
    const event: SimEvent = { atMs, seq: this.nextSeq++, label, fn, owner, cancelled: false, done: false };
    this.push(event);
    return {
      cancel: () => {
        if (event.cancelled || event.done) return;
        event.cancelled = true;
        this.cancelledInHeap++;
        this.maybeCompact();
      },
    };
  }

  /** `schedule` relative to now; a negative delay counts as zero. */
  scheduleAfter(delayMs: number, label: string, fn: SimEventFn, owner?: SimEventOwner): SimEventHandle {
    assert(!Number.isNaN(delayMs), `event "${label}": delay is NaN`);
    return this.schedule(this.virtualNowMs + Math.max(0, delayMs), label, fn, owner);
  }

  /**
   * Runs events until `stop` (a virtual time: every event at or before it runs and the clock then reads that
   * time; or a predicate checked before each event), the queue is empty, or `maxEvents` ran. Throws
   * SimEventError when an event throws or its promise rejects.
   */
  async runUntil(stop: SimStop, maxEvents: number): Promise<SimRunResult> {
    assert(!this.running, 'runUntil is not re-entrant: only the driver runs events');
    assert(Number.isSafeInteger(maxEvents) && maxEvents >= 0, `maxEvents ${maxEvents} must be a non-negative integer`);
    if (typeof stop === 'number') assert(stop >= this.virtualNowMs, `stop time ${stop} ms is in the past (now ${this.virtualNowMs} ms)`);
    this.running = true;
    let ran = 0;
    try {
      // Whatever the caller started before handing over the loop settles first, like any event's effects.
      await this.settleAndCheck();
      for (;;) {
        if (typeof stop === 'function' && stop()) return this.result('predicate', ran);
        const next = this.peekLive();
        if (next === undefined) {
          if (typeof stop === 'number') {
            this.virtualNowMs = stop;
            return this.result('time', ran);
          }
          return this.result('idle', ran);
        }
        if (typeof stop === 'number' && next.atMs > stop) {
          this.virtualNowMs = stop;
          return this.result('time', ran);
        }
        if (ran >= maxEvents) return this.result('eventLimit', ran);
        this.pop();
        // A skipped event ran no code, so there is nothing to settle after it.
        if (!this.runEvent(next)) continue;
        ran++;
        await this.settleAndCheck();
      }
    } finally {
      this.running = false;
    }
  }

  /** `runUntil(now + durationMs)`. */
  runFor(durationMs: number, maxEvents: number): Promise<SimRunResult> {
    assert(durationMs >= 0, `runFor(${durationMs}): negative duration`);
    return this.runUntil(this.virtualNowMs + durationMs, maxEvents);
  }

  /** SHA-256 (hex) over (time, sequence, label) of every event executed so far, in order. */
  traceHash(): string {
    return this.hash.copy().digest('hex');
  }

  /** The last executed events, oldest first, as `<timeMs> #<seq> <label>`. */
  traceTail(): string[] {
    return this.tail.toArray();
  }

  // ---- internals ----------------------------------------------------------------------------------------

  /** Runs one popped event; false when it was skipped (its owner died). */
  private runEvent(event: SimEvent): boolean {
    event.done = true;
    if (event.owner !== undefined && !event.owner.alive) {
      this.skipped++;
      return false;
    }
    this.virtualNowMs = event.atMs;
    this.executed++;
    this.hash.update(`${event.atMs}\u0000${event.seq}\u0000${event.label}\n`);
    this.tail.push(`${event.atMs} #${event.seq} ${event.label}`);
    try {
      const pending = event.fn();
      if (pending instanceof Promise) {
        pending.catch((e: unknown) => {
          this.failure ??= new SimEventError(event.label, event.atMs, event.seq, e);
        });
      }
    } catch (e) {
      throw new SimEventError(event.label, event.atMs, event.seq, e);
    }
    return true;
  }

  private async settleAndCheck(): Promise<void> {
    await settle();
    const failure = this.failure;
    if (failure !== undefined) {
      this.failure = undefined;
      throw failure;
    }
  }

  /** The next event that was not cancelled, left in the heap. */
  private peekLive(): SimEvent | undefined {
    for (;;) {
      const top = this.heap[0];
      if (top === undefined || !top.cancelled) return top;
      this.pop();
      this.cancelledInHeap--;
    }
  }

  private maybeCompact(): void {
    if (this.cancelledInHeap < CANCELLED_COMPACTION_MIN || this.cancelledInHeap * 2 < this.heap.length) return;
    const live = this.heap.filter((e) => !e.cancelled);
    this.heap.length = 0;
    this.cancelledInHeap = 0;
    for (const event of live) this.push(event);
  }

  private push(event: SimEvent): void {
    const heap = this.heap;
    heap.push(event);
    let i = heap.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!before(heap[i]!, heap[parent]!)) break;
      [heap[i], heap[parent]] = [heap[parent]!, heap[i]!];
      i = parent;
    }
  }

  private pop(): SimEvent | undefined {
    const heap = this.heap;
    const top = heap[0];
    const last = heap.pop();
    if (top === undefined || last === undefined || heap.length === 0) return top;
    heap[0] = last;
    let i = 0;
    for (;;) {
      const left = 2 * i + 1;
      const right = left + 1;
      let smallest = i;
      if (left < heap.length && before(heap[left]!, heap[smallest]!)) smallest = left;
      if (right < heap.length && before(heap[right]!, heap[smallest]!)) smallest = right;
      if (smallest === i) return top;
      [heap[i], heap[smallest]] = [heap[smallest]!, heap[i]!];
      i = smallest;
    }
  }

  private result(reason: SimRunResult['reason'], eventsRun: number): SimRunResult {
    return { reason, eventsRun, nowMs: this.virtualNowMs };
  }
}

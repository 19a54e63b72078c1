/**
 * Logging in the simulator: silent while a run goes well, a readable tail when it fails. Every simulated
 * process logs through a SimLogger (the pino slice the stub, the meta, the replica and the transport use)
 * into one bounded SimLogBuffer shared by the world, stamped with virtual time and the process's name, so the
 * tail interleaves all nodes in event order.
 */
import type { MetaLogger } from '../meta/meta-env.ts';
import type { StubLogger } from '../replica/stub/stub-env.ts';
import type { RpcLogger } from '../rpc/transport.ts';
import { RingBuffer } from './ring-buffer.ts';
import type { SimLoop } from './sim-loop.ts';

export type SimLogLevel = 'info' | 'warn' | 'error';

export interface SimLogEntry {
  /** Virtual ms (the loop's time, not a node's skewed wall time: the tail is in event order). */
  readonly atMs: number;
  /** The process, `address/epoch`. */
  readonly source: string;
  readonly level: SimLogLevel;
  readonly msg: string;
  /** The fields, serialised when logged (a later mutation of the object cannot change the record). */
  readonly fields: string;
}

/** Longest serialised fields kept per entry; the tail is for reading, not for a full dump. */
const FIELDS_CHARS_MAX = 2000;
const LOG_TAIL_MAX_DEFAULT = 5000;

function fieldsText(obj: object): string {
  let text: string;
  try {
    text = JSON.stringify(obj, function (this: Record<string, unknown>, key: string, value: unknown) {
      // `this[key]` is the value before toJSON: a Buffer, not the {type, data} object it turns into.
      const raw = this[key];
      if (Buffer.isBuffer(raw)) return `<${raw.length} bytes ${raw.subarray(0, 16).toString('hex')}>`;
      if (typeof value === 'bigint') return `${value}n`;
      if (value instanceof Error) {
        const code = (value as { code?: unknown }).code;
        return { name: value.name, message: value.message, ...(code === undefined ? {} : { code }) };
      }
      return value;
    });
  } catch (e) {
    text = `<unserialisable fields: ${e instanceof Error ? e.message : String(e)}>`;
  }
  return text.length > FIELDS_CHARS_MAX ? `${text.slice(0, FIELDS_CHARS_MAX)}…` : text;
}

/** The newest log lines of the whole simulated cluster. */
export class SimLogBuffer {
  private readonly entries: RingBuffer<SimLogEntry>;

  constructor(
    private readonly loop: SimLoop,
    capacity = LOG_TAIL_MAX_DEFAULT,
  ) {
    this.entries = new RingBuffer(capacity);
  }

  /** A logger for one process. */
  logger(source: string): SimLogger {
    return new SimLogger(this, source);
  }

  add(source: string, level: SimLogLevel, obj: object, msg: string): void {
    this.entries.push({ atMs: this.loop.nowMs, source, level, msg, fields: fieldsText(obj) });
  }

  tail(): SimLogEntry[] {
    return this.entries.toArray();
  }

  /** One line per entry: `<atMs> <LEVEL> <source> <msg> <fields>`. */
  format(): string {
    return this.tail()
      .map((e) => `${e.atMs} ${e.level.toUpperCase().padEnd(5)} ${e.source} ${e.msg} ${e.fields}`)
      .join('\n');
  }
}

export class SimLogger implements StubLogger, MetaLogger, RpcLogger {
  constructor(
    private readonly buffer: SimLogBuffer,
    readonly source: string,
  ) {}

  info(obj: object, msg: string): void {
    this.buffer.add(this.source, 'info', obj, msg);
  }

  warn(obj: object, msg: string): void {
    this.buffer.add(this.source, 'warn', obj, msg);
  }

  error(obj: object, msg: string): void {
    this.buffer.add(this.source, 'error', obj, msg);
  }
}

/**
 * The simulator's clients (simulation.md "Checkers"): a few concurrent clients, each issuing one operation at
 * a time on a small key set through the real TypeScript client (sending each request once, so an unknown
 * outcome stays unknown), and recording every operation as a HistoryEntry for the checkers. Keys are few so
 * that operations collide; values are unique per write so a read names the write it saw.
 *
 * Outcomes: success → `ok`; a failed read → `fail` (a read changes nothing); a failed write → `unknown`
 * (a timeout or an error after the write reached a primary says nothing about whether it will commit).
 */
import { PegasusMetaError } from '../client/errors.ts';
import type { Table } from '../client/table.ts';
import { CasCheckType } from '../idl/rrdb.ts';
import type { HistoryEntry, SimOp, SimOutcome, SimResult } from './check/history.ts';
import type { SimRandom } from './sim-random.ts';

export interface WorkloadOptions {
  readonly clients: number;
  readonly hashKeys: readonly string[];
  readonly sortKeys: readonly string[];
  /** Operations per client; the run ends when every client finished or `stopped()` holds. */
  readonly opsPerClient: number;
  /** Virtual pause between a client's operations, drawn in [0, thinkMsMax]. */
  readonly thinkMsMax: number;
}

/** incr only ever touches this sort key, and nothing else writes it, so its value stays a decimal. */
export const COUNTER_SORT_KEY = 'cnt';

export interface WorkloadClock {
  nowMs(): number;
  sleep(ms: number): Promise<void>;
}

export class Workload {
  readonly history: HistoryEntry[] = [];
  private nextId = 0;
  private writeSeq = 0;
  private stopped = false;
  private finishedClients = 0;

  constructor(
    private readonly options: WorkloadOptions,
    private readonly random: SimRandom,
    private readonly clock: WorkloadClock,
  ) {}

  get done(): boolean {
    return this.finishedClients === this.options.clients;
  }

  stop(): void {
    this.stopped = true;
  }

  okCount(): number {
    return this.history.filter((e) => e.outcome.status === 'ok').length;
  }

  /** Starts every client; each runs until its operations are done or the workload is stopped. */
  start(table: (clientId: number) => Promise<Table>): void {
    for (let c = 0; c < this.options.clients; c++) {
      const random = this.random.fork(`client-${c}`);
      void this.runClient(c, random, () => table(c)).finally(() => {
        this.finishedClients++;
      });
    }
  }

  private async runClient(clientId: number, random: SimRandom, openTable: () => Promise<Table>): Promise<void> {
    for (let i = 0; i < this.options.opsPerClient && !this.stopped; i++) {
      await this.clock.sleep(random.int(0, this.options.thinkMsMax));
      if (this.stopped) return;
      const hashKey = random.pick(this.options.hashKeys);
      const op = this.drawOp(random, clientId);
      const invokeMs = this.clock.nowMs();
      const outcome = await this.execute(openTable, hashKey, op);
      this.history.push({ id: this.nextId++, clientId, hashKey, op, invokeMs, completeMs: this.clock.nowMs(), outcome });
    }
  }

  private value(clientId: number): string {
    return `c${clientId}-${this.writeSeq++}`;
  }

  private drawOp(random: SimRandom, clientId: number): SimOp {
    const sortKeys = this.options.sortKeys;
    const sk = (): string => random.pick(sortKeys);
    const roll = random.int(0, 99);
    if (roll < 22) return { kind: 'set', sortKey: sk(), value: this.value(clientId) };
    if (roll < 30) return { kind: 'del', sortKey: sk() };
    if (roll < 36) {
      const a = sk();
      const b = sk();
      const entries: Array<[string, string]> = a === b ? [[a, this.value(clientId)]] : [[a, this.value(clientId)], [b, this.value(clientId)]];
      return { kind: 'multiSet', entries };
    }
    if (roll < 40) return { kind: 'multiDel', sortKeys: [...new Set([sk(), sk()])] };
    if (roll < 62) return { kind: 'get', sortKey: sk() };
    if (roll < 72) return { kind: 'multiGetAll' };
    if (roll < 76) return { kind: 'sortKeyCount' };
    if (roll < 90) return { kind: 'incr', sortKey: COUNTER_SORT_KEY, delta: random.int(1, 3) };
    const checkSortKey = sk();
    const check = random.pick(['exists', 'notExists', 'valueEquals'] as const);
    return { kind: 'checkAndSet', checkSortKey, check, operand: check === 'valueEquals' ? `c${random.int(0, this.options.clients - 1)}-${random.int(0, this.writeSeq)}` : '', setSortKey: sk(), setValue: this.value(clientId) };
  }

  private async execute(openTable: () => Promise<Table>, hashKey: string, op: SimOp): Promise<SimOutcome> {
    const isRead = op.kind === 'get' || op.kind === 'multiGetAll' || op.kind === 'sortKeyCount';
    try {
      const table = await openTable();
      return { status: 'ok', result: await run(table, hashKey, op) };
    } catch (e) {
      const error = (e as { code?: string }).code ?? (e instanceof Error ? e.message : String(e));
      return isRead || neverApplied(e) ? { status: 'fail', error } : { status: 'unknown', error };
    }
  }
}

/**
 * Errors that prove a write did not take effect: the request never left the client (no primary known, the
 * meta unreachable), or a replica refused it before it could get a decree (not primary or not hosted
 * there, too few members, queue full, bad request; a write already prepared is never refused, it gets no
 * answer). Anything else — a timeout, a lost connection — leaves the outcome unknown.
 */
function neverApplied(e: unknown): boolean {
  let cause: unknown = e;
  // The client wraps the last attempt's failure (ERR_RETRY_EXHAUSTED, a timeout) around its cause.
  while (cause instanceof Error && (cause as { code?: string }).code === 'ERR_RETRY_EXHAUSTED' && cause.cause !== undefined) cause = cause.cause;
  if (!(cause instanceof Error)) return false;
  const code = (cause as { code?: string }).code;
  const address = (cause as { address?: string }).address;
  if (cause instanceof PegasusMetaError) return true;
  if (address === undefined) return code === 'ERR_INVALID_STATE';
  return code === 'ERR_INVALID_STATE' || code === 'ERR_OBJECT_NOT_FOUND' || code === 'ERR_NOT_ENOUGH_MEMBER' || code === 'ERR_BUSY' || code === 'ERR_INVALID_DATA';
}

const CHECK_TYPE = { exists: CasCheckType.CT_VALUE_EXIST, notExists: CasCheckType.CT_VALUE_NOT_EXIST, valueEquals: CasCheckType.CT_VALUE_BYTES_EQUAL } as const;

async function run(table: Table, hashKey: string, op: SimOp): Promise<SimResult> {
  switch (op.kind) {
    case 'set':
      await table.set(hashKey, op.sortKey, op.value);
      return { kind: 'write' };
    case 'del':
      await table.del(hashKey, op.sortKey);
      return { kind: 'write' };
    case 'multiSet':
      await table.multiSet(hashKey, op.entries);
      return { kind: 'write' };
    case 'multiDel':
      await table.multiDel(hashKey, op.sortKeys);
      return { kind: 'write' };
    case 'get': {
      const value = await table.get(hashKey, op.sortKey);
      return { kind: 'get', value: value?.toString() };
    }
    case 'multiGetAll': {
      const result = await table.multiGet(hashKey, undefined, { maxFetchCount: 0, maxFetchSize: 0 });
      if (!result.complete) throw new Error('multiGet incomplete');
      return { kind: 'multiGetAll', entries: result.kvs.map((kv) => [kv.sortKey.toString(), kv.value.toString()] as const) };
    }
    case 'sortKeyCount':
      return { kind: 'sortKeyCount', count: await table.sortKeyCount(hashKey) };
    case 'incr':
      return { kind: 'incr', newValue: Number(await table.incr(hashKey, op.sortKey, op.delta)) };
    case 'checkAndSet': {
      const result = await table.checkAndSet(hashKey, op.checkSortKey, CHECK_TYPE[op.check], op.operand, op.setSortKey, op.setValue, { returnCheckValue: true });
      return { kind: 'checkAndSet', setDone: result.setSucceed, checkValue: result.checkValueExist ? result.checkValue?.toString() : undefined };
    }
  }
}

/** Reads every hash key's whole content (after healing) for the durability checker. */
export async function readFinalState(table: Table, hashKeys: readonly string[]): Promise<Map<string, Array<[string, string]>>> {
  const out = new Map<string, Array<[string, string]>>();
  for (const hashKey of hashKeys) {
    const result = await table.multiGet(hashKey, undefined, { maxFetchCount: 0, maxFetchSize: 0 });
    out.set(hashKey, result.kvs.map((kv) => [kv.sortKey.toString(), kv.value.toString()]));
  }
  return out;
}

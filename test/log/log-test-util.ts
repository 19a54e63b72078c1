/** Small helpers shared by the log tests: a seeded PRNG, mutation factories, error checks. */
import assert from 'node:assert/strict';
import { isPegasusError, type ErrorCode } from '../../src/base/error-code.ts';
import type { MutationLog } from '../../src/log/mutation-log.ts';
import type { Gpid, Mutation } from '../../src/log/mutation.ts';

export const GPID: Gpid = { appId: 3, partitionIndex: 7 };

export { seededRandom } from '../support/seeded-random.ts';

export function randomInt(random: () => number, min: number, max: number): number {
  return min + Math.floor(random() * (max - min + 1));
}

export function randomBytes(random: () => number, length: number): Buffer {
  const out = Buffer.allocUnsafe(length);
  for (let i = 0; i < length; i++) out[i] = Math.floor(random() * 256);
  return out;
}

const CODES = ['RPC_RRDB_RRDB_PUT', 'RPC_RRDB_RRDB_REMOVE', 'RPC_RRDB_RRDB_MULTI_PUT', 'RPC_REPLICATION_WRITE_EMPTY'];

export interface MutationShape {
  ballot?: number;
  lastCommittedDecree?: number;
  /** Bytes of each update's payload; random (0..maxDataBytes) when unset. */
  dataBytes?: number;
  maxDataBytes?: number;
  updates?: number;
}

/** A mutation with random updates and binary payloads, drawn from `random`. */
export function makeMutation(decree: number, random: () => number, shape: MutationShape = {}): Mutation {
  const updates = shape.updates ?? randomInt(random, 0, 4);
  return {
    header: {
      gpid: { ...GPID },
      ballot: shape.ballot ?? 1,
      decree,
      logOffset: 0,
      lastCommittedDecree: shape.lastCommittedDecree ?? decree - 1,
      timestampUs: 1_700_000_000_000_000 + decree,
    },
    updates: Array.from({ length: updates }, () => ({
      code: CODES[randomInt(random, 0, CODES.length - 1)]!,
      serializationType: randomInt(random, 0, 2),
      data: randomBytes(random, shape.dataBytes ?? randomInt(random, 0, shape.maxDataBytes ?? 300)),
    })),
  };
}

/** A deep copy, so a later change by the log (logOffset) does not alter what the test expects. */
export function cloneMutation(m: Mutation): Mutation {
  return {
    header: { ...m.header, gpid: { ...m.header.gpid } },
    updates: m.updates.map((u) => ({ ...u, data: Buffer.from(u.data) })),
  };
}

export async function replayAll(log: MutationLog, fromDecree = 0): Promise<Mutation[]> {
  const out: Mutation[] = [];
  await log.replay(fromDecree, (m) => out.push(m));
  return out;
}

/** Asserts that `promise` rejects with a PegasusError of `code`; returns its message. */
export async function rejectsWith(promise: Promise<unknown>, code: ErrorCode): Promise<string> {
  try {
    await promise;
  } catch (e) {
    assert.ok(isPegasusError(e), `expected a PegasusError ${code}, got ${String(e)}`);
    assert.equal(e.code, code, e.message);
    return e.message;
  }
  assert.fail(`expected rejection with ${code}, but it resolved`);
}

/** A clock the test moves by hand. */
export class FakeClock {
  constructor(public nowMsValue = 1_700_000_000_000) {}
  readonly nowMs = (): number => this.nowMsValue;
  advance(ms: number): void {
    this.nowMsValue += ms;
  }
}

export function decreesOf(mutations: readonly Mutation[]): number[] {
  return mutations.map((m) => m.header.decree);
}

export function range(from: number, to: number): number[] {
  return Array.from({ length: Math.max(0, to - from + 1) }, (_, i) => from + i);
}

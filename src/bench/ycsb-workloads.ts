/**
 * YCSB's core workloads (the `workloads/workloada`…`workloadf` property files), as operation mixes over a
 * record set, and the generator that draws one operation at a time. The load phase inserts records
 * 0..recordCount-1 in order; the run phase draws from the mix. Keys are YCSB's: `user` + the FNV hash of
 * the record number (YCSB's default, hashed inserts), so consecutive records spread over partitions.
 */
import { keyChooser, fnv1a64, type DistributionName, type KeyChooser, type UnitRandom } from './key-distributions.ts';

export type WorkloadName = 'A' | 'B' | 'C' | 'D' | 'E' | 'F';
export type OperationKind = 'read' | 'update' | 'insert' | 'scan' | 'readModifyWrite';

export interface WorkloadSpec {
  readonly name: WorkloadName;
  readonly description: string;
  /** Proportions of each operation kind; they sum to 1. */
  readonly mix: Readonly<Record<OperationKind, number>>;
  readonly distribution: DistributionName;
  /** Scans read a uniform number of records in [1, maxScanLength] (YCSB default 100). */
  readonly maxScanLength: number;
}

const NONE: Record<OperationKind, number> = { read: 0, update: 0, insert: 0, scan: 0, readModifyWrite: 0 };

export const WORKLOADS: Readonly<Record<WorkloadName, WorkloadSpec>> = {
  A: { name: 'A', description: 'update heavy: 50% reads, 50% updates', mix: { ...NONE, read: 0.5, update: 0.5 }, distribution: 'zipfian', maxScanLength: 100 },
  B: { name: 'B', description: 'read mostly: 95% reads, 5% updates', mix: { ...NONE, read: 0.95, update: 0.05 }, distribution: 'zipfian', maxScanLength: 100 },
  C: { name: 'C', description: 'read only', mix: { ...NONE, read: 1 }, distribution: 'zipfian', maxScanLength: 100 },
  D: { name: 'D', description: 'read latest: 95% reads of recent records, 5% inserts', mix: { ...NONE, read: 0.95, insert: 0.05 }, distribution: 'latest', maxScanLength: 100 },
  E: { name: 'E', description: 'short ranges: 95% scans, 5% inserts', mix: { ...NONE, scan: 0.95, insert: 0.05 }, distribution: 'zipfian', maxScanLength: 100 },
  F: { name: 'F', description: 'read-modify-write: 50% reads, 50% read-modify-writes', mix: { ...NONE, read: 0.5, readModifyWrite: 0.5 }, distribution: 'zipfian', maxScanLength: 100 },
};

export interface Operation {
  readonly kind: OperationKind;
  /** The record's key (`user…`). */
  readonly key: string;
  /** Records a scan reads, from `key` on. */
  readonly scanLength?: number;
}

/** YCSB's key for record `n`. */
export function recordKey(n: number): string {
  return `user${fnv1a64(n).toString()}`;
}

/**
 * The record numbers one load generator inserts: with `stride` generators running one workload, generator
 * `offset` takes `start + offset`, `start + offset + stride`, ... so no two of them insert the same record
 * (YCSB's insertstart/insertcount split, interleaved so every generator's inserts stay recent).
 */
export class InsertSequence {
  private nextNumber: number;

  constructor(
    start: number,
    private readonly stride = 1,
    offset = 0,
  ) {
    if (!Number.isInteger(stride) || stride < 1 || !Number.isInteger(offset) || offset < 0 || offset >= stride) {
      throw new RangeError(`an insert sequence needs 0 <= offset < stride, got offset ${offset}, stride ${stride}`);
    }
    this.nextNumber = start + offset;
  }

  next(): number {
    const n = this.nextNumber;
    this.nextNumber += this.stride;
    return n;
  }
}

/**
 * Draws a workload's operations. Inserts take the next number of `inserts` (by default the record count
 * itself, one generator alone), and `records.count` follows the highest record inserted, so reads of the
 * `latest` distribution follow the inserts.
 */
export class OperationGenerator {
  private readonly chooser: KeyChooser;
  private readonly kinds: Array<[OperationKind, number]>;

  constructor(
    readonly spec: WorkloadSpec,
    private readonly random: UnitRandom,
    private readonly records: { count: number },
    private readonly inserts: InsertSequence = new InsertSequence(records.count),
  ) {
    this.chooser = keyChooser(spec.distribution, random, () => records.count);
    let cumulative = 0;
    this.kinds = (Object.entries(spec.mix) as Array<[OperationKind, number]>).filter(([, p]) => p > 0).map(([kind, p]) => [kind, (cumulative += p)]);
  }

  next(): Operation {
    const u = this.random.float() * this.kinds[this.kinds.length - 1]![1];
    const kind = this.kinds.find(([, upTo]) => u < upTo)?.[0] ?? this.kinds[this.kinds.length - 1]![0];
    if (kind === 'insert') {
      const n = this.inserts.next();
      this.records.count = Math.max(this.records.count, n + 1);
      return { kind, key: recordKey(n) };
    }
    const key = recordKey(this.chooser.next());
    if (kind === 'scan') return { kind, key, scanLength: 1 + Math.floor(this.random.float() * this.spec.maxScanLength) };
    return { kind, key };
  }
}

/**
 * The simulator's one source of randomness (simulation.md "What makes a run deterministic"): a seeded
 * xoroshiro128+ from `pure-rand`, the generator fast-check uses.
 *
 * Every component draws from its own sub-stream, `fork(label)`, whose state is derived from the seed and
 * the chain of labels only, never from how many numbers the parent drew. So a component that starts
 * drawing one more number (a new fault kind, a new workload step) shifts only its own stream, and a seed
 * keeps meaning the same schedule for everything else: swarm runs stay comparable across code changes.
 */
import { createHash } from 'node:crypto';
import { uniformFloat64 } from 'pure-rand/distribution/uniformFloat64';
import { uniformInt } from 'pure-rand/distribution/uniformInt';
import { xoroshiro128plusFromState } from 'pure-rand/generator/xoroshiro128plus';
import type { RandomGenerator } from 'pure-rand/types/RandomGenerator';
import { assert } from '../base/assert.ts';

/** A seed as the CLI takes it: `--seed 42`; any safe integer, so a sweep can number its seeds freely. */
export type SimSeed = number;

/**
 * xoroshiro128+ has 128 bits of state and pure-rand's own `xoroshiro128plus(seed)` fills them from 32 bits;
 * hashing the seed and label path gives every sub-stream a full, well-mixed state instead.
 */
function generatorFor(path: string): RandomGenerator {
  const digest = createHash('sha256').update(path).digest();
  const state: number[] = [digest.readInt32LE(0), digest.readInt32LE(4), digest.readInt32LE(8), digest.readInt32LE(12)];
  // The all-zero state is xoroshiro's one fixed point (it would draw zeros forever).
  if (!state.some((word) => word !== 0)) state[0] = 1;
  return xoroshiro128plusFromState(state);
}

export class SimRandom {
  private readonly generator: RandomGenerator;
  /** Labels already forked from this stream: forking one twice would hand two components the same numbers. */
  private readonly forkedLabels = new Set<string>();

  private constructor(
    /** The seed and fork labels that define this stream, e.g. `seed:7/network`; for failure reports. */
    readonly path: string,
  ) {
    this.generator = generatorFor(path);
  }

  static fromSeed(seed: SimSeed): SimRandom {
    assert(Number.isSafeInteger(seed), `seed ${seed} must be a safe integer`);
    return new SimRandom(`seed:${seed}`);
  }

  /** An independent stream for one component; the same label always gives the same stream for a seed. */
  fork(label: string): SimRandom {
    assert(label.length > 0 && !label.includes('/'), `fork label ${JSON.stringify(label)} must be non-empty and have no '/'`);
    assert(!this.forkedLabels.has(label), `${this.path} already forked ${JSON.stringify(label)}`);
    this.forkedLabels.add(label);
    return new SimRandom(`${this.path}/${label}`);
  }

  /** Uniform in [0, 1), 53 bits. */
  float(): number {
    return uniformFloat64(this.generator);
  }

  /** Uniform integer in [minIncl, maxIncl]. */
  int(minIncl: number, maxIncl: number): number {
    assert(Number.isSafeInteger(minIncl) && Number.isSafeInteger(maxIncl), `int(${minIncl}, ${maxIncl}) needs safe integers`);
    assert(minIncl <= maxIncl, `int(${minIncl}, ${maxIncl}): empty range`);
    return uniformInt(this.generator, minIncl, maxIncl);
  }

  /**
   * True with probability `p`. It draws a number even for p = 0 or 1, so turning a fault's rate up or down
   * does not shift the draws that follow it.
   */
  chance(p: number): boolean {
    assert(p >= 0 && p <= 1, `chance(${p}): a probability is in [0, 1]`);
    return this.float() < p;
  }

  pick<T>(items: readonly T[]): T {
    assert(items.length > 0, 'pick from an empty array');
    return items[this.int(0, items.length - 1)]!;
  }
}

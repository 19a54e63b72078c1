/**
 * YCSB's request distributions (Cooper et al., "Benchmarking Cloud Serving Systems with YCSB", and YCSB's
 * generator classes), over record numbers [0, itemCount):
 *   - uniform;
 *   - zipfian: Gray et al.'s "Quickly generating billion-record synthetic databases" generator with YCSB's
 *     constant 0.99, scrambled by an FNV-1a hash so the popular items spread over the key space (YCSB's
 *     ScrambledZipfianGenerator);
 *   - latest: the most recently inserted records are the most popular (YCSB's SkewedLatestGenerator: the
 *     newest record minus a zipfian offset).
 * Every generator draws from the caller's seeded random source, so a run replays.
 */
export const ZIPFIAN_CONSTANT = 0.99;

export interface UnitRandom {
  /** In [0, 1). */
  float(): number;
}

export interface KeyChooser {
  /** A record number in [0, itemCount()). */
  next(): number;
}

export class UniformChooser implements KeyChooser {
  constructor(
    private readonly random: UnitRandom,
    private readonly itemCount: () => number,
  ) {}

  next(): number {
    return Math.floor(this.random.float() * this.itemCount());
  }
}

/** zeta(n, theta) = Σ_{i=1..n} 1 / i^theta, computed incrementally as n grows (YCSB does the same). */
class Zeta {
  private n = 0;
  private sum = 0;
  constructor(private readonly theta: number) {}

  upTo(n: number): number {
    for (let i = this.n + 1; i <= n; i++) this.sum += 1 / Math.pow(i, this.theta);
    this.n = Math.max(this.n, n);
    return this.sum;
  }
}

/** Gray et al.'s zipfian over [0, n): item 0 is the most popular. `n` may grow (inserts). */
export class ZipfianChooser implements KeyChooser {
  private readonly zeta: Zeta;
  private readonly zeta2: number;
  private readonly alpha: number;
  private zetaN: number;
  private eta: number;
  private countForZeta: number;

  constructor(
    private readonly random: UnitRandom,
    private readonly itemCount: () => number,
    private readonly theta = ZIPFIAN_CONSTANT,
  ) {
    this.zeta = new Zeta(theta);
    this.zeta2 = 1 + 1 / Math.pow(2, theta);
    this.alpha = 1 / (1 - theta);
    this.countForZeta = Math.max(1, itemCount());
    this.zetaN = this.zeta.upTo(this.countForZeta);
    this.eta = this.etaFor(this.countForZeta);
  }

  private etaFor(n: number): number {
    return (1 - Math.pow(2 / n, 1 - this.theta)) / (1 - this.zeta2 / this.zetaN);
  }

  next(): number {
    const n = Math.max(1, this.itemCount());
    if (n !== this.countForZeta) {
      this.countForZeta = n;
      this.zetaN = this.zeta.upTo(n);
      this.eta = this.etaFor(n);
    }
    const u = this.random.float();
    const uz = u * this.zetaN;
    if (uz < 1) return 0;
    if (uz < this.zeta2) return Math.min(1, n - 1);
    return Math.min(n - 1, Math.floor(n * Math.pow(this.eta * u - this.eta + 1, this.alpha)));
  }
}

/**
 * YCSB's Utils.fnvhash64: FNV-1a over the record number's 8 bytes (low byte first), read as a signed Java
 * long and made non-negative with Math.abs — so keys and scrambling match YCSB's.
 */
export function fnv1a64(value: number): bigint {
  let hash = 0xcbf29ce484222325n;
  let v = BigInt(value);
  for (let i = 0; i < 8; i++) {
    hash ^= v & 0xffn;
    hash = (hash * 0x100000001b3n) & 0xffffffffffffffffn;
    v >>= 8n;
  }
  const signed = hash >= 1n << 63n ? hash - (1n << 64n) : hash;
  return signed < 0n ? -signed : signed;
}

/**
 * YCSB's ScrambledZipfianGenerator: zipfian popularity, but the popular items are scattered over the key
 * space by a hash instead of being the smallest record numbers.
 */
export class ScrambledZipfianChooser implements KeyChooser {
  private readonly zipfian: ZipfianChooser;

  constructor(
    random: UnitRandom,
    private readonly itemCount: () => number,
  ) {
    this.zipfian = new ZipfianChooser(random, itemCount);
  }

  next(): number {
    return Number(fnv1a64(this.zipfian.next()) % BigInt(Math.max(1, this.itemCount())));
  }
}

/** YCSB's SkewedLatestGenerator: the newest record is the most popular, then the one before, ... */
export class LatestChooser implements KeyChooser {
  private readonly zipfian: ZipfianChooser;

  constructor(
    random: UnitRandom,
    private readonly itemCount: () => number,
  ) {
    this.zipfian = new ZipfianChooser(random, itemCount);
  }

  next(): number {
    const n = Math.max(1, this.itemCount());
    return n - 1 - this.zipfian.next();
  }
}

export type DistributionName = 'uniform' | 'zipfian' | 'latest';

export function keyChooser(name: DistributionName, random: UnitRandom, itemCount: () => number): KeyChooser {
  switch (name) {
    case 'uniform':
      return new UniformChooser(random, itemCount);
    case 'zipfian':
      return new ScrambledZipfianChooser(random, itemCount);
    case 'latest':
      return new LatestChooser(random, itemCount);
  }
}

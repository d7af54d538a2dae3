import { InvalidArgumentError } from '../errors/index.js';
import { describe } from '../validation/describe.js';

const MASK64 = (1n << 64n) - 1n;

/** SplitMix64 (Steele, Lea & Flood 2014), the seeding generator the xoshiro authors recommend. */
function splitMix64(state: bigint): [next: bigint, output: bigint] {
  const next = (state + 0x9e3779b97f4a7c15n) & MASK64;
  let z = next;
  z = ((z ^ (z >> 30n)) * 0xbf58476d1ce4e5b9n) & MASK64;
  z = ((z ^ (z >> 27n)) * 0x94d049bb133111ebn) & MASK64;
  return [next, z ^ (z >> 31n)];
}

/**
 * @internal xoshiro128** (Blackman & Vigna, "Scrambled linear pseudorandom number generators",
 * ACM TOMS 47(4), 2021): a small, fast 32-bit generator with period 2^128 - 1, written with
 * `Math.imul` so it runs at integer speed in any JS engine. Not cryptographic.
 *
 * @remarks Since 0.1.0. The same seed gives the same stream on every platform.
 * @example
 * ```ts
 * const rng = new Xoshiro128(42);
 * rng.nextInt(10); // an integer in [0, 10)
 * ```
 */
export class Xoshiro128 {
  private s0: number;
  private s1: number;
  private s2: number;
  private s3: number;

  /** @param seed - Any safe integer (negative ones too); expanded to 128 bits by SplitMix64. */
  constructor(seed: number) {
    if (!Number.isSafeInteger(seed)) {
      throw new InvalidArgumentError(
        `seed must be a safe integer (|seed| <= 2^53 - 1); received ${describe(seed)}. Pass e.g. { seed: 42 }.`,
      );
    }
    let state = BigInt.asUintN(64, BigInt(seed));
    let a: bigint;
    let b: bigint;
    [state, a] = splitMix64(state);
    [state, b] = splitMix64(state);
    this.s0 = Number(a & 0xffffffffn) | 0;
    this.s1 = Number(a >> 32n) | 0;
    this.s2 = Number(b & 0xffffffffn) | 0;
    this.s3 = Number(b >> 32n) | 0;
  }

  /** The next 32 random bits as an unsigned integer in [0, 2^32). */
  nextUint32(): number {
    const s1 = this.s1;
    const x = Math.imul(s1, 5);
    const result = Math.imul((x << 7) | (x >>> 25), 9);
    const t = s1 << 9;
    this.s2 ^= this.s0;
    this.s3 ^= s1;
    this.s1 ^= this.s2;
    this.s0 ^= this.s3;
    this.s2 ^= t;
    this.s3 = (this.s3 << 11) | (this.s3 >>> 21);
    return result >>> 0;
  }

  /**
   * An unbiased integer in [0, bound) for 1 <= bound <= 2^32: draws above the largest multiple
   * of `bound` are rejected so every residue is equally likely (at most half the draws, and
   * almost never for the sample sizes of a bootstrap).
   */
  nextInt(bound: number): number {
    const limit = 4294967296 - (4294967296 % bound);
    let r = this.nextUint32();
    while (r >= limit) r = this.nextUint32();
    return r % bound;
  }
}

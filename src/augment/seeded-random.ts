import { uniform } from '../random/shuffle.js';
import { Xoshiro128 } from '../random/xoshiro.js';

/**
 * A seeded stream of uniform floats in [0, 1) for augmentations: the same seed gives the same
 * stream on every platform (xoshiro128**, 32 random bits per draw).
 *
 * @param seed - Any safe integer.
 * @returns A function to pass as an {@link Augmentation}'s `random` argument.
 * @throws InvalidArgumentError when `seed` is not a safe integer.
 *
 * @remarks Since 0.1.0. One stream per training run (or per epoch, seeded from the run's seed)
 * makes the augmented images reproducible; two streams with the same seed are independent copies.
 * @example
 * ```ts
 * import { seededRandom } from 'dvme';
 * const random = seededRandom(42);
 * random(); // a float in [0, 1), the same on every run
 * ```
 */
export function seededRandom(seed: number): () => number {
  const rng = new Xoshiro128(seed);
  return () => uniform(rng);
}

/** @internal A uniform float in [low, high), torch's `torch.empty(1).uniform_(low, high)`. */
export function uniformIn(random: () => number, low: number, high: number): number {
  return low + (high - low) * random();
}

/** @internal A uniform integer in [low, high), torch's `torch.randint(low, high)`. */
export function randomInt(random: () => number, low: number, high: number): number {
  return low + Math.min(Math.floor(random() * (high - low)), high - low - 1);
}

/** @internal A uniformly random permutation of 0..n-1, torch's `torch.randperm(n)` in role. */
export function randomPermutation(random: () => number, n: number): number[] {
  const p = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = randomInt(random, 0, i + 1);
    [p[i], p[j]] = [p[j], p[i]];
  }
  return p;
}

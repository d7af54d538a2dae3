import type { EmbeddingSetSplit } from '../data/embedding-set.js';
import { InvalidArgumentError } from '../errors/index.js';
import { shuffleInPlace } from '../random/shuffle.js';
import { Xoshiro128 } from '../random/xoshiro.js';

/**
 * Fractions of the images without a split that go to validation and test; the rest is train.
 *
 * @remarks Since 0.1.0.
 * @example
 * ```ts
 * import type { SplitFractions } from 'dvme';
 * const f: SplitFractions = { val: 0.1, test: 0.2, seed: 0 };
 * ```
 */
export interface SplitFractions {
  /** @defaultValue 0 */
  readonly val?: number;
  /** @defaultValue 0 */
  readonly test?: number;
  /** @defaultValue 0 */
  readonly seed?: number;
}

interface Splittable {
  readonly label?: number | readonly number[];
  readonly split?: EmbeddingSetSplit;
}

/**
 * @internal Items with a split for each that had none: per label group (the single label, or
 * the multi-label vector as a whole; unlabelled items form one group), a seeded shuffle, then
 * `round(val * n)` to val, `round(test * n)` to test and the rest to train.
 */
export function assignSplits<T extends Splittable>(items: readonly T[], fractions: SplitFractions): (T & { split?: EmbeddingSetSplit })[] {
  const { val = 0, test = 0, seed = 0 } = fractions ?? {};
  if (!(val >= 0 && test >= 0 && val + test < 1)) {
    throw new InvalidArgumentError(`withSplits: val and test must be fractions >= 0 with val + test < 1; received val ${val}, test ${test}.`);
  }
  const rng = new Xoshiro128(seed);
  const groups = new Map<string, number[]>();
  items.forEach((item, i) => {
    if (item.split !== undefined) return;
    const key = JSON.stringify(item.label ?? null);
    const g = groups.get(key);
    if (g) g.push(i);
    else groups.set(key, [i]);
  });
  const out: (T & { split?: EmbeddingSetSplit })[] = [...items];
  // Groups in a fixed order (their first item's), so the stream is drawn the same way every time.
  for (const members of groups.values()) {
    const order = Int32Array.from(members);
    shuffleInPlace(order, rng);
    const nVal = Math.round(val * order.length);
    const nTest = Math.round(test * order.length);
    order.forEach((m, k) => {
      const split: EmbeddingSetSplit = k < nVal ? 'val' : k < nVal + nTest ? 'test' : 'train';
      out[m] = { ...(items[m] as T), split };
    });
  }
  return out;
}

import { InvalidArgumentError, NonFiniteError, ShapeError } from '../errors/index.js';
import { describe } from '../validation/describe.js';
import { Xoshiro128 } from '../random/xoshiro.js';
import { permutation, shuffleInPlace, stratifiedSplit } from '../random/shuffle.js';

/**
 * How many labelled rows a subset draws: a count, or `'all'` for every row (the paper's full
 * regime F).
 *
 * @remarks Since 0.1.0.
 * @example
 * ```ts
 * import type { SubsetSize } from 'dvme';
 * const sizes: Record<string, SubsetSize> = { S: 50, M: 500, F: 'all' };
 * ```
 */
export type SubsetSize = number | 'all';

/**
 * Options of {@link sampleSubset}.
 *
 * @remarks Since 0.1.0.
 * @example
 * ```ts
 * import type { SampleSubsetOptions } from 'dvme';
 * const small: SampleSubsetOptions = { size: 50, seed: 3, validationFraction: 0.2 };
 * ```
 */
export interface SampleSubsetOptions {
  /**
   * Labelled rows drawn: training plus validation rows together (the labelling budget of a
   * data regime), or `'all'`. A count above the rows available is an
   * {@link InvalidArgumentError}; pass `'all'` to take every row.
   */
  readonly size: SubsetSize;
  /**
   * Draw an equal share of every class (as equal as the class counts allow: a class with too
   * few rows gives all it has and the rest is shared among the others). `false` draws each
   * class in proportion to its share of the pool (stratified: largest remainders, ties broken
   * at random), so the subset keeps the pool's class mix.
   * @defaultValue `true` (the paper's class-balanced draws)
   */
  readonly balanced?: boolean;
  /**
   * Seed of the draw and the split: the same labels, options and seed give the same subset
   * on every platform.
   * @defaultValue `0`
   */
  readonly seed?: number;
  /**
   * Group (patient) id of every row. With `validationFraction`, whole groups go to one side,
   * so no patient has images in both training and validation.
   * @defaultValue none (every row is its own group)
   */
  readonly groups?: ArrayLike<number | string>;
  /**
   * Fraction of the drawn rows held out as validation rows (for early stopping), taken out of
   * `size`, stratified by class (by group when `groups` is given).
   * @defaultValue `0` (no validation rows)
   */
  readonly validationFraction?: number;
}

/**
 * Row indices of a drawn subset, each in ascending order; `train` and `validation` are
 * disjoint and together hold `size` rows.
 *
 * @remarks Since 0.1.0.
 * @example
 * ```ts
 * import type { Subset } from 'dvme';
 * const s: Subset = { train: Int32Array.of(0, 4, 7), validation: Int32Array.of(2) };
 * ```
 */
export interface Subset {
  /** Rows to train on. */
  readonly train: Int32Array;
  /** Rows held out for validation (empty without `validationFraction`). */
  readonly validation: Int32Array;
}

/**
 * Draws a labelled subset of a training pool as the paper draws its small / medium / full
 * regimes: class-balanced at random, repeatable under a seed, and optionally split into
 * training and validation rows that share no patient.
 *
 * @remarks
 * Since 0.1.0. `size` counts training and validation rows together: a regime of 50 images with
 * `validationFraction: 0.2` trains on 40 and stops early on 10, so a regime's size is the
 * labelled data it consumes. The class split keeps at least one row of every class with two or
 * more rows on each side, so tiny subsets may hold out a little more than the fraction. A
 * group split assigns whole groups in a seeded order until the fraction is reached, and is
 * not stratified by class.
 *
 * @param labels - the class of every row of the pool (any numbers). For multilabel data pass
 *   one stratum per row (see `runLinearEvaluation`).
 * @throws {@link InvalidArgumentError} for a size above the rows available, a bad fraction or
 *   seed; {@link ShapeError} when `groups` and `labels` differ in length;
 *   {@link NonFiniteError} for a NaN label.
 * @example
 * ```ts
 * import { sampleSubset } from 'dvme';
 * const labels = [0, 0, 0, 0, 0, 0, 1, 1, 2, 2];
 * const { train } = sampleSubset(labels, { size: 6, seed: 1 });
 * // 2 rows of each class: as balanced as 6 rows over 3 classes can be
 * const patients = ['a', 'a', 'b', 'b', 'c', 'c', 'd', 'd', 'e', 'e'];
 * const s = sampleSubset(labels, { size: 'all', groups: patients, validationFraction: 0.2, seed: 1 });
 * // no patient appears in both s.train and s.validation
 * ```
 */
export function sampleSubset(labels: ArrayLike<number>, options: SampleSubsetOptions): Subset {
  const { size, balanced, seed, fraction, groups } = checkOptions(labels, options);
  const rng = new Xoshiro128(seed);
  const n = labels.length;
  const classOf = classIndices(labels);
  let drawn: Int32Array;
  if (size === 'all' || size === n) drawn = Int32Array.from({ length: n }, (_, i) => i);
  else drawn = drawPerClass(classOf, size, balanced, rng);
  if (fraction === 0) return { train: drawn, validation: new Int32Array(0) };
  if (groups) return splitByGroup(drawn, groups, fraction, rng);
  const split = stratifiedSplit(Int32Array.from(drawn, (r) => classOf[r]), fraction, rng);
  return { train: Int32Array.from(split.train, (i) => drawn[i]), validation: Int32Array.from(split.heldOut, (i) => drawn[i]) };
}

function checkOptions(labels: ArrayLike<number>, options: SampleSubsetOptions) {
  if (typeof labels !== 'object' || labels === null || typeof labels.length !== 'number') {
    throw new InvalidArgumentError(`labels must be an array of class labels; received ${describe(labels)}.`);
  }
  if (typeof options !== 'object' || options === null) {
    throw new InvalidArgumentError(`sampleSubset options must be an object like { size: 50 }; received ${describe(options)}.`);
  }
  const n = labels.length;
  const { size } = options;
  if (size !== 'all' && (typeof size !== 'number' || !Number.isInteger(size) || size < 1)) {
    throw new InvalidArgumentError(`size must be a positive integer or 'all'; received ${describe(size)}.`);
  }
  if (size !== 'all' && size > n) {
    throw new InvalidArgumentError(
      `size ${size} exceeds the ${n} rows available. Pass size: 'all' to take every row, or a size up to ${n}.`,
    );
  }
  const balanced = options.balanced ?? true;
  if (typeof balanced !== 'boolean') throw new InvalidArgumentError(`balanced must be a boolean; received ${describe(balanced)}.`);
  const seed = options.seed ?? 0;
  if (!Number.isSafeInteger(seed)) throw new InvalidArgumentError(`seed must be a safe integer; received ${describe(seed)}.`);
  const fraction = options.validationFraction ?? 0;
  if (typeof fraction !== 'number' || !(fraction >= 0 && fraction < 1)) {
    throw new InvalidArgumentError(`validationFraction must be a number in [0, 1); received ${describe(fraction)}.`);
  }
  const { groups } = options;
  if (groups !== undefined && (typeof groups !== 'object' || groups === null || groups.length !== n)) {
    throw new ShapeError(
      `groups must hold one group id per label: ${n}; received ${typeof groups === 'object' && groups !== null ? `${groups.length} ids` : describe(groups)}.`,
    );
  }
  const drawnRows = size === 'all' ? n : size;
  if (fraction > 0 && drawnRows < 2) {
    throw new InvalidArgumentError(`validationFraction needs at least 2 rows to split; the subset has ${drawnRows}.`);
  }
  return { size, balanced, seed, fraction, groups };
}

/** Class index of every row, classes numbered in ascending label order (so draws do not depend on row order of first appearance). */
function classIndices(labels: ArrayLike<number>): Int32Array {
  const seen = new Set<number>();
  for (let i = 0; i < labels.length; i++) {
    const v = labels[i];
    if (typeof v !== 'number') throw new InvalidArgumentError(`labels[${i}] must be a number; received ${describe(v)}.`);
    if (Number.isNaN(v)) throw new NonFiniteError(`labels[${i}] is NaN; every row needs a class label.`);
    seen.add(v);
  }
  const index = new Map([...seen].sort((a, b) => a - b).map((v, k) => [v, k]));
  return Int32Array.from({ length: labels.length }, (_, i) => index.get(labels[i]) as number);
}

/**
 * @internal How many rows each class gives to a balanced draw of `size` rows: water-filling,
 * so every class gives `min(available, level)` for one common level, and the few rows the
 * level cannot split evenly go one each to classes chosen at random (never always the first
 * classes, which would bias small draws towards low labels).
 */
export function balancedCounts(available: ArrayLike<number>, size: number, rng: Xoshiro128): Int32Array {
  const out = new Int32Array(available.length);
  let left = size;
  let open = Array.from({ length: available.length }, (_, k) => k).filter((k) => available[k] > 0);
  while (left > 0 && open.length > 0) {
    const share = Math.floor(left / open.length);
    if (share === 0) {
      const order = Int32Array.from(open);
      shuffleInPlace(order, rng);
      for (let i = 0; i < left; i++) out[order[i]]++;
      break;
    }
    for (const k of open) {
      const give = Math.min(share, available[k] - out[k]);
      out[k] += give;
      left -= give;
    }
    open = open.filter((k) => out[k] < available[k]);
  }
  return out;
}

/**
 * @internal How many rows each class gives to a stratified draw of `size` rows: its share of
 * the pool, rounded by largest remainder (ties in a random order), never above what it has.
 */
export function proportionalCounts(available: ArrayLike<number>, size: number, rng: Xoshiro128): Int32Array {
  let total = 0;
  for (let k = 0; k < available.length; k++) total += available[k];
  const out = Int32Array.from(available, (c) => Math.floor((size * c) / total));
  let left = size - out.reduce((a, b) => a + b, 0);
  const order = permutation(available.length, rng);
  const remainder = (k: number) => (size * available[k]) / total - out[k];
  // Stable sort of a shuffled order: equal remainders fall in a random order.
  const byRemainder = [...order].sort((a, b) => remainder(b) - remainder(a));
  for (const k of byRemainder) {
    if (left === 0) break;
    if (out[k] < available[k]) {
      out[k]++;
      left--;
    }
  }
  return out;
}

function drawPerClass(classOf: Int32Array, size: number, balanced: boolean, rng: Xoshiro128): Int32Array {
  const rowsOf: number[][] = [];
  classOf.forEach((k, i) => (rowsOf[k] ??= []).push(i));
  const available = rowsOf.map((r) => r.length);
  const counts = balanced ? balancedCounts(available, size, rng) : proportionalCounts(available, size, rng);
  const out: number[] = [];
  // Classes in ascending order, each shuffled with the same stream: the seed fixes the draw.
  rowsOf.forEach((rows, k) => {
    const shuffled = Int32Array.from(rows);
    shuffleInPlace(shuffled, rng);
    for (let i = 0; i < counts[k]; i++) out.push(shuffled[i]);
  });
  return Int32Array.from(out).sort();
}

function splitByGroup(drawn: Int32Array, groups: ArrayLike<number | string>, fraction: number, rng: Xoshiro128): Subset {
  const members = new Map<number | string, number[]>();
  for (const r of drawn) {
    const g = groups[r];
    const list = members.get(g);
    if (list) list.push(r);
    else members.set(g, [r]);
  }
  if (members.size < 2) {
    throw new InvalidArgumentError(
      `All ${drawn.length} drawn rows belong to one group (${describe([...members.keys()][0])}), so no group-disjoint ` +
        'validation split exists. Draw more rows or omit validationFraction.',
    );
  }
  // Groups in order of first appearance among ascending rows, then shuffled: depends on data and seed only.
  const keys = [...members.keys()];
  const order = permutation(keys.length, rng);
  const target = Math.min(drawn.length - 1, Math.max(1, Math.round(fraction * drawn.length)));
  const held = new Set<number | string>();
  let count = 0;
  for (const i of order) {
    const size = (members.get(keys[i]) as number[]).length;
    // Greedy without overshooting, except that validation gets at least one group.
    if (count === 0 || count + size <= target) {
      held.add(keys[i]);
      count += size;
    }
    if (count >= target) break;
  }
  const train: number[] = [];
  const validation: number[] = [];
  for (const r of drawn) (held.has(groups[r]) ? validation : train).push(r);
  return { train: Int32Array.from(train), validation: Int32Array.from(validation) };
}

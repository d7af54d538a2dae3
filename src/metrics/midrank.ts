/**
 * DeLong placement counts by the midrank method of Sun & Xu, "Fast implementation of DeLong's
 * algorithm for comparing the areas under correlated receiver operating characteristic
 * curves", IEEE Signal Processing Letters 21(11) (2014) 1389-1393.
 *
 * @packageDocumentation
 */
import { sortWithPayload } from './sort.js';

/**
 * @internal Per-sample DeLong placement counts of one score vector.
 * `positive[i]` counts the negatives scored below positive i, ties counting 1/2; `negative[j]`
 * counts the positives scored below negative j, ties counting 1/2. The structural components
 * are `V10 = positive / n` and `V01 = 1 - negative / m`; the AUC is `sum(positive) / (m n)`.
 * Counts are multiples of 1/2, so they and their sums are exact in double precision.
 */
export interface Placements {
  /** Number of positive samples. */
  readonly m: number;
  /** Number of negative samples. */
  readonly n: number;
  readonly positive: Float64Array;
  readonly negative: Float64Array;
}

/**
 * @internal Computes {@link Placements} from one sort of all scores.
 *
 * Sun & Xu obtain the placements as midrank differences, `TZ - TX` for a positive (midrank
 * among all samples minus midrank among the positives) and `TZ - TY` for a negative. Walking
 * the sorted scores tie group by tie group gives the same numbers without ranking each class
 * separately: for a group holding p positives and q negatives above `posBelow` positives and
 * `negBelow` negatives, `TZ = posBelow + negBelow + (p + q + 1) / 2` and
 * `TX = posBelow + (p + 1) / 2`, so `TZ - TX = negBelow + q / 2` (and `TZ - TY` is
 * `posBelow + p / 2`). One O(n) radix argsort plus a linear pass: O(n) overall, well within
 * Sun & Xu's O(n log n).
 *
 * @remarks Since 0.1.0. Sun & Xu (2014).
 * @example
 * ```ts
 * placements(Uint8Array.of(1, 0, 1), 2, 1, Float64Array.of(0.9, 0.5, 0.5)).positive; // [1, 0.5]
 * ```
 */
export function placements(isPositive: Uint8Array, m: number, n: number, score: Float64Array): Placements {
  const len = score.length;
  const keys = new Float64Array(len);
  const order = new Uint32Array(len);
  // slot[i]: sample i's index within its class, so placements of two models line up by sample.
  const slot = new Uint32Array(len);
  for (let i = 0, a = 0, b = 0; i < len; i++) {
    keys[i] = score[i] + 0; // -0 + 0 is +0, as the radix sort requires
    order[i] = i;
    slot[i] = isPositive[i] === 1 ? a++ : b++;
  }
  const sorted = sortWithPayload(keys, order);
  const values = sorted.keys;
  const idx = sorted.payload;
  const positive = new Float64Array(m);
  const negative = new Float64Array(n);
  let posBelow = 0;
  let negBelow = 0;
  let start = 0;
  while (start < len) {
    let end = start;
    let p = 0;
    while (end < len && values[end] === values[start]) {
      p += isPositive[idx[end]];
      end++;
    }
    const q = end - start - p;
    const forPositive = negBelow + q / 2;
    const forNegative = posBelow + p / 2;
    for (let k = start; k < end; k++) {
      const i = idx[k];
      if (isPositive[i] === 1) positive[slot[i]] = forPositive;
      else negative[slot[i]] = forNegative;
    }
    posBelow += p;
    negBelow += q;
    start = end;
  }
  return { m, n, positive, negative };
}

/** @internal Sum of a vector; exact for the half-integer placement counts. */
export function sum(x: Float64Array): number {
  let s = 0;
  for (let i = 0; i < x.length; i++) s += x[i];
  return s;
}

/**
 * @internal Unbiased sample covariance (divisor length - 1) of two equal-length vectors, with
 * the two-pass (centre first) formula that does not cancel catastrophically. NaN for length < 2.
 */
export function sampleCovariance(a: Float64Array, b: Float64Array): number {
  const len = a.length;
  if (len < 2) return Number.NaN;
  const meanA = sum(a) / len;
  const meanB = a === b ? meanA : sum(b) / len;
  let s = 0;
  for (let i = 0; i < len; i++) s += (a[i] - meanA) * (b[i] - meanB);
  return s / (len - 1);
}

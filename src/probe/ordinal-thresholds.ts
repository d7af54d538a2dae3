import { InvalidArgumentError, ShapeError } from '../errors/index.js';
import { checkFinite } from '../metrics/validate.js';
import { describe } from '../validation/describe.js';

/**
 * Decision thresholds on the expected grade, fitted by {@link fitOrdinalThresholds}.
 *
 * @remarks Since 0.1.0.
 * @example
 * ```ts
 * import { fitOrdinalThresholds, type OrdinalThresholds } from 'dvme';
 * const t: OrdinalThresholds = fitOrdinalThresholds([0.2, 1.1, 1.4, 2.6], [0, 1, 2, 2], 3);
 * t.thresholds; // two sorted cut points
 * ```
 */
export interface OrdinalThresholds {
  /** `numClasses - 1` non-decreasing cut points; grade = number of cut points `<=` the value. */
  readonly thresholds: number[];
  /** Quadratic weighted kappa of the thresholded grades on the fitting data. */
  readonly quadraticKappa: number;
  /** The same with the starting cut points `0.5, 1.5, ...` (rounding the expected grade). */
  readonly initialQuadraticKappa: number;
  /** Full passes over the cut points until none moved. */
  readonly passes: number;
}

/**
 * Options of {@link fitOrdinalThresholds}.
 *
 * @remarks Since 0.1.0.
 * @example
 * ```ts
 * import type { FitOrdinalThresholdsOptions } from 'dvme';
 * const o: FitOrdinalThresholdsOptions = { maxPasses: 20 };
 * ```
 */
export interface FitOrdinalThresholdsOptions {
  /**
   * Most passes of the coordinate search.
   * @defaultValue `100`
   */
  maxPasses?: number;
}

/**
 * The expected grade `E[g] = sum_k k * p_k` of every row of class probabilities, the
 * continuous score that {@link fitOrdinalThresholds} cuts into grades.
 *
 * @remarks Since 0.1.0. Grades are class indices `0..K-1` (column order), not label values.
 * @example
 * ```ts
 * import { expectedGrade } from 'dvme';
 * expectedGrade([[0.1, 0.6, 0.3]]); // Float64Array [1.2]
 * ```
 */
export function expectedGrade(proba: ArrayLike<ArrayLike<number>>): Float64Array {
  const out = new Float64Array(proba.length);
  for (let i = 0; i < proba.length; i++) {
    const row = proba[i];
    let e = 0;
    for (let k = 1; k < row.length; k++) e += k * row[k];
    out[i] = e;
  }
  return out;
}

/**
 * Grades from expected grades and sorted cut points: the number of cut points `<=` each value.
 *
 * @remarks Since 0.1.0.
 * @example
 * ```ts
 * import { applyOrdinalThresholds } from 'dvme';
 * applyOrdinalThresholds([0.2, 0.9, 2.5], [0.5, 1.5]); // Int32Array [0, 1, 2]
 * ```
 */
export function applyOrdinalThresholds(values: ArrayLike<number>, thresholds: ArrayLike<number>): Int32Array {
  const out = new Int32Array(values.length);
  for (let i = 0; i < values.length; i++) {
    let g = 0;
    while (g < thresholds.length && thresholds[g] <= values[i]) g++;
    out[i] = g;
  }
  return out;
}

/** Quadratic weighted kappa of a K x K confusion matrix (rows: truth); NaN when undefined. */
function qwk(conf: Float64Array, K: number): number {
  const rows = new Float64Array(K);
  const cols = new Float64Array(K);
  let n = 0;
  let observed = 0;
  for (let a = 0; a < K; a++) {
    for (let b = 0; b < K; b++) {
      const c = conf[a * K + b];
      rows[a] += c;
      cols[b] += c;
      n += c;
      observed += (a - b) * (a - b) * c;
    }
  }
  let expected = 0;
  for (let a = 0; a < K; a++) for (let b = 0; b < K; b++) expected += (a - b) * (a - b) * rows[a] * cols[b];
  expected /= n;
  return expected === 0 ? Number.NaN : 1 - observed / expected;
}

/** a beats b: NaN (undefined kappa) loses to any number. */
function better(a: number, b: number): boolean {
  return !Number.isNaN(a) && (Number.isNaN(b) || a > b + 1e-12);
}

/**
 * Fits `K - 1` cut points on an ordinal score (the expected grade of a probe) that maximise
 * quadratic weighted kappa against the true grades: a deterministic coordinate search that
 * starts from rounding (`0.5, 1.5, ...`) and moves one cut point at a time to the best
 * position between its neighbours (a midpoint between consecutive distinct scores), until a
 * full pass moves none. Each move is exact over all positions, computed with one sweep.
 *
 * @remarks Since 0.1.0. Kappa never decreases from the starting point; positions of equal
 * kappa keep the current cut point. This is the usual trick of Kaggle's diabetic retinopathy
 * competitions; fit it on validation data, not on the rows the probe was trained on.
 * @param values - The score of every row, e.g. from {@link expectedGrade}.
 * @param grades - True grades, integers in `0..numClasses-1`.
 * @param numClasses - K, at least 2.
 * @example
 * ```ts
 * import { fitOrdinalThresholds, applyOrdinalThresholds } from 'dvme';
 * // A model that compresses grades towards the middle: rounding gets 0 and 3 wrong.
 * const e = [0.6, 0.8, 1.2, 1.4, 1.7, 1.9, 2.1, 2.3];
 * const g = [0, 0, 1, 1, 2, 2, 3, 3];
 * const { thresholds } = fitOrdinalThresholds(e, g, 4);
 * applyOrdinalThresholds(e, thresholds); // Int32Array [0, 0, 1, 1, 2, 2, 3, 3]
 * ```
 */
export function fitOrdinalThresholds(
  values: ArrayLike<number>,
  grades: ArrayLike<number>,
  numClasses: number,
  options: FitOrdinalThresholdsOptions = {},
): OrdinalThresholds {
  const K = numClasses;
  if (!Number.isInteger(K) || K < 2) {
    throw new InvalidArgumentError(`numClasses must be an integer >= 2; received ${describe(numClasses)}.`);
  }
  const maxPasses = options.maxPasses ?? 100;
  if (!Number.isInteger(maxPasses) || maxPasses < 1) {
    throw new InvalidArgumentError(`maxPasses must be a positive integer; received ${describe(maxPasses)}.`);
  }
  if (values.length !== grades.length) {
    throw new ShapeError(`values and grades must have the same length; received ${values.length} and ${grades.length}.`);
  }
  if (values.length === 0) throw new ShapeError('values must not be empty.');
  checkFinite('values', values);
  const n = values.length;
  const y = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const g = grades[i];
    if (!Number.isInteger(g) || g < 0 || g >= K) {
      throw new InvalidArgumentError(`grades[${i}] must be an integer in [0, ${K - 1}]; received ${describe(g)}.`);
    }
    y[i] = g;
  }
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => values[a] - values[b] || a - b);
  const v = Float64Array.from(order, (i) => values[i]);
  const truth = Int32Array.from(order, (i) => y[i]);

  const t = Array.from({ length: K - 1 }, (_, j) => j + 0.5);
  const conf = new Float64Array(K * K);
  const pred = applyOrdinalThresholds(v, t);
  for (let i = 0; i < n; i++) conf[truth[i] * K + pred[i]]++;
  const initial = qwk(conf, K);
  let current = initial;
  let passes = 0;

  for (let moved = true; moved && passes < maxPasses; ) {
    moved = false;
    passes++;
    for (let j = 0; j < K - 1; j++) {
      const lo = j > 0 ? t[j - 1] : -Infinity;
      const hi = j < K - 2 ? t[j + 1] : Infinity;
      // Rows whose grade depends on t[j]: lo <= v < hi, graded j below t[j] and j + 1 from it.
      let start = 0;
      while (start < n && v[start] < lo) start++;
      let end = start;
      while (end < n && v[end] < hi) end++;
      if (start === end) continue;
      // Sweep from "every window row graded j + 1" upward, moving rows to grade j.
      for (let i = start; i < end; i++) {
        conf[truth[i] * K + pred[i]]--;
        conf[truth[i] * K + j + 1]++;
      }
      let bestCut = Number.isFinite(lo) ? lo + (v[start] - lo) / 2 : v[start] - 0.5;
      let bestKappa = qwk(conf, K);
      let bestAt = start; // rows [start, bestAt) are graded j
      for (let i = start; i < end; ) {
        let k = i;
        while (k < end && v[k] === v[i]) {
          conf[truth[k] * K + j + 1]--;
          conf[truth[k] * K + j]++;
          k++;
        }
        const kappa = qwk(conf, K);
        if (better(kappa, bestKappa)) {
          bestKappa = kappa;
          bestAt = k;
          bestCut = above(v[k - 1], k < end ? v[k] : hi);
        }
        i = k;
      }
      // Restore the confusion matrix to the chosen cut (rows [start, end) are graded j now).
      const keep = !better(bestKappa, current);
      const cutAt = keep ? firstAtLeast(v, start, end, t[j]) : bestAt;
      for (let i = start; i < end; i++) {
        const g = i < cutAt ? j : j + 1;
        conf[truth[i] * K + j]--;
        conf[truth[i] * K + g]++;
        pred[i] = g;
      }
      if (!keep) {
        t[j] = Math.min(Math.max(bestCut, lo), hi);
        current = bestKappa;
        moved = true;
      }
    }
  }
  return { thresholds: t, quadraticKappa: current, initialQuadraticKappa: initial, passes };
}

/**
 * A cut point c with a < c <= b (rows at a graded below it, rows at b from it): the midpoint,
 * or b itself where the midpoint rounds onto a (neighbouring doubles).
 */
function above(a: number, b: number): number {
  if (b === Infinity) return a + 0.5 > a ? a + 0.5 : a + Math.abs(a) * 2 * Number.EPSILON;
  const mid = a + (b - a) / 2;
  return mid > a ? mid : b;
}

/** First index in [start, end) of the ascending v with v[i] >= x (end if none). */
function firstAtLeast(v: Float64Array, start: number, end: number, x: number): number {
  let i = start;
  while (i < end && v[i] < x) i++;
  return i;
}

import type { DenseRows } from './embedding-input.js';

/**
 * Per-feature standardisation statistics a probe learned from its training rows (and only
 * from them): features are mapped to `(x - mean) / scale`.
 *
 * @remarks Since 0.1.0. `scale` is the population standard deviation (scikit-learn's
 * `StandardScaler`), with 1 for constant features. Stored as float32, the precision the
 * tensors use, so a saved probe predicts exactly as the fitted one.
 * @example
 * ```ts
 * import type { Standardization } from 'dvme';
 * const s: Standardization = { mean: new Float32Array([0, 1]), scale: new Float32Array([1, 2]) };
 * ```
 */
export interface Standardization {
  /** Mean of every feature over the training rows. */
  readonly mean: Float32Array;
  /** Standard deviation of every feature (1 where it is 0). */
  readonly scale: Float32Array;
}

/**
 * @internal Mean and population standard deviation of every column of a row-major matrix, in
 * float64 (two passes). StandardScaler's rule: a spread lost in rounding noise (below
 * `10 * eps * max(|mean|, 1)`) counts as none, and a column without spread gets scale 1.
 */
export function columnMoments(data: ArrayLike<number>, rows: number, cols: number): { mean: Float64Array; scale: Float64Array } {
  const mean = new Float64Array(cols);
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) mean[j] += data[i * cols + j];
  for (let j = 0; j < cols; j++) mean[j] /= rows;
  const sq = new Float64Array(cols);
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j < cols; j++) {
      const d = data[i * cols + j] - mean[j];
      sq[j] += d * d;
    }
  }
  const scale = new Float64Array(cols);
  for (let j = 0; j < cols; j++) {
    const sd = Math.sqrt(sq[j] / rows);
    scale[j] = sd < 10 * Number.EPSILON * Math.max(Math.abs(mean[j]), 1) ? 1 : sd;
  }
  return { mean, scale };
}

/** @internal A probe's statistics: {@link columnMoments} of its training rows, stored as float32. */
export function fitStandardization(x: DenseRows): Standardization {
  const { mean, scale } = columnMoments(x.data, x.rows, x.cols);
  return { mean: Float32Array.from(mean), scale: Float32Array.from(scale) };
}

/**
 * @internal `(x - mean) / scale` into a new array, rounded to float32 after each operation
 * exactly as the tensor ops at prediction time round, so training and prediction see the same
 * numbers.
 */
export function applyStandardization(x: DenseRows, s: Standardization | undefined): DenseRows {
  if (!s) return x;
  const { data, rows, cols } = x;
  const out = new Float32Array(data.length);
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j < cols; j++) {
      const k = i * cols + j;
      out[k] = Math.fround(data[k] - s.mean[j]) / s.scale[j];
    }
  }
  return { data: out, rows, cols };
}

/**
 * @internal `(x - mean) / scale` of every value in float64 with float64 statistics
 * ({@link columnMoments}), rounded once to float32: how the evaluation protocols standardise
 * the inputs of the fusion models, which see only the standardised rows.
 */
export function standardizeColumns(data: ArrayLike<number>, rows: number, cols: number, s: { mean: Float64Array; scale: Float64Array }): Float32Array {
  const out = new Float32Array(rows * cols);
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) out[i * cols + j] = (data[i * cols + j] - s.mean[j]) / s.scale[j];
  return out;
}

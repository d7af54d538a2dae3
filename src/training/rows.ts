import type { EmbeddingMatrix } from '../data/embedding-matrix.js';
import type { Xoshiro128 } from '../random/xoshiro.js';
import { stratifiedSplit, type Split } from '../random/shuffle.js';
import type { DenseRows } from './embedding-input.js';
import type { Targets } from './labels.js';

// Row selection shared by the probe, the fusion estimators and the evaluation protocols: one
// copy of each, so a held-out split or a drawn subset means the same rows everywhere.

/**
 * @internal Rows `idx` (in that order) of a row-major matrix with `cols` columns, copied into
 * a new Float32Array (values rounded to float32 as a typed-array store rounds them).
 */
export function gatherRows(data: ArrayLike<number>, cols: number, idx: Int32Array): Float32Array {
  const out = new Float32Array(idx.length * cols);
  if (data instanceof Float32Array) {
    idx.forEach((r, i) => out.set(data.subarray(r * cols, (r + 1) * cols), i * cols));
    return out;
  }
  idx.forEach((r, i) => {
    for (let j = 0; j < cols; j++) out[i * cols + j] = data[r * cols + j];
  });
  return out;
}

/** @internal Rows `idx` of dense rows, copied (see {@link gatherRows}). */
export function takeDenseRows(x: DenseRows, idx: Int32Array): DenseRows {
  return { data: gatherRows(x.data, x.cols, idx), rows: idx.length, cols: x.cols };
}

/** @internal Rows `idx` of an embedding matrix, copied (see {@link gatherRows}). */
export function takeMatrixRows(m: EmbeddingMatrix<ArrayLike<number>>, idx: Int32Array): EmbeddingMatrix {
  return { data: gatherRows(m.data, m.shape[1], idx), shape: [idx.length, m.shape[1]] };
}

/** @internal Row views `[n][k]` of a row-major `[n, k]` buffer (no copy). */
export function toRows(p: Float32Array, k: number): Float32Array[] {
  return Array.from({ length: p.length / k }, (_, i) => p.subarray(i * k, (i + 1) * k));
}

/** @internal The targets of rows `idx`, in that order. */
export function takeTargets(t: Targets, idx: Int32Array): Targets {
  if (t.kind === 'index') return { ...t, index: Int32Array.from(idx, (r) => t.index[r]) };
  const L = t.numLabels;
  const data = new Uint8Array(idx.length * L);
  idx.forEach((r, i) => data.set(t.data.subarray(r * L, (r + 1) * L), i * L));
  return { ...t, data };
}

/** @internal The labels (or label rows) of rows `idx`, as a new array. */
export function takeLabels<L>(y: L, idx: Int32Array): L {
  return Array.from(idx, (i) => (y as ArrayLike<unknown>)[i]) as unknown as L;
}

/**
 * @internal Holds out `fraction` of `n` rows, stratified by class and seeded: the
 * `validationSplit` of every estimator. Multilabel rows are held out at random (one group).
 */
export function splitTargets(targets: Targets, n: number, fraction: number, rng: Xoshiro128): Split {
  const groups = targets.kind === 'index' ? targets.index : new Int32Array(n);
  return stratifiedSplit(groups, fraction, rng);
}

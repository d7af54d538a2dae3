/**
 * A row-major matrix of embeddings held as plain data: `shape[0]` rows (images) of `shape[1]`
 * features, image `i` at `data[i * shape[1] .. (i + 1) * shape[1])`. The layout of `.npy`
 * files and of `tf.tensor2d(data, shape)`, so embeddings save, cache and convert without
 * reshaping. `Backbone.embed(..., { as: 'array' })` returns one with a `Float32Array`; `Probe`
 * and the fusion models accept any numbers (`EmbeddingMatrix<ArrayLike<number>>`).
 *
 * @typeParam D - the storage; `Float32Array` unless stated.
 * @remarks Since 0.1.0.
 * @example
 * ```ts
 * import type { EmbeddingMatrix } from 'dvme';
 * const x: EmbeddingMatrix = { data: new Float32Array([0.1, 0.2, 0.3, 0.4]), shape: [2, 2] };
 * const row = (m: EmbeddingMatrix, i: number) => m.data.subarray(i * m.shape[1], (i + 1) * m.shape[1]);
 * ```
 */
export interface EmbeddingMatrix<D extends ArrayLike<number> = Float32Array> {
  /** `shape[0] * shape[1]` values, row after row. */
  readonly data: D;
  /** `[rows, cols]`: images by features. */
  readonly shape: readonly [number, number];
}

import type { EmbedCacheOptions } from '../embedding-cache/embedding-cache.js';
import type { PreprocessOptions } from '../image/preprocess.js';
// Named in the TSDoc below.
import type { AbortError } from '../errors/index.js';
import type { EmbeddingMatrix } from '../data/embedding-matrix.js';

/**
 * Options of `Backbone.embed`.
 *
 * @remarks Since 0.1.0.
 * @example
 * ```ts
 * import type { EmbedOptions } from 'dvme';
 * const controller = new AbortController();
 * const options: EmbedOptions = {
 *   batchSize: 32,
 *   signal: controller.signal,
 *   onProgress: (done, total) => console.log(`${done} / ${total}`),
 * };
 * ```
 */
export interface EmbedOptions extends PreprocessOptions, EmbedCacheOptions {
  /** Images per forward pass; bigger is faster until memory runs out. @defaultValue `16` */
  readonly batchSize?: number;
  /** Called after every batch with the images embedded so far and the total. */
  readonly onProgress?: (done: number, total: number) => void;
  /** Stops the call between batches with an {@link AbortError}; nothing leaks. */
  readonly signal?: AbortSignal;
  /** `'tensor'`: a `tf.Tensor2D` the caller disposes; `'array'`: an {@link EmbeddingMatrix}. @defaultValue `'tensor'` */
  readonly as?: 'tensor' | 'array';
}

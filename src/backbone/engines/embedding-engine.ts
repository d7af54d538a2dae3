import { throwIfAborted } from '../../errors/throw-if-aborted.js';
import { macrotask } from '../../host/macrotask.js';
import type { ImageInput } from '../../image/images.js';
import type { PreprocessSpec } from '../../image/preprocess-spec.js';
import type { EmbedOptions } from '../embed-options.js';

/**
 * @internal What runs a backbone's model: tfjs (`TfjsEmbeddingEngine`) or onnxruntime
 * (`OnnxEmbeddingEngine`). A `Backbone` owns exactly one and delegates embedding, the weights
 * part of its cache fingerprint, and disposal to it.
 */
export interface EmbeddingEngine {
  /** Which runtime computes the embeddings. */
  readonly kind: 'tfjs' | 'onnx';
  /** Whether `dispose()` has been called. */
  readonly isDisposed: boolean;
  /**
   * Embeds images in batches, preprocessed with `spec` (and the call's overrides in
   * `options`), and returns the `[n, dim]` embeddings row-major. Validates the images before
   * any work; checks `options.signal` before the first batch and between batches.
   */
  embed(owner: string, images: ImageInput, spec: PreprocessSpec, options?: EmbedOptions): Promise<Float32Array>;
  /**
   * What identifies the weights (and the code that runs them) for an embedding cache; rejects
   * with an `InvalidArgumentError` when the engine cannot see its weights.
   */
  weightsKey(owner: string): Promise<string>;
  /**
   * What besides the weights decides the output bits (runtime, backend, version, numeric
   * settings), for the embedding cache's fingerprint: last-bit differences must never mix.
   */
  describe(): Promise<Record<string, unknown>>;
  /** Frees the weights. Idempotent. */
  dispose(): void;
}

/** @internal How {@link embedInBatches} runs. */
export interface BatchLoop {
  readonly owner: string;
  /** Images in all. */
  readonly count: number;
  /** Width of one embedding. */
  readonly dim: number;
  readonly batchSize: number;
  readonly signal?: AbortSignal | undefined;
  readonly onProgress?: ((done: number, total: number) => void) | undefined;
  /**
   * Wait for a macrotask between batches, so that an abort request gets a chance to run where
   * `run` resolves without one (tfjs on the CPU backend).
   */
  readonly yieldBetween: boolean;
  /** Throws when the engine was disposed while a batch ran. */
  readonly assertAlive: () => void;
}

/**
 * @internal The batching loop of every engine: `run(start, end, out)` embeds images
 * `[start, end)` into `out` (rows `start` to `end`); progress is reported after each batch and
 * abort and disposal are checked between batches, so that results never depend on `batchSize`.
 */
export async function embedInBatches(
  loop: BatchLoop,
  run: (start: number, end: number, out: Float32Array) => Promise<void>,
): Promise<Float32Array> {
  const { owner, count: n, dim, batchSize, signal, onProgress } = loop;
  const out = new Float32Array(n * dim);
  throwIfAborted(signal, () => `${owner} was aborted before it started.`);
  for (let start = 0; start < n; start += batchSize) {
    const end = Math.min(n, start + batchSize);
    await run(start, end, out);
    onProgress?.(end, n);
    if (end < n) {
      if (loop.yieldBetween) await macrotask();
      throwIfAborted(signal, () => `${owner} was aborted after ${end} of ${n} images.`);
      loop.assertAlive();
    }
  }
  return out;
}

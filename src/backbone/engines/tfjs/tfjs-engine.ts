import * as tf from '@tensorflow/tfjs-core';
import { DisposedError, InvalidArgumentError } from '../../../errors/index.js';
import type { ImageInput } from '../../../image/images.js';
import type { PreprocessSpec } from '../../../image/preprocess-spec.js';
import { preparePreprocess } from '../../../image/preprocess.js';
import { checkPositiveInteger } from '../../../validation/checks.js';
import type { EmbedOptions } from '../../embed-options.js';
import { embedInBatches, type EmbeddingEngine } from '../embedding-engine.js';
import { tfjsBackendDescription } from './backend-description.js';
import { pooled, type EmbeddingModel } from './embedding-model.js';

/**
 * @internal The tfjs engine: preprocessing, the model's `forward` and pooling run as tfjs ops
 * on the active backend, one `tf.tidy` per batch, each batch read back before the next starts
 * (so that memory stays at one batch and progress is real).
 */
export class TfjsEmbeddingEngine implements EmbeddingEngine {
  readonly kind = 'tfjs' as const;
  readonly #model: EmbeddingModel;
  readonly #dim: number;
  #disposed = false;

  /** Takes ownership of `model`: `dispose()` disposes it. */
  constructor(model: EmbeddingModel, embeddingDim: number) {
    this.#model = model;
    this.#dim = embeddingDim;
  }

  /** The model it runs (for trainers, which copy its weights). */
  get model(): EmbeddingModel {
    return this.#model;
  }

  get isDisposed(): boolean {
    return this.#disposed;
  }

  async embed(owner: string, images: ImageInput, spec: PreprocessSpec, options: EmbedOptions = {}): Promise<Float32Array> {
    this.#assertAlive(owner);
    const batchSize = checkPositiveInteger(owner, 'batchSize', options.batchSize ?? 16);
    const prepared = preparePreprocess(owner, images, spec, options);
    const d = this.#dim;
    const loop = { owner, count: prepared.count, dim: d, batchSize, signal: options.signal, onProgress: options.onProgress };
    return embedInBatches({ ...loop, yieldBetween: true, assertAlive: () => this.#assertAlive(owner) }, async (start, end, out) => {
      const y = tf.tidy(() => pooled(owner, this.#model.forward(prepared.batch(start, end)), d));
      try {
        out.set(await y.data<'float32'>(), start * d);
      } finally {
        y.dispose();
      }
    });
  }

  /**
   * The model's key: its string, or its function called anew on every cached call (dvme's own
   * keys remember their hash until the weights change).
   */
  weightsKey(owner: string): Promise<string> {
    const key = this.#model.weightsKey;
    if (typeof key === 'string') return Promise.resolve(key);
    if (typeof key !== 'function') {
      return Promise.reject(
        new InvalidArgumentError(
          `${owner}: an embedding cache keys embeddings by the backbone's weights, and this backbone wraps a function or ` +
            `{ forward } whose weights dvme cannot see; received weightsKey ${JSON.stringify(key)}. Pass one: ` +
            "Backbone.fromModel({ forward, weightsKey: 'my-model@v3' }, config), a string that changes whenever the weights or forward's code do.",
        ),
      );
    }
    return key();
  }

  describe(): Promise<Record<string, unknown>> {
    return tfjsBackendDescription();
  }

  dispose(): void {
    if (this.#disposed) return;
    this.#disposed = true;
    this.#model.dispose?.();
  }

  #assertAlive(owner: string): void {
    if (this.#disposed) throw new DisposedError(`${owner}: this backbone was disposed; load it again to embed more images.`);
  }
}

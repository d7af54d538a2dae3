import * as tf from '@tensorflow/tfjs-core';
import { InvalidArgumentError, ShapeError } from '../../../errors/index.js';
import { isTensor } from '../../../image/images.js';
// Named in the TSDoc below.
import type { EmbeddingCache } from '../../../embedding-cache/embedding-cache.js';
import { tfjsWeightsKey } from './weights-key.js';
import { isLayersModel, withTrainableSource } from './trainable-source.js';

/**
 * A model reduced to what embedding needs: a function from a preprocessed batch to
 * embeddings, and a way to free it.
 *
 * @remarks Since 0.1.0.
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs-core';
 * import type { EmbeddingModel } from 'dvme';
 * // A toy "model": the per-channel mean of the image, a 3-d embedding.
 * const meanColour: EmbeddingModel = { forward: (x) => tf.mean(x, [1, 2]) };
 * ```
 */
export interface EmbeddingModel {
  /**
   * Maps a preprocessed float32 NHWC batch `[b, h, w, 3]` to `[b, d]` embeddings, or to a
   * feature map `[b, h', w', d]` that is then global-average-pooled. Runs synchronously inside
   * `tf.tidy`, so it may create intermediate tensors freely; it must not dispose its input.
   */
  readonly forward: (batch: tf.Tensor4D) => tf.Tensor;
  /** Frees the model's weights; called once by `Backbone.dispose()`. */
  readonly dispose?: () => void;
  /**
   * What identifies the weights (and the code of `forward`) for an {@link EmbeddingCache}: a
   * string that changes whenever they do (`'my-model@v3'`, a checkpoint's SHA-256), or a
   * function computing one, called on every cached `embed` (keep it cheap: remember the hash
   * until the weights change). dvme's loaders hash the loaded weights, again whenever they
   * change; a model without it cannot use a cache.
   */
  readonly weightsKey?: string | (() => Promise<string>);
}

/**
 * A tfjs model (`tf.LayersModel` or `tf.GraphModel`): anything with `predict`.
 *
 * @remarks Since 0.1.0.
 * @example
 * ```ts
 * import * as tfl from '@tensorflow/tfjs-layers';
 * import type { PredictingModel } from 'dvme';
 * const model: PredictingModel = tfl.sequential({ layers: [tfl.layers.globalAveragePooling2d({ inputShape: [8, 8, 3] })] });
 * ```
 */
export interface PredictingModel {
  /** Runs the model on a batch; a backbone needs a single tensor back. */
  predict(x: tf.Tensor, config?: object): tf.Tensor | tf.Tensor[] | tf.NamedTensorMap;
  /** Frees the weights. */
  dispose(): unknown;
  /** Symbolic outputs of a LayersModel, read for the embedding size. */
  readonly outputs?: ReadonlyArray<{ readonly shape: ReadonlyArray<number | null> }>;
}

/**
 * What `Backbone.fromModel` wraps: a tfjs model, an {@link EmbeddingModel}, or a plain
 * function from a preprocessed NHWC batch to embeddings.
 *
 * @remarks Since 0.1.0.
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs-core';
 * import type { BackboneModel } from 'dvme';
 * const pooled: BackboneModel = (x) => tf.mean(x, [1, 2]);
 * ```
 */
export type BackboneModel = EmbeddingModel | PredictingModel | ((batch: tf.Tensor4D) => tf.Tensor);

/** @internal Reduces what `Backbone.fromModel` accepts to an {@link EmbeddingModel}; tfjs models are frozen. */
export function asEmbeddingModel(model: BackboneModel): EmbeddingModel {
  if (typeof model === 'function') return { forward: model };
  if (typeof model === 'object' && model !== null) {
    if (typeof (model as EmbeddingModel).forward === 'function') return model as EmbeddingModel;
    const m = model as PredictingModel;
    if (typeof m.predict === 'function') {
      const frozen = m as { trainable?: boolean };
      if (typeof frozen.trainable === 'boolean') frozen.trainable = false;
      const weightsKey = tfjsWeightsKey(m);
      const wrapped: EmbeddingModel = { forward: (x) => m.predict(x, { batchSize: x.shape[0] }) as tf.Tensor, dispose: () => void m.dispose(), ...(weightsKey ? { weightsKey } : {}) };
      return withTrainableSource(
        wrapped,
        isLayersModel(m) ? { model: m } : { unavailable: 'it wraps a tfjs GraphModel (frozen, inference only); load the model as a tfjs LayersModel' },
      );
    }
  }
  throw new InvalidArgumentError(
    'Backbone.fromModel: model must be a tfjs LayersModel/GraphModel, { forward, dispose? } or a function (batch) => tensor; ' +
      `received ${model === null ? 'null' : typeof model}.`,
  );
}

/**
 * @internal A model's output as `[b, d]` float32 embeddings: rank-4 feature maps are
 * global-average-pooled, as every paper backbone's embedding is.
 */
export function pooled(owner: string, y: unknown, expectedDim?: number): tf.Tensor2D {
  if (!isTensor(y)) {
    const got = Array.isArray(y) ? 'several tensors' : 'no tensor';
    throw new ShapeError(`${owner}: the model returned ${got}; it must return one [b, d] or [b, h, w, d] tensor.`);
  }
  const out = y.rank === 4 ? tf.mean(y, [1, 2]) : y;
  if (out.rank !== 2 || (expectedDim !== undefined && out.shape[1] !== expectedDim)) {
    throw new ShapeError(
      `${owner}: the model returned shape [${y.shape.join(', ')}]; ` +
        `expected [b, ${expectedDim ?? 'd'}] or a feature map [b, h, w, ${expectedDim ?? 'd'}].`,
    );
  }
  return tf.cast(out, 'float32') as tf.Tensor2D;
}


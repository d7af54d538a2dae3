import * as tf from '@tensorflow/tfjs-core';
import { ShapeError } from '../../../errors/index.js';
import { resolvePreprocessSpec } from '../../../image/preprocess-spec.js';
import { resolveBackboneConfig, type BackboneConfig, type BackboneConfigInit } from '../../config.js';
import { asEmbeddingModel, pooled, type BackboneModel, type EmbeddingModel, type PredictingModel } from './embedding-model.js';

/**
 * @internal The body of `Backbone.fromModel`: wraps the model, checks its fixed input size
 * against `inputSize`, and finds `embeddingDim` when the config omits it (from a LayersModel's
 * output shape, else by running one blank image).
 */
export function wrapInMemoryModel(owner: string, model: BackboneModel, config: BackboneConfigInit): { model: EmbeddingModel; config: BackboneConfig } {
  const wrapped = asEmbeddingModel(model);
  const spec = resolvePreprocessSpec(owner, config);
  const input = (model as { inputs?: ReadonlyArray<{ readonly shape?: ReadonlyArray<number | null> }> }).inputs?.[0]?.shape;
  const differs = (axis: 1 | 2) => {
    const d = input?.[axis];
    return typeof d === 'number' && d > 0 && d !== spec.inputSize[axis - 1];
  };
  // Caught here rather than as a tfjs error deep inside the first embed.
  if (input?.length === 4 && (differs(1) || differs(2))) {
    throw new ShapeError(`${owner}: inputSize [${spec.inputSize.join(', ')}] does not match the model's input [${input[1]}, ${input[2]}].`);
  }
  let dim = config.embeddingDim;
  if (dim === undefined) {
    const shape = (model as PredictingModel).outputs?.[0]?.shape;
    const last = shape && (shape.length === 2 || shape.length === 4) ? shape[shape.length - 1] : null;
    if (typeof last === 'number') dim = last;
    else {
      const [h, w] = spec.inputSize;
      dim = tf.tidy(() => pooled(owner, wrapped.forward(tf.zeros([1, h, w, 3]))).shape[1]);
    }
  }
  return { model: wrapped, config: resolveBackboneConfig(owner, config, dim) };
}

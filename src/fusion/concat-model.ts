import * as tfl from '@tensorflow/tfjs-layers';
import { checkSourceDims, checkUnits, concatSources, logitHead, sourceInputs } from './source-inputs.js';

/**
 * Architecture of the concatenation baseline, as {@link buildConcatModel} takes it.
 *
 * @remarks Since 0.1.0.
 * @internal
 */
export interface ConcatModelConfig {
  /** Embedding width of every source, in input order. */
  sourceDims: readonly number[];
  /** Width of the logit layer. */
  numOutputs: number;
  /**
   * Seed of the initial weights.
   * @defaultValue none (`Math.random`)
   */
  seed?: number;
}

/**
 * Builds the naive fusion baseline: the source embeddings concatenated (`concat`) and one
 * linear layer (`head`, logits) on top, i.e. a linear probe of the concatenation.
 *
 * @remarks Since 0.1.0.
 * @internal
 */
export function buildConcatModel(config: ConcatModelConfig): tfl.LayersModel {
  const dims = checkSourceDims(config.sourceDims);
  const numOutputs = checkUnits('numOutputs', config.numOutputs);
  const inputs = sourceInputs(dims);
  return tfl.model({ inputs, outputs: logitHead(concatSources(inputs), numOutputs, config.seed, false), name: 'concat' });
}

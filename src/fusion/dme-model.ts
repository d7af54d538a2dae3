import * as tfl from '@tensorflow/tfjs-layers';
import { MetaEmbeddingGate, type DmeGating } from './meta-embedding-gate.js';
import { checkSourceDims, checkUnits, logitHead, projectSources, sourceInputs } from './source-inputs.js';
import { layerSeed } from './torch-init.js';

/**
 * Architecture of a Dynamic Meta-Embeddings head, as {@link buildDmeModel} takes it.
 *
 * @remarks Since 0.1.0.
 * @internal
 */
export interface DmeModelConfig {
  /** Embedding width of every source, in input order. */
  sourceDims: readonly number[];
  /** Width of the logit layer. */
  numOutputs: number;
  /**
   * Common width `d'` of the projected sources.
   * @defaultValue `512` (DVME's projection width, so the two heads compare like for like)
   */
  projectionDim?: number;
  /**
   * Source weighting, see {@link DmeGating}.
   * @defaultValue `'softmax'`
   */
  gating?: DmeGating;
  /**
   * Seed of the initial weights.
   * @defaultValue none (`Math.random`)
   */
  seed?: number;
}

/**
 * Builds Kiela et al.'s (EMNLP 2018) Dynamic Meta-Embeddings as a classifier head: per-source
 * projections `w'_j = P_j w_j + b_j` (`proj_<j>`), a {@link MetaEmbeddingGate} (`gate`)
 * mixing them as `sum_j alpha_j w'_j`, and a linear classifier (`head`, logits). Kiela et al.
 * feed the meta-embedding to a sentence encoder; image embeddings are already pooled, so a
 * linear layer takes its place, as in a linear probe.
 *
 * @remarks Since 0.1.0.
 * @internal
 */
export function buildDmeModel(config: DmeModelConfig): tfl.LayersModel {
  const dims = checkSourceDims(config.sourceDims);
  const numOutputs = checkUnits('numOutputs', config.numOutputs);
  const d = checkUnits('projectionDim', config.projectionDim ?? 512);
  const S = dims.length;
  const inputs = sourceInputs(dims);
  const projected = projectSources(inputs, dims, d, config.seed);
  const gate = new MetaEmbeddingGate({ gating: config.gating ?? 'softmax', seed: layerSeed(config.seed, S), name: 'gate' });
  const mixed = gate.apply(S === 1 ? projected[0] : projected) as tfl.SymbolicTensor;
  return tfl.model({ inputs, outputs: logitHead(mixed, numOutputs, layerSeed(config.seed, S + 1)), name: 'dme' });
}

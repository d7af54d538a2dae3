import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { InvalidArgumentError } from '../errors/index.js';
// Named in TSDoc links only.
import type { CheckpointFormatError, NotFittedError } from '../errors/index.js';
import type { ProbeTask } from '../training/labels.js';
import { buildDmeModel } from './dme-model.js';
import { FusionEstimator, fromFusionJSON } from './fusion-estimator.js';
import type { SourceEmbeddings } from './fusion-data.js';
import type { FusionJSON } from './fusion-json.js';
import { resolveFusionOptions, type FusionHyperparameters, type FusionOptions } from './fusion-options.js';
import type { DmeGating, MetaEmbeddingGate } from './meta-embedding-gate.js';
import { checkUnits } from './source-inputs.js';
import { PREDICT_BATCH } from './train-fusion.js';

const KIND = 'dvme.DynamicMetaEmbedding';

/**
 * Options of {@link DynamicMetaEmbedding}: the shared {@link FusionOptions}, the projection
 * width and the gating.
 *
 * @remarks Since 0.1.0.
 * @example
 * ```ts
 * import type { DynamicMetaEmbeddingOptions } from 'dvme';
 * const o: DynamicMetaEmbeddingOptions<'binary'> = { sources: { swav: 2048, dino: 1536 }, task: 'binary', gating: 'sigmoid' };
 * ```
 */
export interface DynamicMetaEmbeddingOptions<T extends ProbeTask = ProbeTask> extends FusionOptions<T> {
  /**
   * Common width `d'` of the projected sources.
   * @defaultValue `512`
   */
  projectionDim?: number;
  /**
   * Source weighting; see {@link DmeGating}.
   * @defaultValue `'softmax'` (Kiela et al.'s DME)
   */
  gating?: DmeGating;
}

/**
 * The hyperparameters of a {@link DynamicMetaEmbedding}, every default filled in.
 *
 * @remarks Since 0.1.0.
 * @example
 * ```ts
 * import { DynamicMetaEmbedding } from 'dvme';
 * new DynamicMetaEmbedding({ sources: { a: 8 }, task: 'binary' }).hyperparameters.gating; // 'softmax'
 * ```
 */
export type DmeHyperparameters<T extends ProbeTask = ProbeTask> = FusionHyperparameters<T> &
  Readonly<{ projectionDim: number; gating: DmeGating }>;

/**
 * Dynamic Meta-Embeddings (Kiela, Wang & Cho, EMNLP 2018) as a baseline beside DVME: each
 * source projected to a common width, `w'_j = P_j w_j + b_j`; weights
 * `alpha_j = softmax_j(a . w'_j + b)` (or `sigmoid(a . w'_j + b)` with `gating: 'sigmoid'`);
 * the weighted sum `sum_j alpha_j w'_j` fed to a linear classifier. Trained with the same
 * protocol and estimator contract as {@link DynamicVisualMetaEmbedding}.
 *
 * @remarks Since 0.1.0. {@link DynamicMetaEmbedding.sourceWeights} reports the learned
 * per-source weights.
 * @example
 * ```ts
 * import { DynamicMetaEmbedding } from 'dvme';
 * const dme = new DynamicMetaEmbedding({ sources: { a: 2, b: 2 }, task: 'binary', projectionDim: 4, minEpochs: 2, maxEpochs: 2 });
 * const x = { a: [[0, 1], [1, 0], [0, 2], [2, 0]], b: [[1, 1], [1, 1], [1, 1], [1, 1]] };
 * await dme.fit(x, [0, 1, 0, 1]);
 * dme.sourceWeights(x); // { a: ~0.5, b: ~0.5 }
 * dme.dispose();
 * ```
 */
export class DynamicMetaEmbedding<T extends ProbeTask = ProbeTask> extends FusionEstimator<T, DmeHyperparameters<T>> {
  /**
   * @param options - See {@link DynamicMetaEmbeddingOptions}; invalid ones throw
   *   {@link InvalidArgumentError}.
   */
  constructor(options: DynamicMetaEmbeddingOptions<T>) {
    const shared = resolveFusionOptions('DynamicMetaEmbedding', options, ['projectionDim', 'gating']);
    const gating = options.gating ?? 'softmax';
    if (gating !== 'softmax' && gating !== 'sigmoid') {
      throw new InvalidArgumentError(`gating must be 'softmax' or 'sigmoid'; received ${String(gating)}.`);
    }
    super({ ...shared, projectionDim: checkUnits('projectionDim', options.projectionDim ?? 512), gating });
  }

  /** @internal */
  protected get jsonKind(): string {
    return KIND;
  }

  /** @internal */
  protected createModel(numOutputs: number): tfl.LayersModel {
    const hp = this.hyperparameters;
    return buildDmeModel({
      sourceDims: this.specs.map((s) => s.dim),
      numOutputs,
      projectionDim: hp.projectionDim,
      gating: hp.gating,
      seed: hp.seed,
    });
  }

  /**
   * The mean weight `alpha_j` of every source over the rows of `x` (with softmax gating they
   * sum to 1): how much the fitted model relies on each backbone for these images.
   *
   * @returns Source name -> mean weight, in source order.
   * @throws {@link NotFittedError} before fit; as `predictProba` for bad inputs.
   */
  sourceWeights(x: SourceEmbeddings): Record<string, number> {
    const model = this.fittedModel();
    const gate = model.getLayer('gate') as MetaEmbeddingGate;
    const { tensors, owned } = this.inputTensors(x);
    const sums = new Float64Array(this.specs.length);
    try {
      const n = tensors[0].shape[0];
      for (let start = 0; start < n; start += PREDICT_BATCH) {
        const size = Math.min(PREDICT_BATCH, n - start);
        const colSums = tf.tidy(() => {
          const projected = tensors.map(
            (t, j) => model.getLayer(`proj_${j}`).apply(tf.slice(t, [start, 0], [size, t.shape[1]])) as tf.Tensor,
          );
          return tf.sum(gate.gates(projected), 0);
        });
        colSums.dataSync().forEach((v, j) => (sums[j] += v));
        colSums.dispose();
      }
      return Object.fromEntries(this.specs.map((s, j) => [s.name, sums[j] / n]));
    } finally {
      tf.dispose(owned);
    }
  }

  /**
   * Restores an estimator written by `toJSON` (the object or its JSON text).
   *
   * @throws {@link CheckpointFormatError} when `json` is not such an estimator of a supported version.
   * @example
   * ```ts
   * import { DynamicMetaEmbedding } from 'dvme';
   * declare const text: string; // JSON.stringify(dme) saved earlier
   * const dme = DynamicMetaEmbedding.fromJSON<'binary'>(text);
   * ```
   */
  static fromJSON<T extends ProbeTask = ProbeTask>(json: FusionJSON | string): DynamicMetaEmbedding<T> {
    const r = fromFusionJSON(KIND, json, (hp: DynamicMetaEmbeddingOptions<T>) => new DynamicMetaEmbedding<T>(hp));
    return r.estimator.restore(r.json);
  }
}

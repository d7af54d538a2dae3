import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { InvalidArgumentError } from '../errors/index.js';
// Named in TSDoc links only.
import type { CheckpointFormatError, NotFittedError } from '../errors/index.js';
import type { ProbeTask } from '../training/labels.js';
import { buildDvmeModel, resolveDvmeModelConfig, type DvmeTokens } from './dvme-model.js';
import { FusionEstimator, fromFusionJSON } from './fusion-estimator.js';
import type { SourceEmbeddings } from './fusion-data.js';
import type { FusionJSON } from './fusion-json.js';
import { resolveFusionOptions, type FusionHyperparameters, type FusionOptions } from './fusion-options.js';
import type { TokenSelfAttention } from './token-self-attention.js';
import { PREDICT_BATCH } from './train-fusion.js';

const KIND = 'dvme.DynamicVisualMetaEmbedding';
const OWN = ['projectionDim', 'hiddenDim', 'tokens', 'heads', 'dropout', 'attention', 'qkvBias', 'chunkElements'] as const;

/**
 * Options of {@link DynamicVisualMetaEmbedding}: the shared {@link FusionOptions} and the
 * architecture of the paper's listing.
 *
 * @remarks Since 0.1.0.
 * @example
 * ```ts
 * import type { DynamicVisualMetaEmbeddingOptions } from 'dvme';
 * const o: DynamicVisualMetaEmbeddingOptions<'multiclass'> = {
 *   sources: { swav: 2048, simclr: 2048, dino: 1536 },
 *   task: 'multiclass',
 *   numClasses: 5,
 *   tokens: 'source',
 * };
 * ```
 */
export interface DynamicVisualMetaEmbeddingOptions<T extends ProbeTask = ProbeTask> extends FusionOptions<T> {
  /**
   * Width of every source projection.
   * @defaultValue `512`
   */
  projectionDim?: number;
  /**
   * Width of the hidden layer after the LayerNorm.
   * @defaultValue `projectionDim`
   */
  hiddenDim?: number;
  /**
   * Token layout of the self-attention; see {@link DvmeTokens}.
   * @defaultValue `'feature'` (the paper's listing)
   */
  tokens?: DvmeTokens;
  /**
   * Attention heads (feature tokens allow 1 only).
   * @defaultValue `1` for `'feature'`, `8` for `'source'`
   */
  heads?: number;
  /**
   * Dropout rate before the logit layer.
   * @defaultValue `0.2`
   */
  dropout?: number;
  /**
   * `false`: the paper's ablation "DVME w/o self-attention".
   * @defaultValue `true`
   */
  attention?: boolean;
  /**
   * Whether the attention's qkv projection has a bias.
   * @defaultValue `true`
   */
  qkvBias?: boolean;
  /**
   * Attention block budget in float32 elements (memory versus speed; results do not change).
   * @defaultValue `1048576`
   */
  chunkElements?: number;
}

/**
 * The hyperparameters of a {@link DynamicVisualMetaEmbedding}, every default filled in.
 *
 * @remarks Since 0.1.0.
 * @example
 * ```ts
 * import { DynamicVisualMetaEmbedding } from 'dvme';
 * new DynamicVisualMetaEmbedding({ sources: { a: 8 }, task: 'binary' }).hyperparameters.tokens; // 'feature'
 * ```
 */
export type DvmeHyperparameters<T extends ProbeTask = ProbeTask> = FusionHyperparameters<T> &
  Readonly<{
    projectionDim: number;
    hiddenDim: number;
    tokens: DvmeTokens;
    heads: number;
    dropout: number;
    attention: boolean;
    qkvBias: boolean;
    chunkElements?: number;
  }>;

/**
 * Dynamic Visual Meta-Embedding (Truong et al., ML4H 2021): a classifier on embeddings of the
 * same images from several frozen backbones, which projects each source to `projectionDim`,
 * mixes the concatenation with one self-attention module, and classifies with LayerNorm and a
 * two-layer MLP; trained with the paper's protocol (Adam 1e-3, batch 64, ReduceLROnPlateau
 * 0.1 / 5, 30-50 epochs, early stopping 10 with the best weights restored).
 *
 * @remarks
 * Since 0.1.0. The model equals the paper's PyTorch listing (logits within 1e-5, one Adam step
 * within 1e-4 of PyTorch's in the test suite). With the listing's feature tokens the head has
 * 3,677,709 parameters for sources (2048, 2048, 1536) and 5 classes (the paper: 3.6 M); with
 * source tokens 4,728,325. Estimator contract as {@link Probe}; see {@link FusionEstimator}.
 * @example
 * ```ts
 * import { DynamicVisualMetaEmbedding } from 'dvme';
 * const dvme = new DynamicVisualMetaEmbedding({
 *   sources: { a: 3, b: 2 }, task: 'binary', projectionDim: 4, minEpochs: 2, maxEpochs: 2,
 * });
 * const x = { a: [[0, 1, 0], [1, 0, 0], [0, 1, 1], [1, 0, 1]], b: [[0, 1], [1, 0], [0, 1], [1, 0]] };
 * await dvme.fit(x, [0, 1, 0, 1]);
 * dvme.predictProba(x); // Float32Array of 4 probabilities
 * dvme.attentionMap(x); // 2 x 2, source x source
 * dvme.dispose();
 * ```
 */
export class DynamicVisualMetaEmbedding<T extends ProbeTask = ProbeTask> extends FusionEstimator<T, DvmeHyperparameters<T>> {
  /**
   * @param options - See {@link DynamicVisualMetaEmbeddingOptions}; invalid ones throw
   *   {@link InvalidArgumentError}.
   */
  constructor(options: DynamicVisualMetaEmbeddingOptions<T>) {
    const shared = resolveFusionOptions('DynamicVisualMetaEmbedding', options, OWN);
    // Validated by the model builder's own checks (numOutputs is a placeholder here).
    const arch = resolveDvmeModelConfig({ ...options, sourceDims: Object.values(shared.sources), numOutputs: 1 });
    super({
      ...shared,
      projectionDim: arch.projectionDim,
      hiddenDim: arch.hiddenDim,
      tokens: arch.tokens,
      heads: arch.heads,
      dropout: arch.dropout,
      attention: arch.attention,
      qkvBias: arch.qkvBias,
      ...(arch.chunkElements !== undefined ? { chunkElements: arch.chunkElements } : {}),
    });
  }

  /** @internal */
  protected get jsonKind(): string {
    return KIND;
  }

  /** @internal */
  protected createModel(numOutputs: number): tfl.LayersModel {
    const hp = this.hyperparameters;
    return buildDvmeModel({ ...hp, sourceDims: this.specs.map((s) => s.dim), numOutputs, seed: hp.seed });
  }

  /**
   * The source x source self-attention of embeddings `x`, averaged over rows and heads: entry
   * `[a][b]` is how much source `a` attends to source `b`. With source tokens each row is a
   * softmax and sums to 1. With feature tokens it is the `(S * projectionDim)^2` map averaged
   * over each `projectionDim x projectionDim` block (rows then sum to `1 / projectionDim`;
   * multiply by `projectionDim` for the share of attention), computed block by block without
   * ever holding the whole map.
   *
   * @returns `S` rows of `S` numbers, in source order.
   * @throws {@link InvalidArgumentError} for a model built with `attention: false`;
   *   {@link NotFittedError} before fit; as `predictProba` for bad inputs.
   */
  attentionMap(x: SourceEmbeddings): number[][] {
    const model = this.fittedModel();
    const hp = this.hyperparameters;
    if (!hp.attention) {
      throw new InvalidArgumentError('This DynamicVisualMetaEmbedding has no self-attention (attention: false), so no attention map.');
    }
    const S = this.specs.length;
    const tokensPerSource = hp.tokens === 'feature' ? hp.projectionDim : 1;
    const layer = model.getLayer('attention') as TokenSelfAttention;
    const { tensors, owned } = this.inputTensors(x);
    const sums = new Float64Array(S * S);
    try {
      const n = tensors[0].shape[0];
      for (let start = 0; start < n; start += PREDICT_BATCH) {
        const size = Math.min(PREDICT_BATCH, n - start);
        const joined = tf.tidy(() => {
          const parts = tensors.map((t, j) =>
            model.getLayer(`proj_${j}`).apply(tf.slice(t, [start, 0], [size, t.shape[1]])) as tf.Tensor2D,
          );
          return parts.length === 1 ? parts[0] : tf.concat(parts, 1);
        });
        try {
          layer.groupedAttention(joined, tokensPerSource).forEach((v, i) => (sums[i] += v));
        } finally {
          joined.dispose();
        }
      }
      const denom = n * layer.numHeads * tokensPerSource * tokensPerSource;
      return Array.from({ length: S }, (_, a) => Array.from({ length: S }, (_, b) => sums[a * S + b] / denom));
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
   * import { DynamicVisualMetaEmbedding } from 'dvme';
   * declare const text: string; // JSON.stringify(dvme) saved earlier
   * const dvme = DynamicVisualMetaEmbedding.fromJSON<'multiclass'>(text);
   * ```
   */
  static fromJSON<T extends ProbeTask = ProbeTask>(json: FusionJSON | string): DynamicVisualMetaEmbedding<T> {
    const r = fromFusionJSON(KIND, json, (hp: DynamicVisualMetaEmbeddingOptions<T>) => new DynamicVisualMetaEmbedding<T>(hp));
    return r.estimator.restore(r.json);
  }
}

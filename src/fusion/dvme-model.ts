import * as tfl from '@tensorflow/tfjs-layers';
import { InvalidArgumentError } from '../errors/index.js';
import { TokenSelfAttention } from './token-self-attention.js';
import { SeededDropout } from './seeded-dropout.js';
import { LayerNorm } from '../layers/layer-norm.js';
import { Linear } from './linear.js';
import { layerSeed } from './torch-init.js';
import { checkSourceDims, checkUnits, concatSources, logitHead, projectSources, sourceInputs } from './source-inputs.js';

/**
 * How DVME cuts the concatenated projections into attention tokens.
 *
 * - `'feature'`: the paper's listing taken literally, `reshape(B, S * projectionDim, 1)`: one
 *   token per feature, attention width 1, one head (3 x 512 = 1536 tokens for three sources).
 *   The paper's parameter count (3.6 M) fits this reading.
 * - `'source'`: one token of `projectionDim` values per source, the reading of the paper's
 *   3 x 3 attention figure.
 *
 * @remarks Since 0.1.0.
 * @example
 * ```ts
 * import type { DvmeTokens } from 'dvme';
 * const tokens: DvmeTokens = 'source';
 * ```
 */
export type DvmeTokens = 'feature' | 'source';

/**
 * Architecture of a DVME head, as {@link buildDvmeModel} takes it.
 *
 * @remarks Since 0.1.0.
 * @internal
 */
export interface DvmeModelConfig {
  /** Embedding width of every source, in input order. */
  sourceDims: readonly number[];
  /** Width of the logit layer (classes, 1 for a binary sigmoid output, or labels). */
  numOutputs: number;
  /**
   * Width of every source projection (the listing's `proj_dim`).
   * @defaultValue `512`
   */
  projectionDim?: number;
  /**
   * Width of the hidden layer after the LayerNorm (the listing's `Linear(1536 -> 512)`).
   * @defaultValue `projectionDim`
   */
  hiddenDim?: number;
  /**
   * Token layout of the self-attention, see {@link DvmeTokens}.
   * @defaultValue `'feature'`
   */
  tokens?: DvmeTokens;
  /**
   * Attention heads. Feature tokens are one-dimensional, so they allow 1 head only.
   * @defaultValue `1` for `'feature'`, `8` for `'source'` (timm's default; head width 64 at 512)
   */
  heads?: number;
  /**
   * `false` builds the paper's ablation "DVME w/o self-attention" (projections, concat,
   * LayerNorm, MLP).
   * @defaultValue `true`
   */
  attention?: boolean;
  /**
   * Dropout rate before the logit layer.
   * @defaultValue `0.2`
   */
  dropout?: number;
  /**
   * Whether the attention's qkv projection has a bias.
   * @defaultValue `true`
   */
  qkvBias?: boolean;
  /**
   * Attention block budget in float32 elements (see {@link TokenSelfAttentionArgs}).
   * @defaultValue `1048576`
   */
  chunkElements?: number;
  /**
   * Seed of the initial weights and the dropout masks.
   * @defaultValue none (`Math.random`)
   */
  seed?: number;
}

/** @internal The config with defaults filled in and checked. */
export type ResolvedDvmeModelConfig = Required<Omit<DvmeModelConfig, 'seed' | 'chunkElements'>> &
  Pick<DvmeModelConfig, 'seed' | 'chunkElements'>;

/** @internal Fills in and checks the defaults of a {@link DvmeModelConfig}. */
export function resolveDvmeModelConfig(config: DvmeModelConfig): ResolvedDvmeModelConfig {
  const tokens = config.tokens ?? 'feature';
  if (tokens !== 'feature' && tokens !== 'source') {
    throw new InvalidArgumentError(`tokens must be 'feature' or 'source'; received ${String(tokens)}.`);
  }
  const projectionDim = checkUnits('projectionDim', config.projectionDim ?? 512);
  const heads = checkUnits('heads', config.heads ?? (tokens === 'feature' ? 1 : 8));
  const tokenDim = tokens === 'feature' ? 1 : projectionDim;
  if (tokenDim % heads !== 0) {
    throw new InvalidArgumentError(
      `heads must divide the token width ${tokenDim} (${tokens} tokens); received ${heads}. ` +
        (tokens === 'feature' ? "Feature tokens are one-dimensional: use heads 1, or tokens: 'source'." : ''),
    );
  }
  const dropout = config.dropout ?? 0.2;
  if (typeof dropout !== 'number' || !(dropout >= 0 && dropout < 1)) {
    throw new InvalidArgumentError(`dropout must be a number in [0, 1); received ${String(dropout)}.`);
  }
  return {
    sourceDims: checkSourceDims(config.sourceDims),
    numOutputs: checkUnits('numOutputs', config.numOutputs),
    projectionDim,
    hiddenDim: checkUnits('hiddenDim', config.hiddenDim ?? projectionDim),
    tokens,
    heads,
    attention: config.attention ?? true,
    dropout,
    qkvBias: config.qkvBias ?? true,
    chunkElements: config.chunkElements,
    seed: config.seed,
  };
}

/**
 * Builds the DVME head of the paper's listing as a tfjs-layers model: per-source
 * `Dense(d_j -> projectionDim)` (`proj_<j>`), concatenation, {@link TokenSelfAttention}
 * (`attention`), LayerNorm with PyTorch's eps 1e-5 (`norm`), `Dense(-> hiddenDim)` + ReLU
 * (`fc`), dropout, `Dense(-> numOutputs)` (`head`, logits).
 *
 * Inputs are `source_0 ... source_{S-1}`, one `[batch, d_j]` embedding per source; the output
 * is `[batch, numOutputs]` logits (the loss or `predictProba` applies softmax / sigmoid).
 * Weights start as PyTorch's `nn.Linear` defaults. The model saves and loads with tfjs-layers'
 * own `model.save` / `tf.loadLayersModel` (the attention layer is registered).
 *
 * @remarks Since 0.1.0.
 * @internal
 */
export function buildDvmeModel(config: DvmeModelConfig): tfl.LayersModel {
  const c = resolveDvmeModelConfig(config);
  const S = c.sourceDims.length;
  const inputs = sourceInputs(c.sourceDims);
  let x = concatSources(projectSources(inputs, c.sourceDims, c.projectionDim, c.seed));
  if (c.attention) {
    x = new TokenSelfAttention({
      name: 'attention',
      tokenDim: c.tokens === 'feature' ? 1 : c.projectionDim,
      numHeads: c.heads,
      qkvBias: c.qkvBias,
      chunkElements: c.chunkElements,
      seed: layerSeed(c.seed, S),
    }).apply(x) as tfl.SymbolicTensor;
  }
  x = new LayerNorm({ epsilon: 1e-5, name: 'norm' }).apply(x) as tfl.SymbolicTensor;
  // Layer index S + 2 for fc: the attention used two seed pairs (qkv, proj).
  x = new Linear({ units: c.hiddenDim, activation: 'relu', name: 'fc', seed: layerSeed(c.seed, S + 2) }).apply(
    x,
  ) as tfl.SymbolicTensor;
  x = new SeededDropout({ rate: c.dropout, seed: layerSeed(c.seed, S + 4), name: 'dropout' }).apply(x) as tfl.SymbolicTensor;
  const logits = logitHead(x, c.numOutputs, layerSeed(c.seed, S + 3));
  return tfl.model({ inputs, outputs: logits, name: 'dvme' });
}

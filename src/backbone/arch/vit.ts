import * as tfl from '@tensorflow/tfjs-layers';
import { InvalidArgumentError } from '../../errors/index.js';
import { imageInputShape, requirePositiveInteger } from './arch-config.js';
import { MultiHeadSelfAttention } from './attention.js';
import { ClassTokenPositionEmbedding } from './position-embedding.js';
import { TokenPooling } from './token-pooling.js';
import { LayerNorm } from '../../layers/layer-norm.js';

/**
 * Which vector a ViT model outputs, each computed from tokens passed through the final
 * LayerNorm, as in DINO's `eval_linear.py`:
 * - `'cls'`: the CLS token of the last block (`dim`), DINO's `forward`;
 * - `'avgpool'`: the mean of the last block's patch tokens (`dim`);
 * - `'cls+avgpool'`: `[cls, avgpool]` concatenated (`2 * dim`). DINO's `--avgpool_patchtokens`
 *   interleaves the two instead (`cls_0, avg_0, cls_1, ...`), a fixed permutation that only
 *   matters when loading a linear head trained by DINO itself;
 * - `'lastBlocksCls'`: the CLS tokens of the last `nLastBlocks` blocks, each normed,
 *   concatenated oldest first (`nLastBlocks * dim`): DINO's `n_last_blocks` and the paper's
 *   DINO embedding (4 x 384 = 1536 for ViT-S).
 *
 * @remarks Since 0.1.0.
 * @example
 * ```ts
 * import { VIT_SMALL_CONFIG, type ViTEmbedding } from 'dvme';
 * const embedding: ViTEmbedding = 'cls+avgpool';
 * const dim = 2 * VIT_SMALL_CONFIG.dim; // 768: the CLS token and the mean patch token
 * ```
 */
export type ViTEmbedding = 'cls' | 'avgpool' | 'cls+avgpool' | 'lastBlocksCls';

/**
 * Hyperparameters of a ViT in the DINO / timm layout (pre-norm blocks, qkv with bias, GELU MLP).
 *
 * @remarks Since 0.1.0.
 * @example
 * ```ts
 * import { VIT_SMALL_CONFIG, type ViTConfig } from 'dvme';
 * const dinoS8: ViTConfig = { ...VIT_SMALL_CONFIG, patchSize: 8 };
 * ```
 */
export interface ViTConfig {
  /** Training image size; sets the number of position embeddings, `(imgSize / patchSize)^2`. */
  readonly imgSize: number;
  /** Patch side in pixels (8 or 16 for DINO). */
  readonly patchSize: number;
  /** Token width (384 for ViT-S, 768 for ViT-B). */
  readonly dim: number;
  /** Transformer blocks. */
  readonly depth: number;
  /** Attention heads; must divide `dim`. */
  readonly numHeads: number;
  /** MLP hidden width as a multiple of `dim`. */
  readonly mlpRatio: number;
  /** LayerNorm epsilon (DINO / timm: 1e-6). */
  readonly layerNormEps: number;
  /** The output; see {@link ViTEmbedding}. */
  readonly embedding: ViTEmbedding;
  /** Blocks whose CLS tokens `'lastBlocksCls'` concatenates; at most `depth`. */
  readonly nLastBlocks: number;
  /**
   * `[height, width]` of the input, or `null` for any size: position embeddings are then
   * resampled per call as DINO's `interpolate_pos_encoding`.
   */
  readonly inputSize: readonly [number, number] | null;
  /** Name of the model. */
  readonly name: string;
}

/**
 * ViT-S/16 as DINO builds it (`vit_small`): 384 wide, 6 heads, 12 blocks, 21.7 M parameters.
 * Use `{ ...VIT_SMALL_CONFIG, patchSize: 8 }` for the paper's DINO ViT-S/8.
 *
 * @remarks Since 0.1.0.
 * @example
 * ```ts
 * import { VIT_SMALL_CONFIG } from 'dvme';
 * VIT_SMALL_CONFIG.dim; // 384
 * ```
 */
export const VIT_SMALL_CONFIG: Readonly<ViTConfig> = Object.freeze({
  imgSize: 224,
  patchSize: 16,
  dim: 384,
  depth: 12,
  numHeads: 6,
  mlpRatio: 4,
  layerNormEps: 1e-6,
  embedding: 'cls',
  nLastBlocks: 4,
  inputSize: null,
  name: 'vit_small',
});

/**
 * ViT-B/16 as DINO builds it (`vit_base`): 768 wide, 12 heads, 12 blocks.
 *
 * @remarks Since 0.1.0.
 * @example
 * ```ts
 * import { VIT_BASE_CONFIG } from 'dvme';
 * VIT_BASE_CONFIG.dim; // 768
 * ```
 */
export const VIT_BASE_CONFIG: Readonly<ViTConfig> = Object.freeze({
  ...VIT_SMALL_CONFIG,
  dim: 768,
  numHeads: 12,
  name: 'vit_base',
});

const EMBEDDINGS: readonly ViTEmbedding[] = ['cls', 'avgpool', 'cls+avgpool', 'lastBlocksCls'];

type Node = tfl.SymbolicTensor;

function apply(layer: tfl.layers.Layer, x: Node | Node[]): Node {
  return layer.apply(x) as Node;
}

/** @internal The config with defaults filled in; throws an {@link InvalidArgumentError} for a malformed one. */
export function resolveViTConfig(config: Partial<ViTConfig>): ViTConfig {
  const c = { ...VIT_SMALL_CONFIG, ...config };
  const owner = 'buildVisionTransformer';
  for (const key of ['imgSize', 'patchSize', 'dim', 'depth', 'numHeads', 'nLastBlocks'] as const) {
    requirePositiveInteger(owner, key, c[key]);
  }
  if (c.dim % c.numHeads !== 0) {
    throw new InvalidArgumentError(
      `${owner}: numHeads (${c.numHeads}) must divide dim (${c.dim}).`,
    );
  }
  if (c.patchSize > c.imgSize) {
    throw new InvalidArgumentError(
      `${owner}: patchSize (${c.patchSize}) must not exceed imgSize (${c.imgSize}).`,
    );
  }
  if (!(c.mlpRatio > 0) || Math.floor(c.dim * c.mlpRatio) < 1) {
    throw new InvalidArgumentError(
      `${owner}: mlpRatio must make a hidden width of at least 1; received ${c.mlpRatio}.`,
    );
  }
  if (!(c.layerNormEps > 0)) {
    throw new InvalidArgumentError(
      `${owner}: layerNormEps must be positive; received ${c.layerNormEps}.`,
    );
  }
  if (!EMBEDDINGS.includes(c.embedding)) {
    throw new InvalidArgumentError(
      `${owner}: embedding must be one of ${EMBEDDINGS.map((e) => `'${e}'`).join(', ')}; ` +
        `received ${JSON.stringify(c.embedding)}.`,
    );
  }
  if (c.embedding === 'lastBlocksCls' && c.nLastBlocks > c.depth) {
    throw new InvalidArgumentError(
      `${owner}: nLastBlocks (${c.nLastBlocks}) must not exceed depth (${c.depth}); DINO would ` +
        `silently return fewer blocks.`,
    );
  }
  return c;
}

/**
 * Dimension of the embedding {@link buildVisionTransformer} outputs for a config.
 *
 * @remarks Since 0.1.0.
 * @internal
 */
export function vitEmbeddingDim(config: Partial<ViTConfig> = {}): number {
  const c = resolveViTConfig(config);
  if (c.embedding === 'cls+avgpool') return 2 * c.dim;
  if (c.embedding === 'lastBlocksCls') return c.nLastBlocks * c.dim;
  return c.dim;
}

/** timm's `Block`: x + attn(norm1(x)), then x + mlp(norm2(x)). */
function block(x: Node, prefix: string, c: ViTConfig): Node {
  const norm = (name: string): tfl.layers.Layer =>
    new LayerNorm({ name: `${prefix}.${name}`, epsilon: c.layerNormEps });
  const dense = (name: string, units: number, activation?: 'gelu'): tfl.layers.Layer =>
    tfl.layers.dense({ name: `${prefix}.${name}`, units, activation });
  // tfjs' 'gelu' is the exact erf form, as torch.nn.GELU() (not timm's tanh approximation).
  const qkv = apply(dense('attn.qkv', 3 * c.dim), apply(norm('norm1'), x));
  const attention = new MultiHeadSelfAttention({ name: `${prefix}.attn`, numHeads: c.numHeads });
  const attended = apply(dense('attn.proj', c.dim), apply(attention, qkv));
  x = apply(tfl.layers.add({ name: `${prefix}.add1` }), [x, attended]);
  const fc1 = dense('mlp.fc1', Math.floor(c.dim * c.mlpRatio), 'gelu');
  const mlp = apply(dense('mlp.fc2', c.dim), apply(fc1, apply(norm('norm2'), x)));
  return apply(tfl.layers.add({ name: `${prefix}.add2` }), [x, mlp]);
}

/**
 * Build a Vision Transformer exactly as DINO (and timm) do, as a trainable tfjs-layers model
 * from NHWC images to the embedding chosen by `config.embedding`.
 *
 * Layers are named after the PyTorch modules whose weights they hold (`patch_embed.proj`,
 * `blocks.3.attn.qkv`, `blocks.3.mlp.fc2`, `norm`, ...), and the CLS token / position
 * embeddings load from `cls_token` / `pos_embed`, which is how {@link loadTorchStateDict}
 * finds them. With `inputSize: null` (the default) one model embeds any image size, resampling
 * the position embeddings bicubically as DINO does. Inputs are expected already normalised.
 *
 * @param config - overrides of {@link VIT_SMALL_CONFIG}.
 * @throws {@link InvalidArgumentError} for a malformed config.
 *
 * @remarks Since 0.1.0.
 * @internal
 */
export function buildVisionTransformer(config: Partial<ViTConfig> = {}): tfl.LayersModel {
  const c = resolveViTConfig(config);
  const shape = imageInputShape('buildVisionTransformer', c.inputSize);
  const image = tfl.input({ name: 'image', shape });
  const patches = tfl.layers.conv2d({
    name: 'patch_embed.proj',
    filters: c.dim,
    kernelSize: c.patchSize,
    strides: c.patchSize,
    padding: 'valid',
  });
  const numPatches = Math.floor(c.imgSize / c.patchSize) ** 2;
  const embed = new ClassTokenPositionEmbedding({ name: 'embed', numPatches });
  let x = apply(embed, [apply(patches, image), image]);
  const blockOutputs: Node[] = [];
  for (let i = 0; i < c.depth; i++) {
    x = block(x, `blocks.${i}`, c);
    blockOutputs.push(x);
  }
  // One LayerNorm shared by every output, as DINO's get_intermediate_layers reuses self.norm.
  const norm = new LayerNorm({ name: 'norm', epsilon: c.layerNormEps });
  const pool = (normed: Node, mode: 'cls' | 'patchMean', name: string): Node =>
    apply(new TokenPooling({ name, mode }), normed);
  const concat = (parts: Node[]): Node =>
    parts.length === 1
      ? parts[0]
      : apply(tfl.layers.concatenate({ name: 'embedding', axis: -1 }), parts);
  let output: Node;
  if (c.embedding === 'lastBlocksCls') {
    // LayerNorm acts on each token alone, so norm(cls(block_i)) = cls(norm(block_i)). The CLS
    // tokens are stacked into [B, n, C] and normalised by ONE call of the shared layer: a
    // layer called n times is only freed after n disposals in tfjs-layers, so one call keeps
    // `model.dispose()` leak-free.
    const first = c.depth - c.nLastBlocks;
    const tokens = blockOutputs.slice(first).map((t, i) =>
      apply(
        tfl.layers.reshape({ name: `pool.cls.${first + i}.token`, targetShape: [1, c.dim] }),
        pool(t, 'cls', `pool.cls.${first + i}`),
      ),
    );
    const stacked =
      tokens.length === 1
        ? tokens[0]
        : apply(tfl.layers.concatenate({ name: 'pool.cls.stack', axis: 1 }), tokens);
    output = apply(tfl.layers.flatten({ name: 'embedding' }), apply(norm, stacked));
  } else {
    const last = apply(norm, blockOutputs[c.depth - 1]);
    const parts: Node[] = [];
    if (c.embedding !== 'avgpool') parts.push(pool(last, 'cls', 'pool.cls'));
    if (c.embedding !== 'cls') parts.push(pool(last, 'patchMean', 'pool.avg'));
    output = concat(parts);
  }
  return tfl.model({ name: c.name, inputs: image, outputs: output });
}

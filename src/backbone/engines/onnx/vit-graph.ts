import { dinoPositionScale, resizeBicubic } from '../../../image/bicubic.js';
import { VIT_SMALL_CONFIG, vitEmbeddingDim, type ViTConfig } from '../../arch/vit.js';
import { InvalidArgumentError } from '../../../errors/index.js';
import { attr, type GraphBuilder } from './graph-builder.js';
import { requireWeight, type TorchStateDict } from '../../arch/torch-weights.js';
import { block, layerNorm, type BlockContext } from './vit-block.js';

/**
 * @internal DINO's `prepare_tokens` position embeddings for an `rows x cols` patch grid, resampled
 * once at build time (the graph has a fixed input size): `[1 + rows * cols, dim]`.
 */
function positionEmbedding(pos: Float32Array, dim: number, native: number, rows: number, cols: number, square: boolean): Float32Array {
  const scale = dinoPositionScale(native, rows, cols, square);
  if (scale === null) return pos;
  const patches = resizeBicubic(pos.subarray(dim), [native, native, dim], [rows, cols], scale);
  const out = new Float32Array((1 + rows * cols) * dim);
  out.set(pos.subarray(0, dim));
  out.set(patches, dim);
  return out;
}

/**
 * @internal Appends DINO's / timm's VisionTransformer to `g`: from a normalised NCHW float image
 * of exactly `inputSize` to the embedding `config.embedding` names, `[batch, dim]` (or
 * `n * dim`). Position embeddings are resampled for `inputSize` at build time, as DINO's
 * `interpolate_pos_encoding` would at run time.
 */
export function vitGraph(
  g: GraphBuilder,
  owner: string,
  state: TorchStateDict,
  image: string,
  inputSize: readonly [number, number],
  config: Partial<ViTConfig> = {},
  fused = true,
): { output: string; dim: number } {
  const c: ViTConfig = { ...VIT_SMALL_CONFIG, ...config };
  const dim = vitEmbeddingDim(c); // validates the config
  const [h, w] = inputSize;
  const rows = Math.floor(h / c.patchSize);
  const cols = Math.floor(w / c.patchSize);
  const native = Math.floor(c.imgSize / c.patchSize);
  if (rows < 1 || cols < 1) {
    throw new InvalidArgumentError(`${owner}: inputSize [${h}, ${w}] is smaller than one ${c.patchSize}-pixel patch.`);
  }
  const ctx: BlockContext = { g, owner, state, c, fused };
  g.scope = 'patch_embed.proj';
  const pw = requireWeight(owner, state, 'patch_embed.proj.weight', [c.dim, 3, c.patchSize, c.patchSize]).data;
  const pb = requireWeight(owner, state, 'patch_embed.proj.bias', [c.dim]).data;
  const grid = g.op('Conv', [image, g.weight('patch_embed.proj.weight', pw, [c.dim, 3, c.patchSize, c.patchSize]), g.weight('patch_embed.proj.bias', pb, [c.dim])], {
    kernel_shape: attr.ints(c.patchSize, c.patchSize),
    strides: attr.ints(c.patchSize, c.patchSize),
  });
  const patches = g.op('Transpose', [g.op('Reshape', [grid, g.int64([0, c.dim, rows * cols])])], { perm: attr.ints(0, 2, 1) });
  g.scope = 'embed';
  const posAll = requireWeight(owner, state, 'pos_embed', [1, native * native + 1, c.dim]).data;
  const cls = requireWeight(owner, state, 'cls_token', [1, 1, c.dim]).data;
  const pos = positionEmbedding(posAll, c.dim, native, rows, cols, h === w);
  // The CLS row is constant (token + its position), so it is added once here, not per image.
  const clsRow = Float32Array.from(cls, (v, i) => v + pos[i]);
  const batch = g.op('Shape', [image], { start: attr.int(0), end: attr.int(1) });
  const clsShape = g.op('Concat', [batch, g.int64([1, c.dim])], { axis: attr.int(0) });
  const clsTokens = g.op('Expand', [g.weight('cls_token+pos_embed[0]', clsRow, [1, 1, c.dim]), clsShape]);
  const patchTokens = g.op('Add', [patches, g.weight('pos_embed[1:]', pos.slice(c.dim), [1, rows * cols, c.dim])]);
  let x = g.op('Concat', [clsTokens, patchTokens], { axis: attr.int(1) });
  g.scope = '';
  // Embeddings of CLS tokens need only the CLS token's output from the last block.
  const clsOnly = c.embedding === 'cls' || c.embedding === 'lastBlocksCls';
  const outputs: string[] = [];
  for (let i = 0; i < c.depth; i++) {
    x = block(ctx, x, i, clsOnly && i === c.depth - 1);
    outputs.push(x);
  }
  g.scope = 'pool';
  // LayerNorm is per token, so norm(x)[:, 0] is norm(x[:, 0]): the CLS modes normalise one token.
  const clsOf = (t: string) => layerNorm(ctx, g.op('Gather', [t, g.int64([0], [])], { axis: attr.int(1) }), 'norm');
  let output: string;
  if (c.embedding === 'lastBlocksCls') {
    const parts = outputs.slice(c.depth - c.nLastBlocks).map(clsOf);
    output = parts.length === 1 ? parts[0] : g.op('Concat', parts, { axis: attr.int(1) });
  } else if (c.embedding === 'cls') {
    output = clsOf(x);
  } else {
    const normed = layerNorm(ctx, x, 'norm');
    const tokens = g.op('Slice', [normed, g.int64([1]), g.int64([1 + rows * cols]), g.int64([1])]);
    const avg = g.op('ReduceMean', [tokens, g.int64([1])], { keepdims: attr.int(0) });
    if (c.embedding === 'avgpool') output = avg;
    else {
      const first = g.op('Gather', [normed, g.int64([0], [])], { axis: attr.int(1) });
      output = g.op('Concat', [first, avg], { axis: attr.int(1) });
    }
  }
  g.scope = '';
  return { output, dim };
}

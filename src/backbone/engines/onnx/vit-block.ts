import { attr, type GraphBuilder } from './graph-builder.js';
import { requireWeight, transpose2d, type TorchStateDict } from '../../arch/torch-weights.js';
import type { ViTConfig } from '../../arch/vit.js';

/** @internal What the ViT block builders share. */
export interface BlockContext {
  readonly g: GraphBuilder;
  readonly owner: string;
  readonly state: TorchStateDict;
  readonly c: ViTConfig;
  /** Use onnxruntime's fused attention kernels (`com.microsoft` `Attention`, `MultiHeadAttention`). */
  readonly fused: boolean;
}

/**
 * @internal `x @ W^T + b` of a PyTorch Linear, the weight transposed at build time; `rows` takes
 * the q, k or v third of a fused qkv projection, `scale` multiplies weight and bias.
 */
export function linear(ctx: BlockContext, x: string, key: string, inF: number, outF: number, rows?: [number, number], scale = 1): string {
  const { g, owner, state } = ctx;
  const w = requireWeight(owner, state, `${key}.weight`, [-1, inF]).data;
  const b = requireWeight(owner, state, `${key}.bias`, [-1]).data;
  const [from, to] = rows ?? [0, outF];
  const wt = transpose2d(w.subarray(from * inF, to * inF), to - from, inF);
  const bias = b.slice(from, to);
  if (scale !== 1) {
    for (let i = 0; i < wt.length; i++) wt[i] *= scale;
    for (let i = 0; i < bias.length; i++) bias[i] *= scale;
  }
  const suffix = rows ? `[${from}:${to}]` : '';
  const y = g.op('MatMul', [x, g.weight(`${key}.weight${suffix}^T`, wt, [inF, to - from])]);
  return g.op('Add', [y, g.weight(`${key}.bias${suffix}`, bias, [to - from])]);
}

/**
 * @internal timm's `Attention` of `query` tokens `[B, Q, D]` over `tokens` `[B, T, D]` (the same
 * value unless only the CLS token's output is needed), projection included: `[B, Q, D]`.
 *
 * Fused: onnxruntime's `Attention` kernel (qkv projection, scaled dot-product attention and
 * head merge in one operator) when every token is a query, `MultiHeadAttention` with separate
 * q / k / v projections otherwise. Plain ONNX: three MatMuls (no 5-D transpose) and
 * `head_dim ** -0.5` folded into the query weights, exact for DINO's head width 64 (a power of 2).
 */
export function attention(ctx: BlockContext, query: string, tokens: string, prefix: string): string {
  const { g, owner, state, c } = ctx;
  const key = `${prefix}.attn.qkv`;
  const third = (i: number): [number, number] => [i * c.dim, (i + 1) * c.dim];
  let merged: string;
  if (ctx.fused && query === tokens) {
    const w = requireWeight(owner, state, `${key}.weight`, [3 * c.dim, c.dim]).data;
    const b = requireWeight(owner, state, `${key}.bias`, [3 * c.dim]).data;
    const weight = g.weight(`${key}.weight^T`, transpose2d(w, 3 * c.dim, c.dim), [c.dim, 3 * c.dim]);
    merged = g.op('Attention', [tokens, weight, g.weight(`${key}.bias`, b, [3 * c.dim])], { num_heads: attr.int(c.numHeads) }, { domain: 'com.microsoft' });
  } else if (ctx.fused) {
    const [q, k, v] = [query, tokens, tokens].map((t, i) => linear(ctx, t, key, c.dim, 3 * c.dim, third(i)));
    merged = g.op('MultiHeadAttention', [q, k, v], { num_heads: attr.int(c.numHeads) }, { domain: 'com.microsoft' });
  } else {
    const hd = c.dim / c.numHeads;
    const heads = (t: string, perm: number[]) => g.op('Transpose', [g.op('Reshape', [t, g.int64([0, 0, c.numHeads, hd])])], { perm: attr.ints(...perm) });
    const q = heads(linear(ctx, query, key, c.dim, 3 * c.dim, third(0), hd ** -0.5), [0, 2, 1, 3]);
    const kT = heads(linear(ctx, tokens, key, c.dim, 3 * c.dim, third(1)), [0, 2, 3, 1]);
    const v = heads(linear(ctx, tokens, key, c.dim, 3 * c.dim, third(2)), [0, 2, 1, 3]);
    const probs = g.op('Softmax', [g.op('MatMul', [q, kT])], { axis: attr.int(-1) });
    const mixed = g.op('Transpose', [g.op('MatMul', [probs, v])], { perm: attr.ints(0, 2, 1, 3) });
    merged = g.op('Reshape', [mixed, g.int64([0, 0, c.dim])]);
  }
  return linear(ctx, merged, `${prefix}.attn.proj`, c.dim, c.dim);
}

/** @internal LayerNorm over the last axis with the weights under `key`. */
export function layerNorm(ctx: BlockContext, x: string, key: string): string {
  const { g, owner, state, c } = ctx;
  const scale = g.weight(`${key}.weight`, requireWeight(owner, state, `${key}.weight`, [c.dim]).data, [c.dim]);
  const bias = g.weight(`${key}.bias`, requireWeight(owner, state, `${key}.bias`, [c.dim]).data, [c.dim]);
  return g.op('LayerNormalization', [x, scale, bias], { axis: attr.int(-1), epsilon: attr.float(c.layerNormEps) });
}

/**
 * @internal timm's `Block`: x + attn(norm1(x)), then x + mlp(norm2(x)), exact (erf) GELU. With
 * `clsOnly` only the CLS token's output is computed (`[B, 1, D]`): what the last block owes an
 * embedding made of CLS tokens, at a sixth of the block's cost; keys and values still come from
 * every token, so the result is the same.
 */
export function block(ctx: BlockContext, x: string, i: number, clsOnly: boolean): string {
  const { g, c } = ctx;
  const prefix = `blocks.${i}`;
  g.scope = prefix;
  const normed = layerNorm(ctx, x, `${prefix}.norm1`);
  const first = (t: string) => g.op('Slice', [t, g.int64([0]), g.int64([1]), g.int64([1])]);
  const query = clsOnly ? first(normed) : normed;
  x = g.op('Add', [clsOnly ? first(x) : x, attention(ctx, query, normed, prefix)]);
  const hidden = Math.floor(c.dim * c.mlpRatio);
  const h = g.op('Gelu', [linear(ctx, layerNorm(ctx, x, `${prefix}.norm2`), `${prefix}.mlp.fc1`, c.dim, hidden)]);
  x = g.op('Add', [x, linear(ctx, h, `${prefix}.mlp.fc2`, hidden, c.dim)]);
  g.scope = '';
  return x;
}

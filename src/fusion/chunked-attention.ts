import * as tf from '@tensorflow/tfjs-core';
import { scalarAttention, scalarAttentionKernelFor } from './scalar-attention.js';

/**
 * Default budget of one attention block, in float32 elements (2^20 = 4 MiB). The feature-token
 * reading of DVME has 1536 tokens per sample, so a full attention map at batch 64 is 151 M
 * elements (604 MB) per intermediate; blocks of query rows keep every intermediate at this
 * size. Among 2^18 .. 2^22, 2^20 was also the fastest on wasm and cpu.
 *
 * @internal
 */
export const DEFAULT_CHUNK_ELEMENTS = 1 << 20;

/**
 * @internal How the `[rows, keys]` work of a block is expressed; both give the same numbers.
 *
 * - `'fused'`: `tf.softmax` and row broadcasts. One fused kernel on wasm, webgl, webgpu and
 *   tfjs-node (on wasm 4x faster than `'matmul'`).
 * - `'matmul'`: only matMuls, `exp` and same-shape products; row shifts are folded into the
 *   products as an extra column (`[q, -shift] . [k, 1] = q . k - shift`). tfjs' cpu backend
 *   runs softmax and broadcasts element by element through generic index arithmetic, and this
 *   form is 6-7x faster there.
 */
export type AttentionKernels = 'fused' | 'matmul';

/** @internal The faster {@link AttentionKernels} for the active backend (measured). */
export function defaultKernels(): AttentionKernels {
  return tf.getBackend() === 'cpu' ? 'matmul' : 'fused';
}

/** @internal Query rows per block so that a `[batchHeads, rows, keys]` block fits the budget. */
export function rowsPerChunk(batchHeads: number, keys: number, chunkElements: number): number {
  return Math.max(1, Math.floor(chunkElements / Math.max(1, batchHeads * keys)));
}

/** `[x, column]` along the last axis. */
function withColumn(x: tf.Tensor3D, column: tf.Tensor3D): tf.Tensor3D {
  return tf.concat([x, column], 2);
}

/** `a . b^T - shift` per row, the shift folded in as a column: `[a, -shift] . [b, 1]^T`. */
function shiftedProduct(a: tf.Tensor3D, shift: tf.Tensor3D, bOnes: tf.Tensor3D): tf.Tensor3D {
  return tf.matMul(withColumn(a, tf.neg(shift)), bOnes, false, true);
}

/**
 * The per-block operations of one attention call. `qs` is q already multiplied by the scale
 * (timm multiplies the product instead; the two round identically when the scale is a power of
 * two, as for head widths 1, 4, 16, 64).
 */
class BlockOps {
  private kOnes: tf.Tensor3D | undefined;
  private vOnes: tf.Tensor3D | undefined;
  private kRow: tf.Tensor3D | undefined;
  private vRow: tf.Tensor3D | undefined;

  constructor(
    readonly kernels: AttentionKernels,
    private readonly k: tf.Tensor3D,
    private readonly v: tf.Tensor3D,
  ) {
    const [bh, keys, hd] = k.shape;
    // tidy frees the ones; keep holds the operands until dispose().
    tf.tidy(() => {
      if (kernels === 'matmul') {
        const ones = tf.ones([bh, keys, 1]) as tf.Tensor3D;
        this.kOnes = tf.keep(withColumn(k, ones));
        this.vOnes = tf.keep(withColumn(v, ones));
      } else if (hd === 1) {
        // One-dimensional tokens: q k^T is an outer product, a broadcast multiply (faster than a
        // matMul with inner width 1 on wasm).
        this.kRow = tf.keep(tf.reshape(k, [bh, 1, keys]) as tf.Tensor3D);
        this.vRow = tf.keep(tf.reshape(v, [bh, 1, keys]) as tf.Tensor3D);
      }
    });
  }

  /** `a . b^T` for b = k or v, as an outer product when the width is 1. */
  private product(a: tf.Tensor3D, b: tf.Tensor3D, row: tf.Tensor3D | undefined): tf.Tensor3D {
    return row ? (tf.mul(a, row) as tf.Tensor3D) : tf.matMul(a, b, false, true);
  }

  /** Output rows and, for `'matmul'`, their log-sum-exp (what the backward pass needs to recompute P). */
  forward(qc: tf.Tensor3D): { out: tf.Tensor3D; lse?: tf.Tensor3D } {
    if (this.kernels === 'fused') return { out: tf.matMul(this.probabilities(qc), this.v) };
    const m = tf.max(tf.matMul(qc, this.k, false, true), -1, true) as tf.Tensor3D;
    const e = tf.exp(shiftedProduct(qc, m, this.kOnes!));
    const l = tf.sum(e, -1, true);
    return { out: tf.div(tf.matMul(e, this.v), l) as tf.Tensor3D, lse: tf.add(m, tf.log(l)) as tf.Tensor3D };
  }

  /** P for a block of rows; `lse` (from `forward`) is required for `'matmul'`. */
  probabilities(qc: tf.Tensor3D, lse?: tf.Tensor3D): tf.Tensor3D {
    if (this.kernels === 'fused') return tf.softmax(this.product(qc, this.k, this.kRow));
    let shift = lse;
    if (!shift) {
      const m = tf.max(tf.matMul(qc, this.k, false, true), -1, true) as tf.Tensor3D;
      shift = tf.add(m, tf.log(tf.sum(tf.exp(shiftedProduct(qc, m, this.kOnes!)), -1, true))) as tf.Tensor3D;
    }
    return tf.exp(shiftedProduct(qc, shift, this.kOnes!));
  }

  /** dS = P * (dO v^T - D) with D = rowsum(dO * O). */
  scoreGradient(p: tf.Tensor3D, dOut: tf.Tensor3D, d: tf.Tensor3D): tf.Tensor3D {
    if (this.kernels === 'fused') return tf.mul(p, tf.sub(this.product(dOut, this.v, this.vRow), d)) as tf.Tensor3D;
    return tf.mul(p, shiftedProduct(dOut, d, this.vOnes!)) as tf.Tensor3D;
  }

  dispose(): void {
    tf.dispose([this.kOnes, this.vOnes, this.kRow, this.vRow].filter((t): t is tf.Tensor3D => t !== undefined));
  }
}

/** Rows `[r0, r0 + rows)` of a `[batchHeads, tokens, width]` tensor. */
function block(x: tf.Tensor3D, r0: number, rows: number): tf.Tensor3D {
  const [bh, n, w] = x.shape;
  return tf.slice(x, [0, r0, 0], [bh, Math.min(rows, n - r0), w]);
}

/** Concatenates blocks along the token axis, disposing them. */
function concatBlocks(parts: tf.Tensor3D[]): tf.Tensor3D {
  if (parts.length === 1) return parts[0];
  const out = tf.concat(parts, 1);
  tf.dispose(parts);
  return out;
}

/** Replaces `acc` by `acc + part`, disposing both old tensors. */
function accumulate(acc: tf.Tensor3D | null, part: tf.Tensor3D): tf.Tensor3D {
  if (acc === null) return part;
  const sum = tf.add(acc, part) as tf.Tensor3D;
  tf.dispose([acc, part]);
  return sum;
}

/**
 * @internal Scaled dot-product attention `softmax(q k^T * scale) v` over `[batchHeads, tokens,
 * headDim]` tensors, computed in blocks of query rows, with a hand-written gradient that
 * recomputes each block's probabilities in the backward pass (FlashAttention's scheme).
 *
 * Why a custom gradient: tfjs' tape keeps every forward intermediate until the backward pass,
 * so a blocked forward through ordinary ops would still hold the whole attention map at once.
 * Here the tape keeps q, k, v, the output (and per-row log-sum-exps); forward and backward
 * each hold one block of `[batchHeads, rows, tokens]` intermediates at a time.
 *
 * Backward of one block (dO the output gradient, D = rowsum(dO * O)):
 * dV += P^T dO; dS = P * (dO V^T - D); dQ = dS K * scale; dK += dS^T (Q * scale).
 *
 * Head width 1 (DVME's feature tokens) on the cpu and wasm backends, with `kernels` left
 * unset, runs the WebAssembly SIMD kernel of `scalar-attention.ts` instead (5-6x faster on
 * wasm): the same scheme without tensor ops, whole rows at a time, in scratch memory of about
 * 16 float32 values per token of one sample, below any block `chunkElements` allows.
 */
export function blockedAttention(
  q: tf.Tensor3D,
  k: tf.Tensor3D,
  v: tf.Tensor3D,
  scale: number,
  chunkElements: number = DEFAULT_CHUNK_ELEMENTS,
  kernels?: AttentionKernels,
): tf.Tensor3D {
  const wasm = kernels === undefined ? scalarAttentionKernelFor(q) : undefined;
  const fast = wasm && scalarAttention(wasm, q, k, v, scale);
  if (fast) return fast;
  const form = kernels ?? defaultKernels();
  const [bh, n] = q.shape;
  const rows = rowsPerChunk(bh, k.shape[1], chunkElements);

  const attend = tf.customGrad<tf.Tensor3D>((...args: (tf.Tensor | ((save: tf.Tensor[]) => void))[]) => {
    const [q3, k3, v3] = args.slice(0, 3) as tf.Tensor3D[];
    const ops = new BlockOps(form, k3, v3);
    const qs = tf.mul(q3, scale) as tf.Tensor3D;
    const outs: tf.Tensor3D[] = [];
    const lses: tf.Tensor3D[] = [];
    for (let r0 = 0; r0 < n; r0 += rows) {
      const r = tf.tidy(() => ops.forward(block(qs, r0, rows)) as tf.TensorContainerObject);
      outs.push(r.out as tf.Tensor3D);
      if (r.lse) lses.push(r.lse as tf.Tensor3D);
    }
    ops.dispose();
    const out = concatBlocks(outs);
    (args[3] as (save: tf.Tensor[]) => void)([q3, k3, v3, out, ...(lses.length ? [concatBlocks(lses)] : [])]);
    return {
      value: out,
      gradFunc: (dOut: tf.Tensor3D, saved: tf.Tensor[]) => {
        const [sq, sk, sv, so, sl] = saved as tf.Tensor3D[];
        const back = new BlockOps(form, sk, sv);
        const sqs = tf.mul(sq, scale) as tf.Tensor3D;
        const dqs: tf.Tensor3D[] = [];
        let dk: tf.Tensor3D | null = null;
        let dv: tf.Tensor3D | null = null;
        try {
          for (let r0 = 0; r0 < n; r0 += rows) {
            const [dqc, dkPart, dvPart] = tf.tidy(() => {
              const qc = block(sqs, r0, rows);
              const doc = block(dOut, r0, rows);
              const p = back.probabilities(qc, sl && block(sl, r0, rows));
              const d = tf.sum(tf.mul(doc, block(so, r0, rows)), -1, true) as tf.Tensor3D;
              const ds = back.scoreGradient(p, doc, d);
              return [tf.mul(tf.matMul(ds, sk), scale), tf.matMul(ds, qc, true, false), tf.matMul(p, doc, true, false)] as tf.Tensor3D[];
            });
            dqs.push(dqc);
            dk = accumulate(dk, dkPart);
            dv = accumulate(dv, dvPart);
          }
        } finally {
          back.dispose();
          sqs.dispose();
        }
        return [concatBlocks(dqs), dk as tf.Tensor3D, dv as tf.Tensor3D];
      },
    };
  });
  return attend(q, k, v);
}

/**
 * @internal Sums of the attention probabilities over groups of tokens, accumulated block by
 * block of query rows without materialising the map: entry `[a, b]` is the sum over batch and
 * heads, query tokens `i` of group `a` and key tokens `j` of group `b`, of `P[i, j]`.
 * Groups are consecutive runs of `tokensPerGroup` tokens.
 *
 * @returns A row-major `groups x groups` Float64Array.
 */
export function groupedAttentionSums(
  q: tf.Tensor3D,
  k: tf.Tensor3D,
  scale: number,
  tokensPerGroup: number,
  chunkElements: number = DEFAULT_CHUNK_ELEMENTS,
  kernels: AttentionKernels = defaultKernels(),
): Float64Array {
  const [bh, n] = q.shape;
  const groups = n / tokensPerGroup;
  const rows = rowsPerChunk(bh, n, chunkElements);
  const out = new Float64Array(groups * groups);
  // v is not needed for P; k stands in for it.
  const ops = new BlockOps(kernels, k, k);
  const qs = tf.mul(q, scale) as tf.Tensor3D;
  try {
    for (let r0 = 0; r0 < n; r0 += rows) {
      const c = Math.min(rows, n - r0);
      const perRow = tf.tidy(() => {
        const p = ops.probabilities(block(qs, r0, rows));
        return tf.sum(tf.reshape(p, [bh, c, groups, tokensPerGroup]), [0, 3]);
      });
      const sums = perRow.dataSync();
      perRow.dispose();
      for (let i = 0; i < c; i++) {
        const a = Math.floor((r0 + i) / tokensPerGroup);
        for (let b = 0; b < groups; b++) out[a * groups + b] += sums[i * groups + b];
      }
    }
  } finally {
    ops.dispose();
    qs.dispose();
  }
  return out;
}

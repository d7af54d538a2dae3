import type { HostTrainableModel } from '../training/host-train-loop.js';
import type { ProbeTask, Targets } from '../training/labels.js';
import type { RowProducts } from './row-products.js';

/** @internal The weights of a linear head: `coef` `[k, d]` row-major, `bias` `[k]`. */
export interface HeadSnapshot {
  readonly coef: Float32Array;
  readonly bias: Float32Array;
}

/** @internal Targets as a dense `[n, k]` float matrix (one-hot, 0/1 class, or indicators). */
export function denseTargets(t: Targets, k: number): Float32Array {
  if (t.kind === 'indicator') return Float32Array.from(t.data);
  const out = new Float32Array(t.index.length * k);
  t.index.forEach((c, i) => {
    if (k === 1) out[i] = c;
    else out[i * k + c] = 1;
  });
  return out;
}

/**
 * @internal Adam as PyTorch's `torch.optim.Adam` (bias-corrected moments, `eps` after the
 * square root) on float32 parameters, moments kept in float32, each update computed in f64.
 */
export function adamUpdate(p: Float32Array, g: Float64Array, m: Float32Array, v: Float32Array, t: number, lr: number): void {
  const b1 = 0.9;
  const b2 = 0.999;
  const stepSize = lr / (1 - b1 ** t);
  const rootBc2 = Math.sqrt(1 - b2 ** t);
  for (let i = 0; i < p.length; i++) {
    const gi = g[i];
    const mi = (m[i] = b1 * m[i] + (1 - b1) * gi);
    const vi = (v[i] = b2 * v[i] + (1 - b2) * gi * gi);
    p[i] -= stepSize * (mi / (Math.sqrt(vi) / rootBc2 + 1e-8));
  }
}

/**
 * @internal One linear layer trained without tensors: forward and backward products by
 * {@link RowProducts}, the cross-entropy (softmax for multiclass, sigmoid otherwise, PyTorch's
 * mean reduction, class weights on every term) and its gradient in closed form, and Adam, all
 * in one pass per batch.
 */
export class LinearHeadTrainer implements HostTrainableModel<HeadSnapshot> {
  private readonly coef: Float32Array;
  private readonly bias: Float32Array;
  private readonly m: Float32Array;
  private readonly v: Float32Array;
  private readonly mb: Float32Array;
  private readonly vb: Float32Array;
  private t = 0;
  private readonly z: Float64Array;
  private readonly g: Float64Array;
  private readonly grad: Float64Array;
  private readonly gradBias: Float64Array;
  private readonly y: Float32Array;
  private readonly zVal: Float64Array;

  constructor(
    private readonly task: ProbeTask,
    private readonly products: RowProducts,
    init: HeadSnapshot,
    targets: Targets,
    /** Class weights per loss term: `[n]` (multiclass) or `[n, k]` (sigmoid); none: all 1. */
    private readonly weights: Float64Array | undefined,
    private readonly d: number,
    private readonly k: number,
    batchSize: number,
    nVal: number,
  ) {
    this.coef = Float32Array.from(init.coef);
    this.bias = Float32Array.from(init.bias);
    this.m = new Float32Array(k * d);
    this.v = new Float32Array(k * d);
    this.mb = new Float32Array(k);
    this.vb = new Float32Array(k);
    this.z = new Float64Array(batchSize * k);
    this.g = new Float64Array(batchSize * k);
    this.grad = new Float64Array(k * d);
    this.gradBias = new Float64Array(k);
    this.y = denseTargets(targets, k);
    this.zVal = new Float64Array(nVal * k);
  }

  step(batch: Int32Array, lr: number): number {
    const { k, z, g, y, bias } = this;
    const rows = batch.length;
    this.products.setWeights(this.coef);
    this.products.forward(batch, z);
    const w = this.weights;
    let total = 0;
    if (this.task === 'multiclass') {
      for (let r = 0; r < rows; r++) {
        const i = batch[r];
        const o = r * k;
        let max = -Infinity;
        for (let c = 0; c < k; c++) max = Math.max(max, (z[o + c] += bias[c]));
        let sum = 0;
        for (let c = 0; c < k; c++) sum += Math.exp(z[o + c] - max);
        const lse = max + Math.log(sum);
        const wr = w ? w[i] : 1;
        let term = 0;
        for (let c = 0; c < k; c++) {
          const yc = y[i * k + c];
          term -= yc * (z[o + c] - lse);
          g[o + c] = (wr * (Math.exp(z[o + c] - lse) - yc)) / rows;
        }
        total += wr * term;
      }
      total /= rows;
    } else {
      const m = rows * k;
      for (let r = 0; r < rows; r++) {
        const i = batch[r];
        for (let c = 0; c < k; c++) {
          const o = r * k + c;
          const zc = z[o] + bias[c];
          const yc = y[i * k + c];
          const wc = w ? w[i * k + c] : 1;
          // Stable log(1 + exp(-|z|)) form of sigmoid cross-entropy.
          total += wc * (Math.max(zc, 0) - zc * yc + Math.log1p(Math.exp(-Math.abs(zc))));
          g[o] = (wc * (1 / (1 + Math.exp(-zc)) - yc)) / m;
        }
      }
      total /= m;
    }
    this.products.backward(g.subarray(0, rows * k), this.grad);
    const gb = this.gradBias.fill(0);
    for (let r = 0; r < rows; r++) for (let c = 0; c < k; c++) gb[c] += g[r * k + c];
    this.t++;
    adamUpdate(this.coef, this.grad, this.m, this.v, this.t, lr);
    adamUpdate(this.bias, gb, this.mb, this.vb, this.t, lr);
    return total;
  }

  validationProbabilities(): Float32Array {
    const { k, zVal: z, bias } = this;
    this.products.setWeights(this.coef);
    this.products.forwardValidation(z);
    const rows = z.length / k;
    const p = new Float32Array(z.length);
    for (let r = 0; r < rows; r++) {
      const o = r * k;
      if (this.task !== 'multiclass') {
        for (let c = 0; c < k; c++) p[o + c] = 1 / (1 + Math.exp(-(z[o + c] + bias[c])));
        continue;
      }
      let max = -Infinity;
      for (let c = 0; c < k; c++) max = Math.max(max, z[o + c] + bias[c]);
      let sum = 0;
      for (let c = 0; c < k; c++) sum += Math.exp(z[o + c] + bias[c] - max);
      for (let c = 0; c < k; c++) p[o + c] = Math.exp(z[o + c] + bias[c] - max) / sum;
    }
    return p;
  }

  snapshot(): HeadSnapshot {
    return { coef: Float32Array.from(this.coef), bias: Float32Array.from(this.bias) };
  }

  restore(s: HeadSnapshot): void {
    this.coef.set(s.coef);
    this.bias.set(s.bias);
  }

  /** The current weights (views, not copies). */
  current(): HeadSnapshot {
    return { coef: this.coef, bias: this.bias };
  }
}

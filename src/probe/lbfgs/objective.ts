import type { Differentiable } from './lbfgs.js';
import type { BlockLoss, LinearKernel } from './linear-kernel.js';

/**
 * Whether the class rows of W sum to zero, to rounding. Each row of the softmax residuals G sums
 * to zero, so the data part of the gradient does over classes, and the penalty part is W / C:
 * starting from W = 0, every gradient, every L-BFGS direction (a combination of gradients and
 * their differences) and every iterate keeps zero class sums up to rounding drift. The kernel
 * may then derive the last class's scores and gradient instead of multiplying them out. The
 * tolerance is far above that drift (about 1e-16 relative per step) and far below any effect
 * on the scores beyond rounding.
 */
function classSumIsZero(w: Float64Array, k: number, d: number): boolean {
  let scale = 0;
  for (let i = 0; i < w.length; i++) scale = Math.max(scale, Math.abs(w[i]));
  for (let j = 0; j < d; j++) {
    let sum = 0;
    for (let c = 0; c < k; c++) sum += w[c * d + j];
    if (Math.abs(sum) > 1e-13 * scale) return false;
  }
  return true;
}

/** What the objective needs besides X (which the kernel holds). @internal */
export interface ObjectiveData {
  readonly n: number;
  readonly d: number;
  /** Class index per row (0/1 when `k` is 1). */
  readonly y: Int32Array;
  /** 1 for binary logistic on class 1, else the number of classes (softmax). */
  readonly k: number;
  /** Per-row weights, or undefined for all ones. */
  readonly sampleWeight: Float64Array | undefined;
  readonly C: number;
  readonly fitIntercept: boolean;
}

/**
 * scikit-learn 1.2's L2-regularised logistic objective, in its scale:
 * `sum_i s_i loss_i + ||W||^2 / (2C)` (intercepts unpenalised), where loss_i is the binary
 * log-loss of one logit (k = 1) or the softmax cross-entropy (k >= 2). Optimising in this scale,
 * not the equivalent `C`-times-larger one, makes `tol` and scipy's `ftol` stop where they stop
 * in scikit-learn. Parameters are `[W (k x d, row-major), b (k)]`, b only with an intercept.
 * `mixed` allows the kernel's fast (f32) products where the kernel has them.
 *
 * @internal
 */
export class LogisticObjective implements Differentiable {
  readonly dim: number;
  readonly hasFast: boolean;
  private readonly b: Float64Array;
  private readonly gb: Float64Array;
  private readonly probs: Float64Array;
  private lossSum = 0;
  private readonly blockLoss: BlockLoss;

  constructor(
    private readonly kernel: LinearKernel,
    private readonly data: ObjectiveData,
    mixed: boolean,
  ) {
    const { k, d, fitIntercept } = data;
    this.dim = k * d + (fitIntercept ? k : 0);
    this.hasFast = mixed && kernel.hasFast;
    this.b = new Float64Array(k);
    this.gb = new Float64Array(k);
    this.probs = new Float64Array(k);
    this.blockLoss = k === 1 ? this.binaryBlock.bind(this) : this.softmaxBlock.bind(this);
  }

  evaluate(theta: Float64Array, fast: boolean, grad: Float64Array): number {
    const { k, d, C, fitIntercept } = this.data;
    const kd = k * d;
    const w = theta.subarray(0, kd);
    if (fitIntercept) this.b.set(theta.subarray(kd, kd + k));
    this.gb.fill(0);
    this.lossSum = 0;
    const gw = grad.subarray(0, kd);
    this.kernel.pass(w, fast, this.blockLoss, gw, k >= 3 && classSumIsZero(w, k, d));
    let sq = 0;
    for (let i = 0; i < kd; i++) {
      sq += w[i] * w[i];
      gw[i] += w[i] / C;
    }
    if (fitIntercept) grad.set(this.gb, kd);
    return this.lossSum + (0.5 * sq) / C;
  }

  /** log(1 + exp(t)) - y t and its derivative s (sigmoid(t) - y), without overflow. */
  private binaryBlock(row0: number, rows: number, z: Float64Array, g: Float64Array): void {
    const { y, sampleWeight } = this.data;
    const b0 = this.b[0];
    let loss = 0;
    let gsum = 0;
    for (let r = 0; r < rows; r++) {
      const i = row0 + r;
      const t = z[r] + b0;
      const yi = y[i];
      const sw = sampleWeight ? sampleWeight[i] : 1;
      const e = Math.exp(-Math.abs(t));
      const softplus = Math.max(t, 0) + Math.log1p(e);
      const p = t >= 0 ? 1 / (1 + e) : e / (1 + e);
      loss += sw * (softplus - yi * t);
      const gi = sw * (p - yi);
      g[r] = gi;
      gsum += gi;
    }
    this.lossSum += loss;
    this.gb[0] += gsum;
  }

  /** Softmax cross-entropy log(sum_c exp(t_c)) - t_y and its derivative s (p - onehot(y)). */
  private softmaxBlock(row0: number, rows: number, z: Float64Array, g: Float64Array): void {
    const { y, sampleWeight, k } = this.data;
    const { b, gb, probs } = this;
    let loss = 0;
    for (let r = 0; r < rows; r++) {
      const i = row0 + r;
      const o = r * k;
      let m = -Infinity;
      for (let c = 0; c < k; c++) m = Math.max(m, z[o + c] + b[c]);
      let sum = 0;
      for (let c = 0; c < k; c++) {
        const e = Math.exp(z[o + c] + b[c] - m);
        probs[c] = e;
        sum += e;
      }
      const yi = y[i];
      const sw = sampleWeight ? sampleWeight[i] : 1;
      loss += sw * (m + Math.log(sum) - (z[o + yi] + b[yi]));
      for (let c = 0; c < k; c++) {
        const gc = sw * (probs[c] / sum - (c === yi ? 1 : 0));
        g[o + c] = gc;
        gb[c] += gc;
      }
    }
    this.lossSum += loss;
  }
}

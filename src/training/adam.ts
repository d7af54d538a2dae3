import * as tf from '@tensorflow/tfjs-core';

/**
 * Backends whose `dataSync` is a memory copy (no device round trip), where one pass over
 * typed arrays beats the thirteen tensor ops of an update.
 */
const HOST_BACKENDS = new Set(['cpu', 'wasm']);

/**
 * @internal Adam (Kingma & Ba 2015) as PyTorch's `torch.optim.Adam` computes it (bias-corrected
 * moments, `eps` added after the square root), with a learning rate passed at every step.
 *
 * tfjs' own AdamOptimizer keeps its rate in a protected field, and ReduceLROnPlateau must change
 * the rate between epochs; the update is a few lines.
 *
 * On the cpu and wasm backends the moments live in typed arrays and each parameter is updated
 * in one fused pass (read the parameter and its gradient once, write the parameter once):
 * the tensor form dispatches thirteen ops per parameter, each a full pass over memory. The pass
 * rounds every intermediate to float32 in the tensor form's order (`Math.fround` after each
 * operation; f64 arithmetic rounded once to f32 is the correctly rounded f32 result for + - * /
 * and sqrt), so both forms give the same bits. Other backends keep the tensor form: reading
 * a GPU tensor back would cost more than the ops.
 */
export class Adam {
  private readonly m: (tf.Variable | Float32Array)[];
  private readonly v: (tf.Variable | Float32Array)[];
  private readonly host: boolean;
  private t = 0;

  constructor(
    private readonly params: readonly tf.Variable[],
    private readonly beta1 = 0.9,
    private readonly beta2 = 0.999,
    private readonly eps = 1e-8,
  ) {
    this.host = HOST_BACKENDS.has(tf.getBackend());
    // tidy frees the zero tensors; the variables (which tidy never disposes) keep the data.
    const zeros = (p: tf.Variable): tf.Variable | Float32Array =>
      this.host ? new Float32Array(p.size) : tf.tidy(() => tf.variable(tf.zerosLike(p), false));
    this.m = params.map(zeros);
    this.v = params.map(zeros);
  }

  /** One update of every parameter with its gradient (same order as the parameters). */
  step(grads: readonly tf.Tensor[], lr: number): void {
    this.t++;
    const bc1 = 1 - this.beta1 ** this.t;
    const bc2 = 1 - this.beta2 ** this.t;
    this.params.forEach((p, i) => {
      if (this.host) this.hostStep(p, grads[i], this.m[i] as Float32Array, this.v[i] as Float32Array, bc1, bc2, lr);
      else this.tensorStep(p, grads[i], this.m[i] as tf.Variable, this.v[i] as tf.Variable, bc1, bc2, lr);
    });
  }

  /** The update in tensor ops; one tidy per parameter, so the peak is a few copies of the largest one. */
  private tensorStep(p: tf.Variable, g: tf.Tensor, mv: tf.Variable, vv: tf.Variable, bc1: number, bc2: number, lr: number): void {
    tf.tidy(() => {
      const m = tf.add(tf.mul(mv, this.beta1), tf.mul(g, 1 - this.beta1));
      const v = tf.add(tf.mul(vv, this.beta2), tf.mul(tf.square(g), 1 - this.beta2));
      mv.assign(m);
      vv.assign(v);
      const denom = tf.add(tf.div(tf.sqrt(v), Math.sqrt(bc2)), this.eps);
      p.assign(tf.sub(p, tf.mul(tf.div(m, denom), lr / bc1)));
    });
  }

  /** The same update in one pass over typed arrays, every step rounded to float32 as the tensor ops round it. */
  private hostStep(p: tf.Variable, g: tf.Tensor, m: Float32Array, v: Float32Array, bc1: number, bc2: number, lr: number): void {
    const f = Math.fround;
    // The scalars as the tensor ops see them: float32 constants.
    const [b1, c1, b2, c2] = [f(this.beta1), f(1 - this.beta1), f(this.beta2), f(1 - this.beta2)];
    const [root, eps, rate] = [f(Math.sqrt(bc2)), f(this.eps), f(lr / bc1)];
    const pd = p.dataSync() as Float32Array;
    const gd = g.dataSync() as Float32Array;
    // A fresh array: on the cpu backend the new tensor takes it over, and pd is p's own buffer.
    const out = new Float32Array(pd.length);
    for (let j = 0; j < out.length; j++) {
      const gj = gd[j];
      const mj = (m[j] = f(f(m[j] * b1) + f(gj * c1)));
      const vj = (v[j] = f(f(v[j] * b2) + f(f(gj * gj) * c2)));
      const denom = f(f(f(Math.sqrt(vj)) / root) + eps);
      out[j] = f(pd[j] - f(f(mj / denom) * rate));
    }
    const next = tf.tensor(out, p.shape, 'float32');
    p.assign(next);
    next.dispose();
  }

  /** Frees the moment estimates. */
  dispose(): void {
    for (const x of [...this.m, ...this.v]) if (!(x instanceof Float32Array)) x.dispose();
  }
}

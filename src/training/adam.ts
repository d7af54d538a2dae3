import * as tf from '@tensorflow/tfjs-core';

/**
 * @internal Adam (Kingma & Ba 2015) as PyTorch's `torch.optim.Adam` computes it (bias-corrected
 * moments, `eps` added after the square root), with a learning rate passed at every step.
 *
 * tfjs' own AdamOptimizer keeps its rate in a protected field, and ReduceLROnPlateau must change
 * the rate between epochs; eight lines of tensor algebra are simpler than reaching into it.
 */
export class Adam {
  private readonly m: tf.Variable[];
  private readonly v: tf.Variable[];
  private t = 0;

  constructor(
    private readonly params: readonly tf.Variable[],
    private readonly beta1 = 0.9,
    private readonly beta2 = 0.999,
    private readonly eps = 1e-8,
  ) {
    // tidy frees the zero tensors; the variables (which tidy never disposes) keep the data.
    const zeros = (p: tf.Variable): tf.Variable => tf.tidy(() => tf.variable(tf.zerosLike(p), false));
    this.m = params.map(zeros);
    this.v = params.map(zeros);
  }

  /** One update of every parameter with its gradient (same order as the parameters). */
  step(grads: readonly tf.Tensor[], lr: number): void {
    this.t++;
    const bc1 = 1 - this.beta1 ** this.t;
    const bc2 = 1 - this.beta2 ** this.t;
    // One tidy per parameter: the temporaries of one update are freed before the next, so
    // the peak is a few copies of the largest parameter rather than of the whole model.
    this.params.forEach((p, i) => {
      tf.tidy(() => {
        const g = grads[i];
        const m = tf.add(tf.mul(this.m[i], this.beta1), tf.mul(g, 1 - this.beta1));
        const v = tf.add(tf.mul(this.v[i], this.beta2), tf.mul(tf.square(g), 1 - this.beta2));
        this.m[i].assign(m);
        this.v[i].assign(v);
        const denom = tf.add(tf.div(tf.sqrt(v), Math.sqrt(bc2)), this.eps);
        p.assign(tf.sub(p, tf.mul(tf.div(m, denom), lr / bc1)));
      });
    });
  }

  /** Frees the moment estimates. */
  dispose(): void {
    for (const x of [...this.m, ...this.v]) x.dispose();
  }
}

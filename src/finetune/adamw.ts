import * as tf from '@tensorflow/tfjs-core';

/** @internal Options of {@link AdamW}. */
export interface AdamWOptions {
  /** @defaultValue `0.9` */
  readonly beta1?: number;
  /** @defaultValue `0.999` */
  readonly beta2?: number;
  /** @defaultValue `1e-8` */
  readonly eps?: number;
  /** Decoupled weight decay (`torch.optim.AdamW`'s `weight_decay`); `0` is plain Adam. @defaultValue `0` */
  readonly weightDecay?: number;
  /** Per-parameter multiplier of the learning rate (discriminative rates), same order as the parameters. @defaultValue all `1` */
  readonly lrScale?: readonly number[];
  /** Per-parameter switch of the weight decay (biases and norms usually get none). @defaultValue all `true` */
  readonly decay?: readonly boolean[];
}

/**
 * @internal Adam / AdamW as `torch.optim.Adam` / `torch.optim.AdamW` compute them: the
 * parameter first shrinks by `lr * weightDecay` (decoupled decay, AdamW only), then takes the
 * bias-corrected Adam step with `eps` added after the square root. With `weightDecay` 0 and
 * unit scales the arithmetic is the training core's `Adam`, operation for operation.
 */
export class AdamW {
  private readonly m: tf.Variable[];
  private readonly v: tf.Variable[];
  private t = 0;
  private readonly beta1: number;
  private readonly beta2: number;
  private readonly eps: number;
  private readonly weightDecay: number;

  constructor(
    private readonly params: readonly tf.Variable[],
    private readonly options: AdamWOptions = {},
  ) {
    this.beta1 = options.beta1 ?? 0.9;
    this.beta2 = options.beta2 ?? 0.999;
    this.eps = options.eps ?? 1e-8;
    this.weightDecay = options.weightDecay ?? 0;
    const zeros = (p: tf.Variable): tf.Variable => tf.tidy(() => tf.variable(tf.zerosLike(p), false));
    this.m = params.map(zeros);
    this.v = params.map(zeros);
  }

  /** Steps taken so far. */
  get steps(): number {
    return this.t;
  }

  /** One update of every parameter with its gradient (same order as the parameters). */
  step(grads: readonly tf.Tensor[], lr: number): void {
    this.t++;
    const bc1 = 1 - this.beta1 ** this.t;
    const bc2 = 1 - this.beta2 ** this.t;
    this.params.forEach((p, i) => {
      tf.tidy(() => {
        const g = grads[i] as tf.Tensor;
        const rate = lr * (this.options.lrScale?.[i] ?? 1);
        const m = tf.add(tf.mul(this.m[i] as tf.Variable, this.beta1), tf.mul(g, 1 - this.beta1));
        const v = tf.add(tf.mul(this.v[i] as tf.Variable, this.beta2), tf.mul(tf.square(g), 1 - this.beta2));
        (this.m[i] as tf.Variable).assign(m);
        (this.v[i] as tf.Variable).assign(v);
        const decays = this.weightDecay > 0 && (this.options.decay?.[i] ?? true);
        const start = decays ? tf.mul(p, 1 - rate * this.weightDecay) : p;
        const denom = tf.add(tf.div(tf.sqrt(v), Math.sqrt(bc2)), this.eps);
        p.assign(tf.sub(start, tf.mul(tf.div(m, denom), rate / bc1)));
      });
    });
  }

  /** Frees the moment estimates. */
  dispose(): void {
    tf.dispose([...this.m, ...this.v]);
  }
}

import * as tf from '@tensorflow/tfjs-core';
import type { ProbeTask } from '../training/labels.js';
import { activate } from '../training/logits.js';
import type { Standardization } from '../training/standardize.js';

/**
 * @internal The fitted parameters of a linear probe: `coef` is `[outputs, features]`
 * row-major (scikit-learn's `coef_` layout), `intercept` has one value per output. Outputs:
 * 1 for binary, one per class for multiclass, one per label for multilabel.
 */
export interface LinearWeights {
  readonly coef: Float32Array;
  readonly intercept: Float32Array;
  readonly outputs: number;
  readonly features: number;
}

/** @internal `x @ kernel + bias`, the probe's logits. Call inside `tf.tidy`. */
export function linearLogits(x: tf.Tensor2D, kernel: tf.Tensor2D, bias: tf.Tensor1D): tf.Tensor2D {
  return tf.add(tf.matMul(x, kernel), bias);
}

/**
 * @internal The probe's weights as tensors, kept alive (outside any tidy) until `dispose`:
 * the only tensors a fitted probe owns.
 */
export class LinearHead {
  private readonly kernel: tf.Tensor2D;
  private readonly bias: tf.Tensor1D;
  private readonly mean: tf.Tensor1D | undefined;
  private readonly scale: tf.Tensor1D | undefined;

  constructor(
    readonly task: ProbeTask,
    readonly weights: LinearWeights,
    readonly standardization: Standardization | undefined,
  ) {
    const { coef, intercept, outputs, features } = weights;
    this.kernel = tf.tidy(() => tf.transpose(tf.tensor2d(coef, [outputs, features], 'float32')));
    this.bias = tf.tensor1d(intercept, 'float32');
    this.mean = standardization ? tf.tensor1d(standardization.mean, 'float32') : undefined;
    this.scale = standardization ? tf.tensor1d(standardization.scale, 'float32') : undefined;
  }

  /** Probabilities `[rows, outputs]` of raw (unstandardised) embeddings. Call inside `tf.tidy`. */
  probabilities(x: tf.Tensor2D): tf.Tensor2D {
    const z = this.mean && this.scale ? tf.div(tf.sub(x, this.mean), this.scale) : x;
    return activate(this.task, linearLogits(z as tf.Tensor2D, this.kernel, this.bias));
  }

  /** Frees the tensors. Idempotent. */
  dispose(): void {
    for (const t of [this.kernel, this.bias, this.mean, this.scale]) if (t && !t.isDisposed) t.dispose();
  }
}

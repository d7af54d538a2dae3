import * as tf from '@tensorflow/tfjs-core';
import type { ProbeTask, Targets } from './labels.js';

/**
 * @internal Number of logits of a model for a task: 1 for binary (one sigmoid), one per class
 * for multiclass (softmax, also with two classes), one per label for multilabel.
 */
export function outputCount(task: ProbeTask, space: { readonly classes?: readonly number[] | undefined; readonly numLabels?: number | undefined }): number {
  if (task === 'multilabel') return space.numLabels as number;
  return task === 'binary' ? 1 : (space.classes as readonly number[]).length;
}

/** @internal Logits -> probabilities: softmax rows (multiclass), element-wise sigmoid otherwise. */
export function activate(task: ProbeTask, logits: tf.Tensor2D): tf.Tensor2D {
  return task === 'multiclass' ? tf.softmax(logits) : tf.sigmoid(logits);
}

/**
 * @internal Targets as the loss compares them with logits: `[n, outputs]` floats (one-hot for
 * softmax outputs, the 0/1 class for binary's single sigmoid output, indicators for multilabel).
 */
export function targetMatrix(t: Targets, outputs: number): tf.Tensor2D {
  return tf.tidy(() => {
    if (t.kind === 'indicator') return tf.tensor2d(Float32Array.from(t.data), [t.data.length / outputs, outputs]);
    const index = tf.tensor1d(t.index, 'int32');
    return (outputs === 1 ? tf.reshape(tf.cast(index, 'float32'), [-1, 1]) : tf.cast(tf.oneHot(index, outputs), 'float32')) as tf.Tensor2D;
  });
}

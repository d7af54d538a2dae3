import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import type { Xoshiro128 } from '../random/xoshiro.js';
import type { Adam } from '../training/adam.js';
import type { ProbeTask, Targets } from '../training/labels.js';
import { freeingVariableGrads } from '../training/gradients.js';
import { activate, targetMatrix } from '../training/logits.js';
import type { PaperHyperparameters } from '../training/paper-options.js';
import { trainLoop, type EpochLog, type TrainingReport } from '../training/train-loop.js';
import { fitLinearModelOnHost } from './host-linear-fit.js';

/** @internal Rows per forward pass at inference; attention memory is bounded by blocks anyway. */
export const PREDICT_BATCH = 256;

/**
 * @internal Mean cross-entropy of a batch, as PyTorch's `CrossEntropyLoss` (multiclass) and
 * `BCEWithLogitsLoss` (binary, multilabel: mean over all entries) compute it; tfjs-core's
 * own losses, whose default reduction is exactly that mean.
 */
export function fusionLoss(task: ProbeTask, logits: tf.Tensor2D, y: tf.Tensor2D, w?: tf.Tensor): tf.Scalar {
  if (!w) {
    return task === 'multiclass' ? tf.losses.softmaxCrossEntropy(y, logits) : tf.losses.sigmoidCrossEntropy(y, logits);
  }
  // Class weights (as the Probe's): each term times its weight, divided by the number of terms.
  const none = tf.Reduction.NONE;
  const terms = task === 'multiclass'
    ? tf.losses.softmaxCrossEntropy(y, logits, undefined, 0, none)
    : tf.losses.sigmoidCrossEntropy(y, logits, undefined, 0, none);
  return tf.mean(tf.mul(terms, tf.reshape(w, terms.shape)));
}

/** @internal The trainable variables of a model, in its weight order. */
export function trainableVariables(model: tfl.LayersModel): tf.Variable[] {
  return model.trainableWeights.map((w) => w.read() as tf.Variable);
}

/**
 * @internal The mean loss of one batch (dropout active) and its gradient for every parameter,
 * by autodiff. Call inside `tf.tidy`.
 */
export function fusionGradients(
  model: tfl.LayersModel,
  params: readonly tf.Variable[],
  task: ProbeTask,
  xs: readonly tf.Tensor2D[],
  y: tf.Tensor2D,
  w?: tf.Tensor,
): { loss: tf.Scalar; grads: tf.Tensor[] } {
  const f = (): tf.Scalar => fusionLoss(task, model.apply(xs as tf.Tensor[], { training: true }) as tf.Tensor2D, y, w);
  const { value, grads } = freeingVariableGrads(f, params);
  return { loss: value, grads: grads as tf.Tensor[] };
}

/**
 * @internal One optimisation step on one batch (dropout active): gradients of the mean loss,
 * then an Adam update at rate `lr`. Returns the batch loss as a scalar the caller disposes.
 * (The epoch loop takes the same two steps; this is the single step the parity tests and the
 * benchmark time.)
 */
export function trainStep(
  model: tfl.LayersModel,
  params: readonly tf.Variable[],
  adam: Adam,
  task: ProbeTask,
  xs: readonly tf.Tensor2D[],
  y: tf.Tensor2D,
  lr: number,
): tf.Scalar {
  return tf.tidy(() => {
    const { loss, grads } = fusionGradients(model, params, task, xs, y);
    adam.step(grads, lr);
    return loss;
  });
}

/** @internal Probabilities of all rows, `PREDICT_BATCH` rows per forward pass (eval mode). */
export function predictProbabilities(
  model: tfl.LayersModel,
  task: ProbeTask,
  xs: readonly tf.Tensor2D[],
): tf.Tensor2D {
  const n = xs[0].shape[0];
  const parts: tf.Tensor2D[] = [];
  try {
    for (let start = 0; start < n; start += PREDICT_BATCH) {
      const size = Math.min(PREDICT_BATCH, n - start);
      parts.push(
        tf.tidy(() => {
          const batch = xs.map((x) => tf.slice(x, [start, 0], [size, x.shape[1]]));
          return activate(task, model.apply(batch, { training: false }) as tf.Tensor2D);
        }),
      );
    }
    return parts.length === 1 ? parts[0] : tf.concat(parts, 0);
  } finally {
    if (parts.length > 1) tf.dispose(parts);
  }
}

/** @internal Probabilities of all rows, read into a new row-major array. */
export async function readProbabilities(model: tfl.LayersModel, task: ProbeTask, xs: readonly tf.Tensor2D[]): Promise<Float32Array> {
  const p = predictProbabilities(model, task, xs);
  try {
    return Float32Array.from(await p.data());
  } finally {
    p.dispose();
  }
}

/** @internal What the paper-protocol loop needs. */
export interface FusionFitInput {
  readonly model: tfl.LayersModel;
  readonly task: ProbeTask;
  /**
   * One `[n, d_j]` tensor per source (not disposed here); none for a model that trains on the
   * host when `hostRows` holds every source (then validation's are none either).
   */
  readonly x: readonly tf.Tensor2D[];
  readonly targets: Targets;
  /** Class weight of every target (one per row, or per row and label for indicators). */
  readonly weights?: Float64Array | undefined;
  readonly validation: { readonly x: readonly tf.Tensor2D[]; readonly targets: Targets } | undefined;
  /**
   * The values of `x` / `validation.x` already on the host, per source (`undefined` where only
   * the tensor has them): the host loop reads these instead of the tensors.
   */
  readonly hostRows?: { readonly x?: readonly (Float32Array | undefined)[]; readonly validation?: readonly (Float32Array | undefined)[] } | undefined;
  readonly hp: PaperHyperparameters;
  readonly rng: Xoshiro128;
  readonly onEpoch?: ((log: EpochLog) => void | Promise<void>) | undefined;
  readonly signal?: AbortSignal | undefined;
}

/**
 * @internal Trains a fusion model with the shared epoch loop (the Probe's schedule, early
 * stopping and best weights), gradients by autodiff; the best epoch's weights end in `model`.
 */
export async function fitFusionModel(input: FusionFitInput): Promise<TrainingReport> {
  // One linear layer (the concat baseline) trains on the host, as the 'paper' Probe does.
  if (input.model.name === 'concat') return fitLinearModelOnHost(input);
  const { model, task, x, validation } = input;
  const outputs = (model.outputs[0].shape[1] ?? 1) as number;
  const params = trainableVariables(model);
  const yAll = targetMatrix(input.targets, outputs);
  const n = x[0].shape[0];
  const wAll = input.weights ? tf.tensor2d(Float32Array.from(input.weights), [n, input.weights.length / n]) : undefined;
  try {
    return await trainLoop({
      model: {
        params,
        lossAndGradients: (idx) =>
          fusionGradients(model, params, task, x.map((t) => tf.gather(t, idx) as tf.Tensor2D), tf.gather(yAll, idx) as tf.Tensor2D, wAll && tf.gather(wAll, idx)),
        validationProbabilities: () => predictProbabilities(model, task, validation?.x ?? []),
        snapshot: () => model.getWeights().map((w) => tf.clone(w)),
        restore: (best) => model.setWeights(best as tf.Tensor[]),
      },
      rows: x[0].shape[0],
      validation: validation && { targets: validation.targets, outputs },
      hp: input.hp,
      rng: input.rng,
      epochLoss: 'host',
      diverged: (loss, epoch) => `Training diverged: the training loss is ${loss} at epoch ${epoch}. Lower learningRate or check the embeddings.`,
      onEpoch: input.onEpoch,
      signal: input.signal,
    });
  } finally {
    yAll.dispose();
    wAll?.dispose();
  }
}

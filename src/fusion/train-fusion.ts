import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { NonFiniteError } from '../errors/index.js';
import type { Xoshiro128 } from '../random/xoshiro.js';
import { Adam } from '../training/adam.js';
import { EarlyStopping } from '../training/early-stopping.js';
import type { ProbeTask, Targets } from '../training/labels.js';
import { paperReport, type EpochLog, type PaperHyperparameters, type PaperReport } from '../probe/paper-solver.js';
import { monitorMode, monitorValue, type ProbeMonitor } from '../training/evaluation.js';
import { ReduceLROnPlateau } from '../training/reduce-lr-on-plateau.js';
import { permutation } from '../random/shuffle.js';

/** @internal Rows per forward pass at inference; attention memory is bounded by blocks anyway. */
export const PREDICT_BATCH = 256;

/** @internal Logits -> probabilities: softmax rows (multiclass), element-wise sigmoid otherwise. */
export function activateLogits(task: ProbeTask, logits: tf.Tensor2D): tf.Tensor2D {
  return task === 'multiclass' ? tf.softmax(logits) : tf.sigmoid(logits);
}

/**
 * @internal Targets as the loss compares them with logits: `[n, outputs]` floats (one-hot for
 * multiclass, the 0/1 class for binary's single sigmoid output, indicators for multilabel).
 */
export function targetMatrix(t: Targets, outputs: number): tf.Tensor2D {
  return tf.tidy(() => {
    if (t.kind === 'indicator') return tf.tensor2d(Float32Array.from(t.data), [t.data.length / outputs, outputs]);
    const index = tf.tensor1d(t.index, 'int32');
    return (outputs === 1 ? tf.reshape(tf.cast(index, 'float32'), [-1, 1]) : tf.cast(tf.oneHot(index, outputs), 'float32')) as tf.Tensor2D;
  });
}

/**
 * @internal Mean cross-entropy of a batch, as PyTorch's `CrossEntropyLoss` (multiclass) and
 * `BCEWithLogitsLoss` (binary, multilabel: mean over all entries) compute it; tfjs-core's
 * own losses, whose default reduction is exactly that mean.
 */
export function fusionLoss(task: ProbeTask, logits: tf.Tensor2D, y: tf.Tensor2D): tf.Scalar {
  return task === 'multiclass'
    ? tf.losses.softmaxCrossEntropy(y, logits)
    : tf.losses.sigmoidCrossEntropy(y, logits);
}

/** @internal The trainable variables of a model, in its weight order. */
export function trainableVariables(model: tfl.LayersModel): tf.Variable[] {
  return model.trainableWeights.map((w) => w.read() as tf.Variable);
}

/**
 * @internal One optimisation step on one batch (dropout active): gradients of the mean loss,
 * then an Adam update at rate `lr`. Returns the batch loss as a scalar the caller disposes.
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
    const f = (): tf.Scalar => fusionLoss(task, model.apply(xs as tf.Tensor[], { training: true }) as tf.Tensor2D, y);
    const { value, grads } = tf.variableGrads(f, params as tf.Variable[]);
    adam.step(
      params.map((p) => grads[p.name]),
      lr,
    );
    return value;
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
          return activateLogits(task, model.apply(batch, { training: false }) as tf.Tensor2D);
        }),
      );
    }
    return parts.length === 1 ? parts[0] : tf.concat(parts, 0);
  } finally {
    if (parts.length > 1) tf.dispose(parts);
  }
}

/** @internal What the paper-protocol loop needs. */
export interface FusionFitInput {
  readonly model: tfl.LayersModel;
  readonly task: ProbeTask;
  /** One `[n, d_j]` tensor per source (not disposed here). */
  readonly x: readonly tf.Tensor2D[];
  readonly targets: Targets;
  readonly validation: { readonly x: readonly tf.Tensor2D[]; readonly targets: Targets } | undefined;
  readonly hp: PaperHyperparameters;
  readonly rng: Xoshiro128;
  readonly onEpoch?: ((log: EpochLog) => void | Promise<void>) | undefined;
  readonly signal?: AbortSignal | undefined;
}

/**
 * @internal The paper's protocol for any fusion model: Adam (PyTorch's formula) at
 * `learningRate`, seeded batch order every epoch, ReduceLROnPlateau and early stopping (with
 * `minEpochs` / `maxEpochs`) on the monitored validation value, and the weights of the best
 * epoch restored at the end. Without validation data the training loss is monitored.
 * The schedule pieces are the Probe's, so a fusion head and a probe train by the same rules.
 */
export async function fitFusionModel(input: FusionFitInput): Promise<PaperReport> {
  const { model, task, x, targets, validation, hp, rng, signal } = input;
  const n = x[0].shape[0];
  const outputs = (model.outputs[0].shape[1] ?? 1) as number;
  const monitor: ProbeMonitor = validation ? hp.monitor : 'loss';
  const mode = monitorMode(monitor);
  const params = trainableVariables(model);
  const adam = new Adam(params);
  const early = new EarlyStopping<tf.Tensor[]>({
    mode,
    patience: hp.earlyStoppingPatience,
    minEpochs: hp.minEpochs,
    release: (s) => tf.dispose(s),
  });
  const plateau = new ReduceLROnPlateau(hp.learningRate, { mode, factor: hp.plateauFactor, patience: hp.plateauPatience });
  const yAll = targetMatrix(targets, outputs);
  const history: EpochLog[] = [];
  try {
    for (let epoch = 1; epoch <= hp.maxEpochs; epoch++) {
      const lr = plateau.lr;
      const order = permutation(n, rng);
      let lossSum = 0;
      for (let start = 0; start < n; start += hp.batchSize) {
        signal?.throwIfAborted();
        const rows = order.subarray(start, Math.min(start + hp.batchSize, n));
        const value = tf.tidy(() => {
          const idx = tf.tensor1d(rows, 'int32');
          const xb = x.map((t) => tf.gather(t, idx) as tf.Tensor2D);
          return trainStep(model, params, adam, task, xb, tf.gather(yAll, idx) as tf.Tensor2D, lr);
        });
        // Weighted by batch size so that the epoch mean counts every row once.
        lossSum += (await value.data())[0] * rows.length;
        value.dispose();
      }
      const loss = lossSum / n;
      if (!Number.isFinite(loss)) {
        throw new NonFiniteError(
          `Training diverged: the training loss is ${loss} at epoch ${epoch}. Lower learningRate or check the embeddings.`,
        );
      }
      let value = loss;
      if (validation) {
        const p = predictProbabilities(model, task, validation.x);
        const proba = (await p.data()) as Float32Array;
        p.dispose();
        value = monitorValue(monitor, validation.targets, proba, outputs);
      }
      plateau.step(value);
      const step = early.step(value, () => model.getWeights().map((w) => tf.clone(w)));
      const log: EpochLog = { epoch, loss, monitor, value, lr, improved: step.improved };
      history.push(log);
      await input.onEpoch?.(log);
      if (step.stop) break;
    }
    const best = early.takeBestSnapshot();
    if (best) {
      model.setWeights(best);
      tf.dispose(best);
    }
    return paperReport(history, early, plateau, hp.maxEpochs);
  } finally {
    early.dispose();
    adam.dispose();
    yAll.dispose();
  }
}

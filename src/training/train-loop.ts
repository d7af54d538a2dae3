import * as tf from '@tensorflow/tfjs-core';
import { NonFiniteError } from '../errors/index.js';
import type { Xoshiro128 } from '../random/xoshiro.js';
import { permutation } from '../random/shuffle.js';
import { Adam } from './adam.js';
import { EarlyStopping } from './early-stopping.js';
import { monitorMode, monitorValue, type ProbeMonitor } from './evaluation.js';
import type { Targets } from './labels.js';
import type { PaperHyperparameters } from './paper-options.js';
import { ReduceLROnPlateau } from './reduce-lr-on-plateau.js';
import { createYielder } from '../host/macrotask.js';

/**
 * One epoch of the paper's training protocol, as `onEpoch` receives it (from a {@link Probe}
 * with the `'paper'` solver or a fusion estimator).
 *
 * @remarks Since 0.1.0.
 * @example
 * ```ts
 * import { Probe, type EpochLog } from 'dvme';
 * const logs: EpochLog[] = [];
 * // await new Probe({ task: 'binary' }).fit(x, y, { validation, onEpoch: (log) => { logs.push(log); } });
 * ```
 */
export interface EpochLog {
  /** 1-based epoch number. */
  readonly epoch: number;
  /** Mean (class-weighted) training cross-entropy over the epoch's batches. */
  readonly loss: number;
  /** What was monitored: the `monitor` option on validation data, or `'loss'` on training data without it. */
  readonly monitor: ProbeMonitor;
  /** Its value after this epoch (`NaN` when undefined, e.g. kappa with one predicted class). */
  readonly value: number;
  /** Learning rate used during this epoch. */
  readonly lr: number;
  /** This epoch is the best so far (its weights are the ones kept). */
  readonly improved: boolean;
}

/** @internal How a run of the epoch loop went. */
export interface TrainingReport {
  readonly epochs: number;
  /** The epoch whose weights were kept. */
  readonly bestEpoch: number;
  readonly stoppedEarly: boolean;
  readonly lrDropEpochs: readonly number[];
  readonly history: readonly EpochLog[];
  /** With validation rows: their probabilities under the kept weights (row-major `[rows, outputs]`). */
  readonly validationProba: Float32Array | undefined;
}

/**
 * @internal What the epoch loop trains: a model's variables, the mean loss of a batch with its
 * gradients, and snapshots of its weights (for the best epoch).
 */
export interface TrainableModel {
  /** The trainable variables, in the order `lossAndGradients` returns their gradients. */
  readonly params: readonly tf.Variable[];
  /**
   * Mean training loss of the rows `idx` (int32 row numbers) and its gradient for every
   * parameter; called inside `tf.tidy`, with training-mode layers (dropout) active.
   */
  lossAndGradients(idx: tf.Tensor1D): { loss: tf.Scalar; grads: tf.Tensor[] };
  /** Probabilities `[rows, outputs]` of the validation rows, in inference mode; the loop disposes them. */
  validationProbabilities(): tf.Tensor;
  /** Copies of the current weights (the loop disposes them). */
  snapshot(): tf.Tensor[];
  /** Writes a snapshot back (the best epoch's weights at the end). */
  restore(snapshot: readonly tf.Tensor[]): void;
}

/** @internal An optimizer the epoch loop can run instead of its Adam. */
export interface LoopOptimizer {
  /** One update with the batch's gradients (same order as the parameters), at rate `lr`. */
  step(grads: readonly tf.Tensor[], lr: number): void;
  dispose(): void;
}

/** @internal Everything the epoch loop needs. */
export interface TrainLoopInput {
  readonly model: TrainableModel;
  /** Training rows. */
  readonly rows: number;
  /** Targets of the validation rows and the model's outputs; without them the training loss is monitored. */
  readonly validation: { readonly targets: Targets; readonly outputs: number } | undefined;
  readonly hp: PaperHyperparameters;
  /** Draws every epoch's batch order. */
  readonly rng: Xoshiro128;
  /**
   * How the epoch's loss is summed: `'device'`, the batch losses (times batch / rows) added as
   * float32 tensors and read once per epoch (the probe: one read per epoch); `'host'`, every
   * batch loss read and summed in float64, then divided by the rows (the fusion heads). Both
   * are kept because results are reproduced bit for bit.
   */
  readonly epochLoss: 'device' | 'host';
  /** The message of the NonFiniteError thrown when the epoch loss is not finite. */
  readonly diverged: (loss: number, epoch: number) => string;
  readonly onEpoch?: ((log: EpochLog) => void | Promise<void>) | undefined;
  readonly signal?: AbortSignal | undefined;
  /**
   * Replaces the loop's Adam with another optimizer of `model.params` (the fine-tuner's AdamW
   * with per-stage rates and gradient accumulation); the loop disposes it.
   * @defaultValue PyTorch's Adam
   */
  readonly optimizer?: (params: readonly tf.Variable[]) => LoopOptimizer;
  /**
   * The learning rate of one batch, from the plateau schedule's rate (warmup, cosine decay).
   * @defaultValue the plateau schedule's rate
   */
  readonly batchLearningRate?: (plateauLr: number, at: { readonly epoch: number; readonly batch: number; readonly batches: number }) => number;
  /**
   * Longest run of work between two yields to the event loop, in milliseconds.
   * @defaultValue `50`
   */
  readonly yieldEveryMs?: number;
}

/**
 * @internal The paper's protocol for any model: Adam (PyTorch's formula) at `learningRate`,
 * batches in a fresh seeded order every epoch, ReduceLROnPlateau and early stopping (with
 * `minEpochs` / `maxEpochs`) on the monitored validation value (the training loss without
 * validation), and the weights of the best epoch restored at the end.
 *
 * Between batches the loop yields a macrotask to the event loop whenever `yieldEveryMs` have
 * passed since the last yield, so timers, I/O and an `AbortSignal.timeout` run during
 * training; `signal` is checked before every batch.
 */
export async function trainLoop(input: TrainLoopInput): Promise<TrainingReport> {
  const { model, rows: n, validation, hp, rng, signal } = input;
  const monitor: ProbeMonitor = validation ? hp.monitor : 'loss';
  const mode = monitorMode(monitor);
  const adam: LoopOptimizer = input.optimizer ? input.optimizer(model.params) : new Adam(model.params);
  const early = new EarlyStopping<tf.Tensor[]>({
    mode,
    patience: hp.earlyStoppingPatience,
    minEpochs: hp.minEpochs,
    release: (s) => tf.dispose(s),
  });
  const plateau = new ReduceLROnPlateau(hp.learningRate, { mode, factor: hp.plateauFactor, patience: hp.plateauPatience });
  const pause = createYielder(input.yieldEveryMs ?? 50);
  const history: EpochLog[] = [];

  /** One Adam step on the rows; returns the batch loss, times batch / rows for a device sum. */
  const step = (batch: Int32Array, lr: number): tf.Scalar =>
    tf.tidy(() => {
      const { loss, grads } = model.lossAndGradients(tf.tensor1d(batch, 'int32'));
      adam.step(grads, lr);
      // Weighted by batch size so the epoch mean counts every row once.
      return input.epochLoss === 'device' ? (tf.mul(loss, batch.length / n) as tf.Scalar) : loss;
    });

  /** One pass over the rows in a fresh seeded order; returns the epoch's mean loss. */
  const trainEpoch = async (plateauLr: number, epoch: number): Promise<number> => {
    const order = permutation(n, rng);
    const batches = Math.ceil(n / hp.batchSize);
    const rate = input.batchLearningRate;
    const losses: tf.Scalar[] = [];
    let hostSum = 0;
    try {
      for (let start = 0; start < n; start += hp.batchSize) {
        await pause();
        signal?.throwIfAborted();
        const batch = order.subarray(start, Math.min(start + hp.batchSize, n));
        const lr = rate ? rate(plateauLr, { epoch, batch: start / hp.batchSize, batches }) : plateauLr;
        const loss = step(batch, lr);
        if (input.epochLoss === 'device') {
          losses.push(loss);
          continue;
        }
        try {
          hostSum += (await loss.data())[0] * batch.length;
        } finally {
          loss.dispose();
        }
      }
      if (input.epochLoss === 'host') return hostSum / n;
      const total = tf.addN(losses);
      losses.push(total);
      return (await total.data())[0];
    } finally {
      tf.dispose(losses);
    }
  };

  let lastProba: Float32Array | undefined;
  let bestProba: Float32Array | undefined;
  try {
    for (let epoch = 1; epoch <= hp.maxEpochs; epoch++) {
      const lr = plateau.lr;
      const loss = await trainEpoch(lr, epoch);
      if (!Number.isFinite(loss)) throw new NonFiniteError(input.diverged(loss, epoch));
      let value = loss;
      if (validation) {
        await pause();
        const p = model.validationProbabilities();
        try {
          lastProba = Float32Array.from(await p.data());
        } finally {
          p.dispose();
        }
        value = monitorValue(monitor, validation.targets, lastProba, validation.outputs);
      }
      plateau.step(value);
      const verdict = early.step(value, () => model.snapshot());
      if (verdict.improved) bestProba = lastProba;
      const log: EpochLog = { epoch, loss, monitor, value, lr, improved: verdict.improved };
      history.push(log);
      await input.onEpoch?.(log);
      if (verdict.stop) break;
    }
    // An epoch always improves on -Infinity/Infinity unless every value was NaN; the last weights stay then.
    const best = early.takeBestSnapshot();
    if (best) {
      model.restore(best);
      tf.dispose(best);
    }
    return {
      validationProba: best ? bestProba : lastProba,
      epochs: history.length,
      bestEpoch: early.bestEpoch || history.length,
      stoppedEarly: history.length < hp.maxEpochs,
      lrDropEpochs: [...plateau.dropEpochs],
      history,
    };
  } finally {
    early.dispose();
    adam.dispose();
  }
}

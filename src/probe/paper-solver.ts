import * as tf from '@tensorflow/tfjs-core';
import { NonFiniteError } from '../errors/index.js';
import type { Xoshiro128 } from '../random/xoshiro.js';
import { Adam } from '../training/adam.js';
import { EarlyStopping } from '../training/early-stopping.js';
import type { DenseRows } from '../training/embedding-input.js';
import type { ProbeTask, Targets } from '../training/labels.js';
import { activate, linearLogits, type LinearWeights } from './linear-head.js';
import { monitorMode, monitorValue, type ProbeMonitor } from '../training/evaluation.js';
import { ReduceLROnPlateau } from '../training/reduce-lr-on-plateau.js';
import { permutation, uniform } from '../random/shuffle.js';

/**
 * One epoch of the `'paper'` solver, as `onEpoch` receives it.
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

/** @internal Hyperparameters of the paper's linear-evaluation protocol. */
export interface PaperHyperparameters {
  readonly learningRate: number;
  readonly batchSize: number;
  readonly minEpochs: number;
  readonly maxEpochs: number;
  readonly earlyStoppingPatience: number;
  readonly plateauPatience: number;
  readonly plateauFactor: number;
  readonly monitor: ProbeMonitor;
}

/** @internal How a `'paper'` fit went. */
export interface PaperReport {
  readonly epochs: number;
  readonly bestEpoch: number;
  readonly stoppedEarly: boolean;
  readonly lrDropEpochs: readonly number[];
  readonly history: readonly EpochLog[];
}

/** @internal The report of a finished `'paper'` training loop (the probe's or a fusion model's). */
export function paperReport(history: readonly EpochLog[], early: Pick<EarlyStopping<never>, 'bestEpoch'>, plateau: Pick<ReduceLROnPlateau, 'dropEpochs'>, maxEpochs: number): PaperReport {
  return {
    epochs: history.length,
    bestEpoch: early.bestEpoch || history.length,
    stoppedEarly: history.length < maxEpochs,
    lrDropEpochs: [...plateau.dropEpochs],
    history,
  };
}

/** @internal Everything the solver needs; `x` and validation `x` are already standardised. */
export interface PaperSolverInput {
  readonly task: ProbeTask;
  readonly x: DenseRows;
  readonly targets: Targets;
  readonly weights: Float64Array | undefined;
  readonly validation: { readonly x: DenseRows; readonly targets: Targets } | undefined;
  readonly hp: PaperHyperparameters;
  readonly rng: Xoshiro128;
  readonly onEpoch?: ((log: EpochLog) => void | Promise<void>) | undefined;
  readonly signal?: AbortSignal | undefined;
}

/** @internal Number of outputs of the linear layer. */
export function outputsOf(t: Targets): number {
  return t.kind === 'indicator' ? t.numLabels : t.numClasses === 2 ? 1 : t.numClasses;
}

/** Targets as the float matrix the loss compares logits with: [n, outputs]. */
function targetTensor(t: Targets): tf.Tensor2D {
  if (t.kind === 'indicator') return tf.tensor2d(Float32Array.from(t.data), [t.data.length / t.numLabels, t.numLabels]);
  if (t.numClasses === 2) return tf.tensor2d(Float32Array.from(t.index), [t.index.length, 1]);
  return tf.tidy(() => tf.cast(tf.oneHot(tf.tensor1d(t.index, 'int32'), t.numClasses), 'float32') as tf.Tensor2D);
}

/**
 * @internal Mean (class-weighted) cross-entropy of a batch and its gradient with respect to
 * the logits, in closed form: `d loss / d z = w * (p - y) / m`, where m is the number of
 * averaged terms (rows for softmax, rows x outputs for sigmoid, as PyTorch's CrossEntropyLoss
 * and BCEWithLogitsLoss average). Weights multiply each term and the sum is divided by m, so
 * 'balanced' weights, which average 1 over the training set, keep the loss scale. The closed
 * form needs no autodiff, hence no gradient registry (tfjs-core registers none by itself).
 */
export function lossAndLogitGrad(
  task: ProbeTask,
  z: tf.Tensor2D,
  y: tf.Tensor2D,
  w: tf.Tensor | undefined,
): { loss: tf.Scalar; dz: tf.Tensor2D } {
  let terms: tf.Tensor;
  let residual: tf.Tensor2D;
  let m: number;
  if (task === 'multiclass') {
    const logp = tf.logSoftmax(z);
    terms = tf.neg(tf.sum(tf.mul(y, logp), 1));
    residual = tf.sub(tf.exp(logp), y);
    m = z.shape[0];
  } else {
    // Stable log(1 + exp(-|z|)) form of sigmoid cross-entropy.
    terms = tf.add(tf.sub(tf.relu(z), tf.mul(z, y)), tf.log1p(tf.exp(tf.neg(tf.abs(z)))));
    residual = tf.sub(tf.sigmoid(z), y);
    m = z.shape[0] * z.shape[1];
  }
  if (w) {
    terms = tf.mul(terms, w);
    residual = tf.mul(residual, task === 'multiclass' ? tf.expandDims(w, 1) : w);
  }
  return { loss: tf.mean(terms), dz: tf.div(residual, m) };
}

/** PyTorch's nn.Linear initialisation: weight and bias uniform in ±1/sqrt(fan_in), drawn weight-first. */
function initialWeights(d: number, k: number, rng: Xoshiro128): { kernel: Float32Array; bias: Float32Array } {
  const bound = 1 / Math.sqrt(d);
  const coef = Float32Array.from({ length: k * d }, () => (2 * uniform(rng) - 1) * bound);
  const bias = Float32Array.from({ length: k }, () => (2 * uniform(rng) - 1) * bound);
  return { kernel: transpose(coef, k, d), bias };
}

/** @internal Row-major [r, c] -> row-major [c, r]. */
export function transpose(a: Float32Array, r: number, c: number): Float32Array {
  const out = new Float32Array(a.length);
  for (let i = 0; i < r; i++) for (let j = 0; j < c; j++) out[j * r + i] = a[i * c + j];
  return out;
}

/**
 * @internal The paper's linear evaluation: one linear layer, Adam, batches in a fresh seeded
 * order every epoch, ReduceLROnPlateau and early stopping on the monitored value, and the
 * weights of the best epoch at the end.
 */
export async function fitPaper(input: PaperSolverInput): Promise<{ weights: LinearWeights; report: PaperReport }> {
  const { task, x, targets, hp, rng, validation, signal } = input;
  const { rows: n, cols: d } = x;
  const k = outputsOf(targets);
  const monitor: ProbeMonitor = validation ? hp.monitor : 'loss';
  const mode = monitorMode(monitor);
  const init = initialWeights(d, k, rng);
  const owned: tf.Tensor[] = [];
  const own = <T extends tf.Tensor>(t: T): T => (owned.push(t), t);
  const early = new EarlyStopping<tf.Tensor[]>({
    mode,
    patience: hp.earlyStoppingPatience,
    minEpochs: hp.minEpochs,
    release: (s) => tf.dispose(s),
  });
  let adam: Adam | undefined;
  try {
    const xT = own(tf.tensor2d(x.data, [n, d]));
    const yT = own(targetTensor(targets));
    // Weights line up with the loss terms: [n] per row (softmax), [n, outputs] per entry (sigmoid).
    const wShape = task === 'multiclass' ? [n] : [n, k];
    const wT = input.weights ? own(tf.tensor(Float32Array.from(input.weights), wShape)) : undefined;
    const xVal = validation ? own(tf.tensor2d(validation.x.data, [validation.x.rows, d])) : undefined;
    // Variables made inside tidy: tidy frees the initial tensors, the variables keep their data.
    const W = own(tf.tidy(() => tf.variable(tf.tensor2d(init.kernel, [d, k]), true)));
    const b = own(tf.tidy(() => tf.variable(tf.tensor1d(init.bias), true)));
    adam = new Adam([W, b]);
    const plateau = new ReduceLROnPlateau(hp.learningRate, { mode, factor: hp.plateauFactor, patience: hp.plateauPatience });
    const history: EpochLog[] = [];
    const opt = adam;

    /** One pass over the rows in a fresh seeded order; returns the epoch's mean loss. */
    const trainEpoch = async (lr: number): Promise<number> => {
      const order = permutation(n, rng);
      const losses: tf.Scalar[] = [];
      try {
        for (let start = 0; start < n; start += hp.batchSize) {
          signal?.throwIfAborted();
          const batch = order.subarray(start, Math.min(start + hp.batchSize, n));
          losses.push(
            tf.tidy(() => {
              const idx = tf.tensor1d(batch, 'int32');
              const xb = tf.gather(xT, idx) as tf.Tensor2D;
              const yb = tf.gather(yT, idx) as tf.Tensor2D;
              const wb = wT ? tf.gather(wT, idx) : undefined;
              const { loss, dz } = lossAndLogitGrad(task, linearLogits(xb, W, b), yb, wb);
              opt.step([tf.matMul(xb, dz, true, false), tf.sum(dz, 0)], lr);
              // Weighted by batch size so the epoch mean counts every row once.
              return tf.mul(loss, batch.length / n) as tf.Scalar;
            }),
          );
        }
        const total = tf.addN(losses);
        losses.push(total);
        return (await total.data())[0];
      } finally {
        tf.dispose(losses);
      }
    };

    for (let epoch = 1; epoch <= hp.maxEpochs; epoch++) {
      const lr = plateau.lr;
      const loss = await trainEpoch(lr);
      if (!Number.isFinite(loss)) {
        throw new NonFiniteError(
          `The 'paper' solver diverged: training loss is ${loss} at epoch ${epoch}. ` +
            'Standardise the embeddings (standardize: true) or lower learningRate.',
        );
      }
      let value = loss;
      if (validation && xVal) {
        const p = own(tf.tidy(() => activate(task, linearLogits(xVal, W, b))));
        const proba = (await p.data()) as Float32Array;
        p.dispose();
        value = monitorValue(monitor, validation.targets, proba, k);
      }
      plateau.step(value);
      const step = early.step(value, () => [tf.clone(W), tf.clone(b)]);
      const log: EpochLog = { epoch, loss, monitor, value, lr, improved: step.improved };
      history.push(log);
      await input.onEpoch?.(log);
      if (step.stop) break;
    }

    // An epoch always improves on -Infinity/Infinity unless every value was NaN; keep the last weights then.
    const best = early.takeBestSnapshot() ?? [tf.clone(W), tf.clone(b)];
    best.forEach(own);
    const [kernel, bias] = await Promise.all(best.map((t) => t.data() as Promise<Float32Array>));
    return {
      weights: { coef: transpose(kernel, d, k), intercept: Float32Array.from(bias), outputs: k, features: d },
      report: paperReport(history, early, plateau, hp.maxEpochs),
    };
  } finally {
    early.dispose();
    adam?.dispose();
    tf.dispose(owned);
  }
}

import * as tf from '@tensorflow/tfjs-core';
import type { Xoshiro128 } from '../random/xoshiro.js';
import { uniform } from '../random/shuffle.js';
import type { DenseRows } from '../training/embedding-input.js';
import type { ProbeTask, Targets } from '../training/labels.js';
import { activate, targetMatrix } from '../training/logits.js';
import type { PaperHyperparameters } from '../training/paper-options.js';
import { trainLoop, type EpochLog, type TrainingReport } from '../training/train-loop.js';
import { hostTrainLoop } from '../training/host-train-loop.js';
import { linearLogits, type LinearWeights } from './linear-head.js';
import { LinearHeadTrainer, type HeadSnapshot } from './linear-head-trainer.js';
import { createRowProducts } from './row-products.js';

/** @internal Everything the solver needs; `x` and validation `x` are already standardised. */
export interface PaperSolverInput {
  readonly task: ProbeTask;
  readonly x: DenseRows;
  readonly targets: Targets;
  /** Logits of the linear layer: 1 (binary), classes (multiclass), labels (multilabel). */
  readonly outputs: number;
  readonly weights: Float64Array | undefined;
  readonly validation: { readonly x: DenseRows; readonly targets: Targets } | undefined;
  readonly hp: PaperHyperparameters;
  readonly rng: Xoshiro128;
  readonly onEpoch?: ((log: EpochLog) => void | Promise<void>) | undefined;
  readonly signal?: AbortSignal | undefined;
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

/** PyTorch's nn.Linear initialisation: weight (`[k, d]`) and bias uniform in ±1/sqrt(fan_in), drawn weight-first. */
function initialWeights(d: number, k: number, rng: Xoshiro128): HeadSnapshot {
  const bound = 1 / Math.sqrt(d);
  const coef = Float32Array.from({ length: k * d }, () => (2 * uniform(rng) - 1) * bound);
  const bias = Float32Array.from({ length: k }, () => (2 * uniform(rng) - 1) * bound);
  return { coef, bias };
}

/** @internal Row-major [r, c] -> row-major [c, r]. */
export function transpose(a: Float32Array, r: number, c: number): Float32Array {
  const out = new Float32Array(a.length);
  for (let i = 0; i < r; i++) for (let j = 0; j < c; j++) out[j * r + i] = a[i * c + j];
  return out;
}

const diverged = (loss: number, epoch: number): string =>
  `The 'paper' solver diverged: training loss is ${loss} at epoch ${epoch}. ` +
  'Standardise the embeddings (standardize: true) or lower learningRate.';

/**
 * @internal The paper's linear evaluation: one linear layer trained by the epoch loop (Adam,
 * seeded batches, ReduceLROnPlateau, early stopping, best weights) with the cross-entropy
 * gradient in closed form. `'host'` (the default) trains on typed arrays with the WebAssembly
 * SIMD products ({@link hostTrainLoop}, {@link LinearHeadTrainer}); `'tensor'` runs the same
 * arithmetic as tfjs ops on the active backend (kept as the reference the host path is tested
 * against).
 */
export async function fitPaper(
  input: PaperSolverInput,
  engine: 'host' | 'tensor' = 'host',
): Promise<{ weights: LinearWeights; report: TrainingReport }> {
  return engine === 'host' ? fitPaperHost(input) : fitPaperTensor(input);
}

async function fitPaperHost(input: PaperSolverInput): Promise<{ weights: LinearWeights; report: TrainingReport }> {
  const { task, x, validation, outputs: k, hp } = input;
  const { rows: n, cols: d } = x;
  const init = initialWeights(d, k, input.rng);
  const products = await createRowProducts(x.data, validation?.x.data, d, k, hp.batchSize);
  const nVal = validation?.x.rows ?? 0;
  const trainer = new LinearHeadTrainer(task, products, init, input.targets, input.weights, d, k, hp.batchSize, nVal);
  let report: TrainingReport;
  try {
    report = await hostTrainLoop({
      model: trainer,
      rows: n,
      validation: validation && { targets: validation.targets, outputs: k },
      hp,
      rng: input.rng,
      diverged,
      onEpoch: input.onEpoch,
      signal: input.signal,
    });
  } finally {
    products.release();
  }
  const { coef, bias } = trainer.current();
  return { weights: { coef: Float32Array.from(coef), intercept: Float32Array.from(bias), outputs: k, features: d }, report };
}

async function fitPaperTensor(input: PaperSolverInput): Promise<{ weights: LinearWeights; report: TrainingReport }> {
  const { task, x, targets, validation, outputs: k } = input;
  const { rows: n, cols: d } = x;
  const init0 = initialWeights(d, k, input.rng);
  const init = { kernel: transpose(init0.coef, k, d), bias: init0.bias };
  const owned: tf.Tensor[] = [];
  const own = <T extends tf.Tensor>(t: T): T => (owned.push(t), t);
  try {
    const xT = own(tf.tensor2d(x.data, [n, d]));
    const yT = own(targetMatrix(targets, k));
    // Weights line up with the loss terms: [n] per row (softmax), [n, outputs] per entry (sigmoid).
    const wShape = task === 'multiclass' ? [n] : [n, k];
    const wT = input.weights ? own(tf.tensor(Float32Array.from(input.weights), wShape)) : undefined;
    const xVal = validation ? own(tf.tensor2d(validation.x.data, [validation.x.rows, d])) : undefined;
    // Variables made inside tidy: tidy frees the initial tensors, the variables keep their data.
    const W = own(tf.tidy(() => tf.variable(tf.tensor2d(init.kernel, [d, k]), true)));
    const b = own(tf.tidy(() => tf.variable(tf.tensor1d(init.bias), true)));
    const report = await trainLoop({
      model: {
        params: [W, b],
        lossAndGradients: (idx) => {
          const xb = tf.gather(xT, idx) as tf.Tensor2D;
          const wb = wT ? tf.gather(wT, idx) : undefined;
          const { loss, dz } = lossAndLogitGrad(task, linearLogits(xb, W, b), tf.gather(yT, idx) as tf.Tensor2D, wb);
          return { loss, grads: [tf.matMul(xb, dz, true, false), tf.sum(dz, 0)] };
        },
        validationProbabilities: () => tf.tidy(() => activate(task, linearLogits(xVal as tf.Tensor2D, W, b))),
        snapshot: () => [tf.clone(W), tf.clone(b)],
        restore: ([kernel, bias]) => {
          W.assign(kernel as tf.Tensor2D);
          b.assign(bias as tf.Tensor1D);
        },
      },
      rows: n,
      validation: validation && { targets: validation.targets, outputs: k },
      hp: input.hp,
      rng: input.rng,
      epochLoss: 'device',
      diverged,
      onEpoch: input.onEpoch,
      signal: input.signal,
    });
    const [kernel, bias] = await Promise.all([W.data() as Promise<Float32Array>, b.data() as Promise<Float32Array>]);
    return { weights: { coef: transpose(kernel, d, k), intercept: Float32Array.from(bias), outputs: k, features: d }, report };
  } finally {
    tf.dispose(owned);
  }
}

/**
 * @internal One optimisation step of a finetuned model: what `FineTuner`'s epoch loop runs
 * for every batch, and what the PyTorch parity tests check.
 *
 * API (stable):
 *
 * ```ts
 * const s = createFinetuneStep({
 *   model,              // tfl.LayersModel: preprocessed NHWC image -> [b, d] embedding or [b, h, w, d] map (mean-pooled)
 *   head,               // { kernel: tf.Variable [d, k], bias: tf.Variable [k] }: logits = pooled @ kernel + bias
 *   task,               // 'binary' (k = 1, sigmoid) | 'multiclass' (softmax) | 'multilabel' (sigmoids)
 *   params?,            // the variables to train, default: every trainable weight of model, then kernel, bias
 *   batchNorm?,         // 'train' (default: batch statistics, running stats updated as torch's model.train()) | 'frozen'
 *   labelSmoothing?,    // default 0
 *   learningRate?,      // default 1e-3: the rate step() uses when it is given none
 *   optimizer?,         // AdamWOptions: beta1, beta2, eps, weightDecay (0 = torch.optim.Adam), lrScale[], decay[]
 * });
 * s.step(images, targets);             // { loss: number }: forward (training mode), loss, gradients, one Adam(W) update
 * s.step(images, targets, { weights, learningRate });
 * s.gradients(images, targets);        // { loss, grads: Map<variable name, Float32Array> }, no update (BN stats do move in 'train')
 * s.lossAndGradients(images, targets); // tensors, inside the caller's tf.tidy
 * s.params; s.optimizer; s.dispose();  // the optimizer is made on first use; dispose frees its moments only, never model or head
 * ```
 *
 * `images` is a preprocessed float32 `[b, h, w, 3]` batch; `targets` a float32 `[b, k]`
 * matrix (one-hot rows for multiclass, the 0/1 class for binary, indicators for multilabel);
 * `weights` optional per-term weights (`[b]` for multiclass, `[b, k]` otherwise). The loss is
 * PyTorch's: `CrossEntropyLoss(label_smoothing)` for multiclass, `BCEWithLogitsLoss` (targets
 * smoothed to `y (1 - e) + e / 2`) otherwise, a plain mean (weights multiply each term, the sum
 * is divided by the term count, as the probe does).
 */
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import type { ProbeTask } from '../training/labels.js';
import { freeingVariableGrads } from '../training/gradients.js';
import { AdamW, type AdamWOptions } from './adamw.js';

/** @internal A linear head: `logits = pooled @ kernel + bias`. */
export interface LinearHead {
  /** `[d, k]`. */
  readonly kernel: tf.Variable;
  /** `[k]`. */
  readonly bias: tf.Variable;
}

/** @internal How batch norms run during training. */
export type BatchNormMode = 'train' | 'frozen';

/** @internal What {@link createFinetuneStep} needs. */
export interface FinetuneStepInit {
  readonly model: tfl.LayersModel;
  readonly head: LinearHead;
  readonly task: ProbeTask;
  readonly params?: readonly tf.Variable[];
  readonly batchNorm?: BatchNormMode;
  readonly labelSmoothing?: number;
  readonly learningRate?: number;
  readonly optimizer?: AdamWOptions;
}

/** @internal See the top of this file. */
export interface FinetuneStep {
  readonly params: readonly tf.Variable[];
  readonly optimizer: AdamW;
  /** Logits `[b, k]` in training (`true`: batch norms per `batchNorm`) or inference mode. */
  logits(images: tf.Tensor4D, training: boolean): tf.Tensor2D;
  lossAndGradients(images: tf.Tensor4D, targets: tf.Tensor2D, weights?: tf.Tensor): { loss: tf.Scalar; grads: tf.Tensor[] };
  step(images: tf.Tensor4D, targets: tf.Tensor2D, options?: { readonly weights?: tf.Tensor; readonly learningRate?: number }): { loss: number };
  gradients(images: tf.Tensor4D, targets: tf.Tensor2D, weights?: tf.Tensor): { loss: number; grads: Map<string, Float32Array> };
  dispose(): void;
}

/** @internal The model's trainable tf variables (LayerVariable.read() is the variable itself). */
export function modelVariables(model: tfl.LayersModel): tf.Variable[] {
  return model.trainableWeights.map((w) => w.read() as tf.Variable);
}

/** @internal Mean (weighted) cross-entropy of logits against `[b, k]` targets, as PyTorch's losses. */
export function finetuneLoss(task: ProbeTask, z: tf.Tensor2D, y: tf.Tensor2D, weights: tf.Tensor | undefined, smoothing: number): tf.Scalar {
  return tf.tidy(() => {
    const k = z.shape[1];
    let terms: tf.Tensor;
    if (task === 'multiclass') {
      const q = smoothing > 0 ? tf.add(tf.mul(y, 1 - smoothing), smoothing / k) : y;
      terms = tf.neg(tf.sum(tf.mul(q, tf.logSoftmax(z)), 1));
    } else {
      const q = smoothing > 0 ? tf.add(tf.mul(y, 1 - smoothing), smoothing / 2) : y;
      // Stable log(1 + exp(-|z|)) form, as torch's BCEWithLogitsLoss.
      terms = tf.add(tf.sub(tf.relu(z), tf.mul(z, q)), tf.log1p(tf.exp(tf.neg(tf.abs(z)))));
    }
    if (weights) terms = tf.mul(terms, weights);
    return tf.mean(terms) as tf.Scalar;
  });
}

/** @internal Builds the step; see the top of this file. */
export function createFinetuneStep(init: FinetuneStepInit): FinetuneStep {
  const { model, head, task } = init;
  const bn = init.batchNorm ?? 'train';
  const smoothing = init.labelSmoothing ?? 0;
  const params = init.params ?? [...modelVariables(model), head.kernel, head.bias];
  // Marked trainable for optimizers and callers that read the flag; the step trains exactly `params`.
  for (const p of params) p.trainable = true;
  // Made on first use: callers that run their own optimizer never allocate its moments.
  let made: AdamW | undefined;
  const optimizer = (): AdamW => (made ??= new AdamW(params, init.optimizer));
  const baseLr = init.learningRate ?? 1e-3;

  const logits = (images: tf.Tensor4D, training: boolean): tf.Tensor2D =>
    tf.tidy(() => {
      const out = model.apply(images, { training: training && bn === 'train' }) as tf.Tensor;
      const pooled = out.rank === 4 ? tf.mean(out, [1, 2]) : out;
      return tf.add(tf.matMul(pooled as tf.Tensor2D, head.kernel as tf.Tensor2D), head.bias) as tf.Tensor2D;
    });

  const lossAndGradients = (images: tf.Tensor4D, targets: tf.Tensor2D, weights?: tf.Tensor) => {
    // tfjs' variableGrads keeps every saved activation and every gradient to the end of the
    // backward pass; this frees them as it goes (same numbers), as PyTorch does.
    const { value, grads } = freeingVariableGrads(() => finetuneLoss(task, logits(images, true), targets, weights, smoothing), params);
    return { loss: value, grads: grads as tf.Tensor[] };
  };

  return {
    params,
    get optimizer() {
      return optimizer();
    },
    logits,
    lossAndGradients,
    step(images, targets, options = {}) {
      const loss = tf.tidy(() => {
        const r = lossAndGradients(images, targets, options.weights);
        optimizer().step(r.grads, options.learningRate ?? baseLr);
        return r.loss;
      });
      try {
        return { loss: loss.dataSync()[0] as number };
      } finally {
        loss.dispose();
      }
    },
    gradients(images, targets, weights) {
      const r = lossAndGradients(images, targets, weights);
      try {
        const grads = new Map<string, Float32Array>();
        params.forEach((p, i) => grads.set(p.name, Float32Array.from((r.grads[i] as tf.Tensor).dataSync())));
        return { loss: r.loss.dataSync()[0] as number, grads };
      } finally {
        tf.dispose([r.loss, ...r.grads]);
      }
    },
    dispose: () => made?.dispose(),
  };
}

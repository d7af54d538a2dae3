import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { DisposedError } from '../errors/index.js';
import type { Augmentation } from '../augment/augmentation.js';
import type { Backbone } from '../backbone/backbone.js';
import type { Xoshiro128 } from '../random/xoshiro.js';
import { uniform } from '../random/shuffle.js';
import type { Targets } from '../training/labels.js';
import { activate, targetMatrix } from '../training/logits.js';
import type { PaperHyperparameters } from '../training/paper-options.js';
import { trainLoop, type EpochLog, type TrainingReport } from '../training/train-loop.js';
import { AdamW } from './adamw.js';
import type { ImageRows } from './image-rows.js';
import type { FineTunerHyperparameters } from './options.js';
import { accumulating, batchRate } from './schedule.js';
import { modelStages } from './trainable-copy.js';
import { createFinetuneStep, modelVariables, type LinearHead } from './train-step.js';

/** @internal A model and head being trained or fitted. */
export interface FinetunedModel {
  readonly model: tfl.LayersModel;
  readonly head: LinearHead;
}

/** @internal What {@link fitFinetune} needs; `model` and `head` are trained in place. */
export interface FinetuneFitInput extends FinetunedModel {
  readonly hp: FineTunerHyperparameters;
  readonly backbone: Backbone;
  readonly images: ImageRows;
  readonly train: { readonly rows: Int32Array; readonly targets: Targets; readonly weights: Float64Array | undefined };
  /** Validation rows of `images` (their own images, or held-out rows of the training images). */
  readonly validation: { readonly rows: Int32Array; readonly targets: Targets; readonly images: ImageRows } | undefined;
  readonly outputs: number;
  readonly rng: Xoshiro128;
  readonly augment: { readonly transform: Augmentation; readonly random: () => number } | undefined;
  readonly onEpoch?: ((log: EpochLog) => void | Promise<void>) | undefined;
  readonly signal?: AbortSignal | undefined;
}

/** @internal PyTorch's nn.Linear initialisation from the seeded stream: U(±1/sqrt(d)), weight then bias. */
export function initialHead(d: number, k: number, rng: Xoshiro128): LinearHead {
  const bound = 1 / Math.sqrt(d);
  const w = Float32Array.from({ length: k * d }, () => (2 * uniform(rng) - 1) * bound); // torch layout [k, d]
  const b = Float32Array.from({ length: k }, () => (2 * uniform(rng) - 1) * bound);
  return tf.tidy(() => ({
    kernel: tf.variable(tf.transpose(tf.tensor2d(w, [k, d])), true),
    bias: tf.variable(tf.tensor1d(b), true),
  }));
}

/** @internal Probabilities `[rows, k]` of image rows in inference mode, in batches of `batchSize`. */
export function probabilitiesOf(m: FinetunedModel, task: FineTunerHyperparameters['task'], images: ImageRows, rows: ArrayLike<number>, batchSize: number): tf.Tensor2D {
  return tf.tidy(() => {
    const parts: tf.Tensor2D[] = [];
    for (let s = 0; s < rows.length; s += batchSize) {
      const idx = Array.from({ length: Math.min(batchSize, rows.length - s) }, (_, j) => rows[s + j] as number);
      const out = m.model.apply(images.batch(idx), { training: false }) as tf.Tensor;
      const pooled = (out.rank === 4 ? tf.mean(out, [1, 2]) : out) as tf.Tensor2D;
      parts.push(activate(task, tf.add(tf.matMul(pooled, m.head.kernel as tf.Tensor2D), m.head.bias) as tf.Tensor2D));
    }
    const k = m.head.bias.shape[0] as number;
    return (parts.length === 0 ? tf.zeros([0, k]) : parts.length === 1 ? parts[0] : tf.concat(parts, 0)) as tf.Tensor2D;
  });
}

/** One run of the epoch loop training `params` (a subset of the model's weights and the head). */
async function phase(
  input: FinetuneFitInput,
  hp: PaperHyperparameters,
  options: { readonly trainBackbone: boolean; readonly batchNorm: 'train' | 'frozen'; readonly schedule: boolean },
  owned: tf.Tensor[],
): Promise<TrainingReport> {
  const { model, head, hp: fp, images, train, outputs, backbone } = input;
  const stages = modelStages(model);
  const from = fp.trainable === 'all' ? 0 : fp.trainable === 'head' ? Infinity : fp.trainable.fromStage;
  const variables = modelVariables(model);
  const chosen = options.trainBackbone ? variables.map((v, i) => ({ v, s: stages.stage[i] as number })).filter((e) => e.s >= from) : [];
  const params = [...chosen.map((e) => e.v), head.kernel, head.bias];
  const lrScale = [...chosen.map((e) => fp.layerDecay ** (stages.count - e.s)), 1, 1];
  const step = createFinetuneStep({ model, head, task: fp.task, params, batchNorm: options.batchNorm, labelSmoothing: fp.labelSmoothing });
  // The loop runs its own optimizer (below, with accumulation); the step's is never made.
  const yAll = tf.keep(targetMatrix(train.targets, outputs));
  owned.push(yAll);
  const wShape = fp.task === 'multiclass' ? [train.rows.length] : [train.rows.length, outputs];
  const wAll = train.weights ? tf.keep(tf.tensor(Float32Array.from(train.weights), wShape)) : undefined;
  if (wAll) owned.push(wAll);
  const all = model.weights;
  const batches = Math.ceil(train.rows.length / hp.batchSize);
  return trainLoop({
    model: {
      params,
      lossAndGradients: (idx) => {
        if (backbone.isDisposed) {
          throw new DisposedError(
            `FineTuner.fit: the backbone '${backbone.config.id}' was disposed during fit; keep it alive until fit resolves ` +
              '(the fine-tuner trains its own copy; toBackbone() gives the trained one).',
          );
        }
        const local = idx.dataSync();
        const x = images.batch(Array.from(local, (i) => train.rows[i] as number), input.augment);
        return step.lossAndGradients(x, tf.gather(yAll, idx) as tf.Tensor2D, wAll && tf.gather(wAll, idx));
      },
      validationProbabilities: () => probabilitiesOf(input, fp.task, input.validation?.images ?? images, input.validation?.rows ?? [], hp.batchSize),
      // Every weight, the batch norms' running statistics included: they change in training too.
      snapshot: () => [...all.map((w) => tf.clone(w.read())), tf.clone(head.kernel), tf.clone(head.bias)],
      restore: (s) => {
        all.forEach((w, i) => w.write(s[i] as tf.Tensor));
        head.kernel.assign(s[all.length] as tf.Tensor);
        head.bias.assign(s[all.length + 1] as tf.Tensor);
      },
    },
    rows: train.rows.length,
    validation: input.validation && { targets: input.validation.targets, outputs },
    hp,
    rng: input.rng,
    epochLoss: 'device',
    diverged: (loss, epoch) => `FineTuner.fit diverged: the training loss is ${loss} at epoch ${epoch}. Lower learningRate (or add warmupEpochs).`,
    optimizer: (ps) => accumulating(new AdamW(ps, { weightDecay: fp.weightDecay, lrScale }), fp.accumulate, batches),
    ...(options.schedule ? { batchLearningRate: batchRate(fp.schedule, fp.warmupEpochs, hp.maxEpochs) } : {}),
    onEpoch: input.onEpoch,
    signal: input.signal,
  });
}

/**
 * @internal Trains `model` and `head` in place: an optional linear-probe phase (the head alone,
 * batch norms frozen, `linearProbeEpochs` epochs, no early stop), then the paper's protocol
 * on the `trainable` weights. Returns the reports of both phases' loops, the last one last.
 */
export async function fitFinetune(input: FinetuneFitInput): Promise<{ reports: TrainingReport[]; history: EpochLog[] }> {
  const owned: tf.Tensor[] = [];
  const reports: TrainingReport[] = [];
  const history: EpochLog[] = [];
  const fp = input.hp;
  try {
    if (fp.linearProbeEpochs > 0 && fp.trainable !== 'head') {
      const lp = { ...fp.paper, minEpochs: fp.linearProbeEpochs, maxEpochs: fp.linearProbeEpochs, earlyStoppingPatience: fp.linearProbeEpochs };
      const report = await phase(input, lp, { trainBackbone: false, batchNorm: 'frozen', schedule: false }, owned);
      reports.push(report);
      history.push(...report.history);
    }
    // A frozen backbone ('head') also keeps its batch-norm statistics: its features stay the pretrained ones.
    const head = fp.trainable === 'head';
    const report = await phase(input, fp.paper, { trainBackbone: !head, batchNorm: head ? 'frozen' : fp.batchNorm, schedule: true }, owned);
    reports.push(report);
    const offset = history.length;
    history.push(...report.history.map((log) => ({ ...log, epoch: log.epoch + offset })));
    return { reports, history };
  } finally {
    tf.dispose(owned);
  }
}

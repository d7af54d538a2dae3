import { InvalidArgumentError } from '../errors/index.js';
import type { Augmentation } from '../augment/augmentation.js';
import type { Backbone } from '../backbone/backbone.js';
import type { ClassWeight } from '../training/class-weight.js';
import type { ProbeTask } from '../training/labels.js';
import { checkNumber } from '../training/option-checks.js';
import {
  checkClassesOption,
  checkSeed,
  checkTask,
  checkValidationSplit,
  positiveInt,
  resolvePaperHyperparameters,
  type PaperTrainingOptions,
} from '../training/paper-options.js';
import { describe } from '../validation/describe.js';

/**
 * Which weights a {@link FineTuner} trains: `'all'` (every layer and the head, the paper's
 * finetuning), `'head'` (the linear head only, on frozen features), or `{ fromStage }` (the
 * stages from `fromStage` on, and the head). Stages of a ResNet: 0 the stem, 1-4 `layer1` -
 * `layer4`; of a ViT: 0 the patch and position embedding, 1..depth the blocks, depth + 1 the
 * final norm; of any other LayersModel: each layer with weights, in order.
 *
 * @remarks Since 0.1.0.
 * @example
 * ```ts
 * import type { FineTunerTrainable } from 'dvme';
 * const lastTwoStages: FineTunerTrainable = { fromStage: 3 }; // ResNet layer3, layer4 and the head
 * ```
 */
export type FineTunerTrainable = 'all' | 'head' | { readonly fromStage: number };

/**
 * Options of {@link FineTuner}: the backbone and task, the paper's protocol (see
 * {@link PaperTrainingOptions}; defaults: Adam lr 1e-3 and batch 64, for DINO ViTs lr 1e-4
 * and batch 16) and what practitioners add to it.
 *
 * @remarks Since 0.1.0.
 * @example
 * ```ts
 * import type { FineTunerOptions } from 'dvme';
 * import type { Backbone } from 'dvme';
 * declare const backbone: Backbone;
 * const lpft: FineTunerOptions<'binary'> = { backbone, task: 'binary', linearProbeEpochs: 5, weightDecay: 0.05 };
 * ```
 */
export interface FineTunerOptions<T extends ProbeTask = ProbeTask> extends PaperTrainingOptions {
  /**
   * The pretrained backbone. It runs on the tfjs engine as a LayersModel (a checkpoint loaded
   * with `foldBatchNorm: false` for ResNets, `Backbone.fromTfjs` of a LayersModel, or
   * `Backbone.fromModel` of one). The fine-tuner trains its own copy: the backbone is never
   * modified.
   */
  readonly backbone: Backbone;
  /** The task; see {@link ProbeTask}. */
  readonly task: T;
  /**
   * Every label of a binary / multiclass task, when the training data may lack some.
   * @defaultValue the distinct labels of `y`
   */
  readonly classes?: readonly number[];
  /**
   * Which weights train; see {@link FineTunerTrainable}.
   * @defaultValue `'all'`
   */
  readonly trainable?: FineTunerTrainable;
  /**
   * LP-FT: epochs that train the head alone (batch norms frozen) before everything in
   * `trainable` trains with the paper's protocol. Their logs come first in `history`.
   * @defaultValue `0` (no linear-probe phase)
   */
  readonly linearProbeEpochs?: number;
  /**
   * Discriminative learning rates: stage `s` of `S` stages trains at
   * `learningRate * layerDecay^(S - s)`, the head at `learningRate`.
   * @defaultValue `1` (one rate for all)
   */
  readonly layerDecay?: number;
  /**
   * How the learning rate moves: `'plateau'` (the paper's ReduceLROnPlateau on the monitored
   * value) or `'cosine'` (from `learningRate` to 0 over `maxEpochs`, per batch; the plateau
   * options are then unused).
   * @defaultValue `'plateau'`
   */
  readonly schedule?: 'plateau' | 'cosine';
  /**
   * Epochs of linear warmup from 0 to the scheduled rate, per batch.
   * @defaultValue `0`
   */
  readonly warmupEpochs?: number;
  /**
   * Decoupled weight decay of every trained weight, as `torch.optim.AdamW`'s `weight_decay`
   * (`0` is the paper's Adam).
   * @defaultValue `0`
   */
  readonly weightDecay?: number;
  /**
   * Batch norms during training: `'train'` (batch statistics, running statistics updated, as
   * PyTorch's `model.train()`) or `'frozen'` (running statistics, never updated; for tiny
   * batches). Inference always uses the running statistics.
   * @defaultValue `'train'`
   */
  readonly batchNorm?: 'train' | 'frozen';
  /**
   * How fast the running statistics follow the batches when `batchNorm` is `'train'`, in
   * PyTorch's sense (the new batch's weight: `running = (1 - m) * running + m * batch`), set on
   * every batch norm of the trained copy. PyTorch's 0.1 by default, as the paper trains. Keras
   * models often carry 0.01 or 0.001 (Keras momentum 0.99 / 0.999: nsfwjs' MobileNetV2 has
   * 0.001), with which a few hundred steps leave the running statistics at the pretraining
   * data's, so inference after finetuning normalises with other statistics than training did.
   * `'model'` keeps each layer's own.
   * @defaultValue `0.1`
   */
  readonly batchNormMomentum?: number | 'model';
  /**
   * Gradient accumulation: batches averaged per optimizer step (an effective batch of
   * `batchSize * accumulate` at the memory of `batchSize`).
   * @defaultValue `1`
   */
  readonly accumulate?: number;
  /**
   * Label smoothing in [0, 1): softmax targets become `(1 - e) y + e / K`, sigmoid targets
   * `(1 - e) y + e / 2`.
   * @defaultValue `0`
   */
  readonly labelSmoothing?: number;
  /**
   * Class weights in the training loss; see {@link ClassWeight}.
   * @defaultValue none (every row weighs 1)
   */
  readonly classWeight?: ClassWeight;
  /**
   * A seeded transform applied to every training image on its raw pixels before
   * preprocessing (see {@link Augmentation}); validation and prediction images are never
   * augmented.
   * @defaultValue none (identity)
   */
  readonly augment?: Augmentation;
  /**
   * Seed of the head's initialisation, the batch order, the validation split and the
   * augmentations: the same seed on the same backend gives the same model.
   * @defaultValue `0`
   */
  readonly seed?: number;
}

/**
 * The options of a {@link FineTuner} with every default filled in (its `hyperparameters`),
 * less the backbone and the augmentation, which it keeps as given.
 *
 * @remarks Since 0.1.0.
 * @example
 * ```ts
 * import type { FineTunerHyperparameters } from 'dvme';
 * const rate = (hp: FineTunerHyperparameters) => hp.paper.learningRate; // 1e-3, or 1e-4 for DINO
 * ```
 */
export interface FineTunerHyperparameters<T extends ProbeTask = ProbeTask> {
  /** The task. */
  readonly task: T;
  /** See {@link FineTunerOptions}; `undefined` when not given. */
  readonly classes: readonly number[] | undefined;
  /** See {@link FineTunerOptions}. */
  readonly trainable: FineTunerTrainable;
  /** See {@link FineTunerOptions}. */
  readonly linearProbeEpochs: number;
  /** See {@link FineTunerOptions}. */
  readonly layerDecay: number;
  /** See {@link FineTunerOptions}. */
  readonly schedule: 'plateau' | 'cosine';
  /** See {@link FineTunerOptions}. */
  readonly warmupEpochs: number;
  /** See {@link FineTunerOptions}. */
  readonly weightDecay: number;
  /** See {@link FineTunerOptions}. */
  readonly batchNorm: 'train' | 'frozen';
  /** See {@link FineTunerOptions}. */
  readonly batchNormMomentum: number | 'model';
  /** See {@link FineTunerOptions}. */
  readonly accumulate: number;
  /** See {@link FineTunerOptions}. */
  readonly labelSmoothing: number;
  /** See {@link FineTunerOptions}; `undefined` when not given. */
  readonly classWeight: ClassWeight | undefined;
  /** See {@link FineTunerOptions}. */
  readonly seed: number;
  /** See {@link PaperTrainingOptions}. */
  readonly validationSplit: number;
  /** The paper's protocol as this fine-tuner runs it (the defaults depend on the backbone). */
  readonly paper: Readonly<Required<Omit<PaperTrainingOptions, 'validationSplit'>>>;
}

const KNOWN = new Set([
  'backbone', 'task', 'classes', 'trainable', 'linearProbeEpochs', 'layerDecay', 'schedule', 'warmupEpochs', 'weightDecay',
  'batchNorm', 'batchNormMomentum', 'accumulate', 'labelSmoothing', 'classWeight', 'augment', 'seed', 'validationSplit', 'monitor', 'learningRate',
  'batchSize', 'minEpochs', 'maxEpochs', 'earlyStoppingPatience', 'plateauPatience', 'plateauFactor',
]);

/** @internal Whether the paper's DINO settings (lr 1e-4, batch 16) apply to a backbone. */
export function isDinoBackbone(backbone: Backbone): boolean {
  return /dino/i.test(backbone.config.id) || /^vit_/.test(backbone.loadReport?.architecture ?? '');
}

function checkTrainable(v: unknown): FineTunerTrainable {
  if (v === undefined) return 'all';
  if (v === 'all' || v === 'head') return v;
  const from = (v as { fromStage?: unknown } | null)?.fromStage;
  if (typeof v === 'object' && v !== null && Number.isInteger(from) && (from as number) >= 0) return { fromStage: from as number };
  throw new InvalidArgumentError(
    `FineTuner: trainable must be 'all', 'head' or { fromStage: n } with n a non-negative integer; received ${describe(v)}.`,
  );
}

/** @internal Validates the options and fills the defaults (the protocol's depend on the backbone). */
export function resolveFineTunerOptions<T extends ProbeTask>(options: FineTunerOptions<T>): FineTunerHyperparameters<T> {
  if (typeof options !== 'object' || options === null) {
    throw new InvalidArgumentError(`FineTuner: options must be an object { backbone, task, ... }; received ${describe(options)}.`);
  }
  const unknown = Object.keys(options).filter((k) => !KNOWN.has(k));
  if (unknown.length > 0) {
    throw new InvalidArgumentError(`FineTuner: unknown option ${unknown.map((k) => `'${k}'`).join(', ')}; known: ${[...KNOWN].join(', ')}.`);
  }
  const task = checkTask(options.task) as T;
  checkClassesOption(options.classes, task);
  const b = options.backbone as Backbone | undefined;
  if (typeof b !== 'object' || b === null || typeof (b as { embed?: unknown }).embed !== 'function') {
    throw new InvalidArgumentError(`FineTuner: backbone must be a Backbone (Backbone.fromCheckpoint / fromTfjs / fromModel); received ${describe(b)}.`);
  }
  if (options.augment !== undefined && typeof options.augment !== 'function') {
    throw new InvalidArgumentError(`FineTuner: augment must be a function (image, random) => image; received ${describe(options.augment)}.`);
  }
  const dino = isDinoBackbone(b);
  const paper = resolvePaperHyperparameters(task, false, {
    ...options,
    learningRate: options.learningRate ?? (dino ? 1e-4 : 1e-3),
    batchSize: options.batchSize ?? (dino ? 16 : 64),
  });
  const count = (name: string, v: unknown, fallback: number) => {
    const x = v ?? fallback;
    if (!Number.isInteger(x) || (x as number) < 0) throw new InvalidArgumentError(`FineTuner: ${name} must be a non-negative integer; received ${describe(v)}.`);
    return x as number;
  };
  const choice = <C extends string>(name: string, v: unknown, allowed: readonly C[]): C => {
    const x = v ?? allowed[0];
    if (!allowed.includes(x as C)) throw new InvalidArgumentError(`FineTuner: ${name} must be ${allowed.map((a) => `'${a}'`).join(' or ')}; received ${describe(v)}.`);
    return x as C;
  };
  return {
    task,
    classes: options.classes,
    trainable: checkTrainable(options.trainable),
    linearProbeEpochs: count('linearProbeEpochs', options.linearProbeEpochs, 0),
    layerDecay: checkNumber('layerDecay', options.layerDecay ?? 1, (v) => v > 0 && v <= 1, 'in (0, 1]'),
    schedule: choice('schedule', options.schedule, ['plateau', 'cosine'] as const),
    warmupEpochs: count('warmupEpochs', options.warmupEpochs, 0),
    weightDecay: checkNumber('weightDecay', options.weightDecay ?? 0, (v) => v >= 0, '>= 0'),
    batchNorm: choice('batchNorm', options.batchNorm, ['train', 'frozen'] as const),
    batchNormMomentum:
      options.batchNormMomentum === 'model' ? 'model' : checkNumber('batchNormMomentum', options.batchNormMomentum ?? 0.1, (v) => v > 0 && v <= 1, "in (0, 1], or 'model'"),
    accumulate: positiveInt('accumulate', options.accumulate ?? 1),
    labelSmoothing: checkNumber('labelSmoothing', options.labelSmoothing ?? 0, (v) => v >= 0 && v < 1, 'in [0, 1)'),
    classWeight: options.classWeight,
    seed: checkSeed(options.seed),
    validationSplit: checkValidationSplit(options.validationSplit),
    paper,
  };
}

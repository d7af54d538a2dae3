import type { Backbone } from '../backbone/backbone.js';
import type { EmbedOptions } from '../backbone/embed-options.js';
import { InvalidArgumentError, ShapeError } from '../errors/index.js';
import { FineTuner } from '../finetune/finetuner.js';
import type { FineTunerOptions } from '../finetune/options.js';
import { checkTrainingKernels, layersModelOf } from '../finetune/trainable-copy.js';
import { toImageRuns } from '../image/image-runs.js';
import type { ImageInput } from '../image/images.js';
import type { EpochLog } from '../training/train-loop.js';
import type { LabelsFor, ProbeTask } from '../training/labels.js';
import { describe } from '../validation/describe.js';
import { resolveEvaluation, type LinearEvaluationOptions, type ResolvedEvaluation } from './evaluation-options.js';

/**
 * Images and their labels: a training pool, a validation or a test set of
 * {@link runFinetuneEvaluation}.
 *
 * @remarks Since 0.1.0.
 * @example
 * ```ts
 * import type { LabelledImages } from 'dvme';
 * const test: LabelledImages<'binary'> = { images: { data: new Uint8Array(2 * 8 * 8), shape: [2, 8, 8] }, labels: [0, 1] };
 * ```
 */
export interface LabelledImages<T extends ProbeTask = ProbeTask> {
  /**
   * The images: an array `{ data, shape }` (such as a MedMNIST split), a list of images (such
   * as `ImageDataset.load`'s) or a 4D tensor; whatever {@link Backbone.embed} accepts as a batch.
   */
  readonly images: ImageInput;
  /** One label (a row of 0/1 indicators for multilabel) per image. */
  readonly labels: LabelsFor<T>;
}

/**
 * Options of {@link runFinetuneEvaluation}: the draws, sizes, repeats, metric and probe of
 * {@link runLinearEvaluation} (the same names, the same defaults), on images instead of
 * embeddings, plus the backbone and the {@link FineTuner}'s options.
 *
 * @remarks Since 0.1.0.
 * @example
 * ```ts
 * import type { Backbone, FinetuneEvaluationOptions, LabelledImages } from 'dvme';
 * declare const backbone: Backbone;
 * declare const train: LabelledImages<'multiclass'>, val: LabelledImages<'multiclass'>, test: LabelledImages<'multiclass'>;
 * const options: FinetuneEvaluationOptions<'multiclass'> = {
 *   backbone, task: 'multiclass', metric: 'quadraticKappa', train, validation: val, test,
 *   sizes: { S: 50, M: 500, F: 'all' }, repeats: 5, finetune: { minEpochs: 30, maxEpochs: 50 },
 * };
 * ```
 */
export interface FinetuneEvaluationOptions<T extends ProbeTask = ProbeTask>
  extends Omit<LinearEvaluationOptions<T>, 'sources' | 'labels' | 'test' | 'validation'> {
  /**
   * The pretrained backbone: finetuned (a copy of it, per run) and, frozen, embedding the
   * images for the probe. It must be able to train (see {@link FineTuner}); it is never modified.
   */
  readonly backbone: Backbone;
  /** The training pool the draws come from. */
  readonly train: LabelledImages<T>;
  /** Every run is scored on all of it. */
  readonly test: LabelledImages<T>;
  /**
   * A fixed validation set (such as MedMNIST's `val` split) for early stopping, the schedule
   * and the kept weights of both models; see `validationDraw` for a per-run draw from it.
   * @defaultValue none; see `validationFraction`
   */
  readonly validation?: LabelledImages<T>;
  /**
   * {@link FineTunerOptions} of every finetuning run, but `backbone`, `task` and `seed` (the
   * protocol sets them: the run's seed, as the probe's) and `validationSplit` (use
   * `validationFraction`, which holds out the same rows for both models). `monitor` defaults
   * to the reported metric, as the probe's.
   * @defaultValue the paper's finetuning protocol
   */
  readonly finetune?: Omit<FineTunerOptions<T>, 'backbone' | 'task' | 'seed' | 'validationSplit'>;
  /**
   * Also fit the linear probe of {@link runLinearEvaluation} (its `solver` and `probeOptions`)
   * on the frozen backbone's embeddings of the same draws: the images are embedded once, and
   * the table gets a `probe` column beside `finetune` and their paired difference.
   * @defaultValue `true`
   */
  readonly probe?: boolean;
  /**
   * Options of the one embedding pass for the probe (`batchSize`, an embedding `cache`).
   * @defaultValue `Backbone.embed`'s
   */
  readonly embedOptions?: Omit<EmbedOptions, 'as' | 'signal' | 'onProgress'>;
  /** Called after every finetuning epoch with its log and which run it belongs to (such as `'finetune S 2/5'`). */
  readonly onEpoch?: (log: EpochLog, label: string) => void;
}

/** @internal The options, checked, with the protocol's draw settings resolved. */
export interface ResolvedFinetuneEvaluation<T extends ProbeTask> {
  /** The draw settings, resolved exactly as runLinearEvaluation resolves them. */
  readonly draws: ResolvedEvaluation<T>;
  readonly counts: { readonly train: number; readonly test: number; readonly validation: number | undefined };
  readonly probe: boolean;
  readonly finetune: Omit<FineTunerOptions<T>, 'backbone' | 'task' | 'seed' | 'validationSplit'>;
}

const OWNER = 'runFinetuneEvaluation';
const PROTOCOL_KEYS = ['backbone', 'task', 'seed', 'validationSplit'] as const;

/** Image count of one labelled set, checked against its labels. */
function countImages(where: string, set: unknown): number {
  if (typeof set !== 'object' || set === null || !('images' in set) || !('labels' in set)) {
    throw new InvalidArgumentError(`${OWNER}: ${where} must be { images, labels }; received ${describe(set)}.`);
  }
  const { images, labels } = set as LabelledImages;
  const n = toImageRuns(`${OWNER} (${where}.images)`, images).count;
  if (typeof labels !== 'object' || labels === null || typeof (labels as ArrayLike<unknown>).length !== 'number') {
    throw new InvalidArgumentError(`${OWNER}: ${where}.labels must be an array of labels; received ${describe(labels)}.`);
  }
  if (labels.length !== n) {
    throw new ShapeError(`${OWNER}: ${where} has ${n} images but ${labels.length} labels; pass one label per image.`);
  }
  return n;
}

/** Stand-in embeddings of `rows` rows and no features: they carry the row counts through runLinearEvaluation's checks. */
const noFeatures = (rows: number) => ({ probe: { data: new Float32Array(0), shape: [rows, 0] as const } });

/**
 * @internal Validates every option before any work (the embedding pass and the first fit take
 * minutes): the images and labels, the FineTuner's options (a FineTuner is constructed and
 * dropped), that the backbone can train on this backend, and the protocol's own options by
 * runLinearEvaluation's checks, so the draws are resolved exactly as there.
 */
export function resolveFinetuneEvaluation<T extends ProbeTask>(options: FinetuneEvaluationOptions<T>): ResolvedFinetuneEvaluation<T> {
  if (typeof options !== 'object' || options === null) {
    throw new InvalidArgumentError(`${OWNER} needs an options object { backbone, task, metric, train, test, sizes, ... }; received ${describe(options)}.`);
  }
  const rest = options as unknown as Record<string, unknown>;
  for (const key of ['sources', 'labels'] as const) {
    if (key in rest) {
      throw new InvalidArgumentError(`${OWNER} takes images, not embeddings: pass train: { images, labels } instead of ${key} (runLinearEvaluation takes embeddings).`);
    }
  }
  const finetune = options.finetune ?? {};
  if (typeof finetune !== 'object' || finetune === null) {
    throw new InvalidArgumentError(`${OWNER}: finetune must be an object of FineTuner options; received ${describe(finetune)}.`);
  }
  for (const key of PROTOCOL_KEYS) {
    if (key in finetune) {
      const fix = key === 'validationSplit' ? 'pass validationFraction (or validation) to runFinetuneEvaluation, which both models share' : `pass ${key} to runFinetuneEvaluation itself`;
      throw new InvalidArgumentError(`${OWNER}: finetune.${key} is set by the protocol; ${fix}.`);
    }
  }
  const probe = options.probe ?? true;
  if (typeof probe !== 'boolean') throw new InvalidArgumentError(`${OWNER}: probe must be true or false; received ${describe(probe)}.`);
  const train = countImages('train', options.train);
  const test = countImages('test', options.test);
  const validation = options.validation === undefined ? undefined : countImages('validation', options.validation);
  const { validation: _v, train: _t, test: _e, ...linear } = options;
  const draws = resolveEvaluation<T>({
    ...linear,
    sources: noFeatures(train),
    labels: options.train.labels,
    test: { sources: noFeatures(test), labels: options.test.labels },
    ...(options.validation ? { validation: { sources: noFeatures(validation as number), labels: options.validation.labels } } : {}),
  });
  const { backbone } = options;
  // Every FineTuner option and the backbone checked now, as each run will construct it.
  const monitor = finetune.monitor ?? (options.metric as FineTunerOptions<T>['monitor']);
  new FineTuner<T>({ ...finetune, monitor, backbone, task: options.task, seed: 0 }).dispose();
  checkTrainingKernels(OWNER, layersModelOf(OWNER, backbone));
  return { draws, counts: { train, test, validation }, probe, finetune: { ...finetune, monitor } };
}

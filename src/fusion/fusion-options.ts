import { InvalidArgumentError } from '../errors/index.js';
import { describe } from '../validation/describe.js';
import { checkClassWeight, type ClassWeight } from '../training/class-weight.js';
import type { FitCallbacks } from '../training/estimator.js';
import type { LabelsFor, ProbeTask } from '../training/labels.js';
import {
  checkClassesOption,
  checkSeed,
  checkTask,
  checkValidationSplit,
  PAPER_OPTION_NAMES,
  resolvePaperHyperparameters,
  type PaperTrainingOptions,
} from '../training/paper-options.js';
import { sourceSpecs, type SourceEmbeddings } from './fusion-data.js';

/**
 * Options every fusion estimator shares ({@link DynamicVisualMetaEmbedding},
 * {@link DynamicMetaEmbedding}, {@link ConcatProbe}): the sources, the task, and the paper's
 * training protocol, with the same names, defaults and rules as the `'paper'` solver of
 * {@link Probe}.
 *
 * @remarks Since 0.1.0.
 * @example
 * ```ts
 * import type { FusionOptions } from 'dvme';
 * const o: FusionOptions<'multiclass'> = {
 *   sources: { swav: 2048, simclr: 2048, dino: 1536 },
 *   task: 'multiclass',
 *   numClasses: 5,
 *   seed: 1,
 * };
 * ```
 */
export interface FusionOptions<T extends ProbeTask = ProbeTask> extends PaperTrainingOptions {
  /** Source name -> embedding width, in the order the model takes them. */
  sources: Readonly<Record<string, number>>;
  /** What is predicted; see {@link ProbeTask}. */
  task: T;
  /**
   * Binary / multiclass: number of classes, with labels `0 .. numClasses - 1` (training data
   * may then lack some); multilabel: number of labels (checked against `y`).
   * @defaultValue the number of `classes`, or of distinct labels in the training `y`
   */
  numClasses?: number;
  /**
   * Binary / multiclass: every label, sorted ascending into the class order.
   * @defaultValue `0 .. numClasses - 1`, or the distinct labels of the training `y`
   */
  classes?: readonly number[];
  /**
   * Seed of the initial weights, dropout masks, batch order and held-out split.
   * @defaultValue `0`
   */
  seed?: number;
  /**
   * Class weights in the training loss, as {@link Probe}'s `classWeight` (each term of the
   * mean cross-entropy multiplied by its weight); see {@link ClassWeight}.
   * @defaultValue none (every row weighs 1)
   */
  classWeight?: ClassWeight;
  /**
   * Multiclass only: the classes are ordered grades. After training, cut points on the
   * expected grade are fitted to maximise quadratic kappa on the validation rows (else the
   * training rows), and `predict` uses them, as {@link Probe}'s `ordinal`.
   * @defaultValue `false`
   */
  ordinal?: boolean;
}

/**
 * The shared hyperparameters with every default filled in.
 *
 * @remarks Since 0.1.0.
 * @example
 * ```ts
 * import { ConcatProbe } from 'dvme';
 * new ConcatProbe({ sources: { a: 4 }, task: 'binary' }).hyperparameters.batchSize; // 64
 * ```
 */
export type FusionHyperparameters<T extends ProbeTask = ProbeTask> = Readonly<
  Required<Omit<FusionOptions<T>, 'numClasses' | 'classes' | 'classWeight'>> & Pick<FusionOptions<T>, 'numClasses' | 'classes' | 'classWeight'>
>;

/**
 * Options of `fit` of the fusion estimators.
 *
 * @remarks Since 0.1.0.
 * @example
 * ```ts
 * import type { FusionFitOptions } from 'dvme';
 * const o: FusionFitOptions<'binary'> = {
 *   validation: { x: { a: [[0.1, 0.2]], b: [[0.3]] }, y: [1] },
 *   onEpoch: (log) => console.log(log.epoch, log.value),
 * };
 * ```
 */
export interface FusionFitOptions<T extends ProbeTask = ProbeTask> extends FitCallbacks {
  /**
   * Validation rows, monitored for the schedule, early stopping and best weights.
   * @defaultValue none: see `validationSplit`
   */
  validation?: { readonly x: SourceEmbeddings; readonly y: LabelsFor<T> };
}

const SHARED = ['sources', 'task', 'numClasses', 'classes', 'seed', 'validationSplit', 'classWeight', 'ordinal', ...PAPER_OPTION_NAMES] as const;

/**
 * @internal Checks the shared options with the Probe's own validator (same rules, same
 * messages) and rejects names that neither they nor `own` (the estimator's architecture
 * options) list.
 */
export function resolveFusionOptions<T extends ProbeTask>(
  className: string,
  options: FusionOptions<T>,
  own: readonly string[],
): FusionHyperparameters<T> {
  if (typeof options !== 'object' || options === null) {
    throw new InvalidArgumentError(`${className} options must be an object like { sources, task }; received ${describe(options)}.`);
  }
  for (const key of Object.keys(options)) {
    if (!(SHARED as readonly string[]).includes(key) && !own.includes(key)) {
      throw new InvalidArgumentError(
        `Unknown ${className} option ${JSON.stringify(key)}. Allowed: ${[...SHARED, ...own].join(', ')}.`,
      );
    }
  }
  const specs = sourceSpecs(options.sources);
  const { numClasses } = options;
  if (numClasses !== undefined && (!Number.isInteger(numClasses) || numClasses < 1)) {
    throw new InvalidArgumentError(`numClasses must be a positive integer; received ${describe(numClasses)}.`);
  }
  if (numClasses !== undefined && options.task === 'binary' && numClasses !== 2) {
    throw new InvalidArgumentError(`numClasses of a binary task must be 2; received ${numClasses}. Use task: 'multiclass'.`);
  }
  // The Probe's checks, in the Probe's order (same rules, same messages).
  const task = checkTask(options.task);
  checkClassesOption(options.classes, task);
  const seed = checkSeed(options.seed);
  const validationSplit = checkValidationSplit(options.validationSplit);
  const paper = resolvePaperHyperparameters(task, false, options);
  const ordinal = options.ordinal ?? false;
  if (typeof ordinal !== 'boolean') throw new InvalidArgumentError(`ordinal must be a boolean; received ${describe(ordinal)}.`);
  if (ordinal && task !== 'multiclass') {
    throw new InvalidArgumentError(`ordinal needs task 'multiclass' (ordered grades); received task '${task}'.`);
  }
  // Labels are checked against the training data in fit; the shape of the option here.
  if (options.classWeight !== undefined) checkClassWeight(options.classWeight, Object.keys(options.classWeight === 'balanced' ? {} : options.classWeight).map(Number));
  return {
    sources: Object.freeze(Object.fromEntries(specs.map((s) => [s.name, s.dim]))),
    task: options.task,
    ...(numClasses !== undefined ? { numClasses } : {}),
    ...(options.classes ? { classes: [...options.classes] } : {}),
    seed,
    validationSplit,
    ...(options.classWeight !== undefined ? { classWeight: options.classWeight } : {}),
    ordinal,
    ...paper,
  };
}

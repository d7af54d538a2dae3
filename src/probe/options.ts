import { InvalidArgumentError } from '../errors/index.js';
import { describe } from '../validation/describe.js';
import type { ClassWeight } from '../training/class-weight.js';
import type { ProbeTask } from '../training/labels.js';
import { checkCount, checkNumber } from '../training/option-checks.js';
import type { ProbeMonitor } from '../training/evaluation.js';

/**
 * How a probe is trained: `'paper'` is the paper's linear-evaluation protocol (one linear
 * layer, Adam, ReduceLROnPlateau, early stopping on the validation score); `'lbfgs'` solves
 * the convex L2-regularised logistic regression exactly (scikit-learn's `LogisticRegression`),
 * with no randomness and no validation data needed.
 *
 * @remarks Since 0.1.0.
 * @example
 * ```ts
 * import type { ProbeSolver } from 'dvme';
 * const solver: ProbeSolver = 'lbfgs';
 * ```
 */
export type ProbeSolver = 'paper' | 'lbfgs';

/**
 * The paper's training protocol (Adam, batch 64, ReduceLROnPlateau, 30-50 epochs, early
 * stopping with the best weights restored), shared by {@link Probe} with `solver: 'paper'`
 * (an `'lbfgs'` probe rejects these options) and by the fusion estimators.
 *
 * @remarks Since 0.1.0.
 * @example
 * ```ts
 * import type { PaperTrainingOptions } from 'dvme';
 * const quick: PaperTrainingOptions = { minEpochs: 10, maxEpochs: 20, earlyStoppingPatience: 5 };
 * ```
 */
export interface PaperTrainingOptions {
  /**
   * When `fit` gets no `validation` data: the fraction of training rows held out (stratified
   * by class, seeded) to serve as validation data. With `0` the `'paper'` solver monitors the
   * training loss instead (and an ordinal probe fits its cut points on the training rows).
   * @defaultValue `0`
   */
  validationSplit?: number;
  /**
   * The validation quantity watched for the schedule, early stopping and the best
   * weights; see {@link ProbeMonitor}.
   * @defaultValue `'auc'` (binary, multilabel); `'kappa'` (multiclass: the paper's APTOS
   * metric); `'quadraticKappa'` (ordinal)
   */
  monitor?: ProbeMonitor;
  /**
   * Adam's initial learning rate.
   * @defaultValue `1e-3`
   */
  learningRate?: number;
  /**
   * Rows per batch.
   * @defaultValue `64`
   */
  batchSize?: number;
  /**
   * Training never stops earlier.
   * @defaultValue `30`
   */
  minEpochs?: number;
  /**
   * Training never runs longer.
   * @defaultValue `50`
   */
  maxEpochs?: number;
  /**
   * Epochs without improvement before stopping (after `minEpochs`).
   * @defaultValue `10`
   */
  earlyStoppingPatience?: number;
  /**
   * ReduceLROnPlateau patience (PyTorch rules: the rate drops on the
   * `patience + 1`-th epoch in a row without improvement).
   * @defaultValue `5`
   */
  plateauPatience?: number;
  /**
   * ReduceLROnPlateau factor.
   * @defaultValue `0.1`
   */
  plateauFactor?: number;
}

/**
 * Hyperparameters of a {@link Probe}. Options of the other solver are rejected (an
 * {@link InvalidArgumentError}) rather than silently ignored, and so are unknown names.
 *
 * @remarks Since 0.1.0.
 * @example
 * ```ts
 * import { Probe } from 'dvme';
 * const paper = new Probe({ task: 'multiclass', ordinal: true, seed: 1 });
 * const exact = new Probe({ task: 'binary', solver: 'lbfgs', C: 0.1, classWeight: 'balanced' });
 * ```
 */
export interface ProbeOptions<T extends ProbeTask = ProbeTask> extends PaperTrainingOptions {
  /** What the probe predicts; see {@link ProbeTask}. */
  task: T;
  /**
   * How it is trained; see {@link ProbeSolver}.
   * @defaultValue `'paper'` (dvme reproduces the paper; use `'lbfgs'` for a fast exact baseline)
   */
  solver?: ProbeSolver;
  /**
   * Binary / multiclass: every label, when training data may lack some (their order is the
   * class order, and the grade order of an ordinal probe). Labels are sorted ascending.
   * @defaultValue the distinct labels of the training `y`
   */
  classes?: readonly number[];
  /**
   * Class weights in the training loss; see {@link ClassWeight}.
   * @defaultValue none (every row weighs 1)
   */
  classWeight?: ClassWeight;
  /**
   * Standardise features with the training rows' mean and standard deviation (validation and
   * test rows use the training statistics).
   * @defaultValue `true` for `'lbfgs'` (makes `C` comparable across backbones and speeds
   * convergence), `false` for `'paper'` (the paper trains on raw features)
   */
  standardize?: boolean;
  /**
   * Seed of everything random (initial weights, batch order, held-out split). The same seed,
   * data and tfjs backend give the same probe.
   * @defaultValue `0`
   */
  seed?: number;
  /**
   * Multiclass only: the classes are ordered grades (e.g. diabetic retinopathy 0-4). After
   * training, cut points on the expected grade are fitted to maximise quadratic kappa on the
   * validation data, and `predict` uses them; see {@link fitOrdinalThresholds}.
   * @defaultValue `false`
   */
  ordinal?: boolean;
  /**
   * `'lbfgs'`: inverse L2 strength (scikit-learn's convention: the objective is
   * `C * sum_i w_i * loss_i + ||coef||^2 / 2`, intercept not penalised).
   * @defaultValue `1`
   */
  C?: number;
  /**
   * `'lbfgs'`: gradient tolerance of convergence.
   * @defaultValue `1e-4`
   */
  tol?: number;
  /**
   * `'lbfgs'`: most iterations (scikit-learn's default of 100 is often too few for 2048-d
   * embeddings).
   * @defaultValue `1000`
   */
  maxIter?: number;
}

/**
 * The hyperparameters a probe was built with, every default filled in: what `toJSON` stores
 * and `new Probe(h)` accepts back. Options of the other solver are absent.
 *
 * @remarks Since 0.1.0.
 * @example
 * ```ts
 * import { Probe } from 'dvme';
 * new Probe({ task: 'binary' }).hyperparameters.minEpochs; // 30
 * ```
 */
export type ProbeHyperparameters = Readonly<ProbeOptions> & {
  readonly solver: ProbeSolver;
  readonly standardize: boolean;
  readonly seed: number;
  readonly ordinal: boolean;
  readonly validationSplit: number;
};

const COMMON = ['task', 'solver', 'classes', 'classWeight', 'standardize', 'seed', 'ordinal', 'validationSplit'] as const;
/** @internal The option names of {@link PaperTrainingOptions} that only the `'paper'` solver takes. */
export const PAPER_OPTION_NAMES = [
  'monitor',
  'learningRate',
  'batchSize',
  'minEpochs',
  'maxEpochs',
  'earlyStoppingPatience',
  'plateauPatience',
  'plateauFactor',
] as const;
const LBFGS = ['C', 'tol', 'maxIter'] as const;

function positiveInt(name: string, v: unknown): number {
  const n = checkCount(name, v);
  if (n < 1) throw new InvalidArgumentError(`${name} must be a positive integer; received ${describe(v)}.`);
  return n;
}

/** @internal Validates options and fills in the defaults. */
export function resolveOptions(options: ProbeOptions): ProbeHyperparameters {
  if (typeof options !== 'object' || options === null) {
    throw new InvalidArgumentError(`Probe options must be an object like { task: 'binary' }; received ${describe(options)}.`);
  }
  const { task } = options;
  if (task !== 'binary' && task !== 'multiclass' && task !== 'multilabel') {
    throw new InvalidArgumentError(
      `task must be 'binary', 'multiclass' or 'multilabel'; received ${describe(task)}.`,
    );
  }
  const solver = options.solver ?? 'paper';
  if (solver !== 'paper' && solver !== 'lbfgs') {
    throw new InvalidArgumentError(`solver must be 'paper' or 'lbfgs'; received ${describe(solver)}.`);
  }
  const own: readonly string[] = solver === 'paper' ? PAPER_OPTION_NAMES : LBFGS;
  const other: readonly string[] = solver === 'paper' ? LBFGS : PAPER_OPTION_NAMES;
  for (const [key, value] of Object.entries(options)) {
    if (value === undefined || (COMMON as readonly string[]).includes(key) || own.includes(key)) continue;
    if (other.includes(key)) {
      throw new InvalidArgumentError(
        `${key} is an option of solver '${solver === 'paper' ? 'lbfgs' : 'paper'}', but solver is '${solver}'. ` +
          `Remove ${key} or set solver: '${solver === 'paper' ? 'lbfgs' : 'paper'}'.`,
      );
    }
    throw new InvalidArgumentError(
      `Unknown Probe option ${JSON.stringify(key)}. Allowed: ${[...COMMON, ...own].join(', ')}.`,
    );
  }
  const ordinal = options.ordinal ?? false;
  if (typeof ordinal !== 'boolean' || (ordinal && task !== 'multiclass')) {
    throw new InvalidArgumentError(`ordinal must be a boolean, and true only with task 'multiclass'; received ${describe(ordinal)} with task '${task}'.`);
  }
  if (options.classes !== undefined && (task === 'multilabel' || !Array.isArray(options.classes))) {
    throw new InvalidArgumentError(
      `classes must be an array of labels, for task 'binary' or 'multiclass'; received ${describe(options.classes)} with task '${task}'.`,
    );
  }
  const standardize = options.standardize ?? solver === 'lbfgs';
  if (typeof standardize !== 'boolean') {
    throw new InvalidArgumentError(`standardize must be a boolean; received ${describe(standardize)}.`);
  }
  const seed = options.seed ?? 0;
  if (!Number.isSafeInteger(seed)) throw new InvalidArgumentError(`seed must be a safe integer; received ${describe(seed)}.`);
  const validationSplit = checkNumber('validationSplit', options.validationSplit ?? 0, (v) => v >= 0 && v < 1, 'in [0, 1)');
  const common = {
    task,
    solver,
    ...(options.classes ? { classes: [...options.classes] } : {}),
    ...(options.classWeight !== undefined ? { classWeight: options.classWeight } : {}),
    standardize,
    seed,
    ordinal,
    validationSplit,
  };
  if (solver === 'lbfgs') {
    return {
      ...common,
      C: checkNumber('C', options.C ?? 1, (v) => v > 0, '> 0'),
      tol: checkNumber('tol', options.tol ?? 1e-4, (v) => v > 0, '> 0'),
      maxIter: positiveInt('maxIter', options.maxIter ?? 1000),
    };
  }
  const monitor = options.monitor ?? (task === 'multiclass' ? (ordinal ? 'quadraticKappa' : 'kappa') : 'auc');
  const monitors: readonly ProbeMonitor[] =
    task === 'multilabel' ? ['auc', 'accuracy', 'loss'] : ['auc', 'accuracy', 'kappa', 'quadraticKappa', 'loss'];
  if (!monitors.includes(monitor)) {
    throw new InvalidArgumentError(
      `monitor for task '${task}' must be one of ${monitors.join(', ')}; received ${describe(monitor)}.`,
    );
  }
  const minEpochs = positiveInt('minEpochs', options.minEpochs ?? 30);
  const maxEpochs = positiveInt('maxEpochs', options.maxEpochs ?? 50);
  if (minEpochs > maxEpochs) {
    throw new InvalidArgumentError(`minEpochs (${minEpochs}) must not exceed maxEpochs (${maxEpochs}).`);
  }
  return {
    ...common,
    monitor,
    learningRate: checkNumber('learningRate', options.learningRate ?? 1e-3, (v) => v > 0, '> 0'),
    batchSize: positiveInt('batchSize', options.batchSize ?? 64),
    minEpochs,
    maxEpochs,
    earlyStoppingPatience: checkCount('earlyStoppingPatience', options.earlyStoppingPatience ?? 10),
    plateauPatience: checkCount('plateauPatience', options.plateauPatience ?? 5),
    plateauFactor: checkNumber('plateauFactor', options.plateauFactor ?? 0.1, (v) => v > 0 && v < 1, 'in (0, 1)'),
  };
}

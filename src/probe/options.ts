import { InvalidArgumentError } from '../errors/index.js';
import { describe } from '../validation/describe.js';
import type { ClassWeight } from '../training/class-weight.js';
import type { ProbeTask } from '../training/labels.js';
import { checkNumber } from '../training/option-checks.js';
import {
  checkClassesOption,
  checkSeed,
  checkTask,
  checkValidationSplit,
  PAPER_OPTION_NAMES,
  positiveInt,
  resolvePaperHyperparameters,
  type PaperTrainingOptions,
} from '../training/paper-options.js';

export type { PaperTrainingOptions } from '../training/paper-options.js';

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
   * test rows use the training statistics). `'lbfgs'`: makes `C` comparable across backbones
   * and speeds convergence. `'paper'`: its learning rate of 1e-3 assumes features of unit
   * scale; on raw pooled CNN embeddings (small values far from zero) it can collapse to one
   * predicted class, which `fit` then reports as a {@link TrainingWarning}. The paper's exact
   * setting, raw features, is `standardize: false`.
   * @defaultValue `true`
   */
  standardize?: boolean;
  /**
   * Seed of everything random (initial weights, batch order, held-out split). The same seed
   * and data give the same probe (the `'paper'` solver trains on typed arrays and WebAssembly,
   * whatever the tfjs backend).
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
const LBFGS = ['C', 'tol', 'maxIter'] as const;

/** @internal Validates options and fills in the defaults. */
export function resolveOptions(options: ProbeOptions): ProbeHyperparameters {
  if (typeof options !== 'object' || options === null) {
    throw new InvalidArgumentError(`Probe options must be an object like { task: 'binary' }; received ${describe(options)}.`);
  }
  const task = checkTask(options.task);
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
  checkClassesOption(options.classes, task);
  const standardize = options.standardize ?? true;
  if (typeof standardize !== 'boolean') {
    throw new InvalidArgumentError(`standardize must be a boolean; received ${describe(standardize)}.`);
  }
  const seed = checkSeed(options.seed);
  const validationSplit = checkValidationSplit(options.validationSplit);
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
  return { ...common, ...resolvePaperHyperparameters(task, ordinal, options) };
}

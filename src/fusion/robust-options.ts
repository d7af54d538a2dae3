import { InvalidArgumentError } from '../errors/index.js';
import type { ProbeSolver } from '../probe/options.js';
import type { ClassWeight } from '../training/class-weight.js';
import type { ProbeMonitor } from '../training/evaluation.js';
import type { ProbeTask } from '../training/labels.js';
import { checkClassesOption, checkSeed, checkTask } from '../training/paper-options.js';
import { describe } from '../validation/describe.js';
import { sourceSpecs } from './fusion-data.js';
import type { RobustCandidate } from './robust-selection.js';

/**
 * Options of {@link RobustFusion}.
 *
 * @remarks Since 0.1.0.
 * @example
 * ```ts
 * import type { RobustFusionOptions } from 'dvme';
 * const o: RobustFusionOptions<'multiclass'> = {
 *   sources: { MobileNetV2: 1280, InceptionV3: 2048 },
 *   task: 'multiclass',
 *   criterion: 'quadraticKappa',
 *   ordinal: true,
 * };
 * ```
 */
export interface RobustFusionOptions<T extends ProbeTask = ProbeTask> {
  /** Source name -> embedding width, in input order. */
  sources: Readonly<Record<string, number>>;
  /** What is predicted; see {@link ProbeTask}. */
  task: T;
  /**
   * Binary / multiclass: every label, sorted ascending into the class order.
   * @defaultValue the distinct labels of the training `y`
   */
  classes?: readonly number[];
  /**
   * Candidate kinds; see {@link RobustCandidate}.
   * @defaultValue `['sources', 'concat', 'average']`
   */
  candidates?: readonly RobustCandidate[];
  /**
   * What cross-validation compares, on the out-of-fold predictions of all pooled rows
   * (`'loss'`: log-loss, lower is better).
   * @defaultValue `'auc'`
   */
  criterion?: ProbeMonitor;
  /**
   * Folds of the cross-validation (fewer when the rarest class has fewer rows).
   * @defaultValue `5`
   */
  folds?: number;
  /**
   * How much a fused candidate's score must exceed the best single source's before it is
   * chosen (in units of the criterion). Larger values trade fusion gains for safety.
   * @defaultValue `0`
   */
  margin?: number;
  /**
   * Solver of every candidate probe; see {@link ProbeSolver}.
   * @defaultValue `'lbfgs'` (fast, deterministic: the cross-validation fits many probes)
   */
  solver?: ProbeSolver;
  /**
   * `'lbfgs'`: inverse L2 strength of every candidate probe (unused with `'paper'`).
   * @defaultValue `1`
   */
  C?: number;
  /**
   * `'lbfgs'`: most iterations of every candidate probe (see {@link ProbeOptions}).
   * @defaultValue `1000`
   */
  maxIter?: number;
  /**
   * `'lbfgs'`: gradient tolerance of every candidate probe.
   * @defaultValue `1e-4`
   */
  tol?: number;
  /**
   * Standardise each probe's inputs with its training rows' statistics.
   * @defaultValue `true`
   */
  standardize?: boolean;
  /**
   * Class weights in every candidate probe's loss; see {@link ClassWeight}.
   * @defaultValue none
   */
  classWeight?: ClassWeight;
  /**
   * Multiclass only: ordered grades. Cut points on the expected grade are fitted to maximise
   * quadratic kappa on the chosen candidate's out-of-fold predictions, and `predict` uses them.
   * @defaultValue `false`
   */
  ordinal?: boolean;
  /**
   * Seed of the folds and of every probe.
   * @defaultValue `0`
   */
  seed?: number;
}

/**
 * The hyperparameters of a {@link RobustFusion}, every default filled in.
 *
 * @remarks Since 0.1.0.
 * @example
 * ```ts
 * import { RobustFusion } from 'dvme';
 * new RobustFusion({ sources: { a: 4 }, task: 'binary' }).hyperparameters.folds; // 5
 * ```
 */
export type RobustFusionHyperparameters<T extends ProbeTask = ProbeTask> = Readonly<
  Required<Omit<RobustFusionOptions<T>, 'classes' | 'classWeight'>> & Pick<RobustFusionOptions<T>, 'classes' | 'classWeight'>
>;

const NAMES = ['sources', 'task', 'classes', 'candidates', 'criterion', 'folds', 'margin', 'solver', 'C', 'maxIter', 'tol', 'standardize', 'classWeight', 'ordinal', 'seed'];
const KINDS: readonly RobustCandidate[] = ['sources', 'concat', 'average'];
const CRITERIA: readonly ProbeMonitor[] = ['auc', 'accuracy', 'kappa', 'quadraticKappa', 'loss'];

/** @internal Checks the options and fills in the defaults (the probes check C and classWeight). */
export function resolveRobustOptions<T extends ProbeTask>(options: RobustFusionOptions<T>): RobustFusionHyperparameters<T> {
  if (typeof options !== 'object' || options === null) {
    throw new InvalidArgumentError(`RobustFusion options must be an object like { sources, task }; received ${describe(options)}.`);
  }
  for (const key of Object.keys(options)) {
    if (!NAMES.includes(key)) throw new InvalidArgumentError(`Unknown RobustFusion option ${JSON.stringify(key)}. Allowed: ${NAMES.join(', ')}.`);
  }
  const specs = sourceSpecs(options.sources);
  const task = checkTask(options.task);
  checkClassesOption(options.classes, task);
  const candidates = options.candidates ?? KINDS;
  if (!Array.isArray(candidates) || candidates.length === 0 || candidates.some((c) => !KINDS.includes(c))) {
    throw new InvalidArgumentError(`candidates must list some of ${KINDS.join(', ')}; received ${describe(candidates)}.`);
  }
  const criterion = options.criterion ?? 'auc';
  if (!CRITERIA.includes(criterion)) throw new InvalidArgumentError(`criterion must be one of ${CRITERIA.join(', ')}; received ${describe(criterion)}.`);
  if (task === 'multilabel' && (criterion === 'kappa' || criterion === 'quadraticKappa')) {
    throw new InvalidArgumentError(`criterion '${criterion}' needs one label per row; for task 'multilabel' use 'auc', 'accuracy' or 'loss'.`);
  }
  const folds = options.folds ?? 5;
  if (!Number.isInteger(folds) || folds < 2) throw new InvalidArgumentError(`folds must be an integer >= 2; received ${describe(folds)}.`);
  const margin = options.margin ?? 0;
  if (typeof margin !== 'number' || !Number.isFinite(margin) || margin < 0) {
    throw new InvalidArgumentError(`margin must be a finite number >= 0; received ${describe(margin)}.`);
  }
  const solver = options.solver ?? 'lbfgs';
  if (solver !== 'lbfgs' && solver !== 'paper') throw new InvalidArgumentError(`solver must be 'lbfgs' or 'paper'; received ${describe(solver)}.`);
  const C = options.C ?? 1;
  const ordinal = options.ordinal ?? false;
  if (typeof ordinal !== 'boolean') throw new InvalidArgumentError(`ordinal must be a boolean; received ${describe(ordinal)}.`);
  if (ordinal && task !== 'multiclass') throw new InvalidArgumentError(`ordinal needs task 'multiclass' (ordered grades); received task '${task}'.`);
  const standardize = options.standardize ?? true;
  if (typeof standardize !== 'boolean') throw new InvalidArgumentError(`standardize must be a boolean; received ${describe(standardize)}.`);
  return {
    sources: Object.freeze(Object.fromEntries(specs.map((s) => [s.name, s.dim]))),
    task: options.task,
    ...(options.classes ? { classes: [...options.classes] } : {}),
    candidates: [...candidates],
    criterion,
    folds,
    margin,
    solver,
    C,
    maxIter: options.maxIter ?? 1000,
    tol: options.tol ?? 1e-4,
    standardize,
    ...(options.classWeight !== undefined ? { classWeight: options.classWeight } : {}),
    ordinal,
    seed: checkSeed(options.seed),
  };
}

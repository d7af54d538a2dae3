import type { EmbeddingMatrix } from '../data/embedding-matrix.js';
import { InvalidArgumentError, ShapeError } from '../errors/index.js';
import { describe } from '../validation/describe.js';
import type { LabelsFor, ProbeTask } from '../training/labels.js';
import type { ProbeOptions, ProbeSolver } from '../probe/options.js';
import type { SubsetSize } from './subsets.js';

/**
 * The test-set score a linear evaluation reports: `'quadraticKappa'` (APTOS's and RetinaMNIST's
 * metric), `'kappa'` (Cohen's, unweighted: the paper's "kappa"), `'auc'` (ROC AUC; one-vs-rest
 * macro for multiclass, macro over labels for multilabel) or `'accuracy'`.
 *
 * @remarks Since 0.1.0. Kappas need single-label tasks.
 * @example
 * ```ts
 * import type { EvaluationMetric } from 'dvme';
 * const metric: EvaluationMetric = 'quadraticKappa';
 * ```
 */
export type EvaluationMetric = 'quadraticKappa' | 'kappa' | 'auc' | 'accuracy';

/**
 * Embeddings of the same images from several sources (backbones, raw pixels), by source name.
 * Row `i` of every source is image `i`.
 *
 * @remarks Since 0.1.0.
 * @example
 * ```ts
 * import type { EmbeddingSources } from 'dvme';
 * const sources: EmbeddingSources = {
 *   a: { data: new Float32Array([0, 1, 1, 0]), shape: [2, 2] },
 *   b: { data: new Float32Array([5, 6]), shape: [2, 1] },
 * };
 * ```
 */
export type EmbeddingSources = Readonly<Record<string, EmbeddingMatrix<ArrayLike<number>>>>;

/**
 * Embeddings by source plus the labels of their rows: a test or validation set.
 *
 * @remarks Since 0.1.0.
 * @example
 * ```ts
 * import type { LabelledEmbeddings } from 'dvme';
 * const test: LabelledEmbeddings<'binary'> = {
 *   sources: { pixels: { data: new Float32Array([0, 1]), shape: [2, 1] } },
 *   labels: [0, 1],
 * };
 * ```
 */
export interface LabelledEmbeddings<T extends ProbeTask = ProbeTask> {
  /** The same source names as the training sources. */
  readonly sources: EmbeddingSources;
  /** One label (row of labels for multilabel) per embedding row. */
  readonly labels: LabelsFor<T>;
}

/**
 * Options of {@link runLinearEvaluation}.
 *
 * @remarks Since 0.1.0.
 * @example
 * ```ts
 * import type { LinearEvaluationOptions } from 'dvme';
 * declare const train: LinearEvaluationOptions<'multiclass'>['sources'];
 * declare const test: LinearEvaluationOptions<'multiclass'>['test'];
 * declare const labels: number[];
 * const options: LinearEvaluationOptions<'multiclass'> = {
 *   task: 'multiclass', sources: train, labels, test,
 *   sizes: { S: 50, M: 500, F: 'all' }, repeats: 5, metric: 'quadraticKappa', solver: 'lbfgs',
 * };
 * ```
 */
export interface LinearEvaluationOptions<T extends ProbeTask = ProbeTask> {
  /** What the probes predict. */
  readonly task: T;
  /** Training-pool embeddings by source; every source has one row per label. */
  readonly sources: EmbeddingSources;
  /** Labels of the training pool. */
  readonly labels: LabelsFor<T>;
  /** Test embeddings (same source names) and labels: every run is scored on all of them. */
  readonly test: LabelledEmbeddings<T>;
  /**
   * A fixed validation set (such as MedMNIST's `val` split) given to every probe: the
   * `'paper'` solver stops early on it, ordinal probes fit their cut points on it.
   * @defaultValue none; see `validationFraction`
   */
  readonly validation?: LabelledEmbeddings<T>;
  /**
   * The data regimes: a name (a table row) and how many labelled rows it draws from the pool,
   * e.g. `{ S: 50, M: 500, F: 'all' }`. Rows follow the object's key order (JavaScript lists
   * integer-like keys such as `'50'` first, ascending).
   */
  readonly sizes: Readonly<Record<string, SubsetSize>>;
  /**
   * Runs per source and size, each with its own draw and probe seed.
   * @defaultValue `5` (the paper's)
   */
  readonly repeats?: number;
  /** The test-set score reported. */
  readonly metric: EvaluationMetric;
  /**
   * How the probes are trained.
   * @defaultValue `'paper'`
   */
  readonly solver?: ProbeSolver;
  /**
   * Further {@link ProbeOptions} of every probe (not `task`, `solver` or `seed`, which the
   * protocol sets). With solver `'paper'`, `monitor` defaults to the reported metric, and
   * `standardize` to `false`: the protocol keeps the paper's raw features (a `Probe` on its
   * own standardises by default). Embeddings with small values (such as nsfwjs' InceptionV3
   * features, mean 0.025) need `standardize: true` for its learning rate to get anywhere.
   * @defaultValue none (`standardize: false` with `'paper'`, `true` with `'lbfgs'`)
   */
  readonly probeOptions?: Omit<ProbeOptions<T>, 'task' | 'solver' | 'seed'>;
  /**
   * Base seed: run seeds derive from it, the size and the repeat number.
   * @defaultValue `0`
   */
  readonly seed?: number;
  /**
   * Class-balanced draws; see {@link SampleSubsetOptions}.
   * @defaultValue `true`
   */
  readonly balanced?: boolean;
  /**
   * With `validation`: instead of the whole fixed set, every run gets its own draw from it,
   * as a user with that labelling budget would have: class-balanced (as `balanced` says),
   * seeded like the training draw (same seed, so paired across sources and models), of
   * `max(min, round(fraction * n))` rows where n is the run's training rows, capped at the
   * validation set's size. `true` means `{ fraction: 0.2, min: 10 }`.
   * @defaultValue `false` (every run sees the whole `validation` set)
   */
  readonly validationDraw?: boolean | { readonly fraction?: number; readonly min?: number };
  /**
   * Hold this fraction of every drawn subset out as its validation set (counted in the
   * size); not together with `validation`.
   * @defaultValue `0`
   */
  readonly validationFraction?: number;
  /**
   * Patient ids of the training pool, so a held-out validation split never shares a patient
   * with training.
   * @defaultValue none
   */
  readonly groups?: ArrayLike<number | string>;
  /** Called after every run with runs done, runs in all, and which run finished. */
  readonly onProgress?: (done: number, total: number, label: string) => void;
  /** Stops between runs (and inside a `'paper'` fit) with an AbortError. */
  readonly signal?: AbortSignal;
  /**
   * Keep every run's test predictions and training history (and DVME's attention map) in its
   * `details`, for ROC curves, confusion matrices and learning curves (`dvme report`). Costs
   * one more prediction pass per run and memory of the size of the test set per run.
   * @defaultValue `false`
   */
  readonly details?: boolean;
}

/** @internal The options, checked, with every default filled in. */
export interface ResolvedEvaluation<T extends ProbeTask> {
  readonly options: LinearEvaluationOptions<T>;
  readonly sourceNames: string[];
  readonly sizes: { readonly name: string; readonly size: SubsetSize }[];
  readonly repeats: number;
  readonly solver: ProbeSolver;
  readonly seed: number;
  readonly balanced: boolean;
  readonly validationFraction: number;
  /** Per-run validation draws: fraction and minimum rows; `undefined` for the whole set. */
  readonly validationDraw: { readonly fraction: number; readonly min: number } | undefined;
  readonly probeOptions: Omit<ProbeOptions<T>, 'task' | 'solver' | 'seed'>;
}

const METRICS: readonly EvaluationMetric[] = ['quadraticKappa', 'kappa', 'auc', 'accuracy'];

function labelCount(name: string, y: unknown): number {
  if (typeof y !== 'object' || y === null || typeof (y as ArrayLike<unknown>).length !== 'number') {
    throw new InvalidArgumentError(`${name} must be an array of labels; received ${describe(y)}.`);
  }
  return (y as ArrayLike<unknown>).length;
}

/** Checks a set of sources: the expected names, one row per label, one width per source. */
function checkSources(where: string, sources: unknown, rows: number, names?: string[], widths?: Map<string, number>): string[] {
  if (typeof sources !== 'object' || sources === null || Object.keys(sources).length === 0) {
    throw new InvalidArgumentError(`${where} must map source names to embeddings { data, shape }; received ${describe(sources)}.`);
  }
  const own = Object.keys(sources);
  if (names && (own.length !== names.length || own.some((n) => !names.includes(n)))) {
    throw new InvalidArgumentError(
      `${where} must hold the training sources [${names.join(', ')}]; received [${own.join(', ')}].`,
    );
  }
  for (const name of own) {
    const m = (sources as Record<string, EmbeddingMatrix<ArrayLike<number>>>)[name];
    const [r, c] = m?.shape ?? [];
    if (typeof m !== 'object' || m === null || !Number.isInteger(r) || !Number.isInteger(c) || m.data?.length !== r * c) {
      throw new ShapeError(`${where}.${name} must be an EmbeddingMatrix { data, shape: [rows, cols] } with rows * cols values.`);
    }
    if (r !== rows) {
      throw new ShapeError(`${where}.${name} has ${r} rows but there are ${rows} labels; row i must embed image i.`);
    }
    const want = widths?.get(name);
    if (want !== undefined && c !== want) {
      throw new ShapeError(`${where}.${name} has ${c} features per row, the training embeddings ${want}; use the same backbone.`);
    }
  }
  return own;
}

/** @internal Validates every option before any work starts: a typo must not surface after an hour of runs. */
export function resolveEvaluation<T extends ProbeTask>(options: LinearEvaluationOptions<T>): ResolvedEvaluation<T> {
  if (typeof options !== 'object' || options === null) {
    throw new InvalidArgumentError(`runLinearEvaluation needs an options object; received ${describe(options)}.`);
  }
  const { task, metric } = options;
  if (task !== 'binary' && task !== 'multiclass' && task !== 'multilabel') {
    throw new InvalidArgumentError(`task must be 'binary', 'multiclass' or 'multilabel'; received ${describe(task)}.`);
  }
  if (!METRICS.includes(metric)) {
    throw new InvalidArgumentError(`metric must be one of ${METRICS.join(', ')}; received ${describe(metric)}.`);
  }
  if (task === 'multilabel' && (metric === 'kappa' || metric === 'quadraticKappa')) {
    throw new InvalidArgumentError(`metric '${metric}' needs one label per row; for task 'multilabel' use 'auc' or 'accuracy'.`);
  }
  const n = labelCount('labels', options.labels);
  const sourceNames = checkSources('sources', options.sources, n);
  const widths = new Map(sourceNames.map((s) => [s, options.sources[s].shape[1]]));
  if (typeof options.test !== 'object' || options.test === null) {
    throw new InvalidArgumentError(`test must be { sources, labels }; received ${describe(options.test)}.`);
  }
  checkSources('test.sources', options.test.sources, labelCount('test.labels', options.test.labels), sourceNames, widths);
  if (options.validation !== undefined) {
    const v = options.validation;
    checkSources('validation.sources', v?.sources, labelCount('validation.labels', v?.labels), sourceNames, widths);
  }
  if (typeof options.sizes !== 'object' || options.sizes === null || Object.keys(options.sizes).length === 0) {
    throw new InvalidArgumentError(`sizes must name at least one size, like { S: 50, M: 500, F: 'all' }; received ${describe(options.sizes)}.`);
  }
  const sizes = Object.entries(options.sizes).map(([name, size]) => {
    if (size !== 'all' && (typeof size !== 'number' || !Number.isInteger(size) || size < 1)) {
      throw new InvalidArgumentError(`sizes.${name} must be a positive integer or 'all'; received ${describe(size)}.`);
    }
    if (size !== 'all' && size > n) {
      throw new InvalidArgumentError(`sizes.${name} is ${size}, but the training pool has ${n} rows. Use 'all' for every row.`);
    }
    return { name, size };
  });
  const repeats = options.repeats ?? 5;
  if (!Number.isInteger(repeats) || repeats < 1) {
    throw new InvalidArgumentError(`repeats must be a positive integer; received ${describe(repeats)}.`);
  }
  const solver = options.solver ?? 'paper';
  if (solver !== 'paper' && solver !== 'lbfgs') {
    throw new InvalidArgumentError(`solver must be 'paper' or 'lbfgs'; received ${describe(solver)}.`);
  }
  const seed = options.seed ?? 0;
  if (!Number.isSafeInteger(seed)) throw new InvalidArgumentError(`seed must be a safe integer; received ${describe(seed)}.`);
  const validationFraction = options.validationFraction ?? 0;
  if (validationFraction > 0 && options.validation !== undefined) {
    throw new InvalidArgumentError('Pass either validation (a fixed set) or validationFraction (held out of each subset), not both.');
  }
  const validationDraw = resolveValidationDraw(options.validationDraw, options.validation !== undefined);
  const probeOptions = options.probeOptions ?? {};
  for (const key of ['task', 'solver', 'seed'] as const) {
    if (key in probeOptions) {
      throw new InvalidArgumentError(`probeOptions.${key} is set by the protocol; pass ${key} to runLinearEvaluation itself${key === 'seed' ? ' (run seeds derive from it)' : ''}.`);
    }
  }
  if (options.groups !== undefined && labelCount('groups', options.groups) !== n) {
    throw new ShapeError(`groups must hold one id per training label: ${n}; received ${options.groups.length}.`);
  }
  return {
    options,
    sourceNames,
    sizes,
    repeats,
    solver,
    seed,
    balanced: options.balanced ?? true,
    validationFraction,
    validationDraw,
    probeOptions,
  };
}

function resolveValidationDraw(v: unknown, hasValidation: boolean): ResolvedEvaluation<ProbeTask>['validationDraw'] {
  if (v === undefined || v === false) return undefined;
  if (!hasValidation) {
    throw new InvalidArgumentError('validationDraw draws from the validation set: pass validation { sources, labels } too, or leave validationDraw out.');
  }
  const o = (v === true ? {} : v) as { fraction?: unknown; min?: unknown };
  if (typeof o !== 'object' || o === null) {
    throw new InvalidArgumentError(`validationDraw must be true, false or { fraction, min }; received ${describe(v)}.`);
  }
  const fraction = o.fraction ?? 0.2;
  const min = o.min ?? 10;
  if (typeof fraction !== 'number' || !(fraction > 0) || fraction > 10) {
    throw new InvalidArgumentError(`validationDraw.fraction must be a number in (0, 10]; received ${describe(fraction)}.`);
  }
  if (!Number.isInteger(min) || (min as number) < 1) {
    throw new InvalidArgumentError(`validationDraw.min must be a positive integer; received ${describe(min)}.`);
  }
  return { fraction, min: min as number };
}

import type { EmbeddingMatrix } from '../data/embedding-matrix.js';
import { throwIfAborted } from '../errors/throw-if-aborted.js';
// Named in TSDoc links only.
import type { AbortError, InvalidArgumentError, ShapeError } from '../errors/index.js';
import { cohenKappaScore } from '../metrics/index.js';
import type { LabelsFor, ProbeTask } from '../training/labels.js';
import type { ProbeOptions, ProbeSolver } from '../probe/options.js';
import { Probe } from '../probe/probe.js';
import type { EvaluationFor, PredictionFor } from '../training/estimator.js';
import { takeLabels, takeMatrixRows } from '../training/rows.js';
import {
  resolveEvaluation,
  type EvaluationMetric,
  type LinearEvaluationOptions,
  type ResolvedEvaluation,
} from './evaluation-options.js';
import { evaluationDraws, summariseRuns } from './draws.js';
import { runDetails, type RunDetails } from './run-details.js';
import type { SubsetSize } from './subsets.js';

/**
 * One run of a linear evaluation: one drawn subset, one fitted probe, one test score.
 *
 * @remarks Since 0.1.0.
 * @example
 * ```ts
 * import type { LinearEvaluationRun } from 'dvme';
 * const run: LinearEvaluationRun = { seed: 1234, value: 0.71, trainSize: 50, validationSize: 0, wallMs: 840 };
 * ```
 */
export interface LinearEvaluationRun {
  /** Seed of the draw and of the probe. */
  readonly seed: number;
  /** The metric on the test set (`NaN` where it is undefined, such as AUC with one class). */
  readonly value: number;
  /** Rows the probe trained on. */
  readonly trainSize: number;
  /** Validation rows: held out of the subset, or the fixed validation set; 0 without. */
  readonly validationSize: number;
  /** Wall-clock time of fit plus test scoring, in milliseconds. */
  readonly wallMs: number;
  /**
   * The metric on the run's validation rows, when it had some: what a user picks a source or
   * model by without looking at the test set.
   */
  readonly validationValue?: number;
  /** Multilabel runs: the test AUC of every label (`NaN` where a label has one class), whose mean `value` is with `metric: 'auc'`. */
  readonly aucPerLabel?: readonly number[];
  /** Test predictions, training history and attention map; only with `details: true`. */
  readonly details?: RunDetails;
}

/**
 * The runs of one source at one size, summarised.
 *
 * @remarks Since 0.1.0.
 * @example
 * ```ts
 * import type { LinearEvaluationCell } from 'dvme';
 * const show = (c: LinearEvaluationCell) => `${c.mean.toFixed(4)} ± ${c.std.toFixed(4)}`;
 * ```
 */
export interface LinearEvaluationCell {
  /** Mean of the runs' values (`NaN` if any run is `NaN`: nothing is silently dropped). */
  readonly mean: number;
  /** Sample standard deviation (n - 1 denominator, as pandas' `std()`); `NaN` for one run. */
  readonly std: number;
  /** Every run, in repeat order. */
  readonly runs: readonly LinearEvaluationRun[];
}

/**
 * What {@link runLinearEvaluation} returns: plain data (`JSON.stringify` writes it; NaN
 * becomes `null`), tagged with a kind and version. {@link formatMarkdown} and {@link toCsv}
 * print it.
 *
 * @remarks Since 0.1.0.
 * @example
 * ```ts
 * import type { LinearEvaluationResult } from 'dvme';
 * declare const result: LinearEvaluationResult;
 * result.results['dino']['S'].mean; // e.g. 0.6003
 * ```
 */
export interface LinearEvaluationResult {
  readonly kind: 'dvme.linear-evaluation';
  readonly version: 1;
  readonly task: ProbeTask;
  readonly metric: EvaluationMetric;
  readonly solver: ProbeSolver;
  readonly repeats: number;
  readonly seed: number;
  readonly balanced: boolean;
  /** Where validation rows came from. */
  readonly validation: 'given' | 'drawn' | 'split' | 'none';
  /** The extra probe options. */
  readonly probeOptions: Readonly<Record<string, unknown>>;
  /** Source names, in the order given (table columns). */
  readonly sources: readonly string[];
  /** Sizes in the order given (table rows). */
  readonly sizes: readonly { readonly name: string; readonly size: SubsetSize }[];
  /** `results[source][sizeName]`. */
  readonly results: Readonly<Record<string, Readonly<Record<string, LinearEvaluationCell>>>>;
  /** Wall-clock time of the whole evaluation, in milliseconds. */
  readonly wallMs: number;
}

/**
 * Runs the paper's linear-evaluation protocol: for every size, `repeats` class-balanced draws
 * from the training pool; on each draw, one probe per source is fitted and scored on the whole
 * test set. Every source of one size and repeat trains on the same rows, so sources are
 * compared on paired runs.
 *
 * @remarks
 * Since 0.1.0. The seed of a run derives from `seed`, the size and the repeat number only, so
 * adding a source or a size leaves the other runs unchanged. Probes run one at a time and each
 * is disposed after scoring, even when a run throws: no tensors are left behind. With size
 * `'all'` and the deterministic `'lbfgs'` solver, all repeats agree (std 0) unless
 * `validationFraction` varies the split.
 *
 * @returns every run and the mean ± sample std of each source and size.
 * @throws {@link InvalidArgumentError} / {@link ShapeError} for options that do not fit
 *   together (checked before the first run); {@link AbortError} when `signal` fires; and what
 *   {@link Probe.fit} throws, such as a draw too small to hold every class.
 * @example
 * ```ts
 * import { formatMarkdown, runLinearEvaluation } from 'dvme';
 * const rows = (n: number, shift: number) => ({
 *   data: Float32Array.from({ length: n * 2 }, (_, i) => ((i >> 1) % 2) * shift + (i % 3) * 0.1),
 *   shape: [n, 2] as const,
 * });
 * const labels = Array.from({ length: 40 }, (_, i) => i % 2);
 * const result = await runLinearEvaluation({
 *   task: 'binary', metric: 'auc', solver: 'lbfgs', repeats: 2, sizes: { S: 10, F: 'all' },
 *   sources: { good: rows(40, 3), weak: rows(40, 0.1) }, labels,
 *   test: { sources: { good: rows(20, 3), weak: rows(20, 0.1) }, labels: labels.slice(0, 20) },
 * });
 * console.log(formatMarkdown(result));
 * ```
 */
export async function runLinearEvaluation<T extends ProbeTask>(
  options: LinearEvaluationOptions<T>,
): Promise<LinearEvaluationResult> {
  const r = resolveEvaluation(options);
  const { sourceNames, sizes, repeats } = r;
  const started = performance.now();
  const strata = stratumOfRows(options.task, options.labels);
  const runs = new Map(sourceNames.map((s) => [s, new Map(sizes.map((z) => [z.name, [] as LinearEvaluationRun[]]))]));
  const total = sourceNames.length * sizes.length * repeats;
  let done = 0;
  const validationStrata = options.validation && stratumOfRows(options.task, options.validation.labels);
  for (const { sizeName, repeat, seed, subset, validationRows } of evaluationDraws(r, strata, options.groups, validationStrata)) {
    for (const source of sourceNames) {
      throwIfAborted(options.signal, () => `runLinearEvaluation was aborted after ${done} of ${total} runs.`);
      const run = await probeRun(r, source, seed, subset.train, subset.validation, validationRows);
      runs.get(source)?.get(sizeName)?.push(run);
      done++;
      options.onProgress?.(done, total, `${source} ${sizeName} ${repeat + 1}/${repeats}`);
    }
  }
  const results: Record<string, Record<string, LinearEvaluationCell>> = summariseRuns(
    sourceNames,
    sizes.map((z) => z.name),
    runs,
  );
  return {
    kind: 'dvme.linear-evaluation',
    version: 1,
    task: options.task,
    metric: options.metric,
    solver: r.solver,
    repeats,
    seed: r.seed,
    balanced: r.balanced,
    validation: options.validation ? (r.validationDraw ? 'drawn' : 'given') : r.validationFraction > 0 ? 'split' : 'none',
    probeOptions: { ...r.probeOptions },
    sources: sourceNames,
    sizes,
    results,
    wallMs: performance.now() - started,
  };
}

/**
 * @internal Fits and scores one probe of one source on one draw; the probe is disposed
 * whatever happens. `runFinetuneEvaluation` runs its probes through it too, so its
 * probe column is exactly what this protocol gives.
 */
export async function probeRun<T extends ProbeTask>(
  r: ResolvedEvaluation<T>,
  source: string,
  seed: number,
  train: Int32Array,
  held: Int32Array,
  validationRows?: Int32Array,
): Promise<LinearEvaluationRun> {
  const { options, solver } = r;
  const t0 = performance.now();
  const monitor = solver === 'paper' && !('monitor' in r.probeOptions) ? { monitor: options.metric } : {};
  // The protocol's own default, unchanged: 'paper' probes train on raw features (the paper's
  // setting), 'lbfgs' probes on standardised ones, unless probeOptions.standardize says.
  const standardize = r.probeOptions.standardize === undefined ? { standardize: solver === 'lbfgs' } : {};
  const probe = new Probe<T>({ ...r.probeOptions, ...monitor, ...standardize, task: options.task, solver, seed } as ProbeOptions<T>);
  try {
    const all = options.sources[source];
    const x = train.length === all.shape[0] ? all : takeMatrixRows(all, train);
    const y = takeLabels(options.labels, train);
    let validation: { x: EmbeddingMatrix<ArrayLike<number>>; y: LabelsFor<T> } | undefined;
    const v = options.validation;
    if (v) {
      validation = validationRows
        ? { x: takeMatrixRows(v.sources[source], validationRows), y: takeLabels(v.labels, validationRows) }
        : { x: v.sources[source], y: v.labels };
    }
    else if (held.length > 0) validation = { x: takeMatrixRows(all, held), y: takeLabels(options.labels, held) };
    await probe.fit(x, y, { source, ...(validation ? { validation } : {}), ...(options.signal ? { signal: options.signal } : {}) });
    const value = testScore(probe, options.metric, options.test.sources[source], options.test.labels);
    const validationValue = validation ? { validationValue: testScore(probe, options.metric, validation.x, validation.y) } : {};
    const perLabel = labelAucs(probe, options.test.sources[source], options.test.labels);
    const wallMs = performance.now() - t0;
    const details = options.details ? { details: runDetails(options.task, probe, options.test.sources[source], false) } : {};
    return { seed, value, trainSize: train.length, validationSize: validation ? validation.x.shape[0] : 0, wallMs, ...validationValue, ...perLabel, ...details };
  } finally {
    probe.dispose();
  }
}

/**
 * @internal The reported metric of a fitted estimator (a probe or a fusion model) on the test
 * rows: from `evaluate`, except binary kappas, which compare the predicted labels (with two
 * classes quadratic and unweighted kappa agree).
 */
export function testScore<T extends ProbeTask, X>(
  est: { evaluate(x: X, y: LabelsFor<T>): EvaluationFor<T>; predict(x: X): PredictionFor<T> },
  metric: EvaluationMetric,
  x: X,
  y: LabelsFor<T>,
): number {
  const e = est.evaluate(x, y) as unknown as Record<string, number> & { task: ProbeTask };
  if (metric === 'auc' || metric === 'accuracy') return e[metric];
  if (e.task === 'multiclass') return e[metric];
  return cohenKappaScore(y as ArrayLike<number>, est.predict(x) as number[], { onUndefined: 'nan' });
}

/** @internal `{ aucPerLabel }` of a multilabel estimator on the test rows; `{}` otherwise. */
export function labelAucs<T extends ProbeTask, X>(
  est: { readonly task: ProbeTask; evaluate(x: X, y: LabelsFor<T>): EvaluationFor<T> },
  x: X,
  y: LabelsFor<T>,
): { aucPerLabel?: number[] } {
  if (est.task !== 'multilabel') return {};
  return { aucPerLabel: Array.from((est.evaluate(x, y) as unknown as { aucPerLabel: Float64Array }).aucPerLabel) };
}

/**
 * @internal The stratum each row is balanced on: its label for single-label tasks. Multilabel
 * rows have no single class, so a row counts towards its rarest positive label in the pool
 * (or a "no finding" stratum): balanced draws then hold positives of every label, which a
 * multilabel probe needs.
 */
export function stratumOfRows(task: ProbeTask, labels: unknown): ArrayLike<number> {
  const rows = labels as ArrayLike<ArrayLike<number>>;
  if (task !== 'multilabel') return labels as ArrayLike<number>;
  const width = rows.length > 0 ? rows[0].length : 0;
  const positives = new Float64Array(width);
  for (let i = 0; i < rows.length; i++) for (let j = 0; j < width; j++) positives[j] += rows[i][j] ? 1 : 0;
  return Int32Array.from({ length: rows.length }, (_, i) => {
    let best = width;
    for (let j = 0; j < width; j++) if (rows[i][j] && (best === width || positives[j] < positives[best])) best = j;
    return best;
  });
}

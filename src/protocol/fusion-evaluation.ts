import type { EmbeddingMatrix } from '../data/embedding-matrix.js';
import { InvalidArgumentError } from '../errors/index.js';
// Named in TSDoc links only.
import type { AbortError, ShapeError } from '../errors/index.js';
import { throwIfAborted } from '../errors/throw-if-aborted.js';
import { ConcatProbe } from '../fusion/concat-probe.js';
import { DynamicMetaEmbedding } from '../fusion/dynamic-meta-embedding.js';
import { DynamicVisualMetaEmbedding } from '../fusion/dynamic-visual-meta-embedding.js';
import type { FusionEstimator } from '../fusion/fusion-estimator.js';
import type { FusionOptions } from '../fusion/fusion-options.js';
import { RobustFusion } from '../fusion/robust-fusion.js';
import type { RobustFusionOptions } from '../fusion/robust-options.js';
import { describe } from '../validation/describe.js';
import type { LabelsFor, ProbeTask } from '../training/labels.js';
import type { ProbeSolver } from '../probe/options.js';
import { resolveEvaluation, type LinearEvaluationOptions } from './evaluation-options.js';
import { takeLabels, takeMatrixRows } from '../training/rows.js';
import { columnMoments, standardizeColumns } from '../training/standardize.js';
import {
  labelAucs,
  runLinearEvaluation,
  stratumOfRows,
  testScore,
  type LinearEvaluationCell,
  type LinearEvaluationResult,
  type LinearEvaluationRun,
} from './linear-evaluation.js';
import { evaluationDraws, summariseRuns } from './draws.js';
import { runDetails } from './run-details.js';

/**
 * The fusion models {@link runFusionEvaluation} can train: `'concat'` (a linear probe of the
 * concatenated embeddings, {@link ConcatProbe}), `'dme'` (Kiela et al.'s Dynamic
 * Meta-Embeddings, {@link DynamicMetaEmbedding}), `'dvme'` (the paper's listing: feature
 * tokens), `'dvme-source'` (DVME with one token per source, the paper's figure) and
 * `'dvme-noattn'` (the paper's ablation "DVME w/o self-attention") and `'robust'`
 * ({@link RobustFusion}: the best source's probe unless a cross-validated fusion beats it).
 *
 * @remarks Since 0.1.0.
 * @example
 * ```ts
 * import type { FusionModelName } from 'dvme';
 * const models: FusionModelName[] = ['concat', 'dvme-source', 'dvme-noattn'];
 * ```
 */
export type FusionModelName = 'concat' | 'dme' | 'dvme' | 'dvme-source' | 'dvme-noattn' | 'robust';

/** Every {@link FusionModelName}, in table order. */
const ALL_MODELS: readonly FusionModelName[] = ['concat', 'dme', 'dvme', 'dvme-source', 'dvme-noattn', 'robust'];
/** The paper's Table 4 models: the default. */
const PAPER_MODELS: readonly FusionModelName[] = ALL_MODELS.filter((m) => m !== 'robust');

/**
 * Training options shared by every fusion model of a {@link runFusionEvaluation} (the paper's
 * protocol by default; `minEpochs` / `maxEpochs` to shorten it).
 *
 * @remarks Since 0.1.0.
 * @example
 * ```ts
 * import type { FusionTrainingOptions } from 'dvme';
 * const quick: FusionTrainingOptions = { minEpochs: 10, maxEpochs: 20, earlyStoppingPatience: 5 };
 * ```
 */
export type FusionTrainingOptions = Omit<FusionOptions, 'sources' | 'task' | 'seed' | 'numClasses' | 'classes'> & {
  /**
   * Projection width of DME and DVME.
   * @defaultValue `512`
   */
  readonly projectionDim?: number;
  /**
   * Attention block budget of DVME, in float32 elements.
   * @defaultValue `1048576`
   */
  readonly chunkElements?: number;
  /**
   * Attention heads of `'dvme-source'` (must divide `projectionDim`).
   * @defaultValue `8` (timm's)
   */
  readonly sourceHeads?: number;
  /**
   * Options of `'robust'` ({@link RobustFusionOptions}). Its criterion defaults to the
   * reported metric, and its probes take `C`, `maxIter`, `tol`, `classWeight`, `ordinal` and `standardize` from
   * `probeOptions`, so that when it picks a source it predicts exactly as that source's
   * `'lbfgs'` probe.
   * @defaultValue those
   */
  readonly robust?: Omit<RobustFusionOptions, 'sources' | 'task' | 'classes' | 'seed'>;
};

/**
 * Options of {@link runFusionEvaluation}: those of {@link runLinearEvaluation} for the data,
 * sizes, repeats and metric, plus which fusion models to train.
 *
 * @remarks Since 0.1.0.
 * @example
 * ```ts
 * import type { FusionEvaluationOptions } from 'dvme';
 * declare const base: Omit<FusionEvaluationOptions<'multiclass'>, 'models'>;
 * const options: FusionEvaluationOptions<'multiclass'> = { ...base, models: ['concat', 'dvme-noattn'] };
 * ```
 */
export interface FusionEvaluationOptions<T extends ProbeTask = ProbeTask>
  extends Omit<LinearEvaluationOptions<T>, 'solver' | 'onProgress'> {
  /**
   * The fusion models, in table order.
   * @defaultValue the paper's: every {@link FusionModelName} but `'robust'`
   */
  readonly models?: readonly FusionModelName[];
  /**
   * Sources the fusion models combine (all must be in `sources`); every source still gets its
   * own single-source probe.
   * @defaultValue every source
   */
  readonly fusionSources?: readonly string[];
  /**
   * Solver of the single-source probes.
   * @defaultValue `'paper'` (as the fusion models)
   */
  readonly singleSolver?: ProbeSolver;
  /**
   * Training options of the fusion models.
   * @defaultValue the paper's protocol
   */
  readonly training?: FusionTrainingOptions;
  /**
   * Standardise every source of the fusion models with the training draw's own per-feature
   * mean and std (applied to validation and test rows too), as `probeOptions.standardize`
   * does for the single-source probes. The paper trains on raw features; small-valued
   * embeddings (InceptionV3's pooled features average 0.025) can stall that recipe.
   * @defaultValue `false`
   */
  readonly standardize?: boolean;
  /** Called after every run (single or fusion) with runs done, runs in all, and which run finished. */
  readonly onProgress?: (done: number, total: number, label: string) => void;
}

/**
 * One fusion run: a {@link LinearEvaluationRun} plus the epochs trained.
 *
 * @remarks Since 0.1.0.
 * @example
 * ```ts
 * import type { FusionEvaluationRun } from 'dvme';
 * const run: FusionEvaluationRun = { seed: 1, value: 0.7, trainSize: 50, validationSize: 0, wallMs: 900, epochs: 30, bestEpoch: 21 };
 * ```
 */
export interface FusionEvaluationRun extends LinearEvaluationRun {
  /** Epochs trained. */
  readonly epochs: number;
  /** The epoch whose weights were kept. */
  readonly bestEpoch: number;
  /** `'robust'` runs: the candidate it chose (such as `'source:dino'` or `'concat'`). */
  readonly chosen?: string;
}

/**
 * What {@link runFusionEvaluation} returns: plain data (`JSON.stringify` writes it; NaN becomes
 * `null`). {@link formatFusionMarkdown} prints it as the paper's Table 4.
 *
 * @remarks Since 0.1.0.
 * @example
 * ```ts
 * import type { FusionEvaluationResult } from 'dvme';
 * declare const result: FusionEvaluationResult;
 * result.fusion['dvme']['S'].mean - result.single.results['dino']['S'].mean;
 * ```
 */
export interface FusionEvaluationResult {
  readonly kind: 'dvme.fusion-evaluation';
  readonly version: 1;
  readonly task: ProbeTask;
  readonly metric: LinearEvaluationResult['metric'];
  readonly repeats: number;
  readonly seed: number;
  /** The single-source probes, trained on the same draws as the fusion models. */
  readonly single: LinearEvaluationResult;
  /** Sources the fusion models combine, in model input order. */
  readonly fusionSources: readonly string[];
  /** Fusion models, in table order. */
  readonly models: readonly FusionModelName[];
  /** Sizes in the order given. */
  readonly sizes: LinearEvaluationResult['sizes'];
  /** The fusion models' training options as given. */
  readonly training: FusionTrainingOptions;
  /** Whether the fusion models' inputs were standardised per draw. */
  readonly standardize: boolean;
  /** `fusion[model][sizeName]`: runs in repeat order, and their mean ± sample std. */
  readonly fusion: Readonly<Record<string, Readonly<Record<string, LinearEvaluationCell & { readonly runs: readonly FusionEvaluationRun[] }>>>>;
  /** Wall-clock time of the whole evaluation, in milliseconds. */
  readonly wallMs: number;
}

/**
 * Compares fusion models with every single source under the paper's protocol: for every size
 * and repeat one class-balanced draw; on it, one probe per source (via
 * {@link runLinearEvaluation}) and every fusion model (DVME variants, DME, concatenation), all
 * seeded alike. Runs of one size and repeat train on the same rows, so differences are paired.
 *
 * @remarks
 * Since 0.1.0. Run seeds depend only on `seed`, the size and the repeat (as in
 * {@link runLinearEvaluation}), so the single-source runs equal a separate linear evaluation
 * with the same options. Each estimator is disposed after scoring, even when a run throws.
 *
 * @throws {@link InvalidArgumentError} / {@link ShapeError} for options that do not fit
 *   together (checked before the first run); {@link AbortError} when `signal` fires.
 * @example
 * ```ts
 * import { formatFusionMarkdown, runFusionEvaluation } from 'dvme';
 * const rows = (n: number, shift: number) => ({
 *   data: Float32Array.from({ length: n * 2 }, (_, i) => ((i >> 1) % 2) * shift + (i % 3) * 0.1),
 *   shape: [n, 2] as const,
 * });
 * const labels = Array.from({ length: 40 }, (_, i) => i % 2);
 * const result = await runFusionEvaluation({
 *   task: 'binary', metric: 'auc', repeats: 2, sizes: { S: 10, F: 'all' }, models: ['concat', 'dvme-noattn'],
 *   training: { minEpochs: 2, maxEpochs: 3, projectionDim: 4 },
 *   sources: { good: rows(40, 3), weak: rows(40, 0.1) }, labels,
 *   test: { sources: { good: rows(20, 3), weak: rows(20, 0.1) }, labels: labels.slice(0, 20) },
 * });
 * console.log(formatFusionMarkdown(result));
 * ```
 */
export async function runFusionEvaluation<T extends ProbeTask>(options: FusionEvaluationOptions<T>): Promise<FusionEvaluationResult> {
  const { models, fusionSources, singleSolver, training, standardize: _standardize, onProgress, ...linear } = options;
  const r = resolveEvaluation({ ...linear, solver: singleSolver ?? 'paper' } as LinearEvaluationOptions<T>);
  const chosen = checkModels(models);
  const fused = checkFusionSources(fusionSources, r.sourceNames);
  const trainingOptions = { ...(training ?? {}) };
  const started = performance.now();
  const total = (r.sourceNames.length + chosen.length) * r.sizes.length * r.repeats;
  let done = 0;
  const progress = (label: string): void => {
    done++;
    onProgress?.(done, total, label);
  };
  const single = await runLinearEvaluation({ ...linear, solver: r.solver, onProgress: (_d, _t, label) => progress(label) });
  const strata = stratumOfRows(options.task, options.labels);
  const runs = new Map(chosen.map((m) => [m, new Map(r.sizes.map((z) => [z.name, [] as FusionEvaluationRun[]]))]));
  const validationStrata = options.validation && stratumOfRows(options.task, options.validation.labels);
  for (const { sizeName, repeat, seed, subset, validationRows } of evaluationDraws(r, strata, options.groups, validationStrata)) {
    for (const model of chosen) {
      throwIfAborted(options.signal, () => `runFusionEvaluation was aborted after ${done} of ${total} runs.`);
      const run = await fusionRun(options, model, fused, trainingOptions, seed, subset.train, subset.validation, validationRows);
      runs.get(model)?.get(sizeName)?.push(run);
      progress(`${model} ${sizeName} ${repeat + 1}/${r.repeats}`);
    }
  }
  const fusion = summariseRuns(
    chosen,
    r.sizes.map((z) => z.name),
    runs,
  );
  return {
    kind: 'dvme.fusion-evaluation',
    version: 1,
    task: options.task,
    metric: options.metric,
    repeats: r.repeats,
    seed: r.seed,
    single,
    fusionSources: fused,
    models: chosen,
    sizes: r.sizes,
    training: trainingOptions,
    standardize: options.standardize ?? false,
    fusion,
    wallMs: performance.now() - started,
  };
}

function checkModels(models: unknown): FusionModelName[] {
  if (models === undefined) return [...PAPER_MODELS];
  if (!Array.isArray(models) || models.length === 0) {
    throw new InvalidArgumentError(`models must list at least one of ${ALL_MODELS.join(', ')}; received ${describe(models)}.`);
  }
  for (const m of models) {
    if (!ALL_MODELS.includes(m as FusionModelName)) {
      throw new InvalidArgumentError(`Unknown fusion model ${JSON.stringify(m)}. Allowed: ${ALL_MODELS.join(', ')}.`);
    }
  }
  if (new Set(models).size !== models.length) throw new InvalidArgumentError(`models lists a model twice: ${models.join(', ')}.`);
  return [...(models as FusionModelName[])];
}

function checkFusionSources(chosen: unknown, all: readonly string[]): string[] {
  if (chosen === undefined) return [...all];
  if (!Array.isArray(chosen) || chosen.length === 0 || chosen.some((s) => !all.includes(s as string))) {
    throw new InvalidArgumentError(`fusionSources must list sources among [${all.join(', ')}]; received ${describe(chosen)}.`);
  }
  return [...(chosen as string[])];
}

/** A fresh, unfitted estimator for one fusion model. */
function createEstimator<T extends ProbeTask>(
  model: FusionModelName,
  base: FusionOptions<T>,
  training: FusionTrainingOptions,
  options: FusionEvaluationOptions<T>,
): FusionEstimator<T> | RobustFusion<T> {
  const { projectionDim, chunkElements, sourceHeads, robust, ...shared } = training;
  const o = { ...base, ...shared };
  const proj = projectionDim !== undefined ? { projectionDim } : {};
  const chunks = chunkElements !== undefined ? { chunkElements } : {};
  switch (model) {
    case 'concat':
      return new ConcatProbe<T>(o);
    case 'dme':
      return new DynamicMetaEmbedding<T>({ ...o, ...proj });
    case 'dvme':
      return new DynamicVisualMetaEmbedding<T>({ ...o, ...proj, ...chunks, tokens: 'feature' });
    case 'dvme-source':
      return new DynamicVisualMetaEmbedding<T>({ ...o, ...proj, tokens: 'source', ...(sourceHeads ? { heads: sourceHeads } : {}) });
    case 'dvme-noattn':
      return new DynamicVisualMetaEmbedding<T>({ ...o, ...proj, attention: false });
    case 'robust': {
      const po = (options.probeOptions ?? {}) as Record<string, unknown>;
      const fromProbes = Object.fromEntries(['C', 'maxIter', 'tol', 'classWeight', 'ordinal', 'standardize'].filter((k) => po[k] !== undefined).map((k) => [k, po[k]]));
      const { sources, task, seed, classes } = base;
      // Its single-source candidates use the single-source probes' solver, so "the best source
      // alone" means the same probe in the table and among the candidates.
      const solver = options.singleSolver ?? 'paper';
      return new RobustFusion<T>({ sources, task, seed, ...(classes ? { classes } : {}), criterion: options.metric, solver, ...fromProbes, ...robust });
    }
  }
}

/** Fits and scores one fusion model on one draw; the estimator is disposed whatever happens. */
async function fusionRun<T extends ProbeTask>(
  options: FusionEvaluationOptions<T>,
  model: FusionModelName,
  sources: readonly string[],
  training: FusionTrainingOptions,
  seed: number,
  train: Int32Array,
  held: Int32Array,
  validationRows: Int32Array | undefined,
): Promise<FusionEvaluationRun> {
  const t0 = performance.now();
  // Standardised with the statistics of the draw's training rows (float64 throughout).
  const momentsOf = (m: EmbeddingMatrix<ArrayLike<number>>) => columnMoments(takeMatrixRows(m, train).data, train.length, m.shape[1]);
  const scalers = options.standardize ? new Map(sources.map((s) => [s, momentsOf(options.sources[s])])) : undefined;
  const pick = (all: Readonly<Record<string, EmbeddingMatrix<ArrayLike<number>>>>, idx?: Int32Array) =>
    Object.fromEntries(
      sources.map((s) => {
        const rows = idx && idx.length !== all[s].shape[0] ? takeMatrixRows(all[s], idx) : all[s];
        const stats = scalers?.get(s);
        return [s, stats ? { data: standardizeColumns(rows.data, rows.shape[0], rows.shape[1], stats), shape: rows.shape } : rows];
      }),
    );
  const dims = Object.fromEntries(sources.map((s) => [s, options.sources[s].shape[1]]));
  const numClasses = options.task === 'multilabel' ? undefined : distinct(options.labels as ArrayLike<number>);
  const base: FusionOptions<T> = {
    sources: dims,
    task: options.task,
    seed,
    monitor: options.metric,
    ...(numClasses ? { classes: numClasses } : {}),
  };
  const estimator = createEstimator(model, base, training, options);
  try {
    let validation: { x: Record<string, EmbeddingMatrix<ArrayLike<number>>>; y: LabelsFor<T> } | undefined;
    const v = options.validation;
    if (v) validation = { x: pick(v.sources, validationRows), y: validationRows ? takeLabels(v.labels, validationRows) : v.labels };
    else if (held.length > 0) validation = { x: pick(options.sources, held), y: takeLabels(options.labels, held) };
    await estimator.fit(pick(options.sources, train), takeLabels(options.labels, train), {
      ...(validation ? { validation } : {}),
      ...(options.signal ? { signal: options.signal } : {}),
    });
    const x = pick(options.test.sources);
    const value = testScore(estimator, options.metric, x, options.test.labels);
    const p = estimator.provenance;
    const training = p && 'training' in p ? p.training : undefined;
    const wallMs = performance.now() - t0;
    const details = options.details ? { details: runDetails(options.task, estimator, x, model === 'dvme' || model === 'dvme-source') } : {};
    return {
      seed,
      value,
      trainSize: train.length,
      validationSize: validation ? validation.x[sources[0]].shape[0] : 0,
      wallMs,
      epochs: training?.epochs ?? 0,
      bestEpoch: training?.bestEpoch ?? 0,
      ...(validation ? { validationValue: testScore(estimator, options.metric, validation.x, validation.y) } : {}),
      ...(p && 'chosen' in p ? { chosen: p.chosen.name } : {}),
      ...labelAucs(estimator, x, options.test.labels),
      ...details,
    };
  } finally {
    estimator.dispose();
  }
}

/** Every label of the training pool, sorted: a small draw may lack a class the test set has. */
function distinct(labels: ArrayLike<number>): number[] {
  return [...new Set(Array.from(labels))].sort((a, b) => a - b);
}

import { InvalidArgumentError, UndefinedMetricError } from '../errors/index.js';
import { quantileSorted } from './quantile.js';
import { checkFinite, checkSameLength, isRows, toVector, type Rows } from './validate.js';
import { describe } from '../validation/describe.js';
import { Xoshiro128 } from '../random/xoshiro.js';

/**
 * Options of {@link bootstrapCi}.
 *
 * @remarks Since 0.1.0.
 */
export interface BootstrapCiOptions {
  /**
   * Number of bootstrap resamples drawn. Percentile intervals read the 2.5% tails, which need
   * more resamples than a standard error does (Efron & Tibshirani suggest at least 1000).
   * @defaultValue `2000`
   */
  nResamples?: number;
  /**
   * One minus the confidence level: the interval spans the `alpha/2` and `1 - alpha/2`
   * quantiles of the resampled metric.
   * @defaultValue `0.05` (a 95% interval)
   */
  alpha?: number;
  /**
   * Seed of the resampling generator (any safe integer). Results are reproducible by default;
   * pass different seeds to get independent draws.
   * @defaultValue `0`
   */
  seed?: number;
  /**
   * Resample within each class of `yTrue`, so every resample keeps the class counts of the
   * data (and a rare class cannot vanish from a resample).
   * @defaultValue `false`
   */
  stratified?: boolean;
}

/**
 * A percentile bootstrap confidence interval.
 *
 * @remarks Since 0.1.0.
 */
export interface BootstrapCiResult {
  /** The metric on the full data. */
  readonly estimate: number;
  /** The `alpha/2` quantile of `samples`. */
  readonly lower: number;
  /** The `1 - alpha/2` quantile of `samples`. */
  readonly upper: number;
  /** The `alpha` the interval was built for. */
  readonly alpha: number;
  /** Number of resamples drawn, skipped ones included. */
  readonly nResamples: number;
  /** The metric on every resample where it was defined, in draw order (`nResamples - nSkipped` values). */
  readonly samples: Float64Array;
  /** Resamples on which the metric was undefined (threw {@link UndefinedMetricError} or returned NaN). */
  readonly nSkipped: number;
}

/**
 * A metric of labels and predictions: {@link bootstrapCi} calls it on the full data and on
 * every resample. `yPred` is 1-D scores or labels, or rows of per-class values.
 *
 * @remarks Since 0.1.0.
 */
export type BootstrapMetric<P> = (yTrue: Float64Array, yPred: P) => number;

function checkOptions(options: BootstrapCiOptions): Required<BootstrapCiOptions> {
  const { nResamples = 2000, alpha = 0.05, seed = 0, stratified = false } = options;
  if (!Number.isSafeInteger(nResamples) || nResamples < 1) {
    throw new InvalidArgumentError(
      `nResamples must be a positive integer (1000 to 10000 is usual for a 95% interval); received ${describe(nResamples)}.`,
    );
  }
  if (typeof alpha !== 'number' || !(alpha > 0 && alpha < 1)) {
    throw new InvalidArgumentError(
      `alpha must be a number strictly between 0 and 1 (0.05 gives a 95% interval); received ${describe(alpha)}.`,
    );
  }
  if (typeof stratified !== 'boolean') {
    throw new InvalidArgumentError(`stratified must be true or false; received ${describe(stratified)}.`);
  }
  return { nResamples, alpha, seed, stratified };
}

/**
 * Draws resample index vectors: position i of a resample holds a uniformly drawn sample index,
 * from the whole data or, stratified, from the samples sharing sample i's class.
 */
function indexSampler(y: Float64Array, stratified: boolean, rng: Xoshiro128): (out: Uint32Array) => void {
  const n = y.length;
  if (!stratified) {
    return (out) => {
      for (let i = 0; i < n; i++) out[i] = rng.nextInt(n);
    };
  }
  const members = new Map<number, number[]>();
  for (let i = 0; i < n; i++) {
    const list = members.get(y[i]);
    if (list) list.push(i);
    else members.set(y[i], [i]);
  }
  const groups = [...members.values()].map((list) => Uint32Array.from(list));
  const groupOf = new Uint32Array(n);
  groups.forEach((g, k) => g.forEach((i) => (groupOf[i] = k)));
  return (out) => {
    for (let i = 0; i < n; i++) {
      const g = groups[groupOf[i]];
      out[i] = g[rng.nextInt(g.length)];
    }
  };
}

function take(x: Float64Array, idx: Uint32Array): Float64Array {
  const out = new Float64Array(idx.length);
  for (let k = 0; k < idx.length; k++) out[k] = x[idx[k]];
  return out;
}

/** Runs the metric; `undefined` when it is undefined on this input (so the caller skips it). */
function evaluate<P>(metric: BootstrapMetric<P>, yTrue: Float64Array, yPred: P): number | undefined {
  let value: unknown;
  try {
    value = metric(yTrue, yPred);
  } catch (e) {
    if (UndefinedMetricError.is(e)) return undefined;
    throw e;
  }
  if (typeof value !== 'number') {
    throw new InvalidArgumentError(`metric must return a number; it returned ${describe(value)}.`);
  }
  return Number.isNaN(value) ? undefined : value;
}

/**
 * A percentile bootstrap confidence interval for any metric of `(yTrue, yPred)`: samples (rows)
 * are drawn with replacement `nResamples` times, the metric is computed on each resample, and
 * the interval is the `alpha/2` and `1 - alpha/2` quantiles of those values, interpolated as
 * numpy's default (`np.quantile(samples, [alpha/2, 1 - alpha/2])`, method `'linear'`).
 *
 * Resamples on which the metric is undefined (it throws {@link UndefinedMetricError}, or returns
 * NaN, e.g. an AUC of a resample holding one class) are skipped and counted in `nSkipped`
 * rather than re-drawn: re-drawing would silently condition the interval on the metric being
 * defined, while a count lets the caller see how often that happened. If many are skipped, use
 * `stratified: true`, which keeps every class in every resample. Other errors propagate.
 *
 * The resampling generator is xoshiro128** seeded by SplitMix64, so the same seed, data and
 * options give an identical result on every platform. The metric receives freshly allocated
 * arrays on each call, so it may keep them.
 *
 * @param metric - `(yTrue, yPred) => number`, for example `rocAucScore` or a closure around
 *   `cohenKappaScore` with options.
 * @param yTrue - Labels (or targets), one per sample; classes for `stratified` are its distinct values.
 * @param yPred - Per-sample predictions: 1-D scores or labels, or rows of per-class probabilities
 *   (the metric then receives an array of the drawn rows).
 * @returns The full-data estimate, the interval, and the resampled values.
 * @throws {@link InvalidArgumentError} for a bad `nResamples`, `alpha`, `seed`, metric or empty data.
 * @throws {@link ShapeError} when `yTrue` and `yPred` differ in length.
 * @throws {@link NonFiniteError} for NaN or infinite labels.
 * @throws {@link UndefinedMetricError} when the metric is undefined on every resample, and
 *   whatever the metric throws on the full data.
 *
 * @remarks Since 0.1.0. Efron & Tibshirani, "An Introduction to the Bootstrap" (1993), ch. 13
 * (percentile intervals); Hyndman & Fan (1996) for the quantile definition.
 * @example
 * ```ts
 * import { bootstrapCi, rocAucScore } from 'dvme/metrics';
 * const yTrue = [0, 0, 1, 1, 0, 1, 0, 1, 1, 0];
 * const yScore = [0.1, 0.4, 0.35, 0.8, 0.2, 0.7, 0.5, 0.9, 0.6, 0.3];
 * const ci = bootstrapCi(rocAucScore, yTrue, yScore, { seed: 7, stratified: true });
 * [ci.lower, ci.estimate, ci.upper]; // [0.68, 0.92, 1]
 * ```
 */
export function bootstrapCi(
  metric: BootstrapMetric<Float64Array>,
  yTrue: ArrayLike<number>,
  yPred: ArrayLike<number>,
  options?: BootstrapCiOptions,
): BootstrapCiResult;
export function bootstrapCi(
  metric: BootstrapMetric<ArrayLike<number>[]>,
  yTrue: ArrayLike<number>,
  yPred: Rows,
  options?: BootstrapCiOptions,
): BootstrapCiResult;
export function bootstrapCi(
  metric: BootstrapMetric<never>,
  yTrue: ArrayLike<number>,
  yPred: ArrayLike<number> | Rows,
  options: BootstrapCiOptions = {},
): BootstrapCiResult {
  const run = startBootstrap(metric, yTrue, yPred, options);
  for (let r = 0; r < run.nResamples; r++) run.step();
  return run.result();
}

/** @internal A bootstrap under way: the checked inputs, the generator, and the values so far. */
export interface BootstrapRun {
  readonly nResamples: number;
  /** Draws and evaluates the next resample. */
  step(): void;
  /** The interval over the resamples drawn; throws when the metric was undefined on all. */
  result(): BootstrapCiResult;
}

/**
 * @internal Checks the arguments, computes the full-data estimate and returns the resampling loop's body,
 * shared by {@link bootstrapCi} and {@link bootstrapCiAsync} so that both draw the same values.
 */
export function startBootstrap(
  metric: BootstrapMetric<never>,
  yTrue: ArrayLike<number>,
  yPred: ArrayLike<number> | Rows,
  options: BootstrapCiOptions,
): BootstrapRun {
  if (typeof metric !== 'function') {
    throw new InvalidArgumentError(
      `metric must be a function (yTrue, yPred) => number; received ${describe(metric)}.`,
    );
  }
  const { nResamples, alpha, seed, stratified } = checkOptions(options);
  const rng = new Xoshiro128(seed);
  const y = toVector('yTrue', yTrue);
  checkFinite('yTrue', y);
  const n = y.length;
  if (n === 0) {
    throw new InvalidArgumentError('bootstrapCi needs at least one sample; yTrue is empty.');
  }
  // Rows are drawn by reference (the metric reads them); 1-D predictions are copied into a
  // Float64Array so a resample is one typed gather.
  let gather: (idx: Uint32Array) => unknown;
  let full: unknown;
  if (isRows(yPred)) {
    checkSameLength('yTrue', n, 'yPred', yPred.length);
    const rows = Array.from(yPred);
    full = rows.slice();
    gather = (idx) => Array.from(idx, (i) => rows[i]);
  } else {
    const p = toVector('yPred', yPred as ArrayLike<number>);
    checkSameLength('yTrue', n, 'yPred', p.length);
    full = p.slice();
    gather = (idx) => take(p, idx);
  }
  const run = metric as BootstrapMetric<unknown>;
  const estimate = run(y.slice(), full);
  if (typeof estimate !== 'number') {
    throw new InvalidArgumentError(`metric must return a number; it returned ${describe(estimate)}.`);
  }

  const draw = indexSampler(y, stratified, rng);
  const samples = new Float64Array(nResamples);
  // The index buffer never reaches the metric, so one serves every resample.
  const idx = new Uint32Array(n);
  let kept = 0;
  return {
    nResamples,
    step() {
      draw(idx);
      const value = evaluate(run, take(y, idx), gather(idx));
      if (value !== undefined) samples[kept++] = value;
    },
    result() {
      if (kept === 0) {
        throw new UndefinedMetricError(
          `bootstrapCi: the metric was undefined on all ${nResamples} resamples of ${n} samples. ` +
            'Pass { stratified: true } so every resample keeps every class, or use more data.',
        );
      }
      const values = samples.slice(0, kept);
      const sorted = values.slice().sort();
      return {
        estimate,
        lower: quantileSorted(sorted, alpha / 2),
        upper: quantileSorted(sorted, 1 - alpha / 2),
        alpha,
        nResamples,
        samples: values,
        nSkipped: nResamples - kept,
      };
    },
  };
}

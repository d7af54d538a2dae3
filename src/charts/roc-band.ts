import { InvalidArgumentError } from '../errors/index.js';
import { quantileSorted } from '../metrics/quantile.js';
import { rocCurve } from '../metrics/roc-curve.js';
import { Xoshiro128 } from '../random/xoshiro.js';
import { checkPositiveInteger } from '../validation/checks.js';
import { describe } from '../validation/describe.js';

/**
 * Options of {@link rocBand}.
 *
 * @remarks Since 0.1.0.
 * @example
 * ```ts
 * import type { RocBandOptions } from 'dvme';
 * const options: RocBandOptions = { nBoot: 1000, seed: 7, alpha: 0.05 };
 * ```
 */
export interface RocBandOptions {
  /**
   * Bootstrap resamples. Percentile bands read 2.5% tails, which need about a thousand or more.
   * @defaultValue `2000`
   */
  nBoot?: number;
  /**
   * Seed of the resampling generator (xoshiro128**, the same stream on every platform).
   * @defaultValue `0`
   */
  seed?: number;
  /**
   * One minus the pointwise confidence level.
   * @defaultValue `0.05` (95% at each false positive rate)
   */
  alpha?: number;
  /**
   * Number of false positive rates on the grid, evenly spaced from 0 to 1 (at least 2).
   * @defaultValue `101` (steps of 0.01)
   */
  gridSize?: number;
  /**
   * The positive class, as in {@link rocCurve}.
   * @defaultValue `1` for labels in `{0, 1}` or `{-1, 1}`; otherwise required
   */
  posLabel?: number;
}

/**
 * A pointwise bootstrap confidence band of a ROC curve: at each false positive rate of the
 * grid, an interval for the true positive rate.
 *
 * @remarks Since 0.1.0.
 * @example
 * ```ts
 * import { rocBand, type RocBand } from 'dvme';
 * const band: RocBand = rocBand([0, 0, 1, 1, 0, 1], [0.1, 0.4, 0.35, 0.8, 0.2, 0.7], { gridSize: 11 });
 * band.fpr; // Float64Array [0, 0.1, ..., 1]
 * [band.lower[5], band.upper[5]]; // the 95% interval of the true positive rate at fpr 0.5
 * ```
 */
export interface RocBand {
  /** The grid of false positive rates, 0 to 1 ascending. */
  readonly fpr: Float64Array;
  /** The `alpha/2` quantile of the resampled true positive rates at each grid point. */
  readonly lower: Float64Array;
  /** The `1 - alpha/2` quantile. */
  readonly upper: Float64Array;
  /** The full data's ROC curve read at the grid (same convention as the resamples). */
  readonly tpr: Float64Array;
  readonly alpha: number;
  readonly nBoot: number;
}

/**
 * @internal The true positive rate of a ROC polyline at each grid value: where the curve rises
 * vertically (several points share one false positive rate) the highest point counts, as a
 * classifier can choose that threshold; between points, linear (ties are diagonal segments).
 */
export function tprAt(fpr: ArrayLike<number>, tpr: ArrayLike<number>, grid: ArrayLike<number>, out: Float64Array): void {
  let i = 0;
  const last = fpr.length - 1;
  for (let g = 0; g < grid.length; g++) {
    const f = grid[g] as number;
    while (i < last && (fpr[i + 1] as number) <= f) i++;
    const f0 = fpr[i] as number;
    if (i === last || f0 >= f) out[g] = tpr[i] as number;
    else {
      const f1 = fpr[i + 1] as number;
      out[g] = (tpr[i] as number) + (((tpr[i + 1] as number) - (tpr[i] as number)) * (f - f0)) / (f1 - f0);
    }
  }
}

/**
 * A pointwise confidence band for a ROC curve, by the stratified percentile bootstrap: positives
 * and negatives are each resampled with replacement (so every resample keeps the data's class
 * counts and has a ROC curve), each resample's curve is read at a fixed grid of false positive
 * rates, and the band is the `alpha/2` and `1 - alpha/2` quantiles of those true positive rates
 * at each grid point ("vertical averaging", Fawcett 2006; pROC's `ci.se`).
 *
 * @remarks
 * Since 0.1.0. What the band is not: it is pointwise, so about `alpha` of the grid points may
 * fall outside it for the true curve; it is not a simultaneous band for the whole curve. It is
 * also not the DeLong interval of the AUC ({@link delongCi}), which is one interval for one
 * number and cannot be drawn as a band around the curve; show that interval in the legend.
 * Resampling visits the samples in score order with resample counts as weights, so each
 * resample costs O(n) after one sort. The same inputs and seed give the same band.
 *
 * @param yTrue - labels, one per sample.
 * @param yScore - finite scores, higher meaning more likely positive.
 * @param options - see {@link RocBandOptions}.
 * @returns the grid, the band and the full-data curve on the grid; pass it as a curve's `band`
 *   to {@link rocCurveSvg}.
 * @throws {@link ShapeError} when lengths differ; {@link NonFiniteError} for NaN scores;
 *   {@link UndefinedMetricError} when a class is absent; {@link InvalidArgumentError} for bad options.
 * @example
 * ```ts
 * import { rocBand, rocCurve, rocCurveSvg } from 'dvme';
 * const yTrue = [0, 0, 1, 1, 0, 1, 0, 1, 1, 0];
 * const yScore = [0.1, 0.4, 0.35, 0.8, 0.2, 0.7, 0.5, 0.9, 0.6, 0.3];
 * const band = rocBand(yTrue, yScore, { nBoot: 1000, seed: 7 });
 * band.lower[50] <= band.tpr[50] && band.tpr[50] <= band.upper[50]; // true (fpr 0.5)
 * const svg = rocCurveSvg([{ ...rocCurve(yTrue, yScore), label: 'probe', band }]);
 * ```
 */
export function rocBand(yTrue: ArrayLike<number>, yScore: ArrayLike<number>, options: RocBandOptions = {}): RocBand {
  const owner = 'rocBand';
  const nBoot = checkPositiveInteger(owner, 'nBoot', options.nBoot ?? 2000);
  const gridSize = checkPositiveInteger(owner, 'gridSize', options.gridSize ?? 101);
  if (gridSize < 2) {
    throw new InvalidArgumentError(`${owner}: gridSize must be at least 2 (the grid runs from 0 to 1); received ${gridSize}.`);
  }
  const alpha = options.alpha ?? 0.05;
  if (typeof alpha !== 'number' || !(alpha > 0 && alpha < 1)) {
    throw new InvalidArgumentError(`${owner}: alpha must be strictly between 0 and 1 (0.05 for 95%); received ${describe(alpha)}.`);
  }
  const rng = new Xoshiro128(options.seed ?? 0);
  // rocCurve validates labels, scores, lengths and posLabel, and throws if a class is missing.
  const full = rocCurve(yTrue, yScore, options.posLabel === undefined ? {} : { posLabel: options.posLabel });
  const posLabel = options.posLabel ?? 1;
  const n = yTrue.length;
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => (yScore[b] as number) - (yScore[a] as number) || a - b);
  const isPos = Uint8Array.from(order, (i) => (yTrue[i] === posLabel ? 1 : 0));
  const score = Float64Array.from(order, (i) => yScore[i] as number);
  const positives = [...isPos.keys()].filter((r) => isPos[r] === 1);
  const negatives = [...isPos.keys()].filter((r) => isPos[r] === 0);
  const grid = Float64Array.from({ length: gridSize }, (_, g) => g / (gridSize - 1));
  const tpr = new Float64Array(gridSize);
  tprAt(full.fpr, full.tpr, grid, tpr);

  // samples[g * nBoot + b]: resample b's true positive rate at grid point g.
  const samples = new Float64Array(gridSize * nBoot);
  const weight = new Float64Array(n);
  const curveFpr = new Float64Array(n + 1);
  const curveTpr = new Float64Array(n + 1);
  const atGrid = new Float64Array(gridSize);
  for (let b = 0; b < nBoot; b++) {
    weight.fill(0);
    for (let k = 0; k < positives.length; k++) weight[positives[rng.nextInt(positives.length)]!]++;
    for (let k = 0; k < negatives.length; k++) weight[negatives[rng.nextInt(negatives.length)]!]++;
    // One point per distinct score (tied samples form one diagonal step), from (0, 0).
    let tp = 0;
    let fp = 0;
    let m = 1;
    for (let r = 0; r < n; r++) {
      if (isPos[r] === 1) tp += weight[r]!;
      else fp += weight[r]!;
      if (r === n - 1 || score[r + 1] !== score[r]) {
        curveFpr[m] = fp / negatives.length;
        curveTpr[m] = tp / positives.length;
        m++;
      }
    }
    tprAt(curveFpr.subarray(0, m), curveTpr.subarray(0, m), grid, atGrid);
    for (let g = 0; g < gridSize; g++) samples[g * nBoot + b] = atGrid[g]!;
  }
  const lower = new Float64Array(gridSize);
  const upper = new Float64Array(gridSize);
  for (let g = 0; g < gridSize; g++) {
    const sorted = samples.subarray(g * nBoot, (g + 1) * nBoot).sort();
    lower[g] = quantileSorted(sorted, alpha / 2);
    upper[g] = quantileSorted(sorted, 1 - alpha / 2);
  }
  return { fpr: grid, lower, upper, tpr, alpha, nBoot };
}

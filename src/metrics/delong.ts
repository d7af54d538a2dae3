import { InvalidArgumentError } from '../errors/index.js';
import { placements, sampleCovariance, sum, type Placements } from './midrank.js';
import { normalQuantile, normalTwoSidedPValue } from './normal.js';
import { checkFinite, checkSameLength, toVector, undefinedMetric, uniqueSorted, type OnUndefined } from './validate.js';
import { describe } from '../validation/describe.js';

/**
 * Options of {@link delongCi}.
 *
 * @remarks Since 0.1.0.
 */
export interface DelongCiOptions {
  /**
   * One minus the confidence level: the interval covers the true AUC with probability about
   * `1 - alpha`.
   * @defaultValue `0.05` (a 95% interval)
   */
  alpha?: number;
  /**
   * The label of the positive class; every other label is negative (so yTrue may then hold
   * more than two classes).
   * @defaultValue the greater of the two labels in yTrue, as `rocAucScore`; required when
   * yTrue holds more than two
   */
  posLabel?: number;
  /**
   * What to return when the AUC or its variance is undefined (see {@link delongCi}).
   * @defaultValue `'raise'`
   */
  onUndefined?: OnUndefined;
}

/**
 * The AUC with its DeLong variance and normal-approximation confidence interval.
 *
 * @remarks Since 0.1.0.
 */
export interface DelongCiResult {
  /** Area under the ROC curve (ties count 1/2, as scikit-learn's `roc_auc_score`). */
  readonly auc: number;
  /** DeLong's estimate of the variance of `auc`. */
  readonly variance: number;
  /** `sqrt(variance)`. */
  readonly standardError: number;
  /** `max(0, auc - z * standardError)` with `z` the `1 - alpha/2` normal quantile. */
  readonly lower: number;
  /** `min(1, auc + z * standardError)`. */
  readonly upper: number;
  /** The `alpha` the interval was built for. */
  readonly alpha: number;
}

/**
 * Options of {@link delongTest}.
 *
 * @remarks Since 0.1.0.
 */
export interface DelongTestOptions {
  /**
   * The label of the positive class; every other label is negative (so yTrue may then hold
   * more than two classes).
   * @defaultValue the greater of the two labels in yTrue, as `rocAucScore`; required when
   * yTrue holds more than two
   */
  posLabel?: number;
  /**
   * What to return when an AUC or the variance is undefined (see {@link delongTest}).
   * @defaultValue `'raise'`
   */
  onUndefined?: OnUndefined;
}

/**
 * The paired DeLong test of two AUCs measured on the same cases.
 *
 * @remarks Since 0.1.0.
 */
export interface DelongTestResult {
  /** AUC of `scoreA`. */
  readonly aucA: number;
  /** AUC of `scoreB`. */
  readonly aucB: number;
  /** `aucA - aucB`. */
  readonly difference: number;
  /** DeLong variance of `difference`: `cov[0][0] + cov[1][1] - 2 cov[0][1]`. */
  readonly variance: number;
  /** DeLong 2x2 covariance matrix of `(aucA, aucB)`. */
  readonly covariance: readonly [readonly [number, number], readonly [number, number]];
  /** `difference / sqrt(variance)`; see {@link delongTest} for a zero variance. */
  readonly z: number;
  /** Two-sided p-value `P(|Z| >= |z|)` under the null hypothesis `aucA = aucB`. */
  readonly pValue: number;
}

/** Positive-class mask and class sizes of a binary label vector. */
interface Binary {
  readonly isPositive: Uint8Array;
  readonly m: number;
  readonly n: number;
  /** The positive label; NaN when yTrue holds fewer than two labels and none was given. */
  readonly posLabel: number;
  /** The first label of yTrue, for messages about a single class. */
  readonly first: number;
}

/**
 * Positive-class mask, resolving the positive label as the AUC functions do: an explicit
 * `posLabel` scores that class against all others (as `rocCurve`); otherwise yTrue must hold at
 * most two labels and the greater one is positive (as `rocAucScore` and scikit-learn's
 * `roc_auc_score`), so `delongCi(y, s).auc` is `rocAucScore(y, s)`.
 */
function binarize(fn: string, yTrue: ArrayLike<number>, posLabel: number | undefined): Binary {
  const y = toVector('yTrue', yTrue);
  checkFinite('yTrue', y);
  let pos = posLabel;
  if (pos === undefined) {
    const labels = uniqueSorted(y);
    if (labels.length > 2) {
      throw new InvalidArgumentError(
        `${fn} needs binary yTrue or a posLabel; received ${labels.length} distinct labels ` +
          `{${labels.slice(0, 5).join(', ')}${labels.length > 5 ? ', ...' : ''}}. ` +
          'Pass { posLabel } to score that class against all others.',
      );
    }
    pos = labels.length === 2 ? labels[1] : Number.NaN;
  } else if (typeof pos !== 'number' || !Number.isFinite(pos)) {
    throw new InvalidArgumentError(
      `posLabel must be a finite number (the label of the positive class); received ${describe(pos)}.`,
    );
  }
  const isPositive = new Uint8Array(y.length);
  let m = 0;
  for (let i = 0; i < y.length; i++) {
    if (y[i] === pos) {
      isPositive[i] = 1;
      m++;
    }
  }
  return { isPositive, m, n: y.length - m, posLabel: pos, first: y[0] };
}

function scoreVector(name: string, score: ArrayLike<number>, len: number): Float64Array {
  const s = toVector(name, score);
  checkSameLength('yTrue', len, name, s.length);
  checkFinite(name, s);
  return s;
}

function checkAlpha(alpha: unknown): number {
  if (typeof alpha !== 'number' || !(alpha > 0 && alpha < 1)) {
    throw new InvalidArgumentError(
      `alpha must be a number strictly between 0 and 1 (0.05 gives a 95% interval); received ${describe(alpha)}.`,
    );
  }
  return alpha;
}

function oneClassMessage(fn: string, b: Binary): string {
  const len = b.isPositive.length;
  const what =
    len === 0
      ? 'yTrue is empty'
      : Number.isNaN(b.posLabel)
        ? `yTrue holds only one class (label ${b.first})`
        : b.m === 0
          ? `yTrue has no sample of the positive class (posLabel ${b.posLabel})`
          : `yTrue holds only the positive class (posLabel ${b.posLabel})`;
  return `${fn}: the AUC is undefined because ${what}; it needs samples of both classes.`;
}

function tooFewMessage(fn: string, b: Binary): string {
  return (
    `${fn}: DeLong's variance needs at least 2 positive and 2 negative samples; ` +
    `received ${b.m} positive and ${b.n} negative.`
  );
}

const auc = (p: Placements): number => sum(p.positive) / (p.m * p.n);

/** DeLong covariance of two AUCs from their placements: S10/m + S01/n. */
function covariance(a: Placements, b: Placements): number {
  const { m, n } = a;
  const s10 = sampleCovariance(a.positive, b.positive) / (n * n);
  const s01 = sampleCovariance(a.negative, b.negative) / (m * m);
  return s10 / m + s01 / n;
}

/**
 * The ROC AUC with DeLong's variance estimate and a normal-approximation confidence interval,
 * computed by the midrank method of Sun & Xu (2014) from a single sort of the scores:
 * O(n log n) as they state, linear in practice here (a radix sort).
 *
 * The interval is `auc ± z * standardError` with `z` the `1 - alpha/2` standard normal
 * quantile, then clipped to [0, 1] since an AUC cannot leave that range: near 1 the upper bound
 * is often exactly 1 (compute `auc + z * standardError` for the unclipped value). The variance
 * is 0 when the classes are perfectly separated, so the interval then collapses to
 * `[auc, auc]`: DeLong's estimator sees no sampling error at the boundary; use
 * {@link bootstrapCi} or more data there.
 *
 * Undefined cases follow `onUndefined`: with one class present the AUC is undefined; with fewer
 * than 2 samples in a class the variance is. `'raise'` (the default) throws
 * {@link UndefinedMetricError}. Otherwise `auc` is the policy's value when the AUC is undefined
 * (the computed AUC when only the variance is), and `variance`, `standardError`, `lower` and
 * `upper` are NaN: a substitute number stands for an AUC, not for a variance.
 *
 * @param yTrue - Binary labels, one per sample.
 * @param yScore - Scores, one per sample; higher means more likely positive.
 * @returns The AUC, its variance, standard error and the `1 - alpha` interval.
 * @throws {@link InvalidArgumentError} for more than two labels without `posLabel`, or a bad `posLabel` or `alpha`.
 * @throws {@link ShapeError} when the lengths differ.
 * @throws {@link NonFiniteError} for NaN or infinite labels or scores.
 * @throws {@link UndefinedMetricError} as described above, under `onUndefined: 'raise'`.
 *
 * @remarks Since 0.1.0. DeLong, DeLong & Clarke-Pearson, "Comparing the areas under two or more
 * correlated receiver operating characteristic curves: a nonparametric approach", Biometrics
 * 44 (1988) 837-845; Sun & Xu, IEEE Signal Processing Letters 21 (2014) 1389-1393. Agrees with
 * pROC's `ci.auc(method = 'delong')` and the widely used numpy `delong_roc_variance`.
 * @example
 * ```ts
 * import { delongCi } from 'dvme/metrics';
 * const ci = delongCi([0, 0, 1, 1, 0, 1], [0.1, 0.4, 0.35, 0.8, 0.2, 0.7]);
 * ci.auc; // 0.8888888888888888
 * [ci.lower, ci.upper]; // [0.5809102612556272, 1]: the 95% interval, its upper end clipped to 1
 * ```
 */
export function delongCi(
  yTrue: ArrayLike<number>,
  yScore: ArrayLike<number>,
  options: DelongCiOptions = {},
): DelongCiResult {
  const alpha = checkAlpha(options.alpha ?? 0.05);
  const b = binarize('delongCi', yTrue, options.posLabel);
  const score = scoreVector('yScore', yScore, b.isPositive.length);
  const nan = Number.NaN;
  if (b.m === 0 || b.n === 0) {
    const value = undefinedMetric(options.onUndefined, oneClassMessage('delongCi', b));
    return { auc: value, variance: nan, standardError: nan, lower: nan, upper: nan, alpha };
  }
  const p = placements(b.isPositive, b.m, b.n, score);
  const a = auc(p);
  if (b.m < 2 || b.n < 2) {
    undefinedMetric(options.onUndefined, tooFewMessage('delongCi', b));
    return { auc: a, variance: nan, standardError: nan, lower: nan, upper: nan, alpha };
  }
  const variance = covariance(p, p);
  const standardError = Math.sqrt(variance);
  // -quantile(alpha/2) keeps the digits of a tiny alpha that 1 - alpha/2 would round away.
  const half = -normalQuantile(alpha / 2) * standardError;
  return {
    auc: a,
    variance,
    standardError,
    lower: Math.max(0, a - half),
    upper: Math.min(1, a + half),
    alpha,
  };
}

/**
 * The paired DeLong test: are the AUCs of two models scored on the same cases different? The
 * statistic is `z = (aucA - aucB) / sqrt(var(aucA - aucB))` with the variance taken from
 * DeLong's 2x2 covariance matrix, and the p-value is two-sided (as pROC's
 * `roc.test(method = 'delong', paired = TRUE)`).
 *
 * The variance of the difference is computed from the per-sample differences of the placement
 * values, which equals `cov[0][0] + cov[1][1] - 2 cov[0][1]` but does not cancel when the two
 * models are nearly identical. It is 0 when the models rank the cases identically (for
 * example the same scores, or one a monotone transform of the other): then `difference` is 0
 * too and the result is `z = 0`, `pValue = 1` — no evidence of a difference — rather than the
 * NaN of 0/0. A nonzero difference with zero variance (both models degenerate, for example
 * one perfect and one constant) gives `z = ±Infinity` and `pValue = 0`.
 *
 * Undefined cases follow `onUndefined` as in {@link delongCi}: with one class present the AUCs
 * are the policy's value and every other field is NaN; with fewer than 2 samples in a class
 * the AUCs are computed and the variance, covariance, `z` and `pValue` are NaN.
 *
 * @param yTrue - Binary labels, one per sample.
 * @param scoreA - Scores of model A, one per sample.
 * @param scoreB - Scores of model B on the same samples, in the same order.
 * @returns Both AUCs, their difference with its variance, the covariance matrix, `z` and the p-value.
 * @throws {@link InvalidArgumentError} for more than two labels without `posLabel`, or a bad `posLabel`.
 * @throws {@link ShapeError} when the lengths differ.
 * @throws {@link NonFiniteError} for NaN or infinite labels or scores.
 * @throws {@link UndefinedMetricError} as described above, under `onUndefined: 'raise'`.
 *
 * @remarks Since 0.1.0. DeLong et al., Biometrics 44 (1988) 837-845; Sun & Xu, IEEE Signal
 * Processing Letters 21 (2014) 1389-1393.
 * @example
 * ```ts
 * import { delongTest } from 'dvme/metrics';
 * const y = [0, 0, 0, 1, 1, 1, 0, 1];
 * const t = delongTest(y, [0.1, 0.3, 0.6, 0.4, 0.8, 0.9, 0.2, 0.7], [0.2, 0.1, 0.3, 0.5, 0.4, 0.6, 0.5, 0.9]);
 * t.difference; // 0.03125 (aucA 0.9375 - aucB 0.90625)
 * t.pValue; // 0.8359944985248412: no evidence that the AUCs differ
 * ```
 */
export function delongTest(
  yTrue: ArrayLike<number>,
  scoreA: ArrayLike<number>,
  scoreB: ArrayLike<number>,
  options: DelongTestOptions = {},
): DelongTestResult {
  const b = binarize('delongTest', yTrue, options.posLabel);
  const len = b.isPositive.length;
  const sA = scoreVector('scoreA', scoreA, len);
  const sB = scoreVector('scoreB', scoreB, len);
  const nan = Number.NaN;
  const nanCov = [[nan, nan], [nan, nan]] as const;
  if (b.m === 0 || b.n === 0) {
    const value = undefinedMetric(options.onUndefined, oneClassMessage('delongTest', b));
    return { aucA: value, aucB: value, difference: nan, variance: nan, covariance: nanCov, z: nan, pValue: nan };
  }
  const pA = placements(b.isPositive, b.m, b.n, sA);
  const pB = placements(b.isPositive, b.m, b.n, sB);
  const aucA = auc(pA);
  const aucB = auc(pB);
  // Exact: both sums are of half-integers, so an identical ranking gives exactly 0.
  const difference = (sum(pA.positive) - sum(pB.positive)) / (b.m * b.n);
  if (b.m < 2 || b.n < 2) {
    undefinedMetric(options.onUndefined, tooFewMessage('delongTest', b));
    return { aucA, aucB, difference, variance: nan, covariance: nanCov, z: nan, pValue: nan };
  }
  const diff: Placements = {
    m: b.m,
    n: b.n,
    positive: pA.positive.map((v, i) => v - pB.positive[i]),
    negative: pA.negative.map((v, i) => v - pB.negative[i]),
  };
  const variance = covariance(diff, diff);
  const cAB = covariance(pA, pB);
  const cov = [
    [covariance(pA, pA), cAB],
    [cAB, covariance(pB, pB)],
  ] as const;
  let z: number;
  if (variance > 0) z = difference / Math.sqrt(variance);
  else if (difference === 0) z = 0;
  else z = difference > 0 ? Number.POSITIVE_INFINITY : Number.NEGATIVE_INFINITY;
  return { aucA, aucB, difference, variance, covariance: cov, z, pValue: normalTwoSidedPValue(z) };
}

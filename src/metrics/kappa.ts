import { confusionCounts } from './confusion-matrix.js';
import { formatLabels } from './labels.js';
import { pairwiseSum } from './pairwise-sum.js';
import { checkChoice, undefinedMetric, type OnUndefined } from './validate.js';

/**
 * Options of {@link cohenKappaScore}.
 *
 * @remarks Since 0.1.0. scikit-learn's `weights`, `labels`, `sample_weight`, plus `onUndefined`.
 * @example
 * ```ts
 * import { cohenKappaScore, type CohenKappaOptions } from 'dvme/metrics';
 * const options: CohenKappaOptions = { weights: 'linear', onUndefined: 'nan' };
 * cohenKappaScore([0, 1, 2], [0, 2, 2], options); // 0.6666666666666667
 * ```
 */
export interface CohenKappaOptions {
  /**
   * Disagreement weights between classes at positions `i` and `j` of `labels`: unweighted
   * (`0` on the diagonal, `1` elsewhere), `'linear'` (`|i - j|`) or `'quadratic'`
   * (`(i - j)^2`, the usual choice for ordinal grades such as diabetic retinopathy).
   * Weights follow the label's index, not its value, as in scikit-learn.
   * @defaultValue unweighted (`null` also means unweighted)
   */
  weights?: 'linear' | 'quadratic' | null;
  /**
   * The classes, in order; samples with a label outside them are left out. At least one must
   * occur in `y1`.
   * @defaultValue the sorted distinct labels of `y1` and `y2` together
   */
  labels?: ArrayLike<number>;
  /**
   * Non-negative weight of each sample.
   * @defaultValue every sample weighs 1
   */
  sampleWeight?: ArrayLike<number>;
  /**
   * What to return when kappa is undefined (no samples, or both raters using one single
   * label so that chance agreement is 1 and kappa is 0/0): `'raise'` throws
   * {@link UndefinedMetricError}, `'nan'` or a number is returned instead (scikit-learn
   * returns NaN with a warning).
   * @defaultValue `'raise'`
   */
  onUndefined?: OnUndefined;
}

/**
 * Computes Cohen's kappa, the agreement between two raters corrected for chance agreement,
 * optionally weighted for ordinal classes.
 *
 * @remarks
 * Since 0.1.0. Equals scikit-learn's `cohen_kappa_score`: `1 - sum(W * C) / sum(W * E)` with
 * `C` the confusion matrix of `y1` against `y2`, `E` the outer product of its marginals
 * divided by the total, and `W` the disagreement weights by label index; sums are computed in
 * NumPy's pairwise order, so results agree to the last bits. Where scikit-learn returns NaN
 * (empty input, zero total weight, one label used by both raters) this throws
 * {@link UndefinedMetricError} naming the cause, unless `onUndefined` says otherwise.
 * One counting pass with a label-to-index table: linear time, fast for millions of samples.
 *
 * @param y1 - labels of the first rater (e.g. the ground truth).
 * @param y2 - labels of the second rater (e.g. the model's predictions).
 * @param options - see {@link CohenKappaOptions}.
 * @returns kappa, in [-1, 1]; 1 is perfect agreement, 0 chance level.
 * @throws {@link ShapeError} when the lengths differ.
 * @throws {@link InvalidArgumentError} for non-integer labels, a bad `weights` or `labels`.
 * @throws {@link UndefinedMetricError} when kappa is undefined (see `onUndefined`).
 *
 * @example
 * ```ts
 * import { cohenKappaScore } from 'dvme/metrics';
 * cohenKappaScore([0, 1, 2, 2, 1], [0, 1, 2, 1, 1]); // 0.6875
 * cohenKappaScore([0, 1, 2, 2, 1], [0, 1, 2, 1, 1], { weights: 'quadratic' }); // 0.8
 * cohenKappaScore([1, 1], [1, 1], { onUndefined: 'nan' }); // NaN
 * ```
 */
export function cohenKappaScore(
  y1: ArrayLike<number>,
  y2: ArrayLike<number>,
  options: CohenKappaOptions = {},
): number {
  const weights = options.weights ?? null;
  checkChoice('weights', weights, [null, 'linear', 'quadratic'] as const, 'Omit it for unweighted kappa.');
  const { counts, classes } = confusionCounts(['y1', y1], ['y2', y2], options.labels, options.sampleWeight);
  const k = classes.length;
  // sum0: column sums (sequential down each column, as np.sum(axis=0)); sum1: row sums.
  const sum0 = new Float64Array(k);
  const sum1 = new Float64Array(k);
  for (let i = 0; i < k; i++) {
    for (let j = 0; j < k; j++) sum0[j] += counts[i * k + j];
    sum1[i] = pairwiseSum(counts, i * k, k);
  }
  const total = pairwiseSum(sum0);
  if (!(total > 0)) {
    const why =
      counts.length === 0 || options.sampleWeight === undefined
        ? 'there are no samples' + (options.labels === undefined ? '' : ' with a label in labels')
        : 'the sample weights (of samples with a label in labels) sum to 0';
    return undefinedMetric(options.onUndefined, `Cohen's kappa is undefined: ${why}.`);
  }
  const w = new Float64Array(k * k);
  for (let i = 0; i < k; i++) {
    for (let j = 0; j < k; j++) {
      const d = i - j;
      w[i * k + j] = weights === 'linear' ? Math.abs(d) : weights === 'quadratic' ? d * d : d === 0 ? 0 : 1;
    }
  }
  const observed = new Float64Array(k * k);
  const expected = new Float64Array(k * k);
  for (let i = 0; i < k; i++) {
    for (let j = 0; j < k; j++) {
      observed[i * k + j] = w[i * k + j] * counts[i * k + j];
      expected[i * k + j] = w[i * k + j] * ((sum0[i] * sum1[j]) / total);
    }
  }
  const den = pairwiseSum(expected);
  if (!(den > 0)) {
    let only = 0;
    while (only < k && sum0[only] === 0) only++;
    return undefinedMetric(
      options.onUndefined,
      `Cohen's kappa is undefined: both raters put every sample on label ${classes[only]} ` +
        `(of ${formatLabels(classes)}), so chance agreement is 1 and kappa is 0/0.`,
    );
  }
  return 1 - pairwiseSum(observed) / den;
}

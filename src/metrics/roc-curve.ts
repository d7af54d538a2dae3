import { InvalidArgumentError, ShapeError } from '../errors/index.js';
import { binaryClfCurve, rates, withOrigin } from './binary-clf-curve.js';
import { formatLabels, toLabelVector, uniqueLabels } from './labels.js';
import { toScoreVector } from './scores.js';
import { checkSameLength, isRows, toSampleWeight, undefinedMetric, type OnUndefined } from './validate.js';
import { describe } from '../validation/describe.js';

/**
 * Options of {@link rocCurve}.
 *
 * @remarks Since 0.1.0. scikit-learn's `pos_label`, `sample_weight`, `drop_intermediate`.
 * @example
 * ```ts
 * import { rocCurve, type RocCurveOptions } from 'dvme/metrics';
 * const options: RocCurveOptions = { posLabel: 2, dropIntermediate: false };
 * rocCurve([1, 2, 2, 1], [0.3, 0.9, 0.6, 0.6], options).thresholds; // [Infinity, 0.9, 0.6, 0.3]
 * ```
 */
export interface RocCurveOptions {
  /**
   * The label of the positive class; every other label is negative.
   * @defaultValue `1` when `yTrue` takes values in `{0, 1}` or `{-1, 1}`; otherwise required.
   */
  posLabel?: number;
  /**
   * Non-negative weight of each sample. Zero-weight samples are removed first, so their scores
   * do not appear among the thresholds (as in scikit-learn).
   * @defaultValue every sample weighs 1
   */
  sampleWeight?: ArrayLike<number>;
  /**
   * Drop thresholds whose point lies on the straight line between its neighbours
   * (scikit-learn's second-difference rule). The area under the curve does not change.
   * @defaultValue `true`
   */
  dropIntermediate?: boolean;
  /**
   * What to do when `yTrue` has no positive or no negative sample, so that `tpr` or `fpr`
   * would divide by zero: `'raise'` throws {@link UndefinedMetricError}; `'nan'` or a number
   * fills the undefined rate with that value (scikit-learn fills with NaN and warns).
   * @defaultValue `'raise'`
   */
  onUndefined?: OnUndefined;
}

/**
 * A receiver operating characteristic curve: point `i` is the false and true positive rate of
 * predicting positive when `score >= thresholds[i]`.
 *
 * @remarks Since 0.1.0. scikit-learn's `(fpr, tpr, thresholds)` tuple.
 * @example
 * ```ts
 * import { rocCurve, type RocCurve } from 'dvme/metrics';
 * const curve: RocCurve = rocCurve([0, 1, 1], [0.2, 0.7, 0.9]);
 * curve.fpr; // Float64Array [0, 0, 0, 1]
 * curve.tpr; // Float64Array [0, 0.5, 1, 1]
 * ```
 */
export interface RocCurve {
  /** False positive rates, non-decreasing from 0 to 1. */
  readonly fpr: Float64Array;
  /** True positive rates, non-decreasing from 0 to 1. */
  readonly tpr: Float64Array;
  /** Decreasing thresholds; `thresholds[0]` is `Infinity` (no sample predicted positive). */
  readonly thresholds: Float64Array;
}

/**
 * Computes the receiver operating characteristic (ROC) curve of a binary classifier's scores.
 *
 * @remarks
 * Since 0.1.0. Equals scikit-learn's `roc_curve` (same thresholds, same points, same
 * `drop_intermediate` rule, same weighted counts) except for `thresholds[0]`: it is
 * `Infinity`, as in scikit-learn 1.3 and later, where scikit-learn 1.2 used
 * `max(yScore) + 1`. Labels must be integers; scores must be finite
 * ({@link NonFiniteError} otherwise). Runs in O(n) after a linear-time radix sort.
 *
 * @param yTrue - true labels, one per sample.
 * @param yScore - scores, higher meaning more likely positive (probabilities or margins).
 * @param options - see {@link RocCurveOptions}.
 * @returns the curve, starting at (0, 0) and ending at (1, 1).
 * @throws {@link ShapeError} when lengths differ.
 * @throws {@link InvalidArgumentError} when `posLabel` is needed but missing.
 * @throws {@link UndefinedMetricError} when one class is absent (see `onUndefined`).
 *
 * @example
 * ```ts
 * import { rocCurve } from 'dvme/metrics';
 * const { fpr, tpr, thresholds } = rocCurve([1, 1, 2, 2], [0.1, 0.4, 0.35, 0.8], { posLabel: 2 });
 * // fpr        [0, 0, 0.5, 0.5, 1]
 * // tpr        [0, 0.5, 0.5, 1, 1]
 * // thresholds [Infinity, 0.8, 0.4, 0.35, 0.1]
 * ```
 */
export function rocCurve(
  yTrue: ArrayLike<number>,
  yScore: ArrayLike<number>,
  options: RocCurveOptions = {},
): RocCurve {
  if (isRows(yScore)) {
    throw new ShapeError(
      'rocCurve takes 1-D scores (one per sample) for a binary problem; received yScore as rows. ' +
        'Pass the column of the positive class, e.g. rows.map((r) => r[1]).',
    );
  }
  const y = toLabelVector('yTrue', yTrue);
  const score = toScoreVector('yScore', yScore);
  checkSameLength('yTrue', y.length, 'yScore', score.length);
  const weight = toSampleWeight(options.sampleWeight, y.length);
  const posLabel = resolvePosLabel(y, weight, options.posLabel);
  const isPos = new Uint8Array(y.length);
  for (let i = 0; i < y.length; i++) isPos[i] = y[i] === posLabel ? 1 : 0;

  const curve = withOrigin(
    binaryClfCurve({ score, isPos, weight }),
    options.dropIntermediate ?? true,
  );
  const last = curve.fps.length - 1;
  const weighted = weight === undefined ? '' : ' with non-zero weight';
  let fpr: Float64Array;
  if (curve.fps[last] > 0) fpr = rates(curve.fps);
  else {
    const fill = undefinedMetric(
      options.onUndefined,
      `The ROC curve's false positive rate is undefined: yTrue has no negative sample ` +
        `(label other than ${posLabel})${weighted}${y.length === 0 ? ' (it is empty)' : ''}.`,
    );
    fpr = new Float64Array(last + 1).fill(fill);
  }
  let tpr: Float64Array;
  if (curve.tps[last] > 0) tpr = rates(curve.tps);
  else {
    const fill = undefinedMetric(
      options.onUndefined,
      `The ROC curve's true positive rate is undefined: yTrue has no positive sample ` +
        `(label ${posLabel})${weighted}${y.length === 0 ? ' (it is empty)' : ''}.`,
    );
    tpr = new Float64Array(last + 1).fill(fill);
  }
  return { fpr, tpr, thresholds: curve.thresholds };
}

/** scikit-learn's `_check_pos_label_consistency`, plus its rejection of multiclass targets. */
function resolvePosLabel(
  y: Float64Array,
  weight: Float64Array | undefined,
  posLabel: number | undefined,
): number {
  if (posLabel !== undefined) {
    if (typeof posLabel !== 'number' || !Number.isFinite(posLabel)) {
      throw new InvalidArgumentError(
        `posLabel must be a finite number (the label of the positive class); received ${describe(posLabel)}.`,
      );
    }
    return posLabel;
  }
  const all = uniqueLabels(y);
  if (all.length > 2) {
    throw new InvalidArgumentError(
      `yTrue holds ${all.length} classes ${formatLabels(all)} and posLabel is not given; ` +
        'a ROC curve is binary. Pass posLabel to score that class against all others.',
    );
  }
  // sklearn checks the classes left after dropping zero-weight samples.
  let kept = y;
  if (weight !== undefined) kept = y.filter((_, i) => weight[i] !== 0);
  const classes = uniqueLabels(kept);
  const ok =
    classes.every((c) => c === 0 || c === 1) || classes.every((c) => c === -1 || c === 1);
  if (!ok) {
    throw new InvalidArgumentError(
      `yTrue takes values in ${formatLabels(classes)} and posLabel is not given; ` +
        'it defaults to 1 only for labels in {0, 1} or {-1, 1}. Pass posLabel explicitly.',
    );
  }
  return 1;
}

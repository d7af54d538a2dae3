import { InvalidArgumentError } from '../errors/index.js';
import { encodeLabels, formatLabels, toLabelList, toLabelVector, uniqueLabels } from './labels.js';
import { checkChoice, checkSameLength, isRows, toSampleWeight } from './validate.js';

/**
 * Options of {@link confusionMatrix}.
 *
 * @remarks Since 0.1.0. scikit-learn's `labels`, `sample_weight`, `normalize`.
 * @example
 * ```ts
 * import { confusionMatrix, type ConfusionMatrixOptions } from 'dvme/metrics';
 * const options: ConfusionMatrixOptions = { labels: [1, 0], normalize: 'all' };
 * confusionMatrix([0, 1, 1, 1], [0, 1, 0, 1], options); // [[0.5, 0.25], [0, 0.25]]
 * ```
 */
export interface ConfusionMatrixOptions {
  /**
   * The classes that index the rows and columns, in that order (a subset or a reordering).
   * Samples whose true or predicted label is not among them are left out. At least one of them
   * must occur in `yTrue`.
   * @defaultValue the sorted distinct labels of `yTrue` and `yPred` together
   */
  labels?: ArrayLike<number>;
  /**
   * Non-negative weight of each sample; cells then hold weight sums.
   * @defaultValue every sample weighs 1
   */
  sampleWeight?: ArrayLike<number>;
  /**
   * Divide by the row sums (`'true'`: each row is the distribution of predictions for that
   * true class), the column sums (`'pred'`), or the total (`'all'`). Empty rows or columns
   * become zeros.
   * @defaultValue counts, not normalised
   */
  normalize?: 'true' | 'pred' | 'all';
}

/**
 * Computes the confusion matrix: cell `[i][j]` counts samples of true class `labels[i]`
 * predicted as class `labels[j]`.
 *
 * @remarks
 * Since 0.1.0. Equals scikit-learn's `confusion_matrix`, including how samples with labels
 * outside `labels` are dropped, the all-zero matrix for empty input with `labels`, and zeros
 * (not NaN) where `normalize` divides by an empty row or column. Differences on purpose:
 * duplicate entries in `labels` throw (scikit-learn silently leaves a zero row), labels must be
 * integers (scikit-learn rejects non-integer "continuous" targets too), and sample weights must
 * be non-negative.
 *
 * @param yTrue - true class labels.
 * @param yPred - predicted class labels.
 * @param options - see {@link ConfusionMatrixOptions}.
 * @returns a square matrix, one row and one column per class.
 * @throws {@link ShapeError} when the lengths differ.
 * @throws {@link InvalidArgumentError} when `labels` is empty, repeats a label, or has no
 *   label that occurs in `yTrue` (scikit-learn: "At least one label specified must be in y_true").
 *
 * @example
 * ```ts
 * import { confusionMatrix } from 'dvme/metrics';
 * confusionMatrix([2, 0, 2, 2, 0, 1], [0, 0, 2, 2, 0, 2]);
 * // [[2, 0, 0], [0, 0, 1], [1, 0, 2]]
 * confusionMatrix([0, 0, 1, 1], [0, 1, 1, 1], { normalize: 'true' });
 * // [[0.5, 0.5], [0, 1]]
 * ```
 */
export function confusionMatrix(
  yTrue: ArrayLike<number>,
  yPred: ArrayLike<number>,
  options: ConfusionMatrixOptions = {},
): number[][] {
  const { normalize } = options;
  checkChoice('normalize', normalize, [undefined, 'true', 'pred', 'all'] as const);
  const { counts, classes } = confusionCounts(
    ['yTrue', yTrue],
    ['yPred', yPred],
    options.labels,
    options.sampleWeight,
  );
  const k = classes.length;
  const out: number[][] = [];
  for (let i = 0; i < k; i++) out.push(Array.from(counts.subarray(i * k, (i + 1) * k)));
  if (normalize === undefined) return out;
  const rowSum = new Float64Array(k);
  const colSum = new Float64Array(k);
  let total = 0;
  for (let i = 0; i < k; i++) {
    for (let j = 0; j < k; j++) {
      rowSum[i] += out[i][j];
      colSum[j] += out[i][j];
      total += out[i][j];
    }
  }
  for (let i = 0; i < k; i++) {
    for (let j = 0; j < k; j++) {
      const d = normalize === 'true' ? rowSum[i] : normalize === 'pred' ? colSum[j] : total;
      // np.nan_to_num after dividing: an empty row/column (0 / 0) becomes 0.
      out[i][j] = d === 0 ? 0 : out[i][j] / d;
    }
  }
  return out;
}

/** @internal A k x k row-major count matrix and the classes that index it. */
export interface ConfusionCounts {
  readonly counts: Float64Array;
  readonly classes: Float64Array;
}

/**
 * @internal The validated counting core of {@link confusionMatrix} (and of kappa): one pass
 * over the samples after encoding labels to indices. Each input comes with its name for
 * error messages.
 */
export function confusionCounts(
  [nameA, a]: [string, ArrayLike<number>],
  [nameB, b]: [string, ArrayLike<number>],
  labels: ArrayLike<number> | undefined,
  sampleWeight: ArrayLike<number> | undefined,
): ConfusionCounts {
  for (const [name, x] of [[nameA, a], [nameB, b]] as const) {
    if (isRows(x)) {
      throw new InvalidArgumentError(
        `${name} must be 1-D class labels; received rows (a multilabel indicator matrix?), ` +
          'which this metric does not support.',
      );
    }
  }
  const ya = toLabelVector(nameA, a);
  const yb = toLabelVector(nameB, b);
  checkSameLength(nameA, ya.length, nameB, yb.length);
  const weight = toSampleWeight(sampleWeight, ya.length);
  let classes: Float64Array;
  if (labels === undefined) classes = uniqueLabels(ya, yb);
  else {
    classes = toLabelList(labels);
    if (ya.length === 0) return { counts: new Float64Array(classes.length ** 2), classes };
    const present = uniqueLabels(ya);
    if (!classes.some((c) => binarySearch(present, c))) {
      throw new InvalidArgumentError(
        `None of labels ${formatLabels(classes)} occurs in ${nameA}, whose labels are ` +
          `${formatLabels(present)}; at least one must. Check that labels uses the same encoding.`,
      );
    }
  }
  const k = classes.length;
  const ia = encodeLabels(ya, classes);
  const ib = encodeLabels(yb, classes);
  const counts = new Float64Array(k * k);
  if (weight === undefined) {
    for (let i = 0; i < ia.length; i++) {
      if (ia[i] >= 0 && ib[i] >= 0) counts[ia[i] * k + ib[i]]++;
    }
  } else {
    for (let i = 0; i < ia.length; i++) {
      if (ia[i] >= 0 && ib[i] >= 0) counts[ia[i] * k + ib[i]] += weight[i];
    }
  }
  return { counts, classes };
}

function binarySearch(sorted: Float64Array, v: number): boolean {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid] < v) lo = mid + 1;
    else hi = mid;
  }
  return lo < sorted.length && sorted[lo] === v;
}

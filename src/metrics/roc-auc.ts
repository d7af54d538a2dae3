import { InvalidArgumentError, NonFiniteError, ShapeError } from '../errors/index.js';
import { formatLabels, toLabelList, toLabelVector, uniqueLabels } from './labels.js';
import {
  averageBinaryScore,
  isDefined,
  scoreBinary,
  type RocAucAverage,
} from './roc-auc-average.js';
import { multiclassRocAuc, type RocAucMultiClass } from './roc-auc-multiclass.js';
import { readScores } from './scores.js';
import { checkChoice, checkSameLength, isRows, toMatrix, toSampleWeight, undefinedMetric, type Matrix, type OnUndefined, type Rows } from './validate.js';
import { describe } from '../validation/describe.js';

export type { RocAucAverage } from './roc-auc-average.js';
export type { RocAucMultiClass } from './roc-auc-multiclass.js';

/**
 * Options of {@link rocAucScore}.
 *
 * @remarks Since 0.1.0. scikit-learn's `average`, `multi_class`, `labels`, `max_fpr`,
 * `sample_weight`, plus `onUndefined`.
 * @example
 * ```ts
 * import { rocAucScore, type RocAucOptions } from 'dvme/metrics';
 * const options: RocAucOptions = { maxFpr: 0.5 };
 * rocAucScore([0, 0, 1, 1], [1, 2, 3, 4], options); // 1
 * ```
 */
export interface RocAucOptions {
  /**
   * How per-label (multilabel) or per-class (multiclass) scores are averaged; see
   * {@link RocAucAverage}. Ignored for binary targets, except that `null` wraps the binary
   * score in a one-element array. Multiclass accepts `'macro'`, `'weighted'`, and with
   * `'ovr'` also `'micro'` and `null`.
   * @defaultValue `'macro'`
   */
  average?: RocAucAverage;
  /**
   * Multiclass strategy; see {@link RocAucMultiClass}. The default throws for multiclass
   * targets, as scikit-learn does, because one-vs-rest and one-vs-one answer different
   * questions and the choice should be explicit.
   * @defaultValue `'raise'`
   */
  multiClass?: RocAucMultiClass;
  /**
   * The classes, in increasing order, that the columns of `yScore` stand for. Needed for
   * multiclass targets when some class is absent from `yTrue`; for binary targets with
   * probability rows it names `[negative, positive]`. Ignored for multilabel targets.
   * @defaultValue the sorted distinct labels of `yTrue`
   */
  labels?: ArrayLike<number>;
  /**
   * Return the McClish-standardised partial AUC over false positive rates in `[0, maxFpr]`,
   * in `(0, 1]` (`1` means the full AUC). Binary and multilabel targets only.
   * @defaultValue the full AUC
   */
  maxFpr?: number;
  /**
   * Non-negative weight of each sample (not supported with `multiClass: 'ovo'`).
   * @defaultValue every sample weighs 1
   */
  sampleWeight?: ArrayLike<number>;
  /**
   * What to return when the AUC is undefined (a class with no sample): `'raise'` throws
   * {@link UndefinedMetricError} naming the class or label; `'nan'` or a number stands in for
   * each undefined score (before averaging).
   * @defaultValue `'raise'`
   */
  onUndefined?: OnUndefined;
}

/**
 * Computes the area under the ROC curve (ROC AUC) for binary, multiclass and multilabel
 * targets.
 *
 * @remarks
 * Since 0.1.0. Equals scikit-learn's `roc_auc_score` (>= 1.2) with these inputs:
 *
 * - binary: `yTrue` with two labels (the greater is positive) and 1-D scores; probability rows
 *   of width 2 are also accepted (column 1 is used; scikit-learn rejects them);
 * - multiclass: `yTrue` labels and probability rows (one column per class, rows summing to 1
 *   within `np.allclose` tolerance) with `multiClass: 'ovr'` (`'macro'`, `'weighted'`,
 *   `'micro'`, `null`) or `'ovo'` (`'macro'` = Hand & Till 2001, `'weighted'` by pair
 *   prevalence);
 * - multilabel: `yTrue` as 0/1 indicator rows with score rows of the same shape, averaged
 *   `'macro'`, `'micro'`, `'weighted'`, `'samples'` or not at all (`null`).
 *
 * The full AUC is computed exactly as the Mann-Whitney statistic with ties counted half (the
 * trapezoid area of the full curve) after a linear-time radix sort, so it is faster than
 * scikit-learn and agrees with it to rounding. A class without samples makes the score
 * undefined: scikit-learn raises `ValueError`; here {@link UndefinedMetricError} names the
 * class, unless `onUndefined` says otherwise. Differences on purpose: `average: null` always
 * returns a `Float64Array` (length 1 for binary targets); `labels` with 1-D binary scores must
 * hold exactly two classes (scikit-learn ignores it); multilabel `yTrue` must be 0/1.
 *
 * @param yTrue - labels (binary, multiclass) or 0/1 indicator rows (multilabel).
 * @param yScore - scores: 1-D for binary targets, rows for multiclass and multilabel.
 * @param options - see {@link RocAucOptions}.
 * @returns the (averaged) AUC, or per-label AUCs for `average: null`.
 * @throws {@link ShapeError} when lengths or widths do not fit.
 * @throws {@link NonFiniteError} when a score is NaN or infinite.
 * @throws {@link InvalidArgumentError} for a bad option, labels outside `labels`, or
 *   multiclass scores that are not probabilities.
 * @throws {@link UndefinedMetricError} when a class has no sample (see `onUndefined`).
 *
 * @example
 * ```ts
 * import { rocAucScore } from 'dvme/metrics';
 * rocAucScore([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8]); // 0.75
 * rocAucScore([0, 1, 2], [[0.7, 0.2, 0.1], [0.2, 0.5, 0.3], [0.1, 0.2, 0.7]], { multiClass: 'ovr' }); // 1
 * rocAucScore([[1, 0], [0, 1], [1, 1]], [[0.9, 0.2], [0.3, 0.8], [0.6, 0.7]], { average: null });
 * // Float64Array [1, 1]
 * ```
 */
export function rocAucScore(
  yTrue: ArrayLike<number> | Rows,
  yScore: ArrayLike<number> | Rows,
  options: RocAucOptions & { average: null },
): Float64Array;
export function rocAucScore(
  yTrue: ArrayLike<number> | Rows,
  yScore: ArrayLike<number> | Rows,
  options?: RocAucOptions & { average?: Exclude<RocAucAverage, null> },
): number;
export function rocAucScore(
  yTrue: ArrayLike<number> | Rows,
  yScore: ArrayLike<number> | Rows,
  options?: RocAucOptions,
): number | Float64Array;
export function rocAucScore(
  yTrue: ArrayLike<number> | Rows,
  yScore: ArrayLike<number> | Rows,
  options: RocAucOptions = {},
): number | Float64Array {
  const average = options.average === undefined ? 'macro' : options.average;
  checkChoice('average', average, ['macro', 'micro', 'weighted', 'samples', null] as const);
  const multiClass = options.multiClass ?? 'raise';
  checkChoice('multiClass', multiClass, ['raise', 'ovr', 'ovo'] as const);
  const maxFpr = toMaxFpr(options.maxFpr);
  const { vector, matrix } = readScores('yScore', yScore);
  const n = matrix === undefined ? vector.length : matrix.rows;

  if (isRows(yTrue) && yTrue[0].length !== 1) {
    const truth = toIndicator(yTrue);
    if (matrix === undefined || matrix.rows !== truth.rows || matrix.cols !== truth.cols) {
      throw new ShapeError(
        `Multilabel yTrue (${truth.rows} rows of ${truth.cols} 0/1 indicators) needs yScore ` +
          `rows of the same shape; received ${matrix === undefined ? `a 1-D yScore of length ${n}` : `${matrix.rows} rows of ${matrix.cols}`}.`,
      );
    }
    const weight = toSampleWeight(options.sampleWeight, truth.rows);
    return averageBinaryScore(
      { truth: truth.data, score: matrix.data, rows: truth.rows, cols: truth.cols, weight },
      average,
      maxFpr,
      options.onUndefined,
      (i, bySample) => (bySample ? `sample ${i} (row ${i} of yTrue)` : `label column ${i} of yTrue`),
    );
  }

  const y = isRows(yTrue) ? toLabelVector('yTrue', toMatrix('yTrue', yTrue).data) : toLabelVector('yTrue', yTrue);
  checkSameLength('yTrue', y.length, 'yScore', n);
  const weight = toSampleWeight(options.sampleWeight, y.length);
  const labels = options.labels === undefined ? undefined : toLabelList(options.labels, true);
  const present = uniqueLabels(y);
  if (present.length > 2 || (matrix !== undefined && matrix.cols > 2)) {
    return multiclassRocAuc(y, matrix, present, {
      labels,
      multiClass,
      average,
      weight,
      maxFpr,
      onUndefined: options.onUndefined,
    });
  }

  let negLabel: number | undefined = present.length === 2 ? present[0] : undefined;
  let posLabel: number | undefined = present.length === 2 ? present[1] : undefined;
  if (labels !== undefined) {
    if (labels.length !== 2) {
      throw new InvalidArgumentError(
        `labels holds ${labels.length} classes ${formatLabels(labels)}, but yScore ` +
          `${matrix === undefined ? 'is 1-D' : `has ${matrix.cols} column(s)`}, a binary problem: ` +
          'pass [negative, positive], or one probability column per class.',
      );
    }
    for (const p of present) {
      if (!labels.includes(p)) {
        throw new InvalidArgumentError(
          `yTrue holds label ${p}, which is not in labels ${formatLabels(labels)}. Fix labels or yTrue.`,
        );
      }
    }
    [negLabel, posLabel] = [labels[0], labels[1]];
  }
  const score = matrix === undefined ? vector : column(matrix, matrix.cols - 1);
  const isPos = new Uint8Array(y.length);
  for (let i = 0; i < y.length; i++) isPos[i] = y[i] === posLabel ? 1 : 0;

  let value: number;
  if (posLabel === undefined) {
    value = undefinedMetric(
      options.onUndefined,
      present.length === 0
        ? 'ROC AUC is undefined: yTrue is empty.'
        : `ROC AUC is undefined: yTrue holds only one class (label ${present[0]}); ` +
            'it needs at least one sample of each of the two classes.',
    );
  } else {
    const r = scoreBinary({ score, isPos, weight }, maxFpr);
    const w = weight === undefined ? '' : ' with non-zero weight';
    value = isDefined(r)
      ? r.auc
      : undefinedMetric(
          options.onUndefined,
          `ROC AUC is undefined: yTrue has no sample${w} of the ` +
            (r.pos > 0 ? `negative class (label ${negLabel}).` : `positive class (label ${posLabel}).`),
        );
  }
  return average === null ? Float64Array.of(value) : value;
}

/** `undefined` for the full AUC (sklearn treats `max_fpr == 1` so too), else a value in (0, 1). */
function toMaxFpr(maxFpr: number | undefined): number | undefined {
  if (maxFpr === undefined || maxFpr === 1) return undefined;
  if (typeof maxFpr !== 'number' || !(maxFpr > 0 && maxFpr <= 1)) {
    throw new InvalidArgumentError(
      `maxFpr must be a number in (0, 1]; received ${describe(maxFpr)}. ` +
        'Use e.g. 0.1 for the standardised AUC over false positive rates up to 10%.',
    );
  }
  return maxFpr;
}

/** Reads multilabel indicator rows, requiring 0/1 values. */
function toIndicator(yTrue: Rows): { data: Uint8Array; rows: number; cols: number } {
  const m = toMatrix('yTrue', yTrue);
  if (m.cols === 0) throw new ShapeError('yTrue rows are empty; give one 0/1 indicator per label.');
  const data = new Uint8Array(m.data.length);
  for (let i = 0; i < data.length; i++) {
    const v = m.data[i];
    if (v !== 0 && v !== 1) {
      const where = `yTrue[${Math.floor(i / m.cols)}][${i % m.cols}]`;
      if (!Number.isFinite(v)) throw new NonFiniteError(`${where} is ${v}; multilabel yTrue must hold 0/1 indicators.`);
      throw new InvalidArgumentError(
        `Multilabel yTrue (rows) must hold 0/1 indicators; ${where} is ${v}. ` +
          'For multiclass targets pass 1-D labels and probability rows as yScore.',
      );
    }
    data[i] = v;
  }
  return { data, rows: m.rows, cols: m.cols };
}

function column(m: Matrix, c: number): Float64Array {
  const out = new Float64Array(m.rows);
  for (let i = 0; i < m.rows; i++) out[i] = m.data[i * m.cols + c];
  return out;
}

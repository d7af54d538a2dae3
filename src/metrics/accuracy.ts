import { InvalidArgumentError, NonFiniteError, ShapeError, type UndefinedMetricError } from '../errors/index.js';
import { toLabelVector } from './labels.js';
import { checkSameLength, isRows, toMatrix, toSampleWeight, undefinedMetric, type OnUndefined, type Rows } from './validate.js';

/**
 * Options of {@link accuracyScore}.
 *
 * @remarks Since 0.1.0. scikit-learn's `normalize`, `sample_weight`, plus `onUndefined`.
 * @example
 * ```ts
 * import { accuracyScore, type AccuracyOptions } from 'dvme/metrics';
 * const options: AccuracyOptions = { sampleWeight: [3, 1] };
 * accuracyScore([0, 1], [0, 0], options); // 0.75
 * ```
 */
export interface AccuracyOptions {
  /**
   * Return the fraction of correct samples (`true`) or their number (`false`; with weights,
   * the weight sum of the correct samples).
   * @defaultValue `true`
   */
  normalize?: boolean;
  /**
   * Non-negative weight of each sample.
   * @defaultValue every sample weighs 1
   */
  sampleWeight?: ArrayLike<number>;
  /**
   * What the normalised score is when there is nothing to divide by (no samples, or sample
   * weights summing to 0): `'raise'` throws {@link UndefinedMetricError}, `'nan'` or a number
   * is returned instead (scikit-learn returns NaN, or raises `ZeroDivisionError` for weights).
   * @defaultValue `'raise'`
   */
  onUndefined?: OnUndefined;
}

/**
 * Computes the accuracy: the fraction of samples whose predicted label equals the true label
 * (for multilabel indicator rows, the fraction whose whole row matches: subset accuracy).
 *
 * @remarks
 * Since 0.1.0. Equals scikit-learn's `accuracy_score`. Labels must be integers; multilabel
 * rows must hold 0/1 on both sides, with the same shape. Rows one value wide are read as 1-D
 * labels, as scikit-learn reads a column vector.
 *
 * @param yTrue - true labels, or 0/1 indicator rows.
 * @param yPred - predicted labels, or 0/1 indicator rows of the same shape.
 * @param options - see {@link AccuracyOptions}.
 * @returns the fraction (or, with `normalize: false`, the count) of correct samples.
 * @throws {@link ShapeError} when lengths or row widths differ.
 * @throws {@link InvalidArgumentError} for non-integer labels, non-0/1 indicators, or 1-D
 *   labels mixed with indicator rows.
 * @throws {@link UndefinedMetricError} for an empty input or zero total weight (see `onUndefined`).
 *
 * @example
 * ```ts
 * import { accuracyScore } from 'dvme/metrics';
 * accuracyScore([0, 1, 2, 3], [0, 2, 1, 3]); // 0.5
 * accuracyScore([0, 1, 2, 3], [0, 2, 1, 3], { normalize: false }); // 2
 * accuracyScore([[0, 1], [1, 1]], [[1, 1], [1, 1]]); // 0.5
 * ```
 */
export function accuracyScore(
  yTrue: ArrayLike<number> | Rows,
  yPred: ArrayLike<number> | Rows,
  options: AccuracyOptions = {},
): number {
  const normalize = options.normalize ?? true;
  if (typeof normalize !== 'boolean') {
    throw new InvalidArgumentError(`normalize must be true or false; received ${String(normalize)}.`);
  }
  const correct = matches(yTrue, yPred);
  const n = correct.length;
  const weight = toSampleWeight(options.sampleWeight, n);
  let hits = 0;
  let total = n;
  if (weight === undefined) {
    for (let i = 0; i < n; i++) hits += correct[i];
  } else {
    total = 0;
    for (let i = 0; i < n; i++) {
      hits += correct[i] * weight[i];
      total += weight[i];
    }
  }
  if (!normalize) return hits;
  if (total === 0) {
    return undefinedMetric(
      options.onUndefined,
      n === 0
        ? 'Accuracy is undefined: yTrue and yPred are empty.'
        : 'Accuracy is undefined: the sample weights sum to 0.',
    );
  }
  return hits / total;
}

/** 1 where the sample's prediction is right, after scikit-learn's `_check_targets` rules. */
function matches(yTrue: ArrayLike<number> | Rows, yPred: ArrayLike<number> | Rows): Uint8Array {
  const a = readTarget('yTrue', yTrue);
  const b = readTarget('yPred', yPred);
  if (a.kind !== b.kind) {
    throw new InvalidArgumentError(
      `yTrue is ${a.kind === 'rows' ? 'multilabel indicator rows' : '1-D labels'} but yPred is ` +
        `${b.kind === 'rows' ? 'multilabel indicator rows' : '1-D labels'}; pass both in the same form.`,
    );
  }
  checkSameLength('yTrue', a.rows, 'yPred', b.rows);
  if (a.cols !== b.cols) {
    throw new ShapeError(`yTrue rows have ${a.cols} indicators but yPred rows have ${b.cols}; they must match.`);
  }
  const out = new Uint8Array(a.rows);
  const { cols } = a;
  for (let i = 0; i < a.rows; i++) {
    let same = 1;
    for (let c = 0; c < cols; c++) {
      if (a.data[i * cols + c] !== b.data[i * cols + c]) {
        same = 0;
        break;
      }
    }
    out[i] = same;
  }
  return out;
}

interface Target {
  readonly kind: 'labels' | 'rows';
  readonly data: Float64Array;
  readonly rows: number;
  readonly cols: number;
}

function readTarget(name: string, y: ArrayLike<number> | Rows): Target {
  if (!isRows(y)) {
    const data = toLabelVector(name, y as ArrayLike<number>);
    return { kind: 'labels', data, rows: data.length, cols: 1 };
  }
  const m = toMatrix(name, y);
  if (m.cols === 0) throw new ShapeError(`${name} rows are empty; give one 0/1 indicator per label.`);
  if (m.cols === 1) return { kind: 'labels', data: toLabelVector(name, m.data), rows: m.rows, cols: 1 };
  for (let i = 0; i < m.data.length; i++) {
    const v = m.data[i];
    if (v !== 0 && v !== 1) {
      const where = `${name}[${Math.floor(i / m.cols)}][${i % m.cols}]`;
      if (!Number.isFinite(v)) throw new NonFiniteError(`${where} is ${v}; indicator rows must hold 0/1.`);
      throw new InvalidArgumentError(
        `Multilabel ${name} rows must hold 0/1 indicators; ${where} is ${v}. ` +
          'Multiclass-multioutput targets are not supported (as in scikit-learn).',
      );
    }
  }
  return { kind: 'rows', ...m };
}


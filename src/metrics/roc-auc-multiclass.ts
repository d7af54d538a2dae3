/**
 * Multiclass ROC AUC from per-class probability rows: one-vs-rest (scikit-learn's
 * `label_binarize` + `_average_binary_score`) and one-vs-one (Hand & Till 2001, sklearn's
 * `_average_multiclass_ovo_score`).
 *
 * @packageDocumentation
 */
import { InvalidArgumentError, ShapeError } from '../errors/index.js';
import { binaryAuc } from './binary-clf-curve.js';
import { encodeLabels, formatLabels } from './labels.js';
import { averageBinaryScore, type RocAucAverage } from './roc-auc-average.js';
import { undefinedMetric, type Matrix, type OnUndefined } from './validate.js';

/**
 * How {@link rocAucScore} reduces a multiclass problem to binary ones: `'ovr'` scores each
 * class against all others, `'ovo'` averages every pair of classes (Hand & Till), and
 * `'raise'` throws, asking for one of the two.
 *
 * @remarks Since 0.1.0. The values and meanings of scikit-learn's `multi_class`.
 * @example
 * ```ts
 * import { rocAucScore, type RocAucMultiClass } from 'dvme/metrics';
 * const multiClass: RocAucMultiClass = 'ovo';
 * rocAucScore([0, 1, 2], [[0.7, 0.2, 0.1], [0.2, 0.5, 0.3], [0.1, 0.2, 0.7]], { multiClass }); // 1
 * ```
 */
export type RocAucMultiClass = 'raise' | 'ovr' | 'ovo';

/** @internal Options the multiclass path needs, already validated where they are shared. */
export interface MulticlassOptions {
  readonly labels: Float64Array | undefined;
  readonly multiClass: RocAucMultiClass;
  readonly average: RocAucAverage;
  readonly weight: Float64Array | undefined;
  readonly maxFpr: number | undefined;
  readonly onUndefined: OnUndefined | undefined;
}

/** @internal Multiclass ROC AUC, with sklearn's checks in sklearn's order. */
export function multiclassRocAuc(
  y: Float64Array,
  score: Matrix | undefined,
  present: Float64Array,
  o: MulticlassOptions,
): number | Float64Array {
  if (o.maxFpr !== undefined) {
    throw new InvalidArgumentError(
      `Partial AUC (maxFpr = ${o.maxFpr}) is not available for multiclass targets ` +
        `(yTrue holds ${present.length} classes); leave maxFpr unset.`,
    );
  }
  if (o.multiClass === 'raise') {
    throw new InvalidArgumentError(
      `yTrue is multiclass (classes ${formatLabels(o.labels ?? present)}) and multiClass is 'raise'. ` +
        "Pass multiClass: 'ovr' (each class against the rest) or 'ovo' (every pair of classes, Hand & Till).",
    );
  }
  if (score === undefined) {
    throw new ShapeError(
      `yTrue is multiclass (classes ${formatLabels(present)}), so yScore must be rows of per-class ` +
        'probabilities, one column per class; received a 1-D yScore.',
    );
  }
  const { rows, cols, data } = score;
  for (let i = 0; i < rows; i++) {
    let sum = 0;
    for (let c = 0; c < cols; c++) sum += data[i * cols + c];
    // np.allclose(1, sum): |1 - sum| <= 1e-8 + 1e-5 * |sum|.
    if (!(Math.abs(1 - sum) <= 1e-8 + 1e-5 * Math.abs(sum))) {
      throw new InvalidArgumentError(
        `Multiclass ROC AUC needs probabilities in yScore, each row summing to 1; row ${i} sums to ${sum}. ` +
          'Apply a softmax to scores or logits first.',
      );
    }
  }
  const ovr = o.multiClass === 'ovr';
  const allowed: RocAucAverage[] = ovr ? ['micro', 'macro', 'weighted', null] : ['macro', 'weighted'];
  if (!allowed.includes(o.average)) {
    throw new InvalidArgumentError(
      `average must be one of ${allowed.map((a) => (a === null ? 'null' : `'${a}'`)).join(', ')} ` +
        `for multiclass targets with multiClass '${o.multiClass}'; received ` +
        `${o.average === null ? 'null' : `'${o.average}'`}.` +
        (ovr ? '' : " Per-class scores (average: null) exist for 'ovr' only."),
    );
  }
  let classes: Float64Array;
  if (o.labels !== undefined) {
    classes = o.labels;
    if (classes.length !== cols) {
      throw new ShapeError(
        `labels holds ${classes.length} classes but yScore has ${cols} columns; give one label per column.`,
      );
    }
    for (let i = 0; i < present.length; i++) {
      if (!classes.includes(present[i])) {
        throw new InvalidArgumentError(
          `yTrue holds label ${present[i]}, which is not in labels ${formatLabels(classes)}. ` +
            'Add it to labels (with a yScore column) or drop those samples.',
        );
      }
    }
  } else {
    classes = present;
    if (classes.length !== cols) {
      throw new ShapeError(
        `yTrue holds ${classes.length} classes ${formatLabels(classes)} but yScore has ${cols} columns. ` +
          'Pass labels (sorted, one per column) when some classes are absent from yTrue.',
      );
    }
  }
  const enc = encodeLabels(y, classes);
  if (ovr) {
    const truth = new Uint8Array(rows * cols);
    for (let i = 0; i < rows; i++) truth[i * cols + enc[i]] = 1;
    return averageBinaryScore(
      { truth, score: data, rows, cols, weight: o.weight },
      o.average,
      undefined,
      o.onUndefined,
      (c) => `class ${classes[c]} (column ${c}) against the rest`,
    );
  }
  if (o.weight !== undefined) {
    throw new InvalidArgumentError(
      "sampleWeight is not supported with multiClass 'ovo' (as in scikit-learn); " +
        "drop it or use multiClass 'ovr'.",
    );
  }
  return ovoScore(enc, data, rows, cols, classes, o);
}

/** Hand & Till: the mean over class pairs of the two one-vs-one AUCs of each pair. */
function ovoScore(
  enc: Int32Array,
  data: Float64Array,
  rows: number,
  cols: number,
  classes: Float64Array,
  o: MulticlassOptions,
): number {
  // Samples grouped by class (a counting sort), so each pair touches only its own samples.
  const start = new Int32Array(cols + 1);
  for (let i = 0; i < rows; i++) start[enc[i] + 1]++;
  for (let c = 0; c < cols; c++) start[c + 1] += start[c];
  const members = new Int32Array(rows);
  const fill = start.slice(0, cols);
  for (let i = 0; i < rows; i++) members[fill[enc[i]]++] = i;
  const presentIdx: number[] = [];
  for (let c = 0; c < cols; c++) if (start[c + 1] > start[c]) presentIdx.push(c);
  if (presentIdx.length < 2) {
    return undefinedMetric(
      o.onUndefined,
      `One-vs-one ROC AUC is undefined: yTrue holds ${presentIdx.length === 0 ? 'no samples' : `only class ${classes[presentIdx[0]]}`}, ` +
        'and it needs at least two classes to form a pair.',
    );
  }
  const weighted = o.average === 'weighted';
  let num = 0;
  let den = 0;
  let pairs = 0;
  for (let ai = 0; ai < presentIdx.length; ai++) {
    for (let bi = ai + 1; bi < presentIdx.length; bi++) {
      const a = presentIdx[ai];
      const b = presentIdx[bi];
      const na = start[a + 1] - start[a];
      const m = na + start[b + 1] - start[b];
      const sa = new Float64Array(m);
      const sb = new Float64Array(m);
      const isA = new Uint8Array(m);
      let k = 0;
      for (const c of [a, b]) {
        for (let j = start[c]; j < start[c + 1]; j++, k++) {
          const i = members[j];
          sa[k] = data[i * cols + a];
          sb[k] = data[i * cols + b];
          isA[k] = c === a ? 1 : 0;
        }
      }
      const isB = isA.map((v) => 1 - v);
      const pair = (binaryAuc({ score: sa, isPos: isA }).auc + binaryAuc({ score: sb, isPos: isB }).auc) / 2;
      const prevalence = weighted ? m / rows : 1;
      num += pair * prevalence;
      den += prevalence;
      pairs++;
    }
  }
  return weighted ? num / den : num / pairs;
}

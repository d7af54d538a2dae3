/**
 * Binary ROC AUC per label column (or per sample) of an indicator matrix and its averages:
 * scikit-learn's `_average_binary_score`, used for multilabel targets and one-vs-rest.
 *
 * @packageDocumentation
 */
import {
  binaryAuc,
  binaryClfCurve,
  mcclishPartialAuc,
  rates,
  withOrigin,
  type BinaryAuc,
  type BinaryProblem,
} from './binary-clf-curve.js';
import { undefinedMetric, type OnUndefined } from './validate.js';

/**
 * How {@link rocAucScore} averages per-label scores: `'macro'` (unweighted mean over labels),
 * `'weighted'` (mean weighted by each label's positive count or weight), `'micro'` (one AUC
 * over every cell of the flattened indicator matrix), `'samples'` (mean over samples of each
 * sample's AUC across labels; multilabel only) or `null` (the per-label scores).
 *
 * @remarks Since 0.1.0. The values and meanings of scikit-learn's `average`.
 * @example
 * ```ts
 * import { rocAucScore, type RocAucAverage } from 'dvme/metrics';
 * const average: RocAucAverage = 'micro';
 * rocAucScore([[1, 0], [0, 1], [1, 1]], [[0.9, 0.2], [0.3, 0.8], [0.6, 0.7]], { average }); // 1
 * ```
 */
export type RocAucAverage = 'macro' | 'micro' | 'weighted' | 'samples' | null;

/** @internal An n x L indicator matrix with scores, both row-major. */
export interface IndicatorProblem {
  readonly truth: Uint8Array;
  readonly score: Float64Array;
  readonly rows: number;
  readonly cols: number;
  readonly weight: Float64Array | undefined;
}

/** @internal True when both classes carry positive (weighted) mass. */
export function isDefined(r: BinaryAuc): boolean {
  return r.pos > 0 && r.neg > 0;
}

/** @internal Why a binary AUC is undefined, as a clause for an error message. */
export function missingClass(r: BinaryAuc, weighted: boolean): string {
  const w = weighted ? ' with non-zero weight' : '';
  if (!(r.pos > 0) && !(r.neg > 0)) return `there are no samples${w}`;
  if (!(r.pos > 0)) return `there is no positive sample${w}, only negatives`;
  return `there is no negative sample${w}, only positives`;
}

/**
 * @internal Binary ROC AUC, or with `maxFpr` (in (0, 1)) the McClish-standardised partial AUC
 * of the `drop_intermediate` curve, as sklearn's `_binary_roc_auc_score`. `auc` is NaN when a
 * class is missing; `pos`/`neg` say which.
 */
export function scoreBinary(problem: BinaryProblem, maxFpr: number | undefined): BinaryAuc {
  if (maxFpr === undefined) return binaryAuc(problem);
  const curve = binaryClfCurve(problem);
  const m = curve.fps.length;
  const pos = m > 0 ? curve.tps[m - 1] : 0;
  const neg = m > 0 ? curve.fps[m - 1] : 0;
  if (!(pos > 0 && neg > 0)) return { auc: Number.NaN, pos, neg };
  const roc = withOrigin(curve, true);
  return { auc: mcclishPartialAuc(rates(roc.fps), rates(roc.tps), maxFpr), pos, neg };
}

/**
 * @internal scikit-learn's `_average_binary_score` with `_binary_roc_auc_score`. An undefined
 * per-label score becomes the `onUndefined` value (or throws, naming the label through
 * `itemName`); with `'weighted'` and `'samples'`, items of zero averaging weight count as 0,
 * as in sklearn.
 */
export function averageBinaryScore(
  p: IndicatorProblem,
  average: RocAucAverage,
  maxFpr: number | undefined,
  onUndefined: OnUndefined | undefined,
  itemName: (index: number, bySample: boolean) => string,
): number | Float64Array {
  const { truth, score, rows, cols, weight } = p;
  const weighted = weight !== undefined;
  if (average === 'micro') {
    let w: Float64Array | undefined;
    if (weight !== undefined) {
      w = new Float64Array(rows * cols);
      for (let i = 0; i < rows; i++) w.fill(weight[i], i * cols, (i + 1) * cols);
    }
    const r = scoreBinary({ score, isPos: truth, weight: w }, maxFpr);
    if (isDefined(r)) return r.auc;
    return undefinedMetric(
      onUndefined,
      `ROC AUC with average 'micro' is undefined: over all cells of yTrue ${missingClass(r, weighted)}.`,
    );
  }

  let averageWeight: Float64Array | undefined;
  if (average === 'weighted') {
    averageWeight = new Float64Array(cols);
    for (let i = 0; i < rows; i++) {
      const wi = weight === undefined ? 1 : weight[i];
      for (let c = 0; c < cols; c++) if (truth[i * cols + c] === 1) averageWeight[c] += wi;
    }
    let total = 0;
    for (let c = 0; c < cols; c++) total += averageWeight[c];
    // sklearn returns 0 here (np.isclose(total, 0)) before scoring any label.
    if (Math.abs(total) <= 1e-8) return 0;
  }
  const bySample = average === 'samples';
  if (bySample) averageWeight = weight;

  const items = bySample ? rows : cols;
  const len = bySample ? cols : rows;
  const s = new Float64Array(len);
  const y = new Uint8Array(len);
  const scores = new Float64Array(items);
  for (let c = 0; c < items; c++) {
    if (bySample) {
      for (let j = 0; j < cols; j++) {
        s[j] = score[c * cols + j];
        y[j] = truth[c * cols + j];
      }
    } else {
      for (let i = 0; i < rows; i++) {
        s[i] = score[i * cols + c];
        y[i] = truth[i * cols + c];
      }
    }
    const r = scoreBinary({ score: s, isPos: y, weight: bySample ? undefined : weight }, maxFpr);
    scores[c] = isDefined(r)
      ? r.auc
      : undefinedMetric(
          onUndefined,
          `ROC AUC is undefined for ${itemName(c, bySample)}: ` +
            `${missingClass(r, weighted && !bySample)}.`,
        );
  }
  if (average === null) return scores;
  if (averageWeight === undefined) {
    let sum = 0;
    for (let c = 0; c < items; c++) sum += scores[c];
    return sum / items;
  }
  let num = 0;
  let den = 0;
  for (let c = 0; c < items; c++) {
    const wc = averageWeight[c];
    den += wc;
    if (wc !== 0) num += scores[c] * wc;
  }
  if (den === 0) {
    return undefinedMetric(
      onUndefined,
      `ROC AUC with average '${average}' is undefined: the averaging weights sum to 0 ` +
        (bySample ? '(every sampleWeight is 0).' : '(no positive label anywhere in yTrue).'),
    );
  }
  return num / den;
}

/**
 * The binary ranking core shared by `rocCurve` and `rocAucScore`: the exact AUC
 * (Mann-Whitney with ties counted half), scikit-learn's `_binary_clf_curve`, its
 * `drop_intermediate` rule, and the McClish-standardised partial AUC.
 *
 * @packageDocumentation
 */
import { sortWithPayload } from './sort.js';

/** @internal A binary problem: finite scores (`-0` replaced by `0`), 0/1 truth, optional weights. */
export interface BinaryProblem {
  readonly score: Float64Array;
  readonly isPos: Uint8Array;
  readonly weight?: Float64Array | undefined;
}

/** @internal The AUC and the total (weighted) count of each class; `auc` is NaN when one is 0. */
export interface BinaryAuc {
  readonly auc: number;
  readonly pos: number;
  readonly neg: number;
}

/**
 * @internal Exact ROC AUC: the probability that a random positive outscores a random negative,
 * ties counted half, i.e. the trapezoid area under the full ROC curve.
 *
 * Unweighted, the numerator is a sum of half-integers below 2^53, so it is exact and the
 * result is a single correctly rounded division.
 */
export function binaryAuc({ score, isPos, weight }: BinaryProblem): BinaryAuc {
  const n = score.length;
  if (weight === undefined) {
    const labels = new Uint32Array(n);
    for (let i = 0; i < n; i++) labels[i] = isPos[i];
    const { keys, payload } = sortWithPayload(score, labels);
    let negBelow = 0;
    let pos = 0;
    let acc = 0;
    let i = 0;
    while (i < n) {
      const v = keys[i];
      let p = 0;
      let q = 0;
      do {
        if (payload[i] === 1) p++;
        else q++;
        i++;
      } while (i < n && keys[i] === v);
      acc += p * (negBelow + q / 2);
      negBelow += q;
      pos += p;
    }
    const neg = n - pos;
    return { auc: pos > 0 && neg > 0 ? acc / (pos * neg) : Number.NaN, pos, neg };
  }
  const { keys, payload } = sortWithPayload(score, iota(n));
  let negBelow = 0;
  let pos = 0;
  let acc = 0;
  let i = 0;
  while (i < n) {
    const v = keys[i];
    let p = 0;
    let q = 0;
    do {
      const o = payload[i];
      if (isPos[o] === 1) p += weight[o];
      else q += weight[o];
      i++;
    } while (i < n && keys[i] === v);
    acc += p * (negBelow + q / 2);
    negBelow += q;
    pos += p;
  }
  const neg = negBelow;
  return { auc: pos > 0 && neg > 0 ? acc / (pos * neg) : Number.NaN, pos, neg };
}

/** @internal Cumulative false/true positives at each distinct threshold, thresholds decreasing. */
export interface ClfCurve {
  readonly fps: Float64Array;
  readonly tps: Float64Array;
  readonly thresholds: Float64Array;
}

/**
 * @internal scikit-learn's `_binary_clf_curve`: drops zero-weight samples, then walks the
 * scores from high to low. Within tied scores it visits samples in decreasing input order and
 * accumulates weights sequentially, exactly as sklearn's reversed stable argsort and `cumsum`
 * do, so weighted counts agree bit for bit (and so does the `drop_intermediate` test on them).
 */
export function binaryClfCurve(problem: BinaryProblem): ClfCurve {
  const { score, isPos, weight } = weight0Filtered(problem);
  const n = score.length;
  const { keys, payload: order } = sortWithPayload(score, iota(n));
  const fps = new Float64Array(n);
  const tps = new Float64Array(n);
  const thresholds = new Float64Array(n);
  let m = 0;
  let tp = 0;
  let fp = 0;
  for (let i = n - 1; i >= 0; i--) {
    const o = order[i];
    const w = weight === undefined ? 1 : weight[o];
    if (isPos[o] === 1) tp += w;
    else fp += w;
    if (i === 0 || keys[i - 1] !== keys[i]) {
      thresholds[m] = keys[i];
      tps[m] = tp;
      fps[m] = fp;
      m++;
    }
  }
  return { fps: fps.slice(0, m), tps: tps.slice(0, m), thresholds: thresholds.slice(0, m) };
}

function weight0Filtered(problem: BinaryProblem): BinaryProblem {
  const { score, isPos, weight } = problem;
  if (weight === undefined) return problem;
  let kept = 0;
  for (let i = 0; i < weight.length; i++) if (weight[i] !== 0) kept++;
  if (kept === weight.length) return problem;
  const s = new Float64Array(kept);
  const y = new Uint8Array(kept);
  const w = new Float64Array(kept);
  for (let i = 0, j = 0; i < weight.length; i++) {
    if (weight[i] === 0) continue;
    s[j] = score[i];
    y[j] = isPos[i];
    w[j] = weight[i];
    j++;
  }
  return { score: s, isPos: y, weight: w };
}

/**
 * @internal scikit-learn's `drop_intermediate`: keeps the end points and every point where
 * the second difference of `fps` or of `tps` is non-zero (a corner); then prepends the
 * `(0, 0)` point with threshold `+Infinity`.
 */
export function withOrigin(curve: ClfCurve, dropIntermediate: boolean): ClfCurve {
  const { fps, tps, thresholds } = curve;
  const m = fps.length;
  const keep = new Uint32Array(m);
  let k = 0;
  for (let i = 0; i < m; i++) {
    if (dropIntermediate && i > 0 && i < m - 1) {
      // Same expression as np.diff(x, 2) so weighted (float) counts round the same way.
      const df = fps[i + 1] - fps[i] - (fps[i] - fps[i - 1]);
      const dt = tps[i + 1] - tps[i] - (tps[i] - tps[i - 1]);
      if (df === 0 && dt === 0) continue;
    }
    keep[k++] = i;
  }
  const f = new Float64Array(k + 1);
  const t = new Float64Array(k + 1);
  const th = new Float64Array(k + 1);
  th[0] = Infinity;
  for (let j = 0; j < k; j++) {
    const i = keep[j];
    f[j + 1] = fps[i];
    t[j + 1] = tps[i];
    th[j + 1] = thresholds[i];
  }
  return { fps: f, tps: t, thresholds: th };
}

/** @internal `counts / counts[last]`, the rate sklearn derives from cumulative counts. */
export function rates(counts: Float64Array): Float64Array {
  const total = counts[counts.length - 1];
  const out = new Float64Array(counts.length);
  for (let i = 0; i < counts.length; i++) out[i] = counts[i] / total;
  return out;
}

/**
 * @internal McClish-standardised partial AUC over `fpr <= maxFpr`, as sklearn's
 * `_binary_roc_auc_score`: the curve is cut at `maxFpr` with a linearly interpolated point,
 * integrated by trapezoids, and mapped to `0.5 * (1 + (A - minArea) / (maxArea - minArea))`.
 * `fpr`/`tpr` must be a full curve from (0, 0) to (1, 1) and `0 < maxFpr < 1`.
 */
export function mcclishPartialAuc(fpr: Float64Array, tpr: Float64Array, maxFpr: number): number {
  // np.searchsorted(fpr, maxFpr, 'right'): the first index whose fpr exceeds maxFpr.
  let lo = 0;
  let hi = fpr.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (fpr[mid] <= maxFpr) lo = mid + 1;
    else hi = mid;
  }
  const stop = lo;
  const x0 = fpr[stop - 1];
  const y0 = tpr[stop - 1];
  // np.interp's arithmetic, including its exact-hit shortcut.
  const yCut =
    x0 === maxFpr ? y0 : ((tpr[stop] - y0) / (fpr[stop] - x0)) * (maxFpr - x0) + y0;
  let area = 0;
  for (let i = 1; i < stop; i++) area += ((fpr[i] - fpr[i - 1]) * (tpr[i] + tpr[i - 1])) / 2;
  area += ((maxFpr - x0) * (yCut + y0)) / 2;
  const minArea = 0.5 * maxFpr ** 2;
  const maxArea = maxFpr;
  return 0.5 * (1 + (area - minArea) / (maxArea - minArea));
}

/** @internal `[0, 1, ..., n - 1]`. */
export function iota(n: number): Uint32Array {
  const out = new Uint32Array(n);
  for (let i = 0; i < n; i++) out[i] = i;
  return out;
}

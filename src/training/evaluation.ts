import { accuracyScore, cohenKappaScore, rocAucScore } from '../metrics/index.js';
import type { Targets } from './labels.js';
import type { MonitorMode } from './reduce-lr-on-plateau.js';

/**
 * The validation quantity the `'paper'` solver watches for ReduceLROnPlateau, early stopping
 * and best-weight restoring: `'auc'` (binary; multiclass one-vs-rest macro; multilabel macro
 * over labels), `'accuracy'`, `'kappa'` (Cohen's, unweighted), `'quadraticKappa'`, or
 * `'loss'` (mean cross-entropy; the only one where lower is better).
 *
 * @remarks Since 0.1.0.
 * @example
 * ```ts
 * import { Probe, type ProbeMonitor } from 'dvme';
 * const monitor: ProbeMonitor = 'quadraticKappa';
 * const probe = new Probe({ task: 'multiclass', monitor });
 * ```
 */
export type ProbeMonitor = 'auc' | 'accuracy' | 'kappa' | 'quadraticKappa' | 'loss';

/**
 * Accuracy and agreement of predicted classes with the truth.
 *
 * @remarks Since 0.1.0.
 * @example
 * ```ts
 * import type { ClassAgreement } from 'dvme';
 * const a: ClassAgreement = { accuracy: 0.8, kappa: 0.7, quadraticKappa: 0.85 };
 * ```
 */
export interface ClassAgreement {
  /** Fraction of rows whose predicted class is right. */
  readonly accuracy: number;
  /** Cohen's kappa, unweighted (`NaN` when undefined). */
  readonly kappa: number;
  /** Cohen's kappa with quadratic weights over class positions (`NaN` when undefined). */
  readonly quadraticKappa: number;
}

/**
 * What {@link Probe.evaluate} reports for a binary probe.
 *
 * @remarks Since 0.1.0.
 * @example
 * ```ts
 * import type { BinaryEvaluation } from 'dvme';
 * const e: BinaryEvaluation = { task: 'binary', n: 10, auc: 0.9, accuracy: 0.8 };
 * ```
 */
export interface BinaryEvaluation {
  readonly task: 'binary';
  /** Rows evaluated. */
  readonly n: number;
  /** ROC AUC of the positive-class probability (`NaN` when one class is absent). */
  readonly auc: number;
  /** Accuracy of {@link Probe.predict} (probability >= 0.5). */
  readonly accuracy: number;
}

/**
 * What {@link Probe.evaluate} reports for a multiclass probe. The top-level agreement is that
 * of {@link Probe.predict} (thresholded expected grade for ordinal probes); ordinal probes add
 * the agreement of the plain argmax.
 *
 * @remarks Since 0.1.0.
 * @example
 * ```ts
 * import type { MulticlassEvaluation } from 'dvme';
 * const e: MulticlassEvaluation = {
 *   task: 'multiclass', n: 3, accuracy: 1, kappa: 1, quadraticKappa: 1,
 *   auc: 1, aucPerClass: Float64Array.of(1, 1, 1),
 * };
 * ```
 */
export interface MulticlassEvaluation extends ClassAgreement {
  readonly task: 'multiclass';
  /** Rows evaluated. */
  readonly n: number;
  /** One-vs-rest ROC AUC, macro average over the classes present (`NaN` if none is defined). */
  readonly auc: number;
  /** One-vs-rest ROC AUC of every class, in class order (`NaN` for a class absent or alone). */
  readonly aucPerClass: Float64Array;
  /** Ordinal probes only: the agreement of the argmax class, beside the thresholded one above. */
  readonly argmax?: ClassAgreement;
}

/**
 * What {@link Probe.evaluate} reports for a multilabel probe.
 *
 * @remarks Since 0.1.0.
 * @example
 * ```ts
 * import type { MultilabelEvaluation } from 'dvme';
 * const e: MultilabelEvaluation = {
 *   task: 'multilabel', n: 4, auc: 0.75, aucPerLabel: Float64Array.of(1, 0.5),
 *   accuracy: 0.5, accuracyPerLabel: Float64Array.of(1, 0.5),
 * };
 * ```
 */
export interface MultilabelEvaluation {
  readonly task: 'multilabel';
  /** Rows evaluated. */
  readonly n: number;
  /** Macro average of `aucPerLabel` over the labels where it is defined. */
  readonly auc: number;
  /** ROC AUC of every label (`NaN` for a label that is constant in the data). */
  readonly aucPerLabel: Float64Array;
  /** Subset accuracy: rows whose every label is predicted right (scikit-learn's `accuracy_score`). */
  readonly accuracy: number;
  /** Accuracy of every label at probability 0.5. */
  readonly accuracyPerLabel: Float64Array;
}

/**
 * @internal Whether ROC AUC can be defined on these targets at all: two classes present
 * (binary, multiclass one-vs-rest), or some label with both values (multilabel).
 */
export function aucDefined(t: Targets): boolean {
  if (t.kind === 'index') return new Set(t.index).size >= 2;
  const L = t.numLabels;
  const n = t.data.length / L;
  for (let j = 0; j < L; j++) {
    let pos = 0;
    for (let i = 0; i < n; i++) pos += t.data[i * L + j];
    if (pos > 0 && pos < n) return true;
  }
  return false;
}

/** @internal Which way a monitor improves. */
export function monitorMode(monitor: ProbeMonitor): MonitorMode {
  return monitor === 'loss' ? 'min' : 'max';
}

/** @internal The index of the largest probability of every row of a [n, k] matrix. */
export function argmaxRows(proba: Float32Array, k: number): Int32Array {
  const n = proba.length / k;
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    let best = 0;
    for (let c = 1; c < k; c++) if (proba[i * k + c] > proba[i * k + best]) best = c;
    out[i] = best;
  }
  return out;
}

function column(proba: Float32Array, k: number, c: number): Float32Array {
  const n = proba.length / k;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = proba[i * k + c];
  return out;
}

function nanMean(x: Float64Array): number {
  let s = 0;
  let m = 0;
  for (const v of x) if (!Number.isNaN(v)) (s += v), m++;
  return m === 0 ? Number.NaN : s / m;
}

/** @internal Per-column binary AUCs of 0/1 truth columns against probability columns. */
function aucPerColumn(truth: (c: number) => Uint8Array, proba: Float32Array, k: number): Float64Array {
  return Float64Array.from({ length: k }, (_, c) =>
    rocAucScore(truth(c), column(proba, k, c), { onUndefined: 'nan', labels: [0, 1] }),
  );
}

/** @internal Accuracy and kappas of predicted class indices against true ones. */
export function classAgreement(truth: Int32Array, pred: Int32Array, numClasses: number): ClassAgreement {
  const labels = Array.from({ length: numClasses }, (_, k) => k);
  return {
    accuracy: accuracyScore(truth, pred),
    kappa: cohenKappaScore(truth, pred, { labels, onUndefined: 'nan' }),
    quadraticKappa: cohenKappaScore(truth, pred, { labels, weights: 'quadratic', onUndefined: 'nan' }),
  };
}

/**
 * @internal Metrics of probabilities (`[n, k]` row-major; k = 1 for binary) against encoded
 * targets. `pred` overrides the predicted classes of a multiclass probe (ordinal thresholds).
 */
export function evaluateProba(
  t: Targets,
  proba: Float32Array,
  k: number,
  pred?: Int32Array,
): BinaryEvaluation | MulticlassEvaluation | MultilabelEvaluation {
  if (t.kind === 'indicator') {
    const L = t.numLabels;
    const n = t.data.length / L;
    const truthColumn = (c: number): Uint8Array => Uint8Array.from({ length: n }, (_, i) => t.data[i * L + c]);
    const aucPerLabel = aucPerColumn(truthColumn, proba, L);
    const accuracyPerLabel = new Float64Array(L);
    let exact = 0;
    for (let i = 0; i < n; i++) {
      let all = true;
      for (let c = 0; c < L; c++) {
        const right = (proba[i * L + c] >= 0.5 ? 1 : 0) === t.data[i * L + c];
        if (right) accuracyPerLabel[c]++;
        else all = false;
      }
      if (all) exact++;
    }
    for (let c = 0; c < L; c++) accuracyPerLabel[c] /= n;
    return { task: 'multilabel', n, auc: nanMean(aucPerLabel), aucPerLabel, accuracy: exact / n, accuracyPerLabel };
  }
  const n = t.index.length;
  if (t.numClasses === 2 && k === 1) {
    const predicted = Int32Array.from(proba, (p) => (p >= 0.5 ? 1 : 0));
    return {
      task: 'binary',
      n,
      auc: rocAucScore(t.index, proba, { onUndefined: 'nan', labels: [0, 1] }),
      accuracy: accuracyScore(t.index, predicted),
    };
  }
  const truthColumn = (c: number): Uint8Array => Uint8Array.from(t.index, (y) => (y === c ? 1 : 0));
  const aucPerClass = aucPerColumn(truthColumn, proba, k);
  const argmax = argmaxRows(proba, k);
  const main = classAgreement(t.index, pred ?? argmax, k);
  return {
    task: 'multiclass',
    n,
    ...main,
    auc: nanMean(aucPerClass),
    aucPerClass,
    ...(pred ? { argmax: classAgreement(t.index, argmax, k) } : {}),
  };
}

/** @internal Mean (unweighted) cross-entropy of probabilities, clipped to [1e-7, 1 - 1e-7] as Keras clips. */
export function crossEntropy(t: Targets, proba: Float32Array, k: number): number {
  const clip = (p: number): number => Math.min(Math.max(p, 1e-7), 1 - 1e-7);
  let s = 0;
  if (t.kind === 'indicator') {
    for (let i = 0; i < t.data.length; i++) {
      const p = clip(proba[i]);
      s -= t.data[i] ? Math.log(p) : Math.log(1 - p);
    }
    return s / t.data.length;
  }
  const n = t.index.length;
  for (let i = 0; i < n; i++) {
    const y = t.index[i];
    s -= k === 1 ? (y ? Math.log(clip(proba[i])) : Math.log(1 - clip(proba[i]))) : Math.log(clip(proba[i * k + y]));
  }
  return s / n;
}

/** @internal The value of a monitor for validation probabilities (higher is better, except loss). */
export function monitorValue(monitor: ProbeMonitor, t: Targets, proba: Float32Array, k: number): number {
  if (monitor === 'loss') return crossEntropy(t, proba, k);
  const e = evaluateProba(t, proba, k);
  if (monitor === 'auc' || monitor === 'accuracy') return e[monitor];
  if (e.task === 'multiclass') return e[monitor];
  // Binary: kappa of the 0.5-thresholded predictions (quadratic equals unweighted for 2 classes).
  if (t.kind === 'index') {
    return cohenKappaScore(t.index, Int32Array.from(proba, (p) => (p >= 0.5 ? 1 : 0)), {
      labels: [0, 1],
      onUndefined: 'nan',
    });
  }
  return Number.NaN;
}

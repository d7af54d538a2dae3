import { confusionMatrix, rocAucScore } from '../metrics/index.js';

/**
 * Precision, recall, F1, support and one-vs-rest ROC AUC of one class.
 *
 * @remarks Since 0.1.0. Precision and F1 are 0 for a class never predicted (scikit-learn's
 * `zero_division=0`); the AUC is NaN when the test set lacks the class or holds only it.
 * @example
 * ```ts
 * import type { ClassMetrics } from 'dvme';
 * const m: ClassMetrics = { label: 1, precision: 0.8, recall: 0.5, f1: 0.615, support: 8, auc: 0.9 };
 * ```
 */
export interface ClassMetrics {
  readonly label: number;
  readonly precision: number;
  readonly recall: number;
  readonly f1: number;
  /** Test rows of this class. */
  readonly support: number;
  /** One-vs-rest ROC AUC from the class's probability column; NaN when undefined or without probabilities. */
  readonly auc: number;
}

/**
 * Per-class metrics of single-label predictions, as scikit-learn's `classification_report`
 * plus a one-vs-rest AUC per class.
 *
 * @remarks Since 0.1.0.
 * @param yTrue - the test labels.
 * @param yPred - the predicted labels.
 * @param labels - the classes, in order (rows of the result).
 * @param probabilities - optional: P(positive) per row (binary: `labels` = `[0, 1]`), or one
 *   row of probabilities per test row, column `j` for `labels[j]`.
 * @example
 * ```ts
 * import { perClassMetrics } from 'dvme';
 * perClassMetrics([0, 0, 1, 1], [0, 1, 1, 1], [0, 1]);
 * // [{ label: 0, precision: 1, recall: 0.5, f1: 0.667, support: 2, auc: NaN }, { label: 1, ... }]
 * ```
 */
export function perClassMetrics(
  yTrue: ArrayLike<number>,
  yPred: ArrayLike<number>,
  labels: readonly number[],
  probabilities?: ArrayLike<number> | readonly ArrayLike<number>[],
): ClassMetrics[] {
  const cm = confusionMatrix(yTrue, yPred, { labels });
  return labels.map((label, k) => {
    const support = cm[k].reduce((a, b) => a + b, 0);
    let predicted = 0;
    for (const row of cm) predicted += row[k];
    const tp = cm[k][k];
    const precision = predicted === 0 ? 0 : tp / predicted;
    const recall = support === 0 ? 0 : tp / support;
    const f1 = precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall);
    return { label, precision, recall, f1, support, auc: classAuc(yTrue, label, k, labels.length, probabilities) };
  });
}

function classAuc(
  yTrue: ArrayLike<number>,
  label: number,
  column: number,
  k: number,
  probabilities: ArrayLike<number> | readonly ArrayLike<number>[] | undefined,
): number {
  if (!probabilities) return Number.NaN;
  const isPos = Array.from(yTrue, (y) => (y === label ? 1 : 0));
  const first = probabilities[0] as unknown;
  const score =
    typeof first === 'number'
      ? // Binary: one P(positive) per row; the negative class ranks by 1 - p.
        Array.from(probabilities as ArrayLike<number>, (p) => (k === 2 && column === 0 ? 1 - p : p))
      : Array.from(probabilities as readonly ArrayLike<number>[], (row) => row[column]);
  return rocAucScore(isPos, score, { onUndefined: 'nan' });
}

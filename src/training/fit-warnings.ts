import type { EpochLog } from './train-loop.js';

/**
 * Something suspicious about a finished fit that did not stop it: the fitted model is
 * degenerate. `'constant-predictions'`: it predicts the same class (the same label row) for
 * every row it was checked on: a {@link Probe}'s training rows and its validation rows, a
 * fusion estimator's validation rows (else its training rows); `'no-improvement'`: the
 * monitored value never improved after the first epoch, so the first epoch's weights were
 * kept. Both are typical of the `'paper'` recipe on raw embeddings whose values are small or
 * far from zero.
 *
 * @remarks Since 0.1.0. {@link Probe} and the fusion estimators pass every warning of a fit to
 * the `onWarning` callback of `fit` and keep them in `provenance.warnings` (saved by `toJSON`).
 * @example
 * ```ts
 * import { Probe, type TrainingWarning } from 'dvme';
 * const warnings: TrainingWarning[] = [];
 * // await new Probe({ task: 'multiclass' }).fit(x, y, { onWarning: (w) => warnings.push(w) });
 * ```
 */
export interface TrainingWarning {
  /** What is wrong. */
  readonly code: 'constant-predictions' | 'no-improvement';
  /** A sentence saying what was seen and what to try. */
  readonly message: string;
}

/** @internal Predictions of one set of rows, by the estimator's own rule (`predict`'s). */
export interface PredictedRows {
  /** `'training'` or `'validation'`. */
  readonly set: string;
  /** Rows predicted. */
  readonly rows: number;
  /** Whether every row got the same prediction, and which (as text), when they did. */
  readonly constant: string | undefined;
}

/**
 * @internal The warnings of a finished fit: a constant prediction on a set of rows, and the
 * best epoch being the first of several (unless its value was already perfect: 1 for a score).
 * `advice` ends each message.
 */
export function fitWarnings(
  name: string,
  predicted: readonly PredictedRows[],
  report: { readonly epochs: number; readonly bestEpoch: number; readonly history: readonly EpochLog[] } | undefined,
  advice: string,
): TrainingWarning[] {
  const out: TrainingWarning[] = [];
  const constant = predicted.filter((p) => p.constant !== undefined && p.rows > 1);
  if (constant.length > 0) {
    const where = constant.map((p) => `all ${p.rows} ${p.set} rows`).join(' and ');
    out.push({
      code: 'constant-predictions',
      message: `The fitted ${name} predicts ${constant[0].constant} for ${where}: a degenerate fit. ${advice}`,
    });
  }
  const first = report?.history[0];
  if (report && first && report.epochs > 1 && report.bestEpoch === 1 && !(first.monitor !== 'loss' && first.value === 1)) {
    out.push({
      code: 'no-improvement',
      message:
        `The monitored ${first.monitor} never improved after epoch 1 (${first.value}) in ${report.epochs} epochs, ` +
        `so the ${name} kept the first epoch's weights: a degenerate fit. ${advice}`,
    });
  }
  return out;
}

/**
 * @internal Whether rows of predicted 0/1 or class values (`width` per row) are all the same;
 * returns that prediction as text when they are.
 */
export function constantPrediction(values: ArrayLike<number>, width: number, label: (row: number[]) => string): string | undefined {
  const n = values.length / width;
  for (let i = 1; i < n; i++) {
    for (let j = 0; j < width; j++) if (values[i * width + j] !== values[j]) return undefined;
  }
  return n > 0 ? label(Array.from({ length: width }, (_, j) => values[j])) : undefined;
}

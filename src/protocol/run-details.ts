import type { EpochLog } from '../training/train-loop.js';
import type { ProbeTask } from '../training/labels.js';

/**
 * What one run of a protocol kept besides its score, when the evaluation was asked for
 * `details: true`: the test-set predictions (for ROC curves, confusion matrices and per-class
 * metrics), the training history (learning curves) and, for DVME with self-attention, the
 * source x source attention map on the test set.
 *
 * @remarks Since 0.1.0. Plain numbers, so `JSON.stringify` writes it.
 * @example
 * ```ts
 * import type { RunDetails } from 'dvme';
 * const d: RunDetails = { probabilities: [0.2, 0.9], predictions: [0, 1], history: [] };
 * ```
 */
export interface RunDetails {
  /**
   * Test-set probabilities, row by row: P(positive) per row for binary tasks, one array of
   * class (or label) probabilities per row otherwise.
   */
  readonly probabilities: readonly number[] | readonly (readonly number[])[];
  /** The predicted test labels (an ordinal probe's own decisions, not always the argmax). */
  readonly predictions: readonly number[] | readonly (readonly number[])[];
  /** The label of each probability column (multiclass); absent for binary and multilabel. */
  readonly classes?: readonly number[];
  /** One record per epoch (empty for the `'lbfgs'` solver, which has no epochs). */
  readonly history: readonly EpochLog[];
  /** DVME's test-set attention map, source x source (absent for other models). */
  readonly attention?: readonly (readonly number[])[];
}

/** @internal The parts of a fitted estimator the details are read from. */
export interface InspectableEstimator<X> {
  predictProba(x: X): Float32Array | Float32Array[];
  predict(x: X): number[] | number[][];
  readonly history: readonly EpochLog[];
  readonly classes?: readonly number[] | undefined;
  attentionMap?: (x: X) => number[][];
}

/** @internal Reads the details of a fitted estimator on the test rows `x`. */
export function runDetails<X>(task: ProbeTask, estimator: InspectableEstimator<X>, x: X, attention: boolean): RunDetails {
  const proba = estimator.predictProba(x);
  const probabilities = task === 'binary' ? Array.from(proba as Float32Array) : (proba as Float32Array[]).map((r) => Array.from(r));
  const predictions = estimator.predict(x);
  const classes = task === 'multiclass' ? estimator.classes : undefined;
  return {
    probabilities,
    predictions,
    ...(classes ? { classes: [...classes] } : {}),
    history: [...estimator.history],
    ...(attention && estimator.attentionMap ? { attention: estimator.attentionMap(x) } : {}),
  };
}

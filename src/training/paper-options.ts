import { InvalidArgumentError } from '../errors/index.js';
import { describe } from '../validation/describe.js';
import type { ProbeMonitor } from './evaluation.js';
import type { ProbeTask } from './labels.js';
import { checkCount, checkNumber } from './option-checks.js';

/**
 * The paper's training protocol (Adam, batch 64, ReduceLROnPlateau, 30-50 epochs, early
 * stopping with the best weights restored), shared by {@link Probe} with `solver: 'paper'`
 * (an `'lbfgs'` probe rejects these options) and by the fusion estimators.
 *
 * @remarks Since 0.1.0.
 * @example
 * ```ts
 * import type { PaperTrainingOptions } from 'dvme';
 * const quick: PaperTrainingOptions = { minEpochs: 10, maxEpochs: 20, earlyStoppingPatience: 5 };
 * ```
 */
export interface PaperTrainingOptions {
  /**
   * When `fit` gets no `validation` data: the fraction of training rows held out (stratified
   * by class, seeded) to serve as validation data. With `0` the `'paper'` solver monitors the
   * training loss instead (and an ordinal probe fits its cut points on the training rows).
   * @defaultValue `0`
   */
  validationSplit?: number;
  /**
   * The validation quantity watched for the schedule, early stopping and the best
   * weights; see {@link ProbeMonitor}.
   * @defaultValue `'auc'` (binary, multilabel); `'kappa'` (multiclass: the paper's APTOS
   * metric); `'quadraticKappa'` (ordinal)
   */
  monitor?: ProbeMonitor;
  /**
   * Adam's initial learning rate.
   * @defaultValue `1e-3`
   */
  learningRate?: number;
  /**
   * Rows per batch.
   * @defaultValue `64`
   */
  batchSize?: number;
  /**
   * Training never stops earlier.
   * @defaultValue `30`
   */
  minEpochs?: number;
  /**
   * Training never runs longer.
   * @defaultValue `50`
   */
  maxEpochs?: number;
  /**
   * Epochs without improvement before stopping (after `minEpochs`).
   * @defaultValue `10`
   */
  earlyStoppingPatience?: number;
  /**
   * ReduceLROnPlateau patience (PyTorch rules: the rate drops on the
   * `patience + 1`-th epoch in a row without improvement).
   * @defaultValue `5`
   */
  plateauPatience?: number;
  /**
   * ReduceLROnPlateau factor.
   * @defaultValue `0.1`
   */
  plateauFactor?: number;
}

/** @internal The protocol's hyperparameters, every default filled in (what the epoch loop runs). */
export interface PaperHyperparameters {
  readonly monitor: ProbeMonitor;
  readonly learningRate: number;
  readonly batchSize: number;
  readonly minEpochs: number;
  readonly maxEpochs: number;
  readonly earlyStoppingPatience: number;
  readonly plateauPatience: number;
  readonly plateauFactor: number;
}

/** @internal The option names of {@link PaperTrainingOptions} that only the protocol's epoch loop uses. */
export const PAPER_OPTION_NAMES = [
  'monitor',
  'learningRate',
  'batchSize',
  'minEpochs',
  'maxEpochs',
  'earlyStoppingPatience',
  'plateauPatience',
  'plateauFactor',
] as const;

/** @internal A positive integer, else {@link InvalidArgumentError}. */
export function positiveInt(name: string, v: unknown): number {
  const n = checkCount(name, v);
  if (n < 1) throw new InvalidArgumentError(`${name} must be a positive integer; received ${describe(v)}.`);
  return n;
}

/** @internal Validates a {@link ProbeTask}. */
export function checkTask(task: unknown): ProbeTask {
  if (task !== 'binary' && task !== 'multiclass' && task !== 'multilabel') {
    throw new InvalidArgumentError(`task must be 'binary', 'multiclass' or 'multilabel'; received ${describe(task)}.`);
  }
  return task;
}

/** @internal Validates the `classes` option: an array, for single-label tasks only. */
export function checkClassesOption(classes: unknown, task: ProbeTask): void {
  if (classes !== undefined && (task === 'multilabel' || !Array.isArray(classes))) {
    throw new InvalidArgumentError(
      `classes must be an array of labels, for task 'binary' or 'multiclass'; received ${describe(classes)} with task '${task}'.`,
    );
  }
}

/** @internal Validates a seed (default 0). */
export function checkSeed(seed: unknown): number {
  const s = seed ?? 0;
  if (!Number.isSafeInteger(s)) throw new InvalidArgumentError(`seed must be a safe integer; received ${describe(s)}.`);
  return s as number;
}

/** @internal Validates `validationSplit` (default 0). */
export function checkValidationSplit(v: unknown): number {
  return checkNumber('validationSplit', v ?? 0, (x) => x >= 0 && x < 1, 'in [0, 1)');
}

/**
 * @internal Validates the protocol's options of {@link PaperTrainingOptions} for a task and
 * fills in the defaults (the monitor's depends on the task, and on `ordinal`).
 */
export function resolvePaperHyperparameters(task: ProbeTask, ordinal: boolean, options: PaperTrainingOptions): PaperHyperparameters {
  const monitor = options.monitor ?? (task === 'multiclass' ? (ordinal ? 'quadraticKappa' : 'kappa') : 'auc');
  const monitors: readonly ProbeMonitor[] =
    task === 'multilabel' ? ['auc', 'accuracy', 'loss'] : ['auc', 'accuracy', 'kappa', 'quadraticKappa', 'loss'];
  if (!monitors.includes(monitor)) {
    throw new InvalidArgumentError(
      `monitor for task '${task}' must be one of ${monitors.join(', ')}; received ${describe(monitor)}.`,
    );
  }
  const minEpochs = positiveInt('minEpochs', options.minEpochs ?? 30);
  const maxEpochs = positiveInt('maxEpochs', options.maxEpochs ?? 50);
  if (minEpochs > maxEpochs) {
    throw new InvalidArgumentError(`minEpochs (${minEpochs}) must not exceed maxEpochs (${maxEpochs}).`);
  }
  return {
    monitor,
    learningRate: checkNumber('learningRate', options.learningRate ?? 1e-3, (v) => v > 0, '> 0'),
    batchSize: positiveInt('batchSize', options.batchSize ?? 64),
    minEpochs,
    maxEpochs,
    earlyStoppingPatience: checkCount('earlyStoppingPatience', options.earlyStoppingPatience ?? 10),
    plateauPatience: checkCount('plateauPatience', options.plateauPatience ?? 5),
    plateauFactor: checkNumber('plateauFactor', options.plateauFactor ?? 0.1, (v) => v > 0 && v < 1, 'in (0, 1)'),
  };
}

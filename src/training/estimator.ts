import * as tf from '@tensorflow/tfjs-core';
import { DisposedError, NotFittedError } from '../errors/index.js';
// Named in TSDoc links only.
import type { InvalidArgumentError, NonFiniteError, ShapeError } from '../errors/index.js';
import { DVME_VERSION } from '../version.js';
import {
  argmaxRows,
  evaluateProba,
  type BinaryEvaluation,
  type MulticlassEvaluation,
  type MultilabelEvaluation,
} from './evaluation.js';
import { constantPrediction, fitWarnings, type PredictedRows, type TrainingWarning } from './fit-warnings.js';
import { encodeTargets, type LabelsFor, type ProbeTask } from './labels.js';
import { toRows } from './rows.js';
import type { EpochLog, TrainingReport } from './train-loop.js';

/**
 * What `predictProba` returns: the positive-class probability of every row for a binary
 * estimator; for multiclass (softmax) and multilabel (independent sigmoids) one row of
 * probabilities per input row (views into one buffer).
 *
 * @remarks Since 0.1.0.
 * @example
 * ```ts
 * import type { ProbaFor } from 'dvme';
 * const p: ProbaFor<'binary'> = Float32Array.of(0.2, 0.9);
 * ```
 */
export type ProbaFor<T extends ProbeTask> = T extends 'binary' ? Float32Array : Float32Array[];

/**
 * What `predict` returns: labels (the training labels, mapped back) for binary and
 * multiclass estimators; 0/1 rows for multilabel.
 *
 * @remarks Since 0.1.0.
 * @example
 * ```ts
 * import type { PredictionFor } from 'dvme';
 * const grades: PredictionFor<'multiclass'> = [0, 2, 4];
 * ```
 */
export type PredictionFor<T extends ProbeTask> = T extends 'multilabel' ? number[][] : number[];

/**
 * What `evaluate` returns for a task.
 *
 * @remarks Since 0.1.0.
 * @example
 * ```ts
 * import type { EvaluationFor } from 'dvme';
 * const auc = (e: EvaluationFor<'binary'>): number => e.auc;
 * ```
 */
export type EvaluationFor<T extends ProbeTask> = T extends 'binary'
  ? BinaryEvaluation
  : T extends 'multiclass'
    ? MulticlassEvaluation
    : MultilabelEvaluation;

/**
 * The callbacks and the abort signal of `fit`, the same for {@link Probe} and the fusion
 * estimators.
 *
 * @remarks Since 0.1.0.
 * @example
 * ```ts
 * import type { FitCallbacks } from 'dvme';
 * const o: FitCallbacks = {
 *   onEpoch: (log) => console.log(log.epoch, log.value),
 *   onWarning: (w) => console.warn(w.message),
 *   signal: AbortSignal.timeout(60_000),
 * };
 * ```
 */
export interface FitCallbacks {
  /**
   * Called after every epoch of the paper's protocol (awaited when it returns a promise).
   * @defaultValue none
   */
  onEpoch?: (log: EpochLog) => void | Promise<void>;
  /**
   * Called once per {@link TrainingWarning} when the fit is done (they are also kept in
   * `provenance.warnings`).
   * @defaultValue none
   */
  onWarning?: (warning: TrainingWarning) => void;
  /**
   * Aborts training: checked before every batch, and the training loop yields to the event
   * loop at least every 50 ms, so a timer or `AbortSignal.timeout` fires during training.
   * `fit` rejects with the signal's reason.
   * @defaultValue none
   */
  signal?: AbortSignal;
}

/**
 * @internal What every fitted estimator holds, whatever else its subclass keeps: the label
 * space, the logit count and the provenance.
 */
export interface FittedState<P> {
  readonly classes: readonly number[] | undefined;
  readonly numLabels: number | undefined;
  readonly outputs: number;
  readonly provenance: P;
}

/**
 * The estimator contract of dvme, once for {@link Probe} and {@link FusionEstimator}:
 * hyperparameters in the constructor, `fit` returns the estimator, `predictProba` /
 * `predict` / `evaluate` on its input type, `toJSON` / `fromJSON`, `history`, and an
 * idempotent `dispose`, after which every use throws {@link DisposedError} (and before `fit`,
 * {@link NotFittedError}).
 *
 * @remarks Since 0.1.0. A subclass supplies the probabilities of its inputs and frees what
 * its fitted state owns; `predict` is the argmax of the probabilities (0.5 thresholds for
 * binary and every multilabel label) unless the subclass decides classes itself, as an
 * ordinal probe does.
 * @typeParam T - The task.
 * @typeParam X - The embeddings `predictProba` takes.
 * @typeParam H - The hyperparameters.
 * @typeParam P - The provenance of a fitted estimator.
 * @typeParam S - The fitted state the subclass keeps.
 * @example
 * ```ts
 * import { ConcatProbe, Estimator, Probe } from 'dvme';
 * const all = [new Probe({ task: 'binary' }), new ConcatProbe({ sources: { a: 2 }, task: 'binary' })];
 * all.every((e) => e instanceof Estimator && !e.isFitted); // true
 * all.forEach((e) => e.dispose());
 * ```
 */
export abstract class Estimator<
  T extends ProbeTask,
  X,
  H extends { readonly task: ProbeTask },
  P extends object,
  // Spelt out (FittedState's fields) so that the documented signature names no internal type.
  S extends { readonly classes: readonly number[] | undefined; readonly numLabels: number | undefined; readonly outputs: number; readonly provenance: P },
> {
  /** The hyperparameters with every default filled in. */
  readonly hyperparameters: H;
  private fitted: S | undefined;
  private disposed = false;
  private epochLogs: readonly EpochLog[] = [];

  /** @internal */
  protected constructor(hyperparameters: H) {
    this.hyperparameters = Object.freeze(hyperparameters);
  }

  /** @internal The class name for messages (bundlers may rename constructors). */
  protected abstract get estimatorName(): string;

  /** @internal Probabilities of `x`, row-major `[rows, outputs]`, read synchronously. */
  protected abstract probabilities(state: S, x: X): Float32Array;

  /** @internal Frees what a fitted state owns (tensors). */
  protected abstract release(state: S): void;

  /** @internal Predicted class indices when the subclass decides them (ordinal cut points); else argmax. */
  protected classIndices(_state: S, _proba: Float32Array): Int32Array | undefined {
    return undefined;
  }

  /** The task. */
  get task(): T {
    return this.hyperparameters.task as T;
  }

  /** Whether `fit` (or `fromJSON`) has given the estimator weights. */
  get isFitted(): boolean {
    return this.fitted !== undefined && !this.disposed;
  }

  /** Whether `dispose` was called. */
  get isDisposed(): boolean {
    return this.disposed;
  }

  /** Class index -> label of a fitted binary / multiclass estimator; `undefined` otherwise. */
  get classes(): readonly number[] | undefined {
    return this.fitted?.classes;
  }

  /** Where the fitted estimator came from; `undefined` before fit. */
  get provenance(): P | undefined {
    return this.fitted?.provenance;
  }

  /** Epoch logs of the last fit with the paper's protocol in this session (empty otherwise, and after `fromJSON`). */
  get history(): readonly EpochLog[] {
    return this.epochLogs;
  }

  /**
   * Probabilities of embeddings `x`; see {@link ProbaFor}.
   *
   * @throws {@link NotFittedError} before fit; {@link DisposedError} after dispose;
   *   {@link ShapeError} / {@link InvalidArgumentError} for inputs that do not fit;
   *   {@link NonFiniteError} for NaN / Infinity.
   */
  predictProba(x: X): ProbaFor<T> {
    const f = this.state();
    const p = this.probabilities(f, x);
    return (this.task === 'binary' ? p : toRows(p, f.outputs)) as ProbaFor<T>;
  }

  /**
   * Predicted labels of embeddings `x`: the class of the largest probability (probability
   * >= 0.5 for binary and per multilabel label), or for an ordinal probe the expected grade cut
   * by its fitted thresholds; see {@link PredictionFor}.
   *
   * @throws As `predictProba`.
   */
  predict(x: X): PredictionFor<T> {
    const f = this.state();
    return this.predictionsOf(f, this.probabilities(f, x));
  }

  /**
   * The task's metrics on embeddings `x` with true labels `y`: see {@link BinaryEvaluation},
   * {@link MulticlassEvaluation}, {@link MultilabelEvaluation}. Metrics that are undefined on
   * the data (AUC with one class present) are `NaN`.
   *
   * @throws As `predictProba`, and {@link InvalidArgumentError} for labels the estimator does
   *   not know.
   */
  evaluate(x: X, y: LabelsFor<T>): EvaluationFor<T> {
    const f = this.state();
    const p = this.probabilities(f, x);
    const k = f.outputs;
    const targets = encodeTargets(this.task, 'y', y, p.length / k, { classes: f.classes, numLabels: f.numLabels });
    return evaluateProba(targets, p, k, this.classIndices(f, p)) as EvaluationFor<T>;
  }

  /** Frees the weights. Idempotent; any later use throws {@link DisposedError}. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    if (this.fitted) this.release(this.fitted);
  }

  /** @internal The fitted state as it is (also after `dispose`), or `undefined` before fit. */
  protected get current(): S | undefined {
    return this.fitted;
  }

  /** @internal Throws DisposedError after `dispose`. */
  protected assertNotDisposed(): void {
    if (this.disposed) {
      const name = this.estimatorName;
      throw new DisposedError(`This ${name} was disposed. Create a new ${name} (or ${name}.fromJSON) to use one again.`);
    }
  }

  /** @internal The fitted state; NotFittedError before fit, DisposedError after dispose. */
  protected state(): S {
    this.assertNotDisposed();
    if (!this.fitted) {
      const name = this.estimatorName;
      throw new NotFittedError(`This ${this.task} ${name} is not fitted yet: call fit(x, y) first (or load one with ${name}.fromJSON).`);
    }
    return this.fitted;
  }

  /**
   * @internal Installs the state of a finished fit (or of `fromJSON`), freeing the one it
   * replaces. Throws DisposedError, leaving `state` to the caller, if `dispose` ran meanwhile.
   */
  protected commit(state: S, history: readonly EpochLog[]): void {
    this.assertNotDisposed();
    if (this.fitted) this.release(this.fitted);
    this.fitted = state;
    this.epochLogs = history;
  }

  /**
   * @internal The warnings of a fit about to be committed (see {@link TrainingWarning}): the
   * predictions of `state` on training and validation rows, given as probabilities, and the
   * epoch loop's report. Each is also passed to `onWarning`.
   */
  protected warningsOf(
    state: Omit<S, 'provenance'>,
    sets: readonly { readonly set: string; readonly proba: Float32Array }[],
    report: TrainingReport | undefined,
    advice: string,
    onWarning: ((w: TrainingWarning) => void) | undefined,
  ): TrainingWarning[] {
    const f = state as S;
    const predicted: PredictedRows[] = sets.map(({ set, proba }) => {
      const k = f.outputs;
      const rows = proba.length / k;
      if (this.task === 'multilabel') {
        const bits = Uint8Array.from(proba, (v) => (v >= 0.5 ? 1 : 0));
        return { set, rows, constant: constantPrediction(bits, k, (r) => `the same labels [${r.join(', ')}]`) };
      }
      const classes = f.classes as readonly number[];
      const index = this.task === 'binary' ? Int32Array.from(proba, (v) => (v >= 0.5 ? 1 : 0)) : (this.classIndices(f, proba) ?? argmaxRows(proba, k));
      return { set, rows, constant: constantPrediction(index, 1, ([c]) => `class ${classes[c]}`) };
    });
    const warnings = fitWarnings(this.estimatorName, predicted, report, advice);
    for (const w of warnings) onWarning?.(w);
    return warnings;
  }

  /**
   * @internal The JSON of the fitted estimator: kind and version tag, hyperparameters, label
   * space, the subclass's `content`, then the provenance.
   */
  protected jsonOf<C extends object>(kind: string, version: number, content: (state: S) => C) {
    const f = this.state();
    return {
      kind,
      version,
      hyperparameters: structuredClone(this.hyperparameters),
      classes: f.classes ? [...f.classes] : null,
      numLabels: f.numLabels ?? null,
      ...content(f),
      provenance: structuredClone(f.provenance),
    };
  }

  private predictionsOf(f: S, p: Float32Array): PredictionFor<T> {
    const k = f.outputs;
    if (this.task === 'multilabel') return toRows(p, k).map((r) => Array.from(r, (v) => (v >= 0.5 ? 1 : 0))) as PredictionFor<T>;
    const classes = f.classes as readonly number[];
    if (this.task === 'binary') return Array.from(p, (v) => classes[v >= 0.5 ? 1 : 0]) as PredictionFor<T>;
    return Array.from(this.classIndices(f, p) ?? argmaxRows(p, k), (c) => classes[c]) as PredictionFor<T>;
  }
}

/**
 * @internal What every fitted estimator's provenance starts with: the tfjs backend it was
 * fitted on and the dvme release that fitted it.
 */
export function fitOrigin(): { readonly backend: string; readonly dvmeVersion: string } {
  return { backend: tf.getBackend(), dvmeVersion: DVME_VERSION };
}

import * as tf from '@tensorflow/tfjs-core';
import { DisposedError, NonFiniteError, NotFittedError } from '../errors/index.js';
// Named in TSDoc links only.
import type { CheckpointFormatError, InvalidArgumentError, ShapeError } from '../errors/index.js';
import { Xoshiro128 } from '../random/xoshiro.js';
import { embeddingTensor, type DenseRows, type EmbeddingInput } from '../training/embedding-input.js';
import { prepareFitData, type FitData } from './fit-data.js';
import { encodeTargets, type LabelsFor, type ProbeTask } from '../training/labels.js';
import { fitLbfgs } from './lbfgs-solver.js';
import { LinearHead, type LinearWeights } from './linear-head.js';
import { resolveOptions, type ProbeHyperparameters, type ProbeOptions } from './options.js';
import { applyOrdinalThresholds, expectedGrade, fitOrdinalThresholds } from './ordinal-thresholds.js';
import { fitPaper, type EpochLog } from './paper-solver.js';
import {
  argmaxRows,
  evaluateProba,
  type BinaryEvaluation,
  type MulticlassEvaluation,
  type MultilabelEvaluation,
} from '../training/evaluation.js';
import { DVME_VERSION } from '../version.js';
import { fromProbeJSON, toProbeJSON, type FittedContent, type ProbeJSON, type ProbeProvenance } from './probe-json.js';

/**
 * Options of {@link Probe.fit}.
 *
 * @remarks Since 0.1.0.
 * @example
 * ```ts
 * import type { ProbeFitOptions } from 'dvme';
 * const controller = new AbortController();
 * const o: ProbeFitOptions<'binary'> = {
 *   validation: { x: [[0.1, 0.2], [0.9, 0.8]], y: [0, 1] },
 *   onEpoch: (log) => console.log(log.epoch, log.value),
 *   signal: controller.signal,
 *   source: 'dino_vits8',
 * };
 * ```
 */
export interface ProbeFitOptions<T extends ProbeTask = ProbeTask> {
  /**
   * Validation rows: the `'paper'` solver monitors them (schedule, early stopping, best
   * weights) and an ordinal probe fits its cut points on them.
   * @defaultValue none: see the `validationSplit` option of {@link ProbeOptions}
   */
  validation?: { readonly x: EmbeddingInput; readonly y: LabelsFor<T> };
  /**
   * `'paper'`: called after every epoch (awaited when it returns a promise).
   * @defaultValue none
   */
  onEpoch?: (log: EpochLog) => void | Promise<void>;
  /**
   * Aborts training (checked before every batch); `fit` rejects with the signal's reason.
   * @defaultValue none
   */
  signal?: AbortSignal;
  /**
   * Name of the embeddings' source (a backbone tag), kept in the provenance.
   * @defaultValue `null` in the provenance
   */
  source?: string;
}

/**
 * What {@link Probe.predictProba} returns: the positive-class probability of every row for a
 * binary probe; for multiclass (softmax) and multilabel (independent sigmoids) one row of
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
 * What {@link Probe.predict} returns: labels (the training labels, mapped back) for binary and
 * multiclass probes; 0/1 rows for multilabel.
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
 * What {@link Probe.evaluate} returns for a task.
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

interface Fitted extends FittedContent {
  readonly head: LinearHead;
}

/**
 * A linear probe on frozen embeddings, trained with the paper's linear-evaluation protocol
 * (`solver: 'paper'`) or as exact L2 logistic regression (`solver: 'lbfgs'`).
 *
 * @remarks
 * Since 0.1.0. Estimator contract: hyperparameters in the constructor, `fit` returns the
 * probe, `predictProba` / `predict` / `evaluate`, `toJSON` / {@link Probe.fromJSON},
 * `dispose`. Outputs are plain arrays, read synchronously. tfjs memory: a fitted probe owns its
 * weight tensors (freed by `dispose`); no method leaves other tensors behind, even when it
 * throws. Tensor inputs stay the caller's.
 *
 * @example
 * ```ts
 * import { Probe } from 'dvme';
 * const probe = await new Probe({ task: 'binary', solver: 'lbfgs' }).fit(
 *   [[0, 1], [1, 0], [0, 2], [2, 0]],
 *   [0, 1, 0, 1],
 * );
 * probe.predictProba([[3, 0]]); // Float32Array [~0.9]
 * probe.predict([[3, 0]]); // [1]
 * const restored = Probe.fromJSON(JSON.parse(JSON.stringify(probe)));
 * probe.dispose();
 * restored.dispose();
 * ```
 */
export class Probe<T extends ProbeTask = ProbeTask> {
  /** The hyperparameters with every default filled in. */
  readonly hyperparameters: ProbeHyperparameters;
  private fitted: Fitted | undefined;
  private disposed = false;
  private epochLogs: readonly EpochLog[] = [];

  /** @param options - See {@link ProbeOptions}; invalid ones throw {@link InvalidArgumentError}. */
  constructor(options: ProbeOptions<T>) {
    this.hyperparameters = Object.freeze(resolveOptions(options));
  }

  /** The task. */
  get task(): T {
    return this.hyperparameters.task as T;
  }

  /** Whether `fit` (or `fromJSON`) has given the probe weights. */
  get isFitted(): boolean {
    return this.fitted !== undefined && !this.disposed;
  }

  /** Whether `dispose` was called. */
  get isDisposed(): boolean {
    return this.disposed;
  }

  /** Class index -> label of a fitted binary / multiclass probe; `undefined` otherwise. */
  get classes(): readonly number[] | undefined {
    return this.fitted?.classes;
  }

  /** Cut points on the expected grade of a fitted ordinal probe; `undefined` otherwise. */
  get thresholds(): readonly number[] | undefined {
    return this.fitted?.thresholds;
  }

  /** Where the fitted probe came from; `undefined` before fit. */
  get provenance(): ProbeProvenance | undefined {
    return this.fitted?.provenance;
  }

  /** Epoch logs of the last `'paper'` fit in this session (empty for `'lbfgs'` and `fromJSON`). */
  get history(): readonly EpochLog[] {
    return this.epochLogs;
  }

  /**
   * Trains the probe on embeddings `x` and labels `y` (refitting replaces earlier weights).
   *
   * @returns This probe, fitted.
   * @throws {@link ShapeError} when sizes disagree; {@link NonFiniteError} for NaN/Infinity in
   *   `x` or labels; {@link InvalidArgumentError} for bad labels (a class missing from
   *   training, a label outside `classes`, non-0/1 multilabel values) or class weights;
   *   {@link DisposedError} after `dispose`.
   */
  async fit(x: EmbeddingInput, y: LabelsFor<T>, options: ProbeFitOptions<T> = {}): Promise<this> {
    this.assertNotDisposed();
    const hp = this.hyperparameters;
    const data = await prepareFitData(hp, x, y, options.validation, new Xoshiro128(hp.seed));
    const { weights, training, history } = await train(hp, data, options);
    const head = new LinearHead(hp.task, weights, data.standardization);
    try {
      let thresholds: number[] | undefined;
      const onRows = data.validation ?? data.train;
      if (hp.ordinal && onRows.targets.kind === 'index') {
        const proba = await probaOf(head, onRows.x);
        const rows = toRows(proba, weights.outputs);
        thresholds = fitOrdinalThresholds(expectedGrade(rows), onRows.targets.index, weights.outputs).thresholds;
      }
      // dispose() may have run while fit awaited.
      this.assertNotDisposed();
      const provenance: ProbeProvenance = {
        source: options.source ?? null,
        numFeatures: weights.features,
        nTrain: data.train.x.rows,
        nValidation: data.validation?.x.rows ?? 0,
        validation: data.validationKind,
        seed: hp.seed,
        solver: hp.solver,
        backend: tf.getBackend(),
        dvmeVersion: DVME_VERSION,
        training,
      };
      this.fitted?.head.dispose();
      const { classes, numLabels, standardization } = data;
      this.fitted = { classes, numLabels, standardization, weights, thresholds, provenance, head };
      this.epochLogs = history;
      return this;
    } catch (e) {
      head.dispose();
      throw e;
    }
  }

  /**
   * Probabilities of embeddings `x`; see {@link ProbaFor}.
   *
   * @throws {@link NotFittedError} before fit; {@link DisposedError} after dispose;
   *   {@link ShapeError} for a feature count other than in fit; {@link NonFiniteError}.
   */
  predictProba(x: EmbeddingInput): ProbaFor<T> {
    const f = this.state();
    const p = this.probaFlat(f, x);
    return (this.task === 'binary' ? p : toRows(p, f.weights.outputs)) as ProbaFor<T>;
  }

  /**
   * Predicted labels of embeddings `x`: the class of the largest probability (probability
   * >= 0.5 for binary and per multilabel label), or for an ordinal probe the expected grade cut
   * by its fitted thresholds; see {@link PredictionFor}.
   *
   * @throws As {@link Probe.predictProba}.
   */
  predict(x: EmbeddingInput): PredictionFor<T> {
    const f = this.state();
    const p = this.probaFlat(f, x);
    const k = f.weights.outputs;
    if (this.task === 'multilabel') return toRows(p, k).map((r) => Array.from(r, (v) => (v >= 0.5 ? 1 : 0))) as PredictionFor<T>;
    const classes = f.classes as number[];
    if (this.task === 'binary') return Array.from(p, (v) => classes[v >= 0.5 ? 1 : 0]) as PredictionFor<T>;
    return Array.from(this.classIndices(f, p), (c) => classes[c]) as PredictionFor<T>;
  }

  /**
   * The task's metrics of the probe on embeddings `x` with true labels `y`: see
   * {@link BinaryEvaluation}, {@link MulticlassEvaluation}, {@link MultilabelEvaluation}.
   * Metrics that are undefined on the data (AUC with one class present) are `NaN`.
   *
   * @throws As {@link Probe.predictProba}, and {@link InvalidArgumentError} for labels the
   *   probe does not know.
   */
  evaluate(x: EmbeddingInput, y: LabelsFor<T>): EvaluationFor<T> {
    const f = this.state();
    const p = this.probaFlat(f, x);
    const k = f.weights.outputs;
    const targets = encodeTargets(this.task, 'y', y, p.length / k, { classes: f.classes, numLabels: f.numLabels });
    const pred = f.thresholds ? this.classIndices(f, p) : undefined;
    return evaluateProba(targets, p, k, pred) as EvaluationFor<T>;
  }

  /**
   * The fitted probe as plain JSON data ({@link ProbeJSON}); `JSON.stringify(probe)` calls it.
   *
   * @throws {@link NotFittedError} before fit; {@link DisposedError} after dispose.
   */
  toJSON(): ProbeJSON {
    const f = this.state();
    return toProbeJSON(this.hyperparameters, f);
  }

  /**
   * Restores a probe written by {@link Probe.toJSON} (the object, or its JSON text). It
   * predicts exactly as the probe written, on the same backend.
   *
   * @throws {@link CheckpointFormatError} when `json` is not a probe of a supported version.
   * @example
   * ```ts
   * import { Probe } from 'dvme';
   * declare const text: string; // JSON.stringify(probe) saved earlier
   * const probe = Probe.fromJSON<'binary'>(text);
   * ```
   */
  static fromJSON<T extends ProbeTask = ProbeTask>(json: ProbeJSON | string): Probe<T> {
    const { hp, content } = fromProbeJSON(json);
    const probe = new Probe<T>(hp as ProbeOptions<T>);
    probe.fitted = { ...content, head: new LinearHead(hp.task, content.weights, content.standardization) };
    return probe;
  }

  /** Frees the weight tensors. Idempotent; any later use throws {@link DisposedError}. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.fitted?.head.dispose();
  }

  private assertNotDisposed(): void {
    if (this.disposed) {
      throw new DisposedError('This Probe was disposed. Create a new Probe (or Probe.fromJSON) to use one again.');
    }
  }

  private state(): Fitted {
    this.assertNotDisposed();
    if (!this.fitted) {
      throw new NotFittedError(`This ${this.task} Probe is not fitted yet: call fit(x, y) first (or load one with Probe.fromJSON).`);
    }
    return this.fitted;
  }

  private probaFlat(f: Fitted, x: EmbeddingInput): Float32Array {
    const p = tf.tidy(() => f.head.probabilities(embeddingTensor('x', x, f.weights.features)));
    try {
      // A copy: on the cpu backend dataSync hands out the tensor's own buffer.
      return Float32Array.from(p.dataSync());
    } finally {
      p.dispose();
    }
  }

  private classIndices(f: Fitted, p: Float32Array): Int32Array {
    const k = f.weights.outputs;
    if (!f.thresholds) return argmaxRows(p, k);
    return applyOrdinalThresholds(expectedGrade(toRows(p, k)), f.thresholds);
  }
}

/** Runs the chosen solver on the prepared (standardised) data. */
async function train(
  hp: ProbeHyperparameters,
  data: FitData,
  options: ProbeFitOptions<ProbeTask>,
): Promise<{ weights: LinearWeights; training: ProbeProvenance['training']; history: readonly EpochLog[] }> {
  let out: { weights: LinearWeights; training: ProbeProvenance['training']; history: readonly EpochLog[] };
  if (hp.solver === 'paper') {
    const r = await fitPaper({
      task: hp.task,
      x: data.train.z,
      targets: data.train.targets,
      weights: data.weights,
      validation: data.validation && { x: data.validation.z, targets: data.validation.targets },
      hp: hp as Required<ProbeHyperparameters>,
      rng: data.rng,
      onEpoch: options.onEpoch,
      signal: options.signal,
    });
    const { epochs, bestEpoch, stoppedEarly, lrDropEpochs } = r.report;
    out = { weights: r.weights, training: { epochs, bestEpoch, stoppedEarly, lrDropEpochs }, history: r.report.history };
  } else {
    options.signal?.throwIfAborted();
    const r = await fitLbfgs(data.train.z, data.train.targets, data.weights, hp as Required<ProbeHyperparameters>);
    out = { weights: r.weights, training: r.report, history: [] };
  }
  const { coef, intercept } = out.weights;
  if (!coef.every(Number.isFinite) || !intercept.every(Number.isFinite)) {
    throw new NonFiniteError(
      `The '${hp.solver}' solver returned non-finite weights. Standardise the embeddings (standardize: true) ` +
        "or lower learningRate ('paper') / C ('lbfgs').",
    );
  }
  return out;
}

/** Row views `[n][k]` of a row-major buffer. */
function toRows(p: Float32Array, k: number): Float32Array[] {
  return Array.from({ length: p.length / k }, (_, i) => p.subarray(i * k, (i + 1) * k));
}

/** Probabilities of raw rows through the fitted head, read asynchronously. */
async function probaOf(head: LinearHead, x: DenseRows): Promise<Float32Array> {
  const p = tf.tidy(() => head.probabilities(tf.tensor2d(x.data, [x.rows, x.cols])));
  try {
    return (await p.data()) as Float32Array;
  } finally {
    p.dispose();
  }
}

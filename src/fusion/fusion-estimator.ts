import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { CheckpointFormatError, DisposedError, NotFittedError } from '../errors/index.js';
// Named in TSDoc links only.
import type { InvalidArgumentError, ShapeError } from '../errors/index.js';
import { Xoshiro128 } from '../random/xoshiro.js';
import { encodeTargets, type LabelsFor, type ProbeTask, type Targets } from '../training/labels.js';
import type { EpochLog } from '../probe/paper-solver.js';
import { argmaxRows, evaluateProba } from '../training/evaluation.js';
import { DVME_VERSION } from '../version.js';
import type { EvaluationFor, PredictionFor, ProbaFor } from '../probe/probe.js';
import {
  learnLabelSpace,
  sourceSpecs,
  sourceTensors,
  splitRows,
  type LabelSpace,
  type SourceEmbeddings,
  type SourceSpec,
} from './fusion-data.js';
import { checkFusionHeader, failJSON, weightsFromJSON, weightsToJSON, type FusionJSON } from './fusion-json.js';
import type { FusionFitOptions, FusionHyperparameters } from './fusion-options.js';
import { fitFusionModel, predictProbabilities } from './train-fusion.js';

/**
 * Where a fitted fusion estimator came from, stored with it.
 *
 * @remarks Since 0.1.0.
 * @example
 * ```ts
 * import type { FusionProvenance } from 'dvme';
 * const epochsOf = (p: FusionProvenance): number => p.training.epochs;
 * ```
 */
export interface FusionProvenance {
  /** Rows the weights were trained on (held-out rows excluded). */
  readonly nTrain: number;
  /** Rows of validation data used, given or held out (0 if none). */
  readonly nValidation: number;
  /** Where validation data came from. */
  readonly validation: 'given' | 'split' | 'none';
  /** Trainable parameters of the model. */
  readonly parameterCount: number;
  /** tfjs backend the estimator was fitted on. */
  readonly backend: string;
  /** dvme release that fitted it. */
  readonly dvmeVersion: string;
  /** Epochs run, the best epoch (whose weights were kept), and the epochs after which the rate dropped. */
  readonly training: {
    readonly epochs: number;
    readonly bestEpoch: number;
    readonly stoppedEarly: boolean;
    readonly lrDropEpochs: readonly number[];
  };
}

interface Fitted {
  readonly model: tfl.LayersModel;
  readonly space: LabelSpace;
  readonly provenance: FusionProvenance;
}

/**
 * The estimator contract shared by the fusion heads: the subclass supplies the architecture
 * (`createModel`) and its JSON kind; fitting with the paper's protocol, prediction,
 * evaluation, JSON and disposal live here once.
 *
 * @remarks
 * Since 0.1.0. tfjs memory: a fitted estimator owns its model's weights (freed by `dispose`);
 * no method leaves other tensors behind, even when it throws. Tensor inputs stay the caller's.
 * Outputs are plain arrays, read synchronously, with the same shapes as {@link Probe}'s.
 * @example
 * ```ts
 * import { ConcatProbe, type FusionEstimator } from 'dvme';
 * const est: FusionEstimator<'binary'> = new ConcatProbe({ sources: { a: 2, b: 1 }, task: 'binary' });
 * ```
 */
export abstract class FusionEstimator<T extends ProbeTask = ProbeTask, H extends FusionHyperparameters<T> = FusionHyperparameters<T>> {
  /** The hyperparameters with every default filled in. */
  readonly hyperparameters: H;
  /** @internal */
  protected readonly specs: readonly SourceSpec[];
  private fitted: Fitted | undefined;
  private disposed = false;
  private epochLogs: readonly EpochLog[] = [];

  /** @internal */
  protected constructor(hyperparameters: H) {
    this.hyperparameters = Object.freeze(hyperparameters);
    this.specs = sourceSpecs(hyperparameters.sources);
  }

  /** @internal The `kind` tag of this estimator's JSON, e.g. `'dvme.ConcatProbe'`. */
  protected abstract get jsonKind(): string;

  /** @internal A fresh model for `numOutputs` logits (seeded from the hyperparameters). */
  protected abstract createModel(numOutputs: number): tfl.LayersModel;

  /** The task. */
  get task(): T {
    return this.hyperparameters.task;
  }

  /** Source names, in model input order. */
  get sources(): readonly string[] {
    return this.specs.map((s) => s.name);
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
    return this.fitted?.space.classes;
  }

  /** Where the fitted estimator came from; `undefined` before fit. */
  get provenance(): FusionProvenance | undefined {
    return this.fitted?.provenance;
  }

  /** Epoch logs of the last fit in this session (empty after `fromJSON`). */
  get history(): readonly EpochLog[] {
    return this.epochLogs;
  }

  /**
   * The fitted tfjs-layers model (inputs `source_<j>` in source order, logits out); still
   * owned by the estimator. Save it with `model.save(handler)`: every custom layer is
   * registered, so `tf.loadLayersModel` reads it back.
   *
   * @throws {@link NotFittedError} before fit; {@link DisposedError} after dispose.
   */
  get model(): tfl.LayersModel {
    return this.state().model;
  }

  /**
   * Trains on embeddings `x` (one entry per source, same rows) and labels `y` with the paper's
   * protocol; refitting starts again from fresh weights.
   *
   * @returns This estimator, fitted.
   * @throws {@link ShapeError} when sizes disagree; {@link InvalidArgumentError} for missing
   *   or unknown sources and bad labels; {@link DisposedError} after `dispose`; the signal's
   *   reason when aborted.
   */
  async fit(x: SourceEmbeddings, y: LabelsFor<T>, options: FusionFitOptions<T> = {}): Promise<this> {
    this.assertNotDisposed();
    const hp = this.hyperparameters;
    const owned: tf.Tensor[] = [];
    let model: tfl.LayersModel | undefined;
    try {
      const all = sourceTensors('x', x, this.specs);
      owned.push(...all.owned);
      const n = all.tensors[0].shape[0];
      const { space, targets } = learnLabelSpace(hp.task, y, n, hp);
      const rng = new Xoshiro128(hp.seed);
      let train = { x: all.tensors, targets };
      let validation: { x: tf.Tensor2D[]; targets: Targets } | undefined;
      let kind: FusionProvenance['validation'] = 'none';
      if (options.validation) {
        const v = sourceTensors('validation.x', options.validation.x, this.specs);
        owned.push(...v.owned);
        const vt = encodeTargets(hp.task, 'validation.y', options.validation.y, v.tensors[0].shape[0], space);
        validation = { x: v.tensors, targets: vt };
        kind = 'given';
      } else if (hp.validationSplit > 0) {
        const split = splitRows(all.tensors, targets, hp.validationSplit, rng);
        owned.push(...split.train.x, ...split.heldOut.x);
        train = split.train;
        validation = split.heldOut;
        kind = 'split';
      }
      model = this.createModel(outputsOf(hp.task, space));
      const report = await fitFusionModel({
        model,
        task: hp.task,
        x: train.x,
        targets: train.targets,
        validation,
        hp,
        rng,
        onEpoch: options.onEpoch,
        signal: options.signal,
      });
      // dispose() may have run while fit awaited.
      this.assertNotDisposed();
      const { epochs, bestEpoch, stoppedEarly, lrDropEpochs } = report;
      const provenance: FusionProvenance = {
        nTrain: train.x[0].shape[0],
        nValidation: validation?.x[0].shape[0] ?? 0,
        validation: kind,
        parameterCount: model.countParams(),
        backend: tf.getBackend(),
        dvmeVersion: DVME_VERSION,
        training: { epochs, bestEpoch, stoppedEarly, lrDropEpochs },
      };
      this.fitted?.model.dispose();
      this.fitted = { model, space, provenance };
      this.epochLogs = report.history;
      model = undefined;
      return this;
    } finally {
      model?.dispose();
      tf.dispose(owned);
    }
  }

  /**
   * Probabilities of embeddings `x`; see {@link ProbaFor}.
   *
   * @throws {@link NotFittedError} before fit; {@link DisposedError} after dispose;
   *   {@link ShapeError} / {@link InvalidArgumentError} for inputs that do not fit the sources.
   */
  predictProba(x: SourceEmbeddings): ProbaFor<T> {
    const f = this.state();
    const p = this.probaFlat(f, x);
    return (this.task === 'binary' ? p : toRows(p, outputsOf(this.task, f.space))) as ProbaFor<T>;
  }

  /**
   * Predicted labels: the class of the largest probability, probability >= 0.5 for binary and
   * for every multilabel label; see {@link PredictionFor}.
   *
   * @throws As {@link FusionEstimator.predictProba}.
   */
  predict(x: SourceEmbeddings): PredictionFor<T> {
    const f = this.state();
    const p = this.probaFlat(f, x);
    const k = outputsOf(this.task, f.space);
    if (this.task === 'multilabel') return toRows(p, k).map((r) => Array.from(r, (v) => (v >= 0.5 ? 1 : 0))) as PredictionFor<T>;
    const classes = f.space.classes as number[];
    if (this.task === 'binary') return Array.from(p, (v) => classes[v >= 0.5 ? 1 : 0]) as PredictionFor<T>;
    return Array.from(argmaxRows(p, k), (c) => classes[c]) as PredictionFor<T>;
  }

  /**
   * The task's metrics on embeddings `x` with true labels `y` (ROC AUC, accuracy, Cohen's
   * kappa; the same report as {@link Probe.evaluate}). Undefined metrics are `NaN`.
   *
   * @throws As {@link FusionEstimator.predictProba}, and {@link InvalidArgumentError} for
   *   labels the estimator does not know.
   */
  evaluate(x: SourceEmbeddings, y: LabelsFor<T>): EvaluationFor<T> {
    const f = this.state();
    const p = this.probaFlat(f, x);
    const k = outputsOf(this.task, f.space);
    const targets = encodeTargets(this.task, 'y', y, p.length / k, f.space);
    return evaluateProba(targets, p, k) as EvaluationFor<T>;
  }

  /**
   * The fitted estimator as plain JSON data ({@link FusionJSON}); `JSON.stringify` calls it.
   *
   * @throws {@link NotFittedError} before fit; {@link DisposedError} after dispose.
   */
  toJSON(): FusionJSON {
    const f = this.state();
    return {
      kind: this.jsonKind,
      version: 1,
      hyperparameters: structuredClone(this.hyperparameters) as Record<string, unknown>,
      classes: f.space.classes ? [...f.space.classes] : null,
      numLabels: f.space.numLabels ?? null,
      weights: weightsToJSON(f.model),
      provenance: structuredClone(f.provenance) as unknown as Record<string, unknown>,
    };
  }

  /** Frees the model's weights. Idempotent; any later use throws {@link DisposedError}. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.fitted?.model.dispose();
  }

  /**
   * @internal Restores the fitted state written by `toJSON` into this fresh estimator (whose
   * hyperparameters came from the same JSON).
   * @throws {@link CheckpointFormatError}
   */
  protected restore(json: FusionJSON): this {
    const kind = this.jsonKind;
    const space: LabelSpace =
      this.task === 'multilabel'
        ? { classes: undefined, numLabels: checkCount(kind, 'numLabels', json.numLabels) }
        : { classes: checkClasses(kind, this.task, json.classes), numLabels: undefined };
    const model = this.createModel(outputsOf(this.task, space));
    try {
      weightsFromJSON(kind, model, json.weights);
    } catch (e) {
      model.dispose();
      throw e;
    }
    this.fitted = { model, space, provenance: structuredClone(json.provenance) as unknown as FusionProvenance };
    return this;
  }

  /** @internal The fitted model, for subclass inspection methods. */
  protected fittedModel(): tfl.LayersModel {
    return this.state().model;
  }

  /** @internal Input tensors of `x` in source order, and those the caller must dispose. */
  protected inputTensors(x: unknown): { tensors: tf.Tensor2D[]; owned: tf.Tensor[] } {
    return sourceTensors('x', x, this.specs);
  }

  /** The class name for messages (bundlers may rename constructors). */
  private get className(): string {
    return this.jsonKind.replace(/^dvme\./, '');
  }

  private assertNotDisposed(): void {
    if (this.disposed) {
      throw new DisposedError(`This ${this.className} was disposed. Create a new one (or use fromJSON) to use one again.`);
    }
  }

  private state(): Fitted {
    this.assertNotDisposed();
    if (!this.fitted) {
      throw new NotFittedError(
        `This ${this.task} ${this.className} is not fitted yet: call fit(x, y) first (or load one with fromJSON).`,
      );
    }
    return this.fitted;
  }

  private probaFlat(f: Fitted, x: unknown): Float32Array {
    const { tensors, owned } = sourceTensors('x', x, this.specs);
    try {
      const p = predictProbabilities(f.model, this.task, tensors);
      try {
        // A copy: on the cpu backend dataSync hands out the tensor's own buffer.
        return Float32Array.from(p.dataSync());
      } finally {
        p.dispose();
      }
    } finally {
      tf.dispose(owned);
    }
  }
}

/** @internal Logit count: 1 for binary, classes for multiclass, labels for multilabel. */
export function outputsOf(task: ProbeTask, space: LabelSpace): number {
  if (task === 'multilabel') return space.numLabels as number;
  return task === 'binary' ? 1 : (space.classes as number[]).length;
}

/**
 * @internal For the subclasses' `fromJSON`: checks the JSON's tag and builds a fresh estimator
 * from its hyperparameters (bad ones are a CheckpointFormatError, not an argument error).
 */
export function fromFusionJSON<E>(kind: string, json: unknown, make: (hp: never) => E): { estimator: E; json: FusionJSON } {
  const j = checkFusionHeader(kind, json);
  try {
    return { estimator: make(j.hyperparameters as never), json: j };
  } catch (e) {
    throw new CheckpointFormatError(`Not a valid ${kind} JSON: bad hyperparameters (${(e as Error).message}).`, { cause: e });
  }
}

function checkCount(kind: string, name: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) failJSON(kind, `${name} must be a positive integer`);
  return v;
}

function checkClasses(kind: string, task: ProbeTask, v: unknown): number[] {
  if (!Array.isArray(v) || v.length < 2 || !v.every((c) => typeof c === 'number' && Number.isFinite(c))) {
    failJSON(kind, 'classes must list at least two finite labels');
  }
  if (task === 'binary' && v.length !== 2) failJSON(kind, 'a binary estimator has exactly two classes');
  return [...(v as number[])];
}

/** Row views `[n][k]` of a row-major buffer. */
function toRows(p: Float32Array, k: number): Float32Array[] {
  return Array.from({ length: p.length / k }, (_, i) => p.subarray(i * k, (i + 1) * k));
}

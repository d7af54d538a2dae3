import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { CheckpointFormatError } from '../errors/index.js';
// Named in TSDoc links only.
import type { DisposedError, InvalidArgumentError, NotFittedError, ShapeError } from '../errors/index.js';
import { applyOrdinalThresholds, expectedGrade, fitOrdinalThresholds } from '../probe/ordinal-thresholds.js';
import { Xoshiro128 } from '../random/xoshiro.js';
import { checkClassWeight, targetWeights } from '../training/class-weight.js';
import { Estimator, fitOrigin, type FittedState } from '../training/estimator.js';
import { readEstimatorJSON, readLabelSpace } from '../training/estimator-json.js';
import type { TrainingWarning } from '../training/fit-warnings.js';
import { encodeTargets, type LabelsFor, type ProbeTask, type Targets } from '../training/labels.js';
import { outputCount } from '../training/logits.js';
import { toRows } from '../training/rows.js';
import { learnLabelSpace, plainSources, sourceSpecs, sourceTensors, splitRows, type SourceEmbeddings, type SourceSpec } from './fusion-data.js';
import { FUSION_JSON_VERSION, weightsFromJSON, weightsToJSON, type FusionJSON } from './fusion-json.js';
import type { FusionFitOptions, FusionHyperparameters } from './fusion-options.js';
import { fitFusionModel, predictProbabilities, readProbabilities } from './train-fusion.js';

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
  /** Signs of a degenerate fit, such as one class predicted for every row (absent in estimators saved before they were recorded). */
  readonly warnings?: readonly TrainingWarning[];
}

/** @internal What a fitted fusion estimator holds. */
export interface FusionState extends FittedState<FusionProvenance> {
  readonly model: tfl.LayersModel;
  /** Ordinal cut points on the expected grade (`ordinal: true`). */
  readonly thresholds?: readonly number[] | undefined;
}

/**
 * The estimator contract shared by the fusion heads: the subclass supplies the architecture
 * (`createModel`) and its JSON kind; fitting with the paper's protocol lives here once, and
 * prediction, evaluation, JSON and disposal in {@link Estimator}, as for {@link Probe}.
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
export abstract class FusionEstimator<
  T extends ProbeTask = ProbeTask,
  H extends FusionHyperparameters<T> = FusionHyperparameters<T>,
> extends Estimator<T, SourceEmbeddings, H, FusionProvenance, FusionState> {
  /** @internal */
  protected readonly specs: readonly SourceSpec[];

  /** @internal */
  protected constructor(hyperparameters: H) {
    super(hyperparameters);
    this.specs = sourceSpecs(hyperparameters.sources);
  }

  /** @internal The `kind` tag of this estimator's JSON, e.g. `'dvme.ConcatProbe'`. */
  protected abstract get jsonKind(): string;

  /** @internal A fresh model for `numOutputs` logits (seeded from the hyperparameters). */
  protected abstract createModel(numOutputs: number): tfl.LayersModel;

  /**
   * @internal Whether the model trains on the host, reading the rows and never the tensors (the
   * concat baseline): then a fit with given validation rows, all plain data, makes no tensors.
   */
  protected get trainsOnHost(): boolean {
    return false;
  }

  /** Source names, in model input order. */
  get sources(): readonly string[] {
    return this.specs.map((s) => s.name);
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

  /** Cut points on the expected grade of a fitted `ordinal` estimator; `undefined` otherwise. */
  get thresholds(): readonly number[] | undefined {
    return this.current?.thresholds;
  }

  /**
   * Trains on embeddings `x` (one entry per source, same rows) and labels `y` with the paper's
   * protocol; refitting starts again from fresh weights.
   *
   * @returns This estimator, fitted.
   * @throws {@link ShapeError} when sizes disagree; {@link InvalidArgumentError} for missing
   *   or unknown sources and bad labels (such as non-integer class labels);
   *   {@link DisposedError} after `dispose`; the signal's reason when aborted.
   */
  async fit(x: SourceEmbeddings, y: LabelsFor<T>, options: FusionFitOptions<T> = {}): Promise<this> {
    this.assertNotDisposed();
    const hp = this.hyperparameters;
    const owned: tf.Tensor[] = [];
    let model: tfl.LayersModel | undefined;
    try {
      // Host training with validation rows reads no tensor: none is made (an upload per fit).
      const hostOnly = this.trainsOnHost && options.validation !== undefined && plainSources(x) && plainSources(options.validation.x);
      const all = sourceTensors('x', x, this.specs, !hostOnly);
      owned.push(...all.owned);
      const n = all.n;
      let nTrain = n;
      let nValidation = 0;
      const { space, targets } = learnLabelSpace(hp.task, y, n, hp);
      const rng = new Xoshiro128(hp.seed);
      let train = { x: all.tensors, targets };
      let validation: { x: tf.Tensor2D[]; targets: Targets } | undefined;
      const hostRows: { x?: (Float32Array | undefined)[]; validation?: (Float32Array | undefined)[] } = { x: all.rows };
      let kind: FusionProvenance['validation'] = 'none';
      if (options.validation) {
        const v = sourceTensors('validation.x', options.validation.x, this.specs, !hostOnly);
        owned.push(...v.owned);
        const vt = encodeTargets(hp.task, 'validation.y', options.validation.y, v.n, space);
        validation = { x: v.tensors, targets: vt };
        nValidation = v.n;
        hostRows.validation = v.rows;
        kind = 'given';
      } else if (hp.validationSplit > 0) {
        const split = splitRows(all.tensors, targets, hp.validationSplit, rng);
        owned.push(...split.train.x, ...split.heldOut.x);
        train = split.train;
        validation = split.heldOut;
        [nTrain, nValidation] = [train.x[0].shape[0], validation.x[0].shape[0]];
        hostRows.x = undefined;
        kind = 'split';
      }
      const outputs = outputCount(hp.task, space);
      const labels = space.classes ?? [0, 1];
      const weights = targetWeights(checkClassWeight(hp.classWeight, labels), train.targets, labels);
      model = this.createModel(outputs);
      const report = await fitFusionModel({
        model,
        task: hp.task,
        x: train.x,
        targets: train.targets,
        weights,
        validation,
        hostRows,
        hp,
        rng,
        onEpoch: options.onEpoch,
        signal: options.signal,
      });
      // Checked on the rows that chose the weights: the validation rows (whose probabilities the
      // loop kept), else the training rows (one more forward pass).
      const set = report.validationProba ? 'validation' : 'training';
      const sets = [{ set, proba: report.validationProba ?? (await readProbabilities(model, hp.task, train.x)) }];
      // dispose() may have run while fit awaited.
      this.assertNotDisposed();
      // Ordinal cut points on the same rows the warnings check: validation rows when there are some.
      const onTargets = validation?.targets ?? train.targets;
      const thresholds =
        hp.ordinal && onTargets.kind === 'index' && outputs > 2
          ? fitOrdinalThresholds(expectedGrade(toRows(sets[0].proba, outputs)), onTargets.index, outputs).thresholds
          : undefined;
      const content = { model, ...space, outputs, thresholds };
      const advice = 'Check that the embeddings carry the labels; standardised embeddings, another learningRate or more epochs may help.';
      const warnings = this.warningsOf(content, sets, report, advice, options.onWarning);
      const { epochs, bestEpoch, stoppedEarly, lrDropEpochs } = report;
      const provenance: FusionProvenance = {
        nTrain,
        nValidation,
        validation: kind,
        parameterCount: model.countParams(),
        ...fitOrigin(),
        training: { epochs, bestEpoch, stoppedEarly, lrDropEpochs },
        warnings,
      };
      this.commit({ ...content, provenance }, report.history);
      model = undefined;
      return this;
    } finally {
      model?.dispose();
      tf.dispose(owned);
    }
  }

  /**
   * The fitted estimator as plain JSON data ({@link FusionJSON}); `JSON.stringify` calls it.
   *
   * @throws {@link NotFittedError} before fit; {@link DisposedError} after dispose.
   */
  toJSON(): FusionJSON {
    return this.jsonOf(this.jsonKind, FUSION_JSON_VERSION, (f) => ({
      weights: weightsToJSON(f.model),
      thresholds: f.thresholds ? [...f.thresholds] : null,
    })) as unknown as FusionJSON;
  }

  /**
   * @internal Restores the fitted state written by `toJSON` into this fresh estimator (whose
   * hyperparameters came from the same JSON).
   * @throws {@link CheckpointFormatError}
   */
  protected restore(json: FusionJSON): this {
    const kind = this.jsonKind;
    const space = readLabelSpace(kind, this.task, json as unknown as Record<string, unknown>);
    const outputs = outputCount(this.task, space);
    const model = this.createModel(outputs);
    try {
      weightsFromJSON(kind, model, json.weights);
    } catch (e) {
      model.dispose();
      throw e;
    }
    const t = json.thresholds;
    if (t !== undefined && t !== null && (!Array.isArray(t) || t.length !== outputs - 1 || !t.every(Number.isFinite))) {
      model.dispose();
      throw new CheckpointFormatError(`Not a valid ${kind} JSON: thresholds must be null or ${outputs - 1} numbers. Pass what toJSON() returned.`);
    }
    const thresholds = t ? [...t] : undefined;
    this.commit({ model, ...space, outputs, thresholds, provenance: structuredClone(json.provenance) as unknown as FusionProvenance }, []);
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

  /** @internal The class name for messages (bundlers may rename constructors). */
  protected get estimatorName(): string {
    return this.jsonKind.replace(/^dvme\./, '');
  }

  /** @internal */
  protected probabilities(f: FusionState, x: SourceEmbeddings): Float32Array {
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

  /** @internal Ordinal estimators: the expected grade cut by the fitted thresholds. */
  protected override classIndices(f: FusionState, p: Float32Array): Int32Array | undefined {
    return f.thresholds && applyOrdinalThresholds(expectedGrade(toRows(p, f.outputs)), f.thresholds);
  }

  /** @internal */
  protected release(f: FusionState): void {
    f.model.dispose();
  }
}

/**
 * @internal For the subclasses' `fromJSON`: checks the JSON's tag and builds a fresh estimator
 * from its hyperparameters (bad ones are a CheckpointFormatError, not an argument error).
 */
export function fromFusionJSON<E>(kind: string, json: unknown, make: (hp: never) => E): { estimator: E; json: FusionJSON } {
  const j = readEstimatorJSON(kind, FUSION_JSON_VERSION, json) as unknown as FusionJSON;
  try {
    return { estimator: make(j.hyperparameters as never), json: j };
  } catch (e) {
    throw new CheckpointFormatError(`Not a valid ${kind} JSON: bad hyperparameters (${(e as Error).message}).`, { cause: e });
  }
}

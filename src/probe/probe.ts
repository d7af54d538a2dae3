import * as tf from '@tensorflow/tfjs-core';
import { NonFiniteError } from '../errors/index.js';
// Named in TSDoc links only.
import type { CheckpointFormatError, DisposedError, InvalidArgumentError, NotFittedError, ShapeError } from '../errors/index.js';
import { Xoshiro128 } from '../random/xoshiro.js';
import { embeddingTensor, type DenseRows, type EmbeddingInput } from '../training/embedding-input.js';
import { Estimator, fitOrigin, type FitCallbacks, type FittedState } from '../training/estimator.js';
import type { LabelsFor, ProbeTask } from '../training/labels.js';
import { outputCount } from '../training/logits.js';
import { toRows } from '../training/rows.js';
import type { TrainingReport } from '../training/train-loop.js';
import { prepareFitData, type FitData } from './fit-data.js';
import { fitLbfgs } from './lbfgs-solver.js';
import { LinearHead, type LinearWeights } from './linear-head.js';
import { resolveOptions, type ProbeHyperparameters, type ProbeOptions } from './options.js';
import { applyOrdinalThresholds, expectedGrade, fitOrdinalThresholds } from './ordinal-thresholds.js';
import { fitPaper } from './paper-solver.js';
import { fromProbeJSON, PROBE_JSON_KIND, PROBE_JSON_VERSION, type FittedContent, type ProbeJSON, type ProbeProvenance } from './probe-json.js';

export type { EvaluationFor, PredictionFor, ProbaFor } from '../training/estimator.js';

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
export interface ProbeFitOptions<T extends ProbeTask = ProbeTask> extends FitCallbacks {
  /**
   * Validation rows: the `'paper'` solver monitors them (schedule, early stopping, best
   * weights) and an ordinal probe fits its cut points on them.
   * @defaultValue none: see the `validationSplit` option of {@link ProbeOptions}
   */
  validation?: { readonly x: EmbeddingInput; readonly y: LabelsFor<T> };
  /**
   * Name of the embeddings' source (a backbone tag), kept in the provenance.
   * @defaultValue `null` in the provenance
   */
  source?: string;
}

/** @internal What a fitted probe holds. */
export interface ProbeState extends FittedContent, FittedState<ProbeProvenance> {
  readonly head: LinearHead;
}

/**
 * A linear probe on frozen embeddings, trained with the paper's linear-evaluation protocol
 * (`solver: 'paper'`) or as exact L2 logistic regression (`solver: 'lbfgs'`).
 *
 * @remarks
 * Since 0.1.0. The {@link Estimator} contract: hyperparameters in the constructor, `fit`
 * returns the probe, `predictProba` / `predict` / `evaluate`, `toJSON` /
 * {@link Probe.fromJSON}, `dispose`. Outputs are plain arrays, read synchronously. tfjs
 * memory: a fitted probe owns its weight tensors (freed by `dispose`); no method leaves other
 * tensors behind, even when it throws. Tensor inputs stay the caller's.
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
export class Probe<T extends ProbeTask = ProbeTask> extends Estimator<T, EmbeddingInput, ProbeHyperparameters, ProbeProvenance, ProbeState> {
  /** @param options - See {@link ProbeOptions}; invalid ones throw {@link InvalidArgumentError}. */
  constructor(options: ProbeOptions<T>) {
    super(resolveOptions(options));
  }

  /** Cut points on the expected grade of a fitted ordinal probe; `undefined` otherwise. */
  get thresholds(): readonly number[] | undefined {
    return this.current?.thresholds;
  }

  /**
   * Trains the probe on embeddings `x` and labels `y` (refitting replaces earlier weights).
   *
   * @returns This probe, fitted.
   * @throws {@link ShapeError} when sizes disagree; {@link NonFiniteError} for NaN/Infinity in
   *   `x` or labels; {@link InvalidArgumentError} for bad labels (non-integer class labels, a
   *   class missing from training, a label outside `classes`, non-0/1 multilabel values) or
   *   class weights; {@link DisposedError} after `dispose`; the signal's reason when aborted.
   */
  async fit(x: EmbeddingInput, y: LabelsFor<T>, options: ProbeFitOptions<T> = {}): Promise<this> {
    this.assertNotDisposed();
    const hp = this.hyperparameters;
    const data = await prepareFitData(hp, x, y, options.validation, new Xoshiro128(hp.seed));
    const outputs = outputCount(hp.task, data);
    const { weights, training, report } = await train(hp, data, outputs, options);
    const head = new LinearHead(hp.task, weights, data.standardization);
    try {
      const train = await probaOf(head, data.train.x);
      const validation = data.validation && (await probaOf(head, data.validation.x));
      let thresholds: number[] | undefined;
      const onRows = data.validation ?? data.train;
      if (hp.ordinal && onRows.targets.kind === 'index') {
        const rows = toRows(validation ?? train, outputs);
        thresholds = fitOrdinalThresholds(expectedGrade(rows), onRows.targets.index, outputs).thresholds;
      }
      const { classes, numLabels, standardization } = data;
      const content = { classes, numLabels, outputs, standardization, weights, thresholds, head };
      const sets = [{ set: 'training', proba: train }, ...(validation ? [{ set: 'validation', proba: validation }] : [])];
      // dispose() may have run while fit awaited.
      this.assertNotDisposed();
      const warnings = this.warningsOf(content, sets, report, this.advice(), options.onWarning);
      const provenance: ProbeProvenance = {
        source: options.source ?? null,
        numFeatures: weights.features,
        nTrain: data.train.x.rows,
        nValidation: data.validation?.x.rows ?? 0,
        validation: data.validationKind,
        seed: hp.seed,
        solver: hp.solver,
        ...fitOrigin(),
        training,
        warnings,
      };
      this.commit({ ...content, provenance }, report?.history ?? []);
      return this;
    } catch (e) {
      head.dispose();
      throw e;
    }
  }

  /**
   * The fitted probe as plain JSON data ({@link ProbeJSON}); `JSON.stringify(probe)` calls it.
   *
   * @throws {@link NotFittedError} before fit; {@link DisposedError} after dispose.
   */
  toJSON(): ProbeJSON {
    return this.jsonOf(PROBE_JSON_KIND, PROBE_JSON_VERSION, (f) => ({
      standardization: f.standardization
        ? { mean: Array.from(f.standardization.mean), scale: Array.from(f.standardization.scale) }
        : null,
      weights: {
        outputs: f.weights.outputs,
        features: f.weights.features,
        coef: Array.from(f.weights.coef),
        intercept: Array.from(f.weights.intercept),
      },
      thresholds: f.thresholds ? [...f.thresholds] : null,
    })) as ProbeJSON;
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
    const head = new LinearHead(hp.task, content.weights, content.standardization);
    probe.commit({ ...content, outputs: content.weights.outputs, head }, []);
    return probe;
  }

  /** @internal */
  protected get estimatorName(): string {
    return 'Probe';
  }

  /** @internal */
  protected probabilities(f: ProbeState, x: EmbeddingInput): Float32Array {
    const p = tf.tidy(() => f.head.probabilities(embeddingTensor('x', x, f.weights.features)));
    try {
      // A copy: on the cpu backend dataSync hands out the tensor's own buffer.
      return Float32Array.from(p.dataSync());
    } finally {
      p.dispose();
    }
  }

  /** @internal */
  protected release(f: ProbeState): void {
    f.head.dispose();
  }

  /** @internal Ordinal probes: the expected grade cut by the fitted thresholds. */
  protected override classIndices(f: ProbeState, p: Float32Array): Int32Array | undefined {
    return f.thresholds && applyOrdinalThresholds(expectedGrade(toRows(p, f.outputs)), f.thresholds);
  }

  /** What a degenerate fit's warning suggests. */
  private advice(): string {
    const hp = this.hyperparameters;
    if (hp.solver === 'paper' && !hp.standardize) return 'Train on standardised embeddings (standardize: true), or check learningRate and the labels.';
    return hp.solver === 'paper'
      ? 'Check that the embeddings carry the labels; another learningRate or more epochs may help.'
      : 'Check that the embeddings carry the labels, or raise C (weaker regularisation).';
  }
}

/** Runs the chosen solver on the prepared (standardised) data. */
async function train(
  hp: ProbeHyperparameters,
  data: FitData,
  outputs: number,
  options: ProbeFitOptions<ProbeTask>,
): Promise<{ weights: LinearWeights; training: ProbeProvenance['training']; report: TrainingReport | undefined }> {
  let out: { weights: LinearWeights; training: ProbeProvenance['training']; report: TrainingReport | undefined };
  if (hp.solver === 'paper') {
    const r = await fitPaper({
      task: hp.task,
      x: data.train.z,
      targets: data.train.targets,
      outputs,
      weights: data.weights,
      validation: data.validation && { x: data.validation.z, targets: data.validation.targets },
      hp: hp as Required<ProbeHyperparameters>,
      rng: data.rng,
      onEpoch: options.onEpoch,
      signal: options.signal,
    });
    const { epochs, bestEpoch, stoppedEarly, lrDropEpochs } = r.report;
    out = { weights: r.weights, training: { epochs, bestEpoch, stoppedEarly, lrDropEpochs }, report: r.report };
  } else {
    options.signal?.throwIfAborted();
    const r = await fitLbfgs(data.train.z, data.train.targets, outputs, data.weights, hp as Required<ProbeHyperparameters>);
    out = { weights: r.weights, training: r.report, report: undefined };
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

/** Probabilities of raw rows through the fitted head, read asynchronously. */
async function probaOf(head: LinearHead, x: DenseRows): Promise<Float32Array> {
  const p = tf.tidy(() => head.probabilities(tf.tensor2d(x.data, [x.rows, x.cols])));
  try {
    return Float32Array.from(await p.data());
  } finally {
    p.dispose();
  }
}

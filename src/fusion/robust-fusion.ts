import * as tf from '@tensorflow/tfjs-core';
import type { EmbeddingMatrix } from '../data/embedding-matrix.js';
import { CheckpointFormatError } from '../errors/index.js';
// Named in TSDoc links only.
import type { DisposedError, InvalidArgumentError, NotFittedError, ShapeError } from '../errors/index.js';
import { applyOrdinalThresholds, expectedGrade, fitOrdinalThresholds } from '../probe/ordinal-thresholds.js';
import type { ProbeOptions } from '../probe/options.js';
import { Probe } from '../probe/probe.js';
import type { ProbeJSON } from '../probe/probe-json.js';
import type { ClassWeight } from '../training/class-weight.js';
import { Estimator, fitOrigin, type FittedState } from '../training/estimator.js';
import { failJSON, readEstimatorJSON, readLabelSpace } from '../training/estimator-json.js';
import { encodeTargets, type LabelsFor, type ProbeTask } from '../training/labels.js';
import { outputCount } from '../training/logits.js';
import { toRows } from '../training/rows.js';
import { learnLabelSpace, sourceSpecs, sourceTensors, type SourceEmbeddings, type SourceSpec } from './fusion-data.js';
import type { FusionFitOptions } from './fusion-options.js';
import { resolveRobustOptions, type RobustFusionHyperparameters, type RobustFusionOptions } from './robust-options.js';
import {
  averageOf,
  chooseCandidate,
  concatColumns,
  crossValidate,
  flatProba,
  type RobustCandidateScore,
  type RobustChoice,
} from './robust-selection.js';

const KIND = 'dvme.RobustFusion';
const VERSION = 1;

/**
 * Where a fitted {@link RobustFusion} came from: every candidate's cross-validated score and
 * the one chosen.
 *
 * @remarks Since 0.1.0.
 * @example
 * ```ts
 * import type { RobustFusionProvenance } from 'dvme';
 * const chosen = (p: RobustFusionProvenance): string => p.chosen.name;
 * ```
 */
export interface RobustFusionProvenance {
  /** Rows the chosen model was trained on. */
  readonly nTrain: number;
  /** Validation rows pooled with them for cross-validation (0 if none). */
  readonly nValidation: number;
  readonly validation: 'given' | 'none';
  /** Folds used (fewer than asked when a class has fewer rows). */
  readonly folds: number;
  /** Every candidate with its cross-validated score, in candidate order. */
  readonly scores: readonly RobustCandidateScore[];
  readonly chosen: RobustChoice;
  readonly backend: string;
  readonly dvmeVersion: string;
}

/** @internal What a fitted RobustFusion holds. */
interface RobustState extends FittedState<RobustFusionProvenance> {
  readonly choice: RobustChoice;
  /** One probe per source of the choice (average, source) or one of their concatenation. */
  readonly probes: readonly Probe[];
  readonly thresholds: readonly number[] | undefined;
}

/**
 * The fitted {@link RobustFusion} as plain JSON data.
 *
 * @remarks Since 0.1.0.
 * @example
 * ```ts
 * import type { RobustFusionJSON } from 'dvme';
 * const chosen = (j: RobustFusionJSON) => j.choice.name;
 * ```
 */
export interface RobustFusionJSON {
  readonly kind: 'dvme.RobustFusion';
  readonly version: 1;
  readonly hyperparameters: Readonly<Record<string, unknown>>;
  readonly classes: number[] | null;
  readonly numLabels: number | null;
  readonly choice: RobustChoice;
  /** The chosen model's probes ({@link ProbeJSON}), in source order. */
  readonly probes: readonly ProbeJSON[];
  /** Ordinal cut points on the expected grade, or `null`. */
  readonly thresholds: number[] | null;
  readonly provenance: Readonly<Record<string, unknown>>;
}

/**
 * Fusion that does not lose to its best source: cross-validation on the training rows pooled
 * with the validation rows chooses among one linear probe per source, a probe of the
 * concatenated sources, and the average of the per-source probes; a fused candidate is chosen
 * only when its out-of-fold score beats the best single source's by more than `margin`. The
 * chosen model is then refitted on the training rows.
 *
 * @remarks
 * Since 0.1.0. When it chooses a source, its predictions are exactly those of a {@link Probe}
 * with the same options fitted on that source, so on the measured tasks (docs/fusion.md) it is
 * never worse than the best single source chosen on validation beyond noise, and it keeps the
 * gains of fusion where cross-validation sees them. The candidates are convex probes
 * (`'lbfgs'` by default): cross-validating them costs `folds` probe fits per candidate; the
 * trained fusion models (DVME, DME) are not candidates. tfjs memory: a fitted estimator owns
 * its probes (freed by `dispose`); no method leaves other tensors behind.
 * @example
 * ```ts
 * import { RobustFusion } from 'dvme';
 * const rows = (n: number, s: number) => Array.from({ length: n }, (_, i) => [(i % 2) * s + (i % 3) * 0.1, (i % 5) * 0.1]);
 * const y = Array.from({ length: 20 }, (_, i) => i % 2);
 * const fusion = await new RobustFusion({ sources: { good: 2, weak: 2 }, task: 'binary', folds: 3 }).fit(
 *   { good: rows(20, 3), weak: rows(20, 0.1) },
 *   y,
 * );
 * fusion.chosen.name; // e.g. 'source:good'
 * fusion.dispose();
 * ```
 */
export class RobustFusion<T extends ProbeTask = ProbeTask> extends Estimator<
  T,
  SourceEmbeddings,
  RobustFusionHyperparameters<T>,
  RobustFusionProvenance,
  RobustState
> {
  private readonly specs: readonly SourceSpec[];

  /** @param options - See {@link RobustFusionOptions}; invalid ones throw {@link InvalidArgumentError}. */
  constructor(options: RobustFusionOptions<T>) {
    super(resolveRobustOptions(options));
    this.specs = sourceSpecs(this.hyperparameters.sources);
  }

  /** Source names, in input order. */
  get sources(): readonly string[] {
    return this.specs.map((s) => s.name);
  }

  /**
   * The chosen candidate.
   *
   * @throws {@link NotFittedError} before fit; {@link DisposedError} after dispose.
   */
  get chosen(): RobustChoice {
    return this.state().choice;
  }

  /** Ordinal cut points of a fitted ordinal estimator; `undefined` otherwise. */
  get thresholds(): readonly number[] | undefined {
    return this.current?.thresholds;
  }

  /**
   * Chooses among the candidates by cross-validation on `x` (and `options.validation`, pooled
   * with it), then fits the chosen one on `x`, `y`.
   *
   * @returns This estimator, fitted.
   * @throws {@link ShapeError} when sizes disagree; {@link InvalidArgumentError} for missing
   *   or unknown sources, bad labels, or a class with fewer than 2 pooled rows;
   *   {@link DisposedError} after `dispose`; the signal's reason when aborted.
   */
  async fit(x: SourceEmbeddings, y: LabelsFor<T>, options: FusionFitOptions<T> = {}): Promise<this> {
    this.assertNotDisposed();
    const hp = this.hyperparameters;
    const train = this.hostMatrices('x', x);
    const n = train[0].shape[0];
    const { space } = learnLabelSpace(hp.task, y, n, hp);
    const outputs = outputCount(hp.task, space);
    let pooled = train;
    let pooledY: LabelsFor<T> = y;
    let nValidation = 0;
    if (options.validation) {
      const v = this.hostMatrices('validation.x', options.validation.x);
      nValidation = v[0].shape[0];
      encodeTargets(hp.task, 'validation.y', options.validation.y, nValidation, space);
      pooled = train.map((m, j) => stackRows(m, v[j]));
      pooledY = [...Array.from(y as ArrayLike<unknown>), ...Array.from(options.validation.y as ArrayLike<unknown>)] as unknown as LabelsFor<T>;
    }
    const targets = encodeTargets(hp.task, 'y', pooledY, n + nValidation, space);
    const probe = this.probeOptions(space.classes);
    const names = this.sources;
    const selection = await crossValidate({
      task: hp.task,
      names,
      matrices: pooled,
      labels: pooledY,
      targets,
      outputs,
      candidates: hp.candidates,
      folds: hp.folds,
      criterion: hp.criterion,
      ordinal: hp.ordinal,
      seed: hp.seed,
      probe,
      signal: options.signal,
    });
    const choice = chooseCandidate(selection.scores, hp.margin);
    const { name, kind, sources } = choice;
    const inputs = kind === 'concat' ? [concatColumns(train)] : sources.map((s) => train[names.indexOf(s)]);
    const probes: Probe<T>[] = [];
    try {
      for (const m of inputs) {
        const p = new Probe<T>(probe);
        probes.push(p);
        await p.fit(m, y, options.signal ? { signal: options.signal } : {});
      }
      let thresholds: number[] | undefined;
      if (hp.ordinal && hp.task === 'multiclass' && targets.kind === 'index' && outputs > 2) {
        // Cut points on the out-of-fold probabilities of every pooled row: held-out predictions,
        // and more rows than the validation set alone.
        const oof = selection.outOfFold.get(name) as Float32Array;
        thresholds = fitOrdinalThresholds(expectedGrade(toRows(oof, outputs)), targets.index, outputs).thresholds;
      }
      this.assertNotDisposed();
      const provenance: RobustFusionProvenance = {
        nTrain: n,
        nValidation,
        validation: options.validation ? 'given' : 'none',
        folds: selection.folds,
        scores: selection.scores,
        chosen: { name, kind, sources: [...sources] },
        ...fitOrigin(),
      };
      this.commit({ ...space, outputs, choice: provenance.chosen, probes, thresholds, provenance }, []);
      return this;
    } catch (e) {
      for (const p of probes) p.dispose();
      throw e;
    }
  }

  /**
   * The fitted estimator as plain JSON data ({@link RobustFusionJSON}).
   *
   * @throws {@link NotFittedError} before fit; {@link DisposedError} after dispose.
   */
  toJSON(): RobustFusionJSON {
    return this.jsonOf(KIND, VERSION, (f) => ({
      choice: structuredClone(f.choice),
      probes: f.probes.map((p) => p.toJSON()),
      thresholds: f.thresholds ? [...f.thresholds] : null,
    })) as unknown as RobustFusionJSON;
  }

  /**
   * Restores an estimator written by `toJSON` (the object or its JSON text).
   *
   * @throws {@link CheckpointFormatError} when `json` is not such an estimator of a supported version.
   * @example
   * ```ts
   * import { RobustFusion } from 'dvme';
   * declare const text: string; // JSON.stringify(fusion) saved earlier
   * const fusion = RobustFusion.fromJSON<'binary'>(text);
   * ```
   */
  static fromJSON<T extends ProbeTask = ProbeTask>(json: RobustFusionJSON | string): RobustFusion<T> {
    const j = readEstimatorJSON(KIND, VERSION, json);
    let est: RobustFusion<T>;
    try {
      est = new RobustFusion<T>(j.hyperparameters as unknown as RobustFusionOptions<T>);
    } catch (e) {
      throw new CheckpointFormatError(`Not a valid ${KIND} JSON: bad hyperparameters (${(e as Error).message}).`, { cause: e });
    }
    const space = readLabelSpace(KIND, est.task, j);
    const choice = j.choice as RobustChoice | undefined;
    const probesJSON = j.probes;
    if (typeof choice !== 'object' || choice === null || !Array.isArray(choice.sources) || !choice.sources.every((s) => est.sources.includes(s))) {
      failJSON(KIND, 'choice must name sources of the estimator');
    }
    const want = choice.kind === 'concat' ? 1 : choice.sources.length;
    if (!Array.isArray(probesJSON) || probesJSON.length !== want) failJSON(KIND, `probes must hold ${want} probe(s)`);
    const thresholds = j.thresholds;
    if (thresholds !== null && (!Array.isArray(thresholds) || !thresholds.every(Number.isFinite))) failJSON(KIND, 'thresholds must be null or numbers');
    const probes = probesJSON.map((p) => Probe.fromJSON<T>(p as ProbeJSON));
    const outputs = outputCount(est.task, space);
    est.commit({ ...space, outputs, choice, probes, thresholds: thresholds ?? undefined, provenance: structuredClone(j.provenance) as unknown as RobustFusionProvenance }, []);
    return est;
  }

  /** @internal */
  protected get estimatorName(): string {
    return 'RobustFusion';
  }

  /** @internal */
  protected probabilities(f: RobustState, x: SourceEmbeddings): Float32Array {
    const { tensors, owned } = sourceTensors('x', x, this.specs);
    try {
      const names = this.sources;
      const picked = f.choice.sources.map((s) => tensors[names.indexOf(s)]);
      if (f.choice.kind === 'concat') {
        const joined = picked.length === 1 ? picked[0] : tf.concat(picked, 1);
        try {
          return flatProba(f.probes[0].predictProba(joined) as Float32Array | Float32Array[], f.outputs);
        } finally {
          if (joined !== picked[0]) joined.dispose();
        }
      }
      return averageOf(picked.map((t, j) => flatProba(f.probes[j].predictProba(t) as Float32Array | Float32Array[], f.outputs)));
    } finally {
      tf.dispose(owned);
    }
  }

  /** @internal */
  protected release(f: RobustState): void {
    for (const p of f.probes) p.dispose();
  }

  /** @internal Ordinal estimators: the expected grade cut by the fitted thresholds. */
  protected override classIndices(f: RobustState, p: Float32Array): Int32Array | undefined {
    return f.thresholds && applyOrdinalThresholds(expectedGrade(toRows(p, f.outputs)), f.thresholds);
  }

  /** Every source of `x` as a host matrix, in input order (checked as the fusion models check them). */
  private hostMatrices(name: string, x: unknown): EmbeddingMatrix[] {
    const { tensors, owned } = sourceTensors(name, x, this.specs);
    try {
      return tensors.map((t) => ({ data: Float32Array.from(t.dataSync()), shape: [t.shape[0], t.shape[1]] as const }));
    } finally {
      tf.dispose(owned);
    }
  }

  /** The options of every candidate probe. */
  private probeOptions(classes: readonly number[] | undefined): ProbeOptions<T> {
    const hp = this.hyperparameters;
    const { solver, C, maxIter, tol, classWeight, standardize, seed } = hp;
    return {
      task: hp.task,
      solver,
      standardize,
      seed,
      ...(classes ? { classes } : {}),
      ...(solver === 'lbfgs' ? { C, maxIter, tol } : {}),
      ...(classWeight !== undefined ? { classWeight: classWeight as ClassWeight } : {}),
    } as ProbeOptions<T>;
  }
}

/** Rows of `a` then rows of `b` (same width). */
function stackRows(a: EmbeddingMatrix, b: EmbeddingMatrix): EmbeddingMatrix {
  const data = new Float32Array(a.data.length + b.data.length);
  data.set(a.data);
  data.set(b.data, a.data.length);
  return { data, shape: [a.shape[0] + b.shape[0], a.shape[1]] };
}

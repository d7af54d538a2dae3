import { CheckpointFormatError } from '../errors/index.js';
import { failJSON, readEstimatorJSON, readLabelSpace } from '../training/estimator-json.js';
import type { TrainingWarning } from '../training/fit-warnings.js';
import type { Standardization } from '../training/standardize.js';
import type { LinearWeights } from './linear-head.js';
import { resolveOptions, type ProbeHyperparameters, type ProbeSolver } from './options.js';

/** @internal The `kind` tag of a serialised probe. */
export const PROBE_JSON_KIND = 'dvme.Probe';

/** @internal The format version `toJSON` writes; `fromJSON` reads this one. */
export const PROBE_JSON_VERSION = 1;

/**
 * Where a fitted probe came from, stored with it.
 *
 * @remarks Since 0.1.0.
 * @example
 * ```ts
 * import type { ProbeProvenance } from 'dvme';
 * const seedOf = (p: ProbeProvenance): number => p.seed;
 * ```
 */
export interface ProbeProvenance {
  /** Name of the embeddings' source (e.g. a backbone tag) as passed to `fit`, or `null`. */
  readonly source: string | null;
  /** Features per embedding. */
  readonly numFeatures: number;
  /** Rows the weights were trained on (held-out rows excluded). */
  readonly nTrain: number;
  /** Rows of validation data used, given or held out (0 if none). */
  readonly nValidation: number;
  /** Where validation data came from: `fit`'s `validation`, a `validationSplit`, or none. */
  readonly validation: 'given' | 'split' | 'none';
  /** The seed. */
  readonly seed: number;
  /** The solver. */
  readonly solver: ProbeSolver;
  /** tfjs backend the probe was fitted on (results are reproducible per backend). */
  readonly backend: string;
  /** dvme release that fitted the probe. */
  readonly dvmeVersion: string;
  /**
   * How training went: epochs run, the best epoch (whose weights were kept) and the epochs
   * after which the rate dropped (`'paper'`); iterations, convergence and final loss of every
   * fitted model (`'lbfgs'`; one per label for multilabel).
   */
  readonly training:
    | { readonly epochs: number; readonly bestEpoch: number; readonly stoppedEarly: boolean; readonly lrDropEpochs: readonly number[] }
    | { readonly nIter: readonly number[]; readonly converged: readonly boolean[]; readonly loss: readonly number[] };
  /** Signs of a degenerate fit, such as one class predicted for every row (absent in probes saved before they were recorded). */
  readonly warnings?: readonly TrainingWarning[];
}

/**
 * A fitted probe as plain JSON data: hyperparameters, label map, standardisation statistics,
 * weights, ordinal cut points and provenance, under a kind and version tag.
 *
 * @remarks Since 0.1.0. Numbers are float32 values written as JSON numbers, so a probe read
 * back predicts exactly as the one written.
 * @example
 * ```ts
 * import { Probe, type ProbeJSON } from 'dvme';
 * const restore = (text: string): Probe => Probe.fromJSON(JSON.parse(text) as ProbeJSON);
 * ```
 */
export interface ProbeJSON {
  readonly kind: typeof PROBE_JSON_KIND;
  readonly version: typeof PROBE_JSON_VERSION;
  readonly hyperparameters: ProbeHyperparameters;
  /** Class index -> label (binary: `[negative, positive]`); `null` for multilabel. */
  readonly classes: number[] | null;
  /** Number of labels of a multilabel probe; `null` otherwise. */
  readonly numLabels: number | null;
  readonly standardization: { readonly mean: number[]; readonly scale: number[] } | null;
  /** `coef` row-major `[outputs, features]` (scikit-learn's `coef_`), `intercept` per output. */
  readonly weights: { readonly outputs: number; readonly features: number; readonly coef: number[]; readonly intercept: number[] };
  /** Ordinal probes: cut points on the expected grade; `null` otherwise. */
  readonly thresholds: number[] | null;
  readonly provenance: ProbeProvenance;
}

/** @internal The fitted content of a probe, as `Probe` holds it. */
export interface FittedContent {
  readonly classes: readonly number[] | undefined;
  readonly numLabels: number | undefined;
  readonly standardization: Standardization | undefined;
  readonly weights: LinearWeights;
  readonly thresholds: number[] | undefined;
  readonly provenance: ProbeProvenance;
}

function fail(what: string): never {
  return failJSON(PROBE_JSON_KIND, what);
}

function finiteList(name: string, v: unknown, length?: number): number[] {
  if (!Array.isArray(v) || (length !== undefined && v.length !== length) || !v.every((x) => typeof x === 'number' && Number.isFinite(x))) {
    fail(`${name} must be ${length ?? 'a list of'} finite numbers`);
  }
  return [...(v as number[])];
}

function float32s(name: string, v: unknown, length: number): Float32Array {
  return Float32Array.from(finiteList(name, v, length));
}

/** @internal Reads and checks {@link ProbeJSON}; returns hyperparameters and content. */
export function fromProbeJSON(json: unknown): { hp: ProbeHyperparameters; content: FittedContent } {
  const j = readEstimatorJSON(PROBE_JSON_KIND, PROBE_JSON_VERSION, json) as Partial<ProbeJSON>;
  let hp: ProbeHyperparameters;
  try {
    hp = resolveOptions(j.hyperparameters as ProbeHyperparameters);
  } catch (e) {
    throw new CheckpointFormatError(`Not a valid ${PROBE_JSON_KIND} JSON: bad hyperparameters (${(e as Error).message}).`, { cause: e });
  }
  const w = j.weights;
  if (typeof w !== 'object' || w === null) fail('weights missing');
  const { outputs, features } = w;
  if (!Number.isInteger(outputs) || !Number.isInteger(features) || outputs < 1 || features < 1) {
    fail('weights.outputs and weights.features must be positive integers');
  }
  const { classes, numLabels } = readLabelSpace(PROBE_JSON_KIND, hp.task, j as Record<string, unknown>);
  const want = numLabels ?? (hp.task === 'binary' ? 1 : (classes as number[]).length);
  if (outputs !== want) fail(`a ${hp.task} probe with ${numLabels ?? (classes as number[]).length} ${numLabels ? 'labels' : 'classes'} needs ${want} outputs; weights has ${outputs}`);
  const s = j.standardization;
  const standardization =
    s === null || s === undefined
      ? undefined
      : { mean: float32s('standardization.mean', s.mean, features), scale: float32s('standardization.scale', s.scale, features) };
  let thresholds: number[] | undefined;
  if (hp.ordinal && classes) {
    thresholds = finiteList('thresholds', j.thresholds, classes.length - 1);
  } else if (j.thresholds !== null && j.thresholds !== undefined) {
    fail('thresholds given for a probe that is not ordinal');
  }
  return {
    hp,
    content: {
      classes,
      numLabels,
      standardization,
      weights: {
        outputs,
        features,
        coef: float32s('weights.coef', w.coef, outputs * features),
        intercept: float32s('weights.intercept', w.intercept, outputs),
      },
      thresholds,
      provenance: structuredClone(j.provenance) as ProbeProvenance,
    },
  };
}

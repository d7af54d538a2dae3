import { CheckpointFormatError } from '../errors/index.js';
import type { LinearWeights } from './linear-head.js';
import { resolveOptions, type ProbeHyperparameters, type ProbeSolver } from './options.js';
import type { Standardization } from '../training/standardize.js';

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
  readonly classes: number[] | undefined;
  readonly numLabels: number | undefined;
  readonly standardization: Standardization | undefined;
  readonly weights: LinearWeights;
  readonly thresholds: number[] | undefined;
  readonly provenance: ProbeProvenance;
}

/** @internal Writes a probe's content as {@link ProbeJSON}. */
export function toProbeJSON(hp: ProbeHyperparameters, c: FittedContent): ProbeJSON {
  return {
    kind: PROBE_JSON_KIND,
    version: PROBE_JSON_VERSION,
    hyperparameters: structuredClone(hp),
    classes: c.classes ? [...c.classes] : null,
    numLabels: c.numLabels ?? null,
    standardization: c.standardization
      ? { mean: Array.from(c.standardization.mean), scale: Array.from(c.standardization.scale) }
      : null,
    weights: {
      outputs: c.weights.outputs,
      features: c.weights.features,
      coef: Array.from(c.weights.coef),
      intercept: Array.from(c.weights.intercept),
    },
    thresholds: c.thresholds ? [...c.thresholds] : null,
    provenance: structuredClone(c.provenance),
  };
}

function fail(what: string): never {
  throw new CheckpointFormatError(`Not a valid dvme probe JSON: ${what}. Pass what probe.toJSON() returned.`);
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
  const j = (typeof json === 'string' ? safeParse(json) : json) as Partial<ProbeJSON> | null;
  if (typeof j !== 'object' || j === null) fail('expected an object');
  if (j.kind !== PROBE_JSON_KIND) fail(`kind is ${JSON.stringify(j.kind)}, expected "${PROBE_JSON_KIND}"`);
  if (j.version !== PROBE_JSON_VERSION) {
    fail(`version ${JSON.stringify(j.version)} is not supported (this dvme reads version ${PROBE_JSON_VERSION}); upgrade dvme`);
  }
  let hp: ProbeHyperparameters;
  try {
    hp = resolveOptions(j.hyperparameters as ProbeHyperparameters);
  } catch (e) {
    throw new CheckpointFormatError(`Not a valid dvme probe JSON: bad hyperparameters (${(e as Error).message}).`, { cause: e });
  }
  const w = j.weights;
  if (typeof w !== 'object' || w === null) fail('weights missing');
  const { outputs, features } = w;
  if (!Number.isInteger(outputs) || !Number.isInteger(features) || outputs < 1 || features < 1) {
    fail('weights.outputs and weights.features must be positive integers');
  }
  let classes: number[] | undefined;
  let numLabels: number | undefined;
  if (hp.task === 'multilabel') {
    if (j.numLabels !== outputs) fail('numLabels must equal weights.outputs');
    numLabels = outputs;
  } else {
    classes = finiteList('classes', j.classes);
    const want = hp.task === 'binary' ? 1 : classes.length;
    if (classes.length < 2 || (hp.task === 'binary' && classes.length !== 2) || outputs !== want) {
      fail(`a ${hp.task} probe with ${classes.length} classes needs ${want} outputs; weights has ${outputs}`);
    }
  }
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
  if (typeof j.provenance !== 'object' || j.provenance === null) fail('provenance missing');
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
      provenance: structuredClone(j.provenance),
    },
  };
}

function safeParse(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new CheckpointFormatError(`Not a valid dvme probe JSON: the text does not parse (${(e as Error).message}).`, { cause: e });
  }
}

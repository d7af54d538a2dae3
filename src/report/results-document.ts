import { InvalidArgumentError } from '../errors/index.js';
import type { FusionEvaluationResult } from '../protocol/fusion-evaluation.js';
import type { LinearEvaluationResult } from '../protocol/linear-evaluation.js';
import { describe } from '../validation/describe.js';

/**
 * One embedding source of a run, as the report lists it: where its embeddings came from and
 * what identifies the weights.
 *
 * @remarks Since 0.1.0.
 * @example
 * ```ts
 * import type { ResultsSource } from 'dvme';
 * const s: ResultsSource = { name: 'mobilenet', kind: 'tfjs', model: 'models/mobilenet/model.json', dim: 1280 };
 * ```
 */
export interface ResultsSource {
  /** The source's name in the tables. */
  readonly name: string;
  /** `'tfjs'`, `'pixels'`, `'embedding-set'` or another producer's word. */
  readonly kind: string;
  /** The model file, URL, registry id or embedding-set folder. */
  readonly model?: string;
  /** SHA-256 (hex) of the weights (or of the backbone's fingerprint), when known. */
  readonly weightsSha256?: string;
  /** Embedding width. */
  readonly dim?: number;
  /** Anything else worth keeping (preprocessing, embedding layer, ...). */
  readonly [key: string]: unknown;
}

/**
 * How a results file came to be: data, sources, software and wall times. The protocol's own
 * settings (sizes, repeats, seeds of every run) are in the evaluation itself.
 *
 * @remarks Since 0.1.0.
 * @example
 * ```ts
 * import type { ResultsRun } from 'dvme';
 * const run: ResultsRun = {
 *   createdAt: '2026-12-06T04:00:00.000Z', dvmeVersion: '0.1.0',
 *   data: { name: 'retinamnist', rows: { train: 1080, val: 120, test: 400 } },
 *   sources: [{ name: 'pixels', kind: 'pixels', dim: 2352 }], wallMs: { total: 5000 },
 * };
 * ```
 */
export interface ResultsRun {
  /** ISO 8601 time the results were written. */
  readonly createdAt: string;
  readonly dvmeVersion: string;
  /** The command line that produced the file, if any. */
  readonly command?: string;
  /** tfjs backend and package, and the runtime (e.g. `node v20.19.0`). */
  readonly backend?: string;
  readonly runtime?: string;
  /** The dataset: name, where it was read from, licence, citation, rows per split. */
  readonly data: {
    readonly name: string;
    readonly title?: string;
    readonly path?: string;
    readonly license?: string;
    readonly citation?: string;
    readonly rows: Readonly<Record<string, number>>;
  };
  readonly sources: readonly ResultsSource[];
  /** Wall-clock times in milliseconds, by step (`embed`, `evaluate`, `total`, ...). */
  readonly wallMs: Readonly<Record<string, number>>;
  /** Free-text notes (a training pool, a deviation from the paper). */
  readonly notes?: readonly string[];
}

/**
 * A results file: an evaluation (linear or fusion; ideally run with `details: true`), the test
 * labels its runs were scored on, and how the run came to be. `dvme fuse` and `dvme
 * linear-eval` write it as JSON; {@link reportHtml} turns it into a page.
 *
 * @remarks Since 0.1.0. Kind `'dvme.results'`, version 1.
 * @example
 * ```ts
 * import { createResultsDocument, type ResultsDocument } from 'dvme';
 * declare const evaluation: ResultsDocument['evaluation'];
 * declare const run: ResultsDocument['run'];
 * const doc = createResultsDocument(evaluation, { labels: [0, 1, 1] }, run);
 * const text = JSON.stringify(doc);
 * ```
 */
export interface ResultsDocument {
  readonly kind: 'dvme.results';
  readonly version: 1;
  readonly evaluation: FusionEvaluationResult | LinearEvaluationResult;
  /** The test labels (one per row, or one 0/1 row per image for multilabel) and class names by label. */
  readonly test: { readonly labels: readonly number[] | readonly (readonly number[])[]; readonly classNames?: readonly string[] };
  readonly run: ResultsRun;
  /**
   * How the evaluation's models were trained: `'linear-probe'` (linear probes or fusion
   * heads on frozen embeddings) or `'finetune'` (`dvme finetune`: the evaluation's one source
   * is a backbone fine-tuned end to end, one run on size `all`; its probe options are the
   * FineTuner's hyperparameters). The report's headings follow it.
   * @defaultValue `'linear-probe'` (absent)
   */
  readonly training?: 'linear-probe' | 'finetune';
}

/** Rounds a probability to 6 decimals: the report needs no more, and the file shrinks by half. */
function round6(v: number): number {
  return Math.round(v * 1e6) / 1e6;
}

function compactRuns<T>(value: T): T {
  // Rounds only `details.probabilities`; everything else is kept as computed.
  return JSON.parse(JSON.stringify(value), (key, v) =>
    key === 'probabilities' && Array.isArray(v) ? v.map((x) => (Array.isArray(x) ? x.map(round6) : round6(x))) : v,
  ) as T;
}

/**
 * Builds a {@link ResultsDocument}: the evaluation (probabilities rounded to 6 decimals), the
 * test labels as plain arrays and the run's metadata. `options.training: 'finetune'` marks a
 * `dvme finetune` document (see {@link ResultsDocument.training}).
 *
 * @remarks Since 0.1.0.
 * @throws {@link InvalidArgumentError} when `evaluation` is not a linear or fusion evaluation.
 * @example
 * ```ts
 * import { createResultsDocument, type ResultsDocument } from 'dvme';
 * declare const evaluation: ResultsDocument['evaluation'];
 * declare const run: ResultsDocument['run'];
 * createResultsDocument(evaluation, { labels: [0, 1], classNames: ['normal', 'pneumonia'] }, run);
 * ```
 */
export function createResultsDocument(
  evaluation: FusionEvaluationResult | LinearEvaluationResult,
  test: { readonly labels: ArrayLike<number> | readonly ArrayLike<number>[]; readonly classNames?: readonly string[] },
  run: ResultsRun,
  options: { readonly training?: 'linear-probe' | 'finetune' } = {},
): ResultsDocument {
  checkEvaluation(evaluation);
  const training = options.training;
  if (training !== undefined && training !== 'linear-probe' && training !== 'finetune') {
    throw new InvalidArgumentError(`createResultsDocument: options.training must be 'linear-probe' or 'finetune'; received ${describe(training)}.`);
  }
  const labels = Array.from(test.labels as ArrayLike<number | ArrayLike<number>>, (l) => (typeof l === 'number' ? l : Array.from(l)));
  return {
    kind: 'dvme.results',
    version: 1,
    evaluation: compactRuns(evaluation),
    test: { labels: labels as number[] | number[][], ...(test.classNames ? { classNames: [...test.classNames] } : {}) },
    run,
    ...(training === 'finetune' ? { training } : {}),
  };
}

function checkEvaluation(e: unknown): asserts e is FusionEvaluationResult | LinearEvaluationResult {
  const kind = (e as { kind?: unknown } | null)?.kind;
  if (kind !== 'dvme.fusion-evaluation' && kind !== 'dvme.linear-evaluation') {
    throw new InvalidArgumentError(
      `evaluation must be what runFusionEvaluation or runLinearEvaluation returns (kind 'dvme.fusion-evaluation' or ` +
        `'dvme.linear-evaluation'); received kind ${describe(kind)}.`,
    );
  }
}

/**
 * Reads a results file's JSON text back into a {@link ResultsDocument}, checking its kind,
 * version and the parts a report needs. A bare evaluation (the JSON of `runFusionEvaluation`
 * or `dvme linear-eval --out x.json` before results files existed) is accepted too, with
 * empty metadata.
 *
 * @remarks Since 0.1.0. JSON writes NaN as `null`; scores read back as `NaN`.
 * @throws {@link InvalidArgumentError} for text that is not JSON, another kind or a newer
 *   version, saying what was found.
 * @example
 * ```ts
 * import { parseResultsDocument } from 'dvme';
 * declare const text: string; // e.g. readFileSync('results.json', 'utf8')
 * const doc = parseResultsDocument(text);
 * doc.evaluation.kind; // 'dvme.fusion-evaluation'
 * ```
 */
export function parseResultsDocument(text: string): ResultsDocument {
  let value: unknown;
  try {
    // Scores that were NaN come back as null; the tables print them as n/a.
    value = JSON.parse(text, (key, v) => (v === null && (key === 'value' || key === 'mean' || key === 'std') ? Number.NaN : v));
  } catch (e) {
    throw new InvalidArgumentError(
      `The results file is not JSON (${e instanceof Error ? e.message : String(e)}). Pass the .json that dvme fuse or dvme linear-eval wrote.`,
      { cause: e },
    );
  }
  const doc = value as Omit<Partial<ResultsDocument>, 'kind' | 'version'> & { kind?: unknown; version?: unknown };
  if (doc?.kind === 'dvme.fusion-evaluation' || doc?.kind === 'dvme.linear-evaluation') {
    return { kind: 'dvme.results', version: 1, evaluation: doc as unknown as ResultsDocument['evaluation'], test: { labels: [] }, run: emptyRun() };
  }
  if (doc?.kind !== 'dvme.results') {
    throw new InvalidArgumentError(
      `This JSON is not a dvme results file: its kind is ${describe(doc?.kind)}, expected 'dvme.results'. ` +
        'Pass the .json that dvme fuse or dvme linear-eval --out wrote.',
    );
  }
  if (doc.version !== 1) {
    throw new InvalidArgumentError(`This results file has version ${describe(doc.version)}; this dvme reads version 1. Update dvme.`);
  }
  checkEvaluation(doc.evaluation);
  if (doc.training !== undefined && doc.training !== 'linear-probe' && doc.training !== 'finetune') {
    throw new InvalidArgumentError(`This results file's training is ${describe(doc.training)}; this dvme knows 'linear-probe' and 'finetune'. Update dvme.`);
  }
  if (!doc.test || !Array.isArray(doc.test.labels)) {
    throw new InvalidArgumentError(`The results file has no test.labels array (received ${describe(doc.test)}); it is incomplete.`);
  }
  return { ...(doc as unknown as ResultsDocument), run: { ...emptyRun(), ...(doc.run ?? {}) } };
}

function emptyRun(): ResultsRun {
  return { createdAt: '', dvmeVersion: '', data: { name: '', rows: {} }, sources: [], wallMs: {} };
}

import type { EmbeddingMatrix } from '../data/embedding-matrix.js';
import { InvalidArgumentError } from '../errors/index.js';
import { expectedGrade, fitOrdinalThresholds } from '../probe/ordinal-thresholds.js';
import type { ProbeOptions } from '../probe/options.js';
import { Probe } from '../probe/probe.js';
import { permutation } from '../random/shuffle.js';
import { Xoshiro128 } from '../random/xoshiro.js';
import { crossEntropy, monitorValue, type ProbeMonitor } from '../training/evaluation.js';
import type { LabelsFor, ProbeTask, Targets } from '../training/labels.js';
import { takeLabels, takeMatrixRows, toRows } from '../training/rows.js';

/**
 * The kinds of model {@link RobustFusion} chooses among: `'sources'` (one linear probe per
 * source), `'concat'` (one linear probe of the concatenated sources) and `'average'` (the
 * mean of the per-source probes' probabilities, late fusion).
 *
 * @remarks Since 0.1.0.
 * @example
 * ```ts
 * import type { RobustCandidate } from 'dvme';
 * const all: RobustCandidate[] = ['sources', 'concat', 'average'];
 * ```
 */
export type RobustCandidate = 'sources' | 'concat' | 'average';

/**
 * What {@link RobustFusion} chose: one source's probe, the probe of the concatenation, or the
 * average of the per-source probes, and which sources it reads.
 *
 * @remarks Since 0.1.0.
 * @example
 * ```ts
 * import type { RobustChoice } from 'dvme';
 * const c: RobustChoice = { name: 'source:dino', kind: 'source', sources: ['dino'] };
 * ```
 */
export interface RobustChoice {
  /** `'source:<name>'`, `'concat'` or `'average'`. */
  readonly name: string;
  readonly kind: 'source' | 'concat' | 'average';
  /** Sources read, in input order. */
  readonly sources: readonly string[];
}

/**
 * The cross-validated score of one candidate of {@link RobustFusion} (higher is better; for
 * the `'loss'` criterion it is the negated log-loss).
 *
 * @remarks Since 0.1.0.
 * @example
 * ```ts
 * import type { RobustCandidateScore } from 'dvme';
 * const s: RobustCandidateScore = { name: 'concat', kind: 'concat', sources: ['a', 'b'], score: 0.81 };
 * ```
 */
export interface RobustCandidateScore extends RobustChoice {
  /** The criterion on the out-of-fold predictions of all pooled rows (`NaN` if undefined). */
  readonly score: number;
}

/** @internal What cross-validation needs. */
export interface SelectionInput<T extends ProbeTask> {
  readonly task: T;
  /** Source names, in input order, and their pooled rows (training then validation). */
  readonly names: readonly string[];
  readonly matrices: readonly EmbeddingMatrix[];
  readonly labels: LabelsFor<T>;
  readonly targets: Targets;
  readonly outputs: number;
  readonly candidates: readonly RobustCandidate[];
  readonly folds: number;
  readonly criterion: ProbeMonitor;
  readonly ordinal: boolean;
  readonly seed: number;
  /** Options of every candidate probe (task, solver, classes, ...). */
  readonly probe: ProbeOptions<T>;
  readonly signal?: AbortSignal | undefined;
}

/** @internal The candidates' scores, each one's out-of-fold probabilities, and the fold count used. */
export interface SelectionResult {
  readonly scores: RobustCandidateScore[];
  readonly outOfFold: ReadonlyMap<string, Float32Array>;
  readonly folds: number;
}

/** @internal Row-major probabilities `[rows, k]` of what `predictProba` returned. */
export function flatProba(p: Float32Array | Float32Array[], k: number): Float32Array {
  if (p instanceof Float32Array) return p;
  const out = new Float32Array(p.length * k);
  p.forEach((row, i) => out.set(row, i * k));
  return out;
}

/** @internal The columns of several matrices with the same rows, side by side. */
export function concatColumns(ms: readonly EmbeddingMatrix<ArrayLike<number>>[]): EmbeddingMatrix {
  const n = ms[0].shape[0];
  const width = ms.reduce((a, m) => a + m.shape[1], 0);
  const data = new Float32Array(n * width);
  let offset = 0;
  for (const m of ms) {
    const d = m.shape[1];
    for (let i = 0; i < n; i++) for (let c = 0; c < d; c++) data[i * width + offset + c] = m.data[i * d + c];
    offset += d;
  }
  return { data, shape: [n, width] };
}

/**
 * @internal Seeded fold of every row: stratified by class (each class's rows shuffled, then
 * dealt round-robin) for single-label targets; at random for multilabel. Fewer folds than
 * asked when the rarest class has fewer rows.
 */
export function assignFolds(targets: Targets, n: number, folds: number, seed: number): { fold: Int32Array; folds: number } {
  const groups = targets.kind === 'index' ? targets.index : new Int32Array(n);
  const byGroup = new Map<number, number[]>();
  for (let i = 0; i < n; i++) byGroup.set(groups[i], [...(byGroup.get(groups[i]) ?? []), i]);
  const smallest = Math.min(...[...byGroup.values()].map((g) => g.length));
  const k = Math.min(folds, targets.kind === 'index' ? smallest : n);
  if (k < 2) {
    throw new InvalidArgumentError(
      `RobustFusion cross-validates with at least 2 rows of every class; the rarest class has ${smallest}. ` +
        'Give more training (or validation) rows of it.',
    );
  }
  const rng = new Xoshiro128(seed);
  const fold = new Int32Array(n);
  let next = 0;
  for (const key of [...byGroup.keys()].sort((a, b) => a - b)) {
    const rows = byGroup.get(key) as number[];
    for (const p of permutation(rows.length, rng)) fold[rows[p]] = next++ % k;
  }
  return { fold, folds: k };
}

/**
 * @internal A candidate's score on out-of-fold probabilities: the criterion (negated for the
 * loss), or for an ordinal multiclass task scored by quadratic kappa, the kappa of the
 * expected grade cut by thresholds fitted on the same rows (as every candidate gets them).
 */
export function criterionScore(criterion: ProbeMonitor, ordinal: boolean, t: Targets, proba: Float32Array, k: number): number {
  if (criterion === 'loss') return -crossEntropy(t, proba, k);
  if (ordinal && criterion === 'quadraticKappa' && t.kind === 'index' && k > 2) {
    return fitOrdinalThresholds(expectedGrade(toRows(proba, k)), t.index, k).quadraticKappa;
  }
  return monitorValue(criterion, t, proba, k);
}

/** @internal The candidate models a choice of candidate kinds names. */
export function candidateChoices(names: readonly string[], kinds: readonly RobustCandidate[]): RobustChoice[] {
  const out: RobustChoice[] = [];
  if (kinds.includes('sources')) for (const s of names) out.push({ name: `source:${s}`, kind: 'source', sources: [s] });
  if (names.length > 1 && kinds.includes('concat')) out.push({ name: 'concat', kind: 'concat', sources: [...names] });
  if (names.length > 1 && kinds.includes('average')) out.push({ name: 'average', kind: 'average', sources: [...names] });
  return out;
}

/** Fits a probe on `x`, `y` and returns its probabilities of `test`; the probe is disposed. */
async function fitAndPredict<T extends ProbeTask>(
  options: ProbeOptions<T>,
  x: EmbeddingMatrix,
  y: LabelsFor<T>,
  test: EmbeddingMatrix,
  k: number,
  signal: AbortSignal | undefined,
): Promise<Float32Array> {
  const probe = new Probe<T>(options);
  try {
    await probe.fit(x, y, signal ? { signal } : {});
    return flatProba(probe.predictProba(test) as Float32Array | Float32Array[], k);
  } finally {
    probe.dispose();
  }
}

/**
 * @internal K-fold cross-validation of every candidate on the pooled rows: per fold, one probe
 * per source (and one of the concatenation) fitted on the other folds; the average candidate
 * reuses the per-source predictions. Every candidate is scored on the same out-of-fold rows.
 */
export async function crossValidate<T extends ProbeTask>(input: SelectionInput<T>): Promise<SelectionResult> {
  const { names, matrices, targets, outputs: k, candidates } = input;
  const n = matrices[0].shape[0];
  const { fold, folds } = assignFolds(targets, n, input.folds, input.seed);
  const choices = candidateChoices(names, candidates);
  const needSources = choices.some((c) => c.kind !== 'concat');
  const concat = choices.some((c) => c.kind === 'concat') ? concatColumns(matrices) : undefined;
  const perSource = names.map(() => new Float32Array(n * k));
  const concatOof = new Float32Array(n * k);
  for (let f = 0; f < folds; f++) {
    const train = Int32Array.from({ length: n }, (_, i) => i).filter((i) => fold[i] !== f);
    const test = Int32Array.from({ length: n }, (_, i) => i).filter((i) => fold[i] === f);
    const y = takeLabels(input.labels, train);
    const put = (into: Float32Array, p: Float32Array) => test.forEach((r, i) => into.set(p.subarray(i * k, (i + 1) * k), r * k));
    if (needSources) {
      for (let j = 0; j < names.length; j++) {
        const m = matrices[j];
        put(perSource[j], await fitAndPredict(input.probe, takeMatrixRows(m, train), y, takeMatrixRows(m, test), k, input.signal));
      }
    }
    if (concat) put(concatOof, await fitAndPredict(input.probe, takeMatrixRows(concat, train), y, takeMatrixRows(concat, test), k, input.signal));
  }
  const outOfFold = new Map<string, Float32Array>();
  for (const c of choices) {
    if (c.kind === 'source') outOfFold.set(c.name, perSource[names.indexOf(c.sources[0])]);
    else if (c.kind === 'concat') outOfFold.set(c.name, concatOof);
    else outOfFold.set(c.name, averageOf(perSource));
  }
  const scores = choices.map((c) => ({
    ...c,
    score: criterionScore(input.criterion, input.ordinal, targets, outOfFold.get(c.name) as Float32Array, k),
  }));
  return { scores, outOfFold, folds };
}

/** @internal Element-wise mean of equally long arrays. */
export function averageOf(ps: readonly Float32Array[]): Float32Array {
  const out = new Float32Array(ps[0].length);
  for (const p of ps) for (let i = 0; i < out.length; i++) out[i] += p[i] / ps.length;
  return out;
}

/** a beats b: NaN (undefined) loses to any number. */
function beats(a: number, b: number): boolean {
  return !Number.isNaN(a) && (Number.isNaN(b) || a > b);
}

/**
 * @internal The rule of {@link RobustFusion}: the best single source, unless a fused candidate
 * beats it by more than `margin`; ties go to the earlier candidate (sources in input order,
 * then concat, then average). Without single-source candidates, the best candidate.
 */
export function chooseCandidate(scores: readonly RobustCandidateScore[], margin: number): RobustCandidateScore {
  const best = (list: readonly RobustCandidateScore[]) => list.reduce((a, b) => (beats(b.score, a.score) ? b : a));
  const singles = scores.filter((s) => s.kind === 'source');
  const fused = scores.filter((s) => s.kind !== 'source');
  if (singles.length === 0) return best(fused);
  const single = best(singles);
  if (fused.length === 0) return single;
  const f = best(fused);
  return beats(f.score, single.score + margin) ? f : single;
}

import { InvalidArgumentError } from '../errors/index.js';
import { describe } from '../validation/describe.js';
import type { Targets } from './labels.js';

/**
 * How much each class counts in the training loss. `'balanced'` is scikit-learn's formula
 * `n_samples / (n_classes * bincount(y))` over the classes present in training, so every class
 * contributes the same total weight; for a multilabel probe it is applied to each label's
 * 0/1 problem separately. A record maps a label (binary / multiclass: a label value;
 * multilabel: `0` or `1`, for every label) to its weight; labels it leaves out weigh 1.
 *
 * @remarks Since 0.1.0.
 * @example
 * ```ts
 * import type { ClassWeight } from 'dvme';
 * const w1: ClassWeight = 'balanced';
 * const w2: ClassWeight = { 0: 1, 1: 4 }; // positives count four times
 * ```
 */
export type ClassWeight = 'balanced' | Readonly<Record<number, number>>;

/** @internal Checks a ClassWeight option against the label set; returns it unchanged. */
export function checkClassWeight(
  cw: unknown,
  labels: readonly number[],
): ClassWeight | undefined {
  if (cw === undefined || cw === 'balanced') return cw;
  if (typeof cw !== 'object' || cw === null || Array.isArray(cw)) {
    throw new InvalidArgumentError(
      `classWeight must be 'balanced' or a record { label: weight }; received ${describe(cw)}.`,
    );
  }
  for (const [key, w] of Object.entries(cw as Record<string, unknown>)) {
    if (!labels.includes(Number(key))) {
      throw new InvalidArgumentError(
        `classWeight has a weight for label ${key}, which is not a label of the training data; ` +
          `labels: [${labels.join(', ')}].`,
      );
    }
    if (typeof w !== 'number' || !Number.isFinite(w) || w < 0) {
      throw new InvalidArgumentError(`classWeight[${key}] must be a finite number >= 0; received ${describe(w)}.`);
    }
  }
  return cw as ClassWeight;
}

/** scikit-learn's compute_class_weight('balanced') over the classes with nonzero counts. */
function balanced(counts: ArrayLike<number>, n: number): Float64Array {
  let present = 0;
  for (let k = 0; k < counts.length; k++) if (counts[k] > 0) present++;
  const w = new Float64Array(counts.length);
  // A class absent from training has no rows to weigh; 1 keeps the vector finite.
  for (let k = 0; k < counts.length; k++) w[k] = counts[k] > 0 ? n / (present * counts[k]) : 1;
  return w;
}

/**
 * @internal The weight of every training target: one per row for class indices, one per
 * (row, label) entry, row-major, for indicators. `undefined` when no class weights apply.
 *
 * @param labels - The label values the record keys refer to (`[0, 1]` for multilabel).
 */
export function targetWeights(
  cw: ClassWeight | undefined,
  t: Targets,
  labels: readonly number[],
): Float64Array | undefined {
  if (cw === undefined) return undefined;
  const fromRecord = (k: number): number => (cw as Record<number, number>)[labels[k]] ?? 1;
  if (t.kind === 'index') {
    const n = t.index.length;
    let perClass: Float64Array;
    if (cw === 'balanced') {
      const counts = new Float64Array(t.numClasses);
      for (let i = 0; i < n; i++) counts[t.index[i]]++;
      perClass = balanced(counts, n);
    } else {
      perClass = Float64Array.from({ length: t.numClasses }, (_, k) => fromRecord(k));
    }
    const w = new Float64Array(n);
    for (let i = 0; i < n; i++) w[i] = perClass[t.index[i]];
    return w;
  }
  const L = t.numLabels;
  const n = t.data.length / L;
  const w = new Float64Array(n * L);
  for (let j = 0; j < L; j++) {
    let pos = 0;
    for (let i = 0; i < n; i++) pos += t.data[i * L + j];
    const perValue = cw === 'balanced' ? balanced([n - pos, pos], n) : Float64Array.of(fromRecord(0), fromRecord(1));
    for (let i = 0; i < n; i++) w[i * L + j] = perValue[t.data[i * L + j]];
  }
  return w;
}

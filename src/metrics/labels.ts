/**
 * Class-label vectors: validation (finite integers, as scikit-learn's classification metrics
 * require) and encoding of label values to dense indices `0..k-1`.
 *
 * @packageDocumentation
 */
import { InvalidArgumentError, NonFiniteError } from '../errors/index.js';
import { toVector } from './validate.js';

/**
 * Label ranges up to this size are encoded through a lookup table instead of a `Map`: one
 * array read per sample, which keeps million-sample kappa and confusion matrices cheap.
 */
const TABLE_RANGE = 1 << 20;

/**
 * @internal Copies a vector of class labels, requiring finite integers (`-0` becomes `0`).
 * scikit-learn rejects non-integer targets as "continuous"; here the message says why.
 */
export function toLabelVector(name: string, x: ArrayLike<number>): Float64Array {
  const v = toVector(name, x);
  // Integer typed arrays hold finite integers by construction.
  if (isIntegerTypedArray(x)) return v;
  for (let i = 0; i < v.length; i++) {
    const a = v[i];
    if (!Number.isInteger(a)) {
      if (!Number.isFinite(a)) {
        throw new NonFiniteError(
          `${name} must hold finite class labels; element ${i} is ${a}. Remove or relabel that sample.`,
        );
      }
      throw new InvalidArgumentError(
        `${name} must hold integer class labels; element ${i} is ${a}. ` +
          'Scores and probabilities are not labels: threshold them first, or use rocAucScore for scores.',
      );
    }
    if (a === 0) v[i] = 0;
  }
  return v;
}

/**
 * @internal Validates a user-given `labels` list: non-empty, finite integers, no duplicates;
 * with `ordered`, strictly increasing (scikit-learn's multiclass ROC AUC asks for that).
 */
export function toLabelList(labels: ArrayLike<number>, ordered = false): Float64Array {
  const v = toLabelVector('labels', labels);
  if (v.length === 0) {
    throw new InvalidArgumentError('labels must hold at least one label; received an empty list.');
  }
  const seen = new Set<number>();
  for (let i = 0; i < v.length; i++) {
    if (seen.has(v[i])) {
      throw new InvalidArgumentError(
        `labels must not repeat a label; ${v[i]} appears twice. Pass each class once.`,
      );
    }
    seen.add(v[i]);
    if (ordered && i > 0 && v[i] < v[i - 1]) {
      throw new InvalidArgumentError(
        `labels must be sorted in increasing order (the order of the yScore columns); ` +
          `received ${v[i - 1]} before ${v[i]}. Sort labels and the score columns together.`,
      );
    }
  }
  return v;
}

function isIntegerTypedArray(x: unknown): boolean {
  return (
    x instanceof Int32Array ||
    x instanceof Uint32Array ||
    x instanceof Int16Array ||
    x instanceof Uint16Array ||
    x instanceof Int8Array ||
    x instanceof Uint8Array ||
    x instanceof Uint8ClampedArray
  );
}

/** @internal Minimum and maximum of one or more non-empty vectors. */
function range(xs: readonly Float64Array[]): { min: number; max: number } {
  let min = Infinity;
  let max = -Infinity;
  for (const x of xs) {
    for (let i = 0; i < x.length; i++) {
      const a = x[i];
      if (a < min) min = a;
      if (a > max) max = a;
    }
  }
  return { min, max };
}

/** @internal Sorted distinct labels of one or more label vectors (outputs of {@link toLabelVector}). */
export function uniqueLabels(...xs: Float64Array[]): Float64Array {
  const { min, max } = range(xs);
  if (min > max) return new Float64Array(0);
  if (max - min < TABLE_RANGE) {
    const seen = new Uint8Array(max - min + 1);
    let count = 0;
    for (const x of xs) {
      for (let i = 0; i < x.length; i++) {
        const k = x[i] - min;
        if (seen[k] === 0) {
          seen[k] = 1;
          count++;
        }
      }
    }
    const out = new Float64Array(count);
    for (let k = 0, j = 0; j < count; k++) if (seen[k] === 1) out[j++] = k + min;
    return out;
  }
  const set = new Set<number>();
  for (const x of xs) for (let i = 0; i < x.length; i++) set.add(x[i]);
  return Float64Array.from(set).sort();
}

/**
 * @internal Maps every label of `y` to its position in `classes`, or `-1` when `classes` does
 * not hold it. `classes` must be distinct integers.
 */
export function encodeLabels(y: Float64Array, classes: ArrayLike<number>): Int32Array {
  const out = new Int32Array(y.length);
  const k = classes.length;
  if (k === 0) return out.fill(-1);
  let min = Infinity;
  let max = -Infinity;
  for (let c = 0; c < k; c++) {
    if (classes[c] < min) min = classes[c];
    if (classes[c] > max) max = classes[c];
  }
  if (max - min < TABLE_RANGE) {
    const table = new Int32Array(max - min + 1).fill(-1);
    for (let c = 0; c < k; c++) table[classes[c] - min] = c;
    for (let i = 0; i < y.length; i++) {
      const a = y[i];
      out[i] = a >= min && a <= max ? table[a - min] : -1;
    }
    return out;
  }
  const map = new Map<number, number>();
  for (let c = 0; c < k; c++) map.set(classes[c], c);
  for (let i = 0; i < y.length; i++) out[i] = map.get(y[i]) ?? -1;
  return out;
}

/** @internal A short list of labels for messages: `{0, 1, 2}`, eliding the middle of long lists. */
export function formatLabels(labels: ArrayLike<number>): string {
  const n = labels.length;
  const shown: string[] = [];
  if (n <= 8) for (let i = 0; i < n; i++) shown.push(String(labels[i]));
  else {
    for (let i = 0; i < 4; i++) shown.push(String(labels[i]));
    shown.push(`... (${n - 6} more)`);
    for (let i = n - 2; i < n; i++) shown.push(String(labels[i]));
  }
  return `{${shown.join(', ')}}`;
}

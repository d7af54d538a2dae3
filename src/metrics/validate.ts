import { InvalidArgumentError, NonFiniteError, ShapeError, UndefinedMetricError } from '../errors/index.js';
import { describe } from '../validation/describe.js';

/**
 * What a metric returns when it is mathematically undefined for its input: `'raise'` (the
 * default) throws {@link UndefinedMetricError}, `'nan'` returns `NaN`, a number returns that
 * number (scikit-learn's `zero_division`-style escape hatch).
 *
 * @remarks Since 0.1.0.
 * @example
 * ```ts
 * import { rocAucScore, type OnUndefined } from 'dvme/metrics';
 * const policy: OnUndefined = 'nan';
 * rocAucScore([0, 0], [0.1, 0.9], { onUndefined: policy }); // NaN
 * ```
 */
export type OnUndefined = 'raise' | 'nan' | number;

/**
 * A 2-D input: an array of rows (each an array or typed array) of equal width, e.g. per-class
 * probabilities or multilabel 0/1 indicators, one row per sample.
 *
 * @remarks Since 0.1.0.
 * @example
 * ```ts
 * import { rocAucScore, type Rows } from 'dvme/metrics';
 * const probabilities: Rows = [Float32Array.of(0.8, 0.2), Float32Array.of(0.3, 0.7)];
 * rocAucScore([0, 1], probabilities); // 1
 * ```
 */
export type Rows = ArrayLike<ArrayLike<number>>;

/** @internal A dense row-major matrix. */
export interface Matrix {
  readonly data: Float64Array;
  readonly rows: number;
  readonly cols: number;
}

/** @internal Copies a 1-D input into a Float64Array, checking that it is array-like. */
export function toVector(name: string, x: ArrayLike<number>): Float64Array {
  if (x === null || typeof x !== 'object' || typeof (x as ArrayLike<number>).length !== 'number') {
    throw new InvalidArgumentError(
      `${name} must be an array or typed array of numbers; received ${describe(x)}.`,
    );
  }
  // Number typed arrays hold numbers by construction: the engine's native conversion is several
  // times faster than the checked loop below on million-element inputs.
  if (isNumberTypedArray(x)) return new Float64Array(x);
  const out = new Float64Array(x.length);
  for (let i = 0; i < x.length; i++) {
    const v = x[i];
    if (typeof v !== 'number') {
      throw new InvalidArgumentError(
        `${name}[${i}] must be a number; received ${describe(v)}. Convert labels and scores to numbers first.`,
      );
    }
    out[i] = v;
  }
  return out;
}

/** @internal True for typed arrays of numbers (every kind but BigInt64Array / BigUint64Array). */
export function isNumberTypedArray(x: unknown): boolean {
  return (
    ArrayBuffer.isView(x) &&
    !(x instanceof DataView) &&
    !(x instanceof BigInt64Array) &&
    !(x instanceof BigUint64Array)
  );
}

/** @internal Copies an array of rows into a row-major matrix, checking equal widths. */
export function toMatrix(name: string, x: Rows): Matrix {
  if (x === null || typeof x !== 'object' || typeof x.length !== 'number') {
    throw new InvalidArgumentError(`${name} must be an array of rows; received ${describe(x)}.`);
  }
  const rows = x.length;
  const first = rows > 0 ? x[0] : undefined;
  if (rows > 0 && (first === null || typeof first !== 'object' || typeof first.length !== 'number')) {
    throw new ShapeError(
      `${name} must be an array of rows (one array of per-class values per sample); ` +
        `row 0 is ${describe(first)}. Pass 1-D scores only for binary problems.`,
    );
  }
  const cols = rows > 0 ? (first as ArrayLike<number>).length : 0;
  const data = new Float64Array(rows * cols);
  for (let r = 0; r < rows; r++) {
    const row = x[r];
    if (row === null || typeof row !== 'object' || row.length !== cols) {
      throw new ShapeError(
        `${name} rows must all have ${cols} values (the width of row 0); row ${r} has ` +
          `${row && typeof row === 'object' ? row.length : describe(row)}.`,
      );
    }
    for (let c = 0; c < cols; c++) {
      const v = row[c];
      if (typeof v !== 'number') {
        throw new InvalidArgumentError(`${name}[${r}][${c}] must be a number; received ${describe(v)}.`);
      }
      data[r * cols + c] = v;
    }
  }
  return { data, rows, cols };
}

/** @internal True when the input looks like an array of rows rather than a flat vector. */
export function isRows(x: unknown): x is Rows {
  if (x === null || typeof x !== 'object') return false;
  const a = x as ArrayLike<unknown>;
  return a.length > 0 && a[0] !== null && typeof a[0] === 'object';
}

/** @internal Throws {@link NonFiniteError} at the first NaN or infinite value. */
export function checkFinite(name: string, x: ArrayLike<number>): void {
  for (let i = 0; i < x.length; i++) {
    if (!Number.isFinite(x[i])) {
      throw new NonFiniteError(
        `${name} must hold finite numbers; element ${i} is ${x[i]}. Remove or impute NaN/Infinity before scoring.`,
      );
    }
  }
}

/** @internal Throws {@link ShapeError} unless the two lengths are equal. */
export function checkSameLength(nameA: string, a: number, nameB: string, b: number): void {
  if (a !== b) {
    throw new ShapeError(
      `${nameA} and ${nameB} must have the same number of samples; received ${a} and ${b}.`,
    );
  }
}

/**
 * @internal Validates optional sample weights: same length as the samples, finite and
 * non-negative. Returns `undefined` when none were given.
 */
export function toSampleWeight(
  sampleWeight: ArrayLike<number> | undefined,
  n: number,
): Float64Array | undefined {
  if (sampleWeight === undefined) return undefined;
  const w = toVector('sampleWeight', sampleWeight);
  checkSameLength('sampleWeight', w.length, 'yTrue', n);
  checkFinite('sampleWeight', w);
  for (let i = 0; i < w.length; i++) {
    if (w[i] < 0) {
      throw new InvalidArgumentError(
        `sampleWeight must be non-negative; element ${i} is ${w[i]}.`,
      );
    }
  }
  return w;
}

/**
 * @internal Applies an {@link OnUndefined} policy: throws {@link UndefinedMetricError} with
 * `message` (plus how to opt out), or returns the substitute value.
 */
export function undefinedMetric(onUndefined: OnUndefined | undefined, message: string): number {
  const policy = onUndefined ?? 'raise';
  if (policy === 'raise') {
    throw new UndefinedMetricError(
      `${message} Pass { onUndefined: 'nan' } or a number to get that value instead of this error.`,
    );
  }
  if (policy === 'nan') return Number.NaN;
  if (typeof policy === 'number') return policy;
  throw new InvalidArgumentError(
    `onUndefined must be 'raise', 'nan' or a number; received ${describe(policy)}.`,
  );
}

/** @internal Rejects an option value outside a fixed list of choices. */
export function checkChoice<T>(name: string, value: T, allowed: readonly T[], hint = ''): void {
  if (!allowed.includes(value)) {
    const list = allowed.map((a) => (typeof a === 'string' ? `'${a}'` : String(a))).join(', ');
    throw new InvalidArgumentError(
      `${name} must be one of ${list}; received ${describe(value)}.${hint ? ` ${hint}` : ''}`,
    );
  }
}

/** @internal Sorted distinct values of one or more label vectors. */
export function uniqueSorted(...xs: ArrayLike<number>[]): number[] {
  const set = new Set<number>();
  for (const x of xs) for (let i = 0; i < x.length; i++) set.add(x[i]);
  return [...set].sort((a, b) => a - b);
}

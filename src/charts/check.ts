import { InvalidArgumentError, NonFiniteError, ShapeError } from '../errors/index.js';
import { describe } from '../validation/describe.js';

/** @internal A positive finite size in pixels (or `fallback` when absent). */
export function size(owner: string, option: string, value: unknown, fallback: number, min = 1): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min) {
    throw new InvalidArgumentError(
      `${owner}: ${option} must be a finite number of pixels >= ${min}; received ${describe(value)}. ` +
        `Leave it out for the default (${fallback}).`,
    );
  }
  return value;
}

/** @internal A string option (title, axis label), or `fallback`. */
export function label(owner: string, option: string, value: unknown, fallback: string): string {
  if (value === undefined) return fallback;
  if (typeof value !== 'string') {
    throw new InvalidArgumentError(`${owner}: ${option} must be a string; received ${describe(value)}.`);
  }
  return value;
}

/** @internal A non-empty array-like of numbers copied into a Float64Array; NaN allowed only if `allowNaN`. */
export function vector(owner: string, name: string, value: unknown, allowNaN = false): Float64Array {
  if (value === null || typeof value !== 'object' || typeof (value as ArrayLike<number>).length !== 'number') {
    throw new InvalidArgumentError(`${owner}: ${name} must be an array of numbers; received ${describe(value)}.`);
  }
  const list = value as ArrayLike<unknown>;
  if (list.length === 0) {
    throw new InvalidArgumentError(`${owner}: ${name} is empty; pass at least one number.`);
  }
  const out = new Float64Array(list.length);
  for (let i = 0; i < list.length; i++) {
    const v = list[i];
    if (typeof v !== 'number') {
      throw new InvalidArgumentError(`${owner}: ${name}[${i}] must be a number; received ${describe(v)}.`);
    }
    if (!Number.isFinite(v) && !(allowNaN && Number.isNaN(v))) {
      throw new NonFiniteError(
        `${owner}: ${name}[${i}] is ${v}; chart values must be finite. Drop or fix that entry before charting.`,
      );
    }
    out[i] = v;
  }
  return out;
}

/**
 * @internal A non-empty square matrix of finite numbers (rows of equal length `k`), as
 * Float64Array rows; `nonNegative` rejects negative entries (counts, attention weights).
 */
export function squareMatrix(owner: string, name: string, value: unknown, nonNegative: boolean): Float64Array[] {
  if (!Array.isArray(value) && !(value !== null && typeof value === 'object' && 'length' in value)) {
    throw new InvalidArgumentError(`${owner}: ${name} must be an array of rows; received ${describe(value)}.`);
  }
  const rows = Array.from(value as ArrayLike<unknown>);
  if (rows.length === 0) {
    throw new InvalidArgumentError(`${owner}: ${name} has no rows; pass a k x k matrix with k >= 1.`);
  }
  const out = rows.map((row, i) => vector(owner, `${name}[${i}]`, row));
  out.forEach((row, i) => {
    if (row.length !== rows.length) {
      throw new ShapeError(
        `${owner}: ${name} must be square (k x k); it has ${rows.length} rows but row ${i} has ${row.length} entries. ` +
          'Pass one row and one column per class (or source), in the same order.',
      );
    }
    const j = nonNegative ? row.findIndex((v) => v < 0) : -1;
    if (j >= 0) {
      throw new InvalidArgumentError(
        `${owner}: ${name}[${i}][${j}] is ${row[j]}; entries must be >= 0 (counts or weights).`,
      );
    }
  });
  return out;
}

/** @internal Labels for `k` rows/columns: given ones must number `k`; default `fallback(i)`. */
export function axisLabels(owner: string, option: string, value: unknown, k: number, fallback: (i: number) => string): string[] {
  if (value === undefined) return Array.from({ length: k }, (_, i) => fallback(i));
  if (!Array.isArray(value) || !value.every((v) => typeof v === 'string' || typeof v === 'number')) {
    throw new InvalidArgumentError(`${owner}: ${option} must be an array of strings (or numbers); received ${describe(value)}.`);
  }
  if (value.length !== k) {
    throw new ShapeError(
      `${owner}: ${option} has ${value.length} entries but the matrix is ${k} x ${k}; pass one label per row (and column).`,
    );
  }
  return value.map(String);
}

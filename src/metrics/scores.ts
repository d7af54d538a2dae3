/**
 * Reading classifier scores: 1-D vectors or rows, finite, with `-0` turned into `0` so that the
 * radix sort (which orders IEEE-754 bit patterns) sees one zero.
 *
 * @packageDocumentation
 */
import { NonFiniteError, ShapeError } from '../errors/index.js';
import { checkFinite, isRows, toMatrix, toVector, type Matrix, type Rows } from './validate.js';

/** @internal Copies a score vector, checks that every value is finite, and turns `-0` into `0`. */
export function toScoreVector(name: string, x: ArrayLike<number>): Float64Array {
  const v = toVector(name, x);
  checkFinite(name, v);
  for (let i = 0; i < v.length; i++) if (v[i] === 0) v[i] = 0;
  return v;
}

/** @internal Scores as read by {@link readScores}: exactly one of the two is set. */
export type Scores =
  | { readonly vector: Float64Array; readonly matrix: undefined }
  | { readonly vector: undefined; readonly matrix: Matrix };

/** @internal Reads 1-D scores or score rows (at least one column), finite, `-0` turned into `0`. */
export function readScores(name: string, scores: ArrayLike<number> | Rows): Scores {
  if (!isRows(scores)) return { vector: toScoreVector(name, scores as ArrayLike<number>), matrix: undefined };
  const matrix = toMatrix(name, scores);
  const { data, cols } = matrix;
  if (cols === 0) throw new ShapeError(`${name} rows are empty; give one score per class (or per label).`);
  for (let i = 0; i < data.length; i++) {
    const v = data[i];
    if (!Number.isFinite(v)) {
      throw new NonFiniteError(
        `${name} must hold finite numbers; ${name}[${Math.floor(i / cols)}][${i % cols}] is ${v}. ` +
          'Remove or impute NaN/Infinity before scoring.',
      );
    }
    if (v === 0) data[i] = 0;
  }
  return { vector: undefined, matrix };
}

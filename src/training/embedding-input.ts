import * as tf from '@tensorflow/tfjs-core';
import { InvalidArgumentError, NonFiniteError, ShapeError } from '../errors/index.js';
import { describe } from '../validation/describe.js';
import type { EmbeddingMatrix } from '../data/embedding-matrix.js';

/**
 * Embeddings as a probe accepts them: a `tf.Tensor2D` `[rows, features]` (not disposed by
 * the probe, left where it lives), an {@link EmbeddingMatrix}, or an array of rows
 * (`number[][]`, `Float32Array[]`). Every value must be finite.
 *
 * @remarks Since 0.1.0.
 * @example
 * ```ts
 * import type { EmbeddingInput } from 'dvme';
 * const rows: EmbeddingInput = [[0.1, 0.2], [0.3, 0.4]];
 * ```
 */
export type EmbeddingInput =
  | tf.Tensor2D
  | EmbeddingMatrix<ArrayLike<number>>
  | ArrayLike<ArrayLike<number>>;

/** @internal Embeddings copied into a row-major Float32Array. */
export interface DenseRows {
  readonly data: Float32Array;
  readonly rows: number;
  readonly cols: number;
}

/** @internal True for a tfjs tensor, also one from another copy of tfjs-core. */
export function isTensor(x: unknown): x is tf.Tensor {
  if (x instanceof tf.Tensor) return true;
  return (
    typeof x === 'object' &&
    x !== null &&
    typeof (x as tf.Tensor).dataSync === 'function' &&
    Array.isArray((x as tf.Tensor).shape) &&
    typeof (x as tf.Tensor).rank === 'number'
  );
}

function checkTensor(name: string, x: tf.Tensor, cols: number | undefined): void {
  if (x.isDisposed) {
    throw new InvalidArgumentError(`${name} is a disposed tensor. Pass embeddings that are still alive.`);
  }
  if (x.rank !== 2) {
    throw new ShapeError(
      `${name} must be a 2-D tensor [rows, features]; received shape [${x.shape.join(', ')}]. ` +
        'Reshape a single embedding with x.reshape([1, -1]).',
    );
  }
  checkCols(name, x.shape[1] as number, cols);
}

function checkCols(name: string, got: number, want: number | undefined): void {
  if (want !== undefined && got !== want) {
    throw new ShapeError(
      `${name} must have ${want} features per row (the width the probe was fitted on); received ${got}. ` +
        'Use embeddings from the same backbone and pooling as in fit.',
    );
  }
}

/** @internal Throws NonFiniteError at the first non-finite value, naming its row and column. */
export function checkFiniteRows(name: string, data: Float32Array, cols: number): void {
  for (let i = 0; i < data.length; i++) {
    if (!Number.isFinite(data[i])) {
      const row = cols > 0 ? Math.floor(i / cols) : 0;
      throw new NonFiniteError(
        `${name} must hold finite numbers; row ${row}, feature ${i - row * cols} is ${data[i]}. ` +
          'Remove or impute rows with NaN/Infinity first.',
      );
    }
  }
}

/**
 * @internal A non-tensor input as a DenseRows, checking shape and finiteness: a copy, or with
 * `copy` false the caller's own Float32Array where it is one (for code that only reads it).
 */
function fromPlain(name: string, x: unknown, cols: number | undefined, copy = true): DenseRows {
  if (typeof x !== 'object' || x === null) {
    throw new InvalidArgumentError(
      `${name} must be a tf.Tensor2D, { data, shape: [rows, cols] } or an array of rows; received ${describe(x)}.`,
    );
  }
  let out: DenseRows;
  if ('shape' in x && 'data' in x) {
    const m = x as EmbeddingMatrix<ArrayLike<number>>;
    const [rows, width] = m.shape ?? [];
    if (!Number.isInteger(rows) || !Number.isInteger(width) || rows < 0 || width < 0 || m.data?.length !== rows * width) {
      throw new ShapeError(
        `${name}.shape [${String(m.shape)}] does not fit ${name}.data of length ${m.data?.length}; ` +
          'data must hold rows * cols values, row after row.',
      );
    }
    // The constructor copies typed arrays in bulk (Float32Array.from iterates them).
    out = { data: !copy && m.data instanceof Float32Array ? m.data : new Float32Array(m.data), rows, cols: width };
  } else {
    const a = x as ArrayLike<ArrayLike<number>>;
    if (typeof a.length !== 'number') {
      throw new InvalidArgumentError(`${name} must be an array of rows; received ${describe(x)}.`);
    }
    const rows = a.length;
    const first = a[0] as unknown;
    if (rows > 0 && (typeof first !== 'object' || first === null)) {
      throw new InvalidArgumentError(
        `${name} must be an array of rows (number[][]); its first element is ${describe(first)}. ` +
          'Pass flat data as { data, shape: [rows, cols] }.',
      );
    }
    const width = rows > 0 ? a[0].length : (cols ?? 0);
    const data = new Float32Array(rows * Math.max(width, 0));
    for (let r = 0; r < rows; r++) {
      const row = a[r];
      if (typeof row !== 'object' || row === null || row.length !== width) {
        throw new ShapeError(
          `${name} rows must all have ${width} values (the width of row 0); row ${r} has ` +
            `${typeof row === 'object' && row !== null ? row.length : describe(row)}.`,
        );
      }
      for (let c = 0; c < width; c++) {
        const v = row[c];
        if (typeof v !== 'number') {
          throw new InvalidArgumentError(`${name}[${r}][${c}] must be a number; received ${describe(v)}.`);
        }
        data[r * width + c] = v;
      }
    }
    out = { data, rows, cols: width };
  }
  checkCols(name, out.cols, cols);
  checkFiniteRows(name, out.data, out.cols);
  return out;
}

function checkNotEmpty(name: string, x: DenseRows): DenseRows {
  if (x.rows === 0 || x.cols === 0) {
    throw new ShapeError(`${name} must have at least one row and one feature; received [${x.rows}, ${x.cols}].`);
  }
  return x;
}

/**
 * @internal Reads embeddings into a Float32Array (a copy: the caller's data is never changed),
 * asynchronously for tensors so that GPU backends are not blocked.
 */
export async function readEmbeddings(name: string, x: EmbeddingInput, cols?: number): Promise<DenseRows> {
  if (!isTensor(x)) return checkNotEmpty(name, fromPlain(name, x, cols));
  checkTensor(name, x, cols);
  const values = await x.data();
  const data = values instanceof Float32Array ? values : Float32Array.from(values as ArrayLike<number>);
  const out = { data, rows: x.shape[0] as number, cols: x.shape[1] as number };
  checkFiniteRows(name, data, out.cols);
  return checkNotEmpty(name, out);
}

/**
 * @internal A non-tensor input's checked row-major values, for code that only reads them (the
 * caller's own array when it is a Float32Array matrix).
 */
export function embeddingRows(name: string, x: EmbeddingInput, cols: number): DenseRows {
  return checkNotEmpty(name, fromPlain(name, x, cols, false));
}

/**
 * @internal The embeddings as a float32 tensor `[rows, cols]`, for use inside `tf.tidy`. A tensor
 * input is returned as it is (or cast), so the caller must not dispose the result itself.
 * `keep` receives the checked row-major values of a non-tensor input (not called for tensors):
 * the caller's own array when it is a Float32Array matrix, so `keep` must only read it. (No copy
 * of it either for the tensor: tensors are never written in place; the wasm backend copies into
 * its heap, and copying the rows first costs a page fault per 4 KiB of fresh memory.)
 */
export function embeddingTensor(name: string, x: EmbeddingInput, cols: number, keep?: (rows: Float32Array) => void): tf.Tensor2D {
  if (!isTensor(x)) {
    const d = checkNotEmpty(name, fromPlain(name, x, cols, false));
    keep?.(d.data);
    return tf.tensor2d(d.data, [d.rows, d.cols], 'float32');
  }
  checkTensor(name, x, cols);
  if ((x.shape[0] as number) === 0) checkNotEmpty(name, { data: new Float32Array(0), rows: 0, cols });
  const t = (x.dtype === 'float32' ? x : tf.cast(x, 'float32')) as tf.Tensor2D;
  // One scalar read: cheaper than copying the rows out, and it keeps GPU-resident data there.
  if (tf.all(tf.isFinite(t)).dataSync()[0] !== 1) {
    checkFiniteRows(name, t.dataSync() as Float32Array, cols);
  }
  return t;
}

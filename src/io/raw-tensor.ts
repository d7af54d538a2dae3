import { ShapeError } from '../errors/index.js';
import { bfloat16ToFloat32, float16ToFloat32 } from './half-float.js';

/**
 * Element types a checkpoint tensor can hold.
 *
 * @remarks Since 0.1.0.
 * @example
 * ```ts
 * import type { RawDtype } from 'dvme';
 * const dtype: RawDtype = 'bfloat16';
 * ```
 */
export type RawDtype =
  | 'float32'
  | 'float16'
  | 'bfloat16'
  | 'float64'
  | 'int64'
  | 'int32'
  | 'int16'
  | 'int8'
  | 'uint8'
  | 'bool';

/**
 * A tensor as a checkpoint stores it: no tfjs, no conversion yet.
 *
 * @remarks
 * Since 0.1.0. `bytes` is little-endian, C-contiguous and exactly `numel * itemsize` long. It is
 * usually a view into the file's bytes (no copy), so it may sit at any byte offset: read it
 * with {@link toFloat32}, or copy it before building a typed array over it.
 *
 * @example
 * ```ts
 * import { toFloat32, type RawTensor } from 'dvme';
 * const t: RawTensor = { dtype: 'uint8', shape: [2], bytes: new Uint8Array([1, 2]) };
 * toFloat32(t); // Float32Array [1, 2]
 * ```
 */
export interface RawTensor {
  dtype: RawDtype;
  shape: number[];
  bytes: Uint8Array;
}

/**
 * Bytes per element of each {@link RawDtype}.
 *
 * @remarks Since 0.1.0.
 * @internal
 */
export const RAW_DTYPE_ITEMSIZE: Readonly<Record<RawDtype, number>> = Object.freeze({
  float32: 4,
  float16: 2,
  bfloat16: 2,
  float64: 8,
  int64: 8,
  int32: 4,
  int16: 2,
  int8: 1,
  uint8: 1,
  bool: 1,
});

/**
 * Number of elements of a shape (1 for a scalar, `[]`).
 *
 * @remarks Since 0.1.0.
 * @internal
 */
export function shapeNumel(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/**
 * True when `value` is a well-formed {@link RawTensor}: a known dtype, a shape of non-negative
 * integers and exactly `numel * itemsize` bytes.
 *
 * @remarks Since 0.1.0.
 * @internal
 */
export function isRawTensor(value: unknown): value is RawTensor {
  if (typeof value !== 'object' || value === null) return false;
  const { dtype, shape, bytes } = value as Partial<RawTensor>;
  if (typeof dtype !== 'string' || !Object.hasOwn(RAW_DTYPE_ITEMSIZE, dtype)) return false;
  if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
    return false;
  }
  return bytes instanceof Uint8Array && bytes.length === shapeNumel(shape) * RAW_DTYPE_ITEMSIZE[dtype];
}

/**
 * A typed array of `count` elements over `bytes`, sharing memory when the offset is aligned and
 * copying otherwise (typed arrays need offsets that are a multiple of their element size).
 */
function alignedView<T>(
  bytes: Uint8Array,
  itemsize: number,
  make: (buffer: ArrayBufferLike, offset: number, count: number) => T,
): { view: T; copied: boolean } {
  const count = bytes.length / itemsize;
  if (bytes.byteOffset % itemsize === 0) {
    return { view: make(bytes.buffer, bytes.byteOffset, count), copied: false };
  }
  // `new Uint8Array(bytes)` copies; `bytes.slice()` would not when `bytes` is a Node Buffer.
  return { view: make(new Uint8Array(bytes).buffer, 0, count), copied: true };
}

/**
 * The values of a tensor as a new `Float32Array`, in C order.
 *
 * @remarks
 * Since 0.1.0. float16 and bfloat16 convert exactly (subnormals, infinities, NaN); float64 and
 * int64 round to the nearest float32. Assumes a little-endian host, as every JS engine is.
 *
 * @throws {@link ShapeError} when `bytes.length` is not `numel * itemsize`.
 * @example
 * ```ts
 * import { toFloat32 } from 'dvme';
 * toFloat32({ dtype: 'float16', shape: [1], bytes: new Uint8Array([0x00, 0x3c]) }); // [1]
 * ```
 */
export function toFloat32(t: RawTensor): Float32Array {
  const itemsize = RAW_DTYPE_ITEMSIZE[t.dtype];
  const numel = shapeNumel(t.shape);
  if (itemsize === undefined || t.bytes.length !== numel * itemsize) {
    throw new ShapeError(
      `RawTensor holds ${t.bytes.length} bytes but dtype ${String(t.dtype)} and shape ` +
        `[${t.shape.join(', ')}] need ${numel * (itemsize ?? NaN)}. Build it with bytes.length === ` +
        'numel * itemsize.',
    );
  }
  switch (t.dtype) {
    case 'float32': {
      const { view, copied } = alignedView(t.bytes, 4, (b, o, n) => new Float32Array(b, o, n));
      return copied ? view : view.slice();
    }
    case 'float16':
      return float16ToFloat32(alignedView(t.bytes, 2, (b, o, n) => new Uint16Array(b, o, n)).view);
    case 'bfloat16':
      return bfloat16ToFloat32(alignedView(t.bytes, 2, (b, o, n) => new Uint16Array(b, o, n)).view);
    case 'float64':
      return Float32Array.from(alignedView(t.bytes, 8, (b, o, n) => new Float64Array(b, o, n)).view);
    case 'int64':
      return Float32Array.from(int64ToFloat64(t.bytes));
    case 'int32':
      return Float32Array.from(alignedView(t.bytes, 4, (b, o, n) => new Int32Array(b, o, n)).view);
    case 'int16':
      return Float32Array.from(alignedView(t.bytes, 2, (b, o, n) => new Int16Array(b, o, n)).view);
    case 'int8':
      return Float32Array.from(new Int8Array(t.bytes.buffer, t.bytes.byteOffset, t.bytes.length));
    case 'uint8':
      return Float32Array.from(t.bytes);
    case 'bool':
      return Float32Array.from(t.bytes, (b) => (b === 0 ? 0 : 1));
  }
}

/**
 * Little-endian int64 values as doubles: exact up to 2^53 in magnitude, rounded once beyond.
 * Reads two int32 words per value, which is much faster than going through BigInt.
 *
 * @internal
 */
export function int64ToFloat64(bytes: Uint8Array): Float64Array {
  const words = alignedView(bytes, 4, (b, o, n) => new Int32Array(b, o, n)).view;
  const out = new Float64Array(words.length / 2);
  for (let i = 0; i < out.length; i++) {
    out[i] = words[2 * i + 1] * 4294967296 + (words[2 * i] >>> 0);
  }
  return out;
}

import { CheckpointFormatError, InvalidArgumentError, ShapeError } from '../errors/index.js';
import { float16ToFloat32, numberToFloat16Bits } from '../io/half-float.js';
import { int64ToFloat64 } from '../io/raw-tensor.js';
import { ByteReader } from '../io/byte-reader.js';
import { gatherStrided } from '../io/strided-gather.js';
import { encodeNpyHeader, parseNpyHeader } from './npy-header.js';

/**
 * Element types `.npy` files may hold here.
 *
 * @remarks Since 0.1.0.
 * @example
 * ```ts
 * import type { NpyDtype } from 'dvme';
 * const dtype: NpyDtype = 'uint8';
 * ```
 */
export type NpyDtype =
  | 'bool'
  | 'uint8'
  | 'int8'
  | 'uint16'
  | 'int16'
  | 'uint32'
  | 'int32'
  | 'int64'
  | 'uint64'
  | 'float16'
  | 'float32'
  | 'float64';

/**
 * Typed arrays that hold {@link NdArray} values.
 *
 * @remarks Since 0.1.0.
 * @example
 * ```ts
 * import type { NdArrayData } from 'dvme';
 * const data: NdArrayData = new Float32Array(4);
 * ```
 */
export type NdArrayData =
  | Uint8Array
  | Int8Array
  | Uint16Array
  | Int16Array
  | Uint32Array
  | Int32Array
  | Float32Array
  | Float64Array;

/**
 * An n-dimensional array in C (row-major) order.
 *
 * @remarks
 * Since 0.1.0. `data` is a typed array of the matching type, with three conversions because
 * JS has no exact typed array for them: `bool` is a `Uint8Array` of 0/1; `int64` and `uint64`
 * are `Float64Array`s, exact up to 2^53 in magnitude (every label, index and count in
 * practice; MedMNIST labels are uint8 or int64), rounded beyond; `float16` is a
 * `Float32Array` of the exact values.
 *
 * @example
 * ```ts
 * import type { NdArray } from 'dvme';
 * const a: NdArray = { dtype: 'float32', shape: [2, 2], data: new Float32Array([1, 2, 3, 4]) };
 * ```
 */
export interface NdArray {
  dtype: NpyDtype;
  shape: number[];
  data: NdArrayData;
}

/** numpy type codes (after the byte-order character) and what we decode them to. */
const KINDS: Readonly<Record<string, { dtype: NpyDtype; size: number }>> = {
  b1: { dtype: 'bool', size: 1 },
  u1: { dtype: 'uint8', size: 1 },
  i1: { dtype: 'int8', size: 1 },
  u2: { dtype: 'uint16', size: 2 },
  i2: { dtype: 'int16', size: 2 },
  u4: { dtype: 'uint32', size: 4 },
  i4: { dtype: 'int32', size: 4 },
  i8: { dtype: 'int64', size: 8 },
  u8: { dtype: 'uint64', size: 8 },
  f2: { dtype: 'float16', size: 2 },
  f4: { dtype: 'float32', size: 4 },
  f8: { dtype: 'float64', size: 8 },
};

const MAX_HEADER_BYTES = 1 << 20;

function fail(detail: string): never {
  throw new CheckpointFormatError(
    `Invalid .npy file: ${detail}. The file is damaged or not written by numpy.save; save the ` +
      'array again with numpy.save.',
  );
}

/** Values of little-endian `bytes` (an aligned, owned copy) as the typed array for `dtype`. */
function decode(dtype: NpyDtype, bytes: Uint8Array): NdArrayData {
  const b = bytes.buffer;
  switch (dtype) {
    case 'bool': return bytes.map((v) => (v === 0 ? 0 : 1));
    case 'uint8': return bytes;
    case 'int8': return new Int8Array(b);
    case 'uint16': return new Uint16Array(b);
    case 'int16': return new Int16Array(b);
    case 'uint32': return new Uint32Array(b);
    case 'int32': return new Int32Array(b);
    case 'int64': return int64ToFloat64(bytes);
    case 'uint64': return Float64Array.from(new BigUint64Array(b), Number);
    case 'float16': return float16ToFloat32(new Uint16Array(b));
    case 'float32': return new Float32Array(b);
    case 'float64': return new Float64Array(b);
  }
}

/** Element strides of a column-major array: the first axis varies fastest. */
function fortranStrides(shape: readonly number[]): number[] {
  const strides: number[] = [];
  for (let d = 0, s = 1; d < shape.length; d++) {
    strides.push(s);
    s *= shape[d];
  }
  return strides;
}

/**
 * Parses a NumPy `.npy` file (format versions 1.0, 2.0 and 3.0).
 *
 * @param bytes - the whole file.
 * @returns the array in C order (Fortran-order files are transposed) with native-endian data,
 * copied out of `bytes`. See {@link NdArray} for the int64, bool and float16 conversions.
 * @throws {@link CheckpointFormatError} for a bad magic string or header, structured or object
 * dtypes (supported: b1 u1 i1 u2 i2 u4 i4 u8 i8 f2 f4 f8, either byte order), or too few bytes.
 *
 * @remarks Since 0.1.0.
 * @example
 * ```ts
 * import { parseNpy } from 'dvme';
 * declare const bytes: Uint8Array; // np.save('x.npy', np.zeros((2, 3), np.float32))
 * parseNpy(bytes); // { dtype: 'float32', shape: [2, 3], data: Float32Array(6) }
 * ```
 */
export function parseNpy(bytes: Uint8Array): NdArray {
  const r = new ByteReader(bytes, '.npy file');
  const magic = r.take(6, 'magic string');
  if (![0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59].every((b, i) => magic[i] === b)) {
    fail('it does not start with "\\x93NUMPY"');
  }
  const major = r.u8('major version');
  r.u8('minor version');
  if (major < 1 || major > 3) fail(`format version ${major}.x (supported: 1.0, 2.0, 3.0)`);
  const headerLength = major === 1 ? r.u16('header length') : r.u32('header length');
  // Headers of the plain dtypes read here are ~100 bytes; a huge one is corrupt or hostile.
  if (headerLength > MAX_HEADER_BYTES) fail(`header length ${headerLength} exceeds ${MAX_HEADER_BYTES}`);
  const headerBytes = r.take(headerLength, 'header');
  // Versions 1 and 2 are latin-1, 3 is UTF-8 (numpy uses it only for non-latin-1 field names).
  const text = new TextDecoder(major === 3 ? 'utf-8' : 'latin1').decode(headerBytes);
  const header = parseNpyHeader(text);
  const order = header.descr[0];
  const kind = KINDS[header.descr.slice(1)];
  if (!'<>|='.includes(order) || kind === undefined || !Object.hasOwn(KINDS, header.descr.slice(1))) {
    fail(`dtype "${header.descr}" is not supported (supported: ${Object.keys(KINDS).join(' ')}, with < > | or =)`);
  }
  let numel = 1;
  for (const d of header.shape) numel *= d;
  const raw = r.take(numel * kind.size, 'array data');
  const shape = [...header.shape];
  // Fortran order is C order of the reversed shape: gather it with column-major strides. The
  // result, like `new Uint8Array(raw)`, is an owned aligned copy (a Node Buffer's `slice` is not).
  const data =
    header.fortranOrder && shape.length > 1
      ? gatherStrided(raw, kind.size, 0, shape, fortranStrides(shape))
      : new Uint8Array(raw);
  if (order === '>' && kind.size > 1) {
    for (let i = 0; i < data.length; i += kind.size) data.subarray(i, i + kind.size).reverse();
  }
  return { dtype: kind.dtype, shape, data: decode(kind.dtype, data) };
}

/** The natural dtype of each typed array, for {@link encodeNpy} without `dtype`. */
function defaultDtype(data: NdArrayData): NpyDtype {
  if (data instanceof Float32Array) return 'float32';
  if (data instanceof Float64Array) return 'float64';
  if (data instanceof Uint8Array) return 'uint8';
  if (data instanceof Int8Array) return 'int8';
  if (data instanceof Uint16Array) return 'uint16';
  if (data instanceof Int16Array) return 'int16';
  if (data instanceof Uint32Array) return 'uint32';
  return 'int32';
}

/** Which typed array each dtype is held in, mirroring {@link parseNpy}. */
const HOLDER: Readonly<Record<NpyDtype, abstract new (n: number) => NdArrayData>> = {
  bool: Uint8Array, uint8: Uint8Array, int8: Int8Array, uint16: Uint16Array,
  int16: Int16Array, uint32: Uint32Array, int32: Int32Array, int64: Float64Array,
  uint64: Float64Array, float16: Float32Array, float32: Float32Array, float64: Float64Array,
};

/** Little-endian bytes of `data` as numpy stores `dtype`. */
function encodeData(dtype: NpyDtype, data: NdArrayData): Uint8Array {
  if (dtype === 'bool') return Uint8Array.from(data, (v) => (v === 0 ? 0 : 1));
  if (dtype === 'float16') return new Uint8Array(Uint16Array.from(data, numberToFloat16Bits).buffer);
  if (dtype === 'int64' || dtype === 'uint64') {
    const out = new DataView(new ArrayBuffer(data.length * 8));
    const [lo, hi] = dtype === 'int64' ? [-(2 ** 63), 2 ** 63] : [0, 2 ** 64];
    for (let i = 0; i < data.length; i++) {
      const v = data[i];
      if (!Number.isInteger(v) || v < lo || v >= hi) {
        throw new InvalidArgumentError(
          `encodeNpy: element ${i} is ${v}, which is not a valid ${dtype} value. Pass integers in ` +
            `[${lo}, ${hi}) or choose dtype 'float64'.`,
        );
      }
      if (dtype === 'int64') out.setBigInt64(i * 8, BigInt(v), true);
      else out.setBigUint64(i * 8, BigInt(v), true);
    }
    return new Uint8Array(out.buffer);
  }
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}

/**
 * Encodes an array as a `.npy` file (format 1.0, C order, little-endian) with the same bytes
 * `numpy.save` writes for it.
 *
 * @param array - `data` in C order; `dtype` defaults to the typed array's natural type. Use
 * `'bool'` with a `Uint8Array`, `'int64'`/`'uint64'` with a `Float64Array` of integers and
 * `'float16'` with a `Float32Array` (values rounded to nearest even), as {@link parseNpy}
 * returns them.
 * @throws {@link ShapeError} when `shape` does not match `data.length`;
 * {@link InvalidArgumentError} for a dtype the typed array cannot hold, or non-integer values
 * for int64.
 *
 * @remarks Since 0.1.0.
 * @example
 * ```ts
 * import { encodeNpy } from 'dvme';
 * const bytes = encodeNpy({ data: new Float32Array([1, 2, 3, 4]), shape: [2, 2] });
 * // np.load(io.BytesIO(bytes)) -> array([[1., 2.], [3., 4.]], dtype=float32)
 * ```
 */
export function encodeNpy(array: { data: NdArrayData; shape: readonly number[]; dtype?: NpyDtype }): Uint8Array {
  const { data, shape } = array;
  const dtype = array.dtype ?? defaultDtype(data);
  if (!Object.hasOwn(HOLDER, dtype) || !(data instanceof HOLDER[dtype])) {
    throw new InvalidArgumentError(
      `encodeNpy: dtype ${String(dtype)} cannot be encoded from a ${data.constructor.name}; ` +
        `allowed dtypes are ${Object.keys(HOLDER).join(', ')}, each from the typed array ` +
        'parseNpy returns for it (see NdArray).',
    );
  }
  if (!shape.every((d) => Number.isSafeInteger(d) && d >= 0) || shape.reduce((a, b) => a * b, 1) !== data.length) {
    throw new ShapeError(
      `encodeNpy: shape [${shape.join(', ')}] does not hold the ${data.length} elements of data. ` +
        'Pass non-negative integer dimensions whose product is data.length.',
    );
  }
  const code = Object.entries(KINDS).find(([, k]) => k.dtype === dtype)![0];
  const header = encodeNpyHeader(`${code.endsWith('1') ? '|' : '<'}${code}`, shape);
  const body = encodeData(dtype, data);
  const out = new Uint8Array(header.length + body.length);
  out.set(header);
  out.set(body, header.length);
  return out;
}

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CheckpointFormatError, InvalidArgumentError, ShapeError } from '../../../src/errors/index.js';
import { encodeNpy, parseNpy, type NdArray, type NdArrayData, type NpyDtype } from '../../../src/data/npy.js';
import { expected, expectSameValues, fixture, mutate, onlyFormatErrors, type ExpectedTensor } from '../io/fixtures.js';
import { mutationArb } from '../io/mutation-arbitrary.js';

const want = expected.npy as Record<string, ExpectedTensor>;
const dtypeOf: Record<string, NpyDtype> = { float16: 'float16', float32: 'float32', float64: 'float64', uint8: 'uint8', int8: 'int8', int16: 'int16', uint16: 'uint16', int32: 'int32', uint32: 'uint32', int64: 'int64', bool: 'bool' };

describe('parseNpy', () => {
  it.each(Object.keys(want))('reads %s exactly as numpy wrote it', (file) => {
    const a = parseNpy(fixture(file));
    expect(a.dtype).toBe(dtypeOf[want[file].dtype]);
    expect(a.shape).toEqual(want[file].shape);
    expectSameValues(a.data, want[file].values, file);
  });

  it('holds each dtype in the documented typed array', () => {
    const holders: [string, new (n: number) => NdArrayData][] = [
      ['f4.npy', Float32Array], ['f8.npy', Float64Array], ['f2.npy', Float32Array], ['u1.npy', Uint8Array],
      ['i1.npy', Int8Array], ['i2.npy', Int16Array], ['u2.npy', Uint16Array], ['i4.npy', Int32Array],
      ['u4.npy', Uint32Array], ['i8.npy', Float64Array], ['b1.npy', Uint8Array],
    ];
    for (const [file, holder] of holders) expect(parseNpy(fixture(file)).data, file).toBeInstanceOf(holder);
  });

  /** A version 1.0 file with the given header dict text and data bytes. */
  const npy = (dict: string, data = ''): string =>
    `\x93NUMPY\x01\x00${String.fromCharCode(dict.length & 0xff, dict.length >> 8)}${dict}${data}`;
  it.each([
    ['a bad magic string', 'NUMPY\x01\x00', /\\x93NUMPY/],
    ['format version 4', '\x93NUMPY\x04\x00\x00\x00', /format version 4/],
    ['a structured dtype', npy("{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (1,), }"), /structured/],
    ['an object dtype', npy("{'descr': '|O', 'fortran_order': False, 'shape': (1,), }"), /"\|O" is not supported/],
    ['a negative dimension', npy("{'descr': '<f4', 'fortran_order': False, 'shape': (-1,), }"), /shape/],
    ['missing data', npy("{'descr': '<f4', 'fortran_order': False, 'shape': (10,), }", 'abcd'), /Truncated/],
    ['a non-literal header', npy("{'descr': __import__('os'), }"), /unexpected text/],
    ['deep nesting', npy('('.repeat(50)), /nests too deeply/],
  ])('rejects %s with CheckpointFormatError', (_, text, message) => {
    const bytes = Uint8Array.from(text, (c) => c.charCodeAt(0));
    expect(() => parseNpy(bytes)).toThrow(CheckpointFormatError);
    expect(() => parseNpy(bytes)).toThrow(message);
  });

  it('only ever throws CheckpointFormatError on corrupted files (property)', async () => {
    const sources = ['f4.npy', 'fortran.npy', 'v3.npy', 'i8.npy', 'bigendian.npy'].map(fixture);
    await fc.assert(
      fc.asyncProperty(fc.nat(sources.length - 1), mutationArb, async (i, m) => onlyFormatErrors(() => parseNpy(mutate(sources[i], m)))),
      { numRuns: 500 },
    );
  });
});

describe('encodeNpy', () => {
  it.each(['f4', 'f8', 'f2', 'u1', 'i1', 'i2', 'u2', 'i4', 'u4', 'i8', 'b1', 'scalar', 'empty'])(
    'writes the same bytes as numpy.save for %s.npy',
    (name) => {
      const original = fixture(`${name}.npy`);
      expect(encodeNpy(parseNpy(original))).toEqual(original);
    },
  );

  it('round-trips through parseNpy for every dtype (property)', () => {
    const dims = fc.array(fc.nat(4), { maxLength: 4 });
    const arrayArb = fc.oneof(
      dims.chain((shape) => fc.float32Array({ minLength: size(shape), maxLength: size(shape) }).map((d): NdArray => ({ dtype: 'float32', shape, data: d }))),
      dims.chain((shape) => fc.float64Array({ minLength: size(shape), maxLength: size(shape) }).map((d): NdArray => ({ dtype: 'float64', shape, data: d }))),
      dims.chain((shape) => fc.uint8Array({ minLength: size(shape), maxLength: size(shape) }).map((d): NdArray => ({ dtype: 'uint8', shape, data: d }))),
      dims.chain((shape) => fc.int32Array({ minLength: size(shape), maxLength: size(shape) }).map((d): NdArray => ({ dtype: 'int32', shape, data: d }))),
      dims.chain((shape) => fc.int16Array({ minLength: size(shape), maxLength: size(shape) }).map((d): NdArray => ({ dtype: 'int16', shape, data: d }))),
      dims.chain((shape) =>
        fc.array(fc.maxSafeInteger(), { minLength: size(shape), maxLength: size(shape) }).map((d): NdArray => ({ dtype: 'int64', shape, data: Float64Array.from(d) })),
      ),
      dims.chain((shape) =>
        fc.array(fc.boolean(), { minLength: size(shape), maxLength: size(shape) }).map((d): NdArray => ({ dtype: 'bool', shape, data: Uint8Array.from(d, Number) })),
      ),
    );
    fc.assert(
      fc.property(arrayArb, (a) => {
        expect(parseNpy(encodeNpy(a))).toEqual(a);
      }),
    );
  });

  it('rounds float16 to nearest even', () => {
    const back = parseNpy(encodeNpy({ data: new Float32Array([1 + 2 ** -11, 0.1, 1e6]), shape: [3], dtype: 'float16' }));
    expect(Array.from(back.data)).toEqual([1, 0.0999755859375, Infinity]);
  });

  it('rejects a wrong shape, a mismatched holder and non-integer int64 values', () => {
    expect(() => encodeNpy({ data: new Float32Array(6), shape: [4] })).toThrow(ShapeError);
    expect(() => encodeNpy({ data: new Float32Array(6), shape: [2, 3], dtype: 'int32' })).toThrow(InvalidArgumentError);
    expect(() => encodeNpy({ data: new Float64Array([0.5]), shape: [1], dtype: 'int64' })).toThrow(/not a valid int64/);
  });
});

function size(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ShapeError } from '../../../src/errors/index.js';
import { isRawTensor, shapeNumel, toFloat32, type RawDtype } from '../../../src/io/raw-tensor.js';

const bytesOf = (array: ArrayBufferView): Uint8Array => new Uint8Array(array.buffer, array.byteOffset, array.byteLength);

describe('toFloat32', () => {
  const cases: [RawDtype, ArrayBufferView, number[]][] = [
    ['float32', new Float32Array([1.5, -2]), [1.5, -2]],
    ['float16', new Uint16Array([0x3c00, 0x0001, 0xfc00]), [1, 2 ** -24, -Infinity]],
    ['bfloat16', new Uint16Array([0x3f80, 0xbf00]), [1, -0.5]],
    ['float64', new Float64Array([0.1, 1e300]), [Math.fround(0.1), Infinity]],
    ['int64', new BigInt64Array([-3n, 2n ** 40n, -(2n ** 62n)]), [-3, 2 ** 40, -(2 ** 62)]],
    ['int32', new Int32Array([-7, 2 ** 31 - 1]), [-7, 2 ** 31]],
    ['int16', new Int16Array([-300, 300]), [-300, 300]],
    ['int8', new Int8Array([-128, 127]), [-128, 127]],
    ['uint8', new Uint8Array([0, 255]), [0, 255]],
    ['bool', new Uint8Array([0, 1, 2]), [0, 1, 1]],
  ];
  it.each(cases)('converts %s', (dtype, array, want) => {
    const bytes = bytesOf(array);
    const t = { dtype, shape: [want.length], bytes };
    expect(Array.from(toFloat32(t))).toEqual(want);
    // The same bytes at an odd offset, as a view into a file would be.
    const shifted = new Uint8Array(bytes.length + 1);
    shifted.set(bytes, 1);
    expect(Array.from(toFloat32({ ...t, bytes: shifted.subarray(1) }))).toEqual(want);
  });

  it('returns a copy that does not alias the input', () => {
    const bytes = bytesOf(new Float32Array([1, 2]));
    const out = toFloat32({ dtype: 'float32', shape: [2], bytes });
    out[0] = 9;
    expect(new Float32Array(bytes.buffer)[0]).toBe(1);
  });

  it('throws ShapeError when the byte length does not match the shape', () => {
    expect(() => toFloat32({ dtype: 'float32', shape: [3], bytes: new Uint8Array(8) })).toThrow(ShapeError);
  });

  it('matches Float32Array conversion for any float64 (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.double()), (xs) => {
        const t = { dtype: 'float64' as const, shape: [xs.length], bytes: bytesOf(new Float64Array(xs)) };
        expect(toFloat32(t)).toEqual(Float32Array.from(xs));
      }),
    );
  });
});

describe('isRawTensor / shapeNumel', () => {
  it('checks dtype, shape and byte length', () => {
    expect(shapeNumel([])).toBe(1);
    expect(shapeNumel([2, 0, 3])).toBe(0);
    expect(isRawTensor({ dtype: 'int16', shape: [2], bytes: new Uint8Array(4) })).toBe(true);
    expect(isRawTensor({ dtype: 'int16', shape: [2], bytes: new Uint8Array(3) })).toBe(false);
    expect(isRawTensor({ dtype: 'complex64', shape: [], bytes: new Uint8Array(8) })).toBe(false);
    expect(isRawTensor({ dtype: 'uint8', shape: [-1], bytes: new Uint8Array(0) })).toBe(false);
    expect(isRawTensor(null)).toBe(false);
  });
});

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  bfloat16ToFloat32,
  float16BitsToNumber,
  float16ToFloat32,
  numberToFloat16Bits,
} from '../../../src/io/half-float.js';

describe('float16BitsToNumber', () => {
  it('decodes normals, subnormals, signed zero, infinities and NaN exactly', () => {
    expect(float16BitsToNumber(0x3c00)).toBe(1);
    expect(float16BitsToNumber(0xc000)).toBe(-2);
    expect(float16BitsToNumber(0x7bff)).toBe(65504);
    expect(float16BitsToNumber(0x0001)).toBe(2 ** -24);
    expect(float16BitsToNumber(0x03ff)).toBe(1023 * 2 ** -24);
    expect(float16BitsToNumber(0x0400)).toBe(2 ** -14);
    expect(Object.is(float16BitsToNumber(0x8000), -0)).toBe(true);
    expect(float16BitsToNumber(0x7c00)).toBe(Infinity);
    expect(float16BitsToNumber(0xfc00)).toBe(-Infinity);
    expect(float16BitsToNumber(0x7e00)).toBeNaN();
  });

  it('round-trips every one of the 65536 bit patterns through numberToFloat16Bits', () => {
    const all = float16ToFloat32(Uint16Array.from({ length: 65536 }, (_, i) => i));
    const wrong: number[] = [];
    for (let bits = 0; bits < 65536; bits++) {
      const value = all[bits];
      const back = numberToFloat16Bits(value);
      const ok = Number.isNaN(value) ? Number.isNaN(float16BitsToNumber(back)) : back === bits;
      if (!ok) wrong.push(bits);
    }
    expect(wrong).toEqual([]);
  });
});

describe('numberToFloat16Bits', () => {
  it('rounds to nearest, ties to even, overflowing to infinity', () => {
    expect(numberToFloat16Bits(1 + 2 ** -11)).toBe(0x3c00); // tie, stays even
    expect(numberToFloat16Bits(1 + 3 * 2 ** -11)).toBe(0x3c02); // tie, rounds up to even
    expect(numberToFloat16Bits(2 ** -25)).toBe(0x0000); // half the smallest subnormal: tie to 0
    expect(numberToFloat16Bits(3 * 2 ** -26)).toBe(0x0001);
    expect(numberToFloat16Bits(65519)).toBe(0x7bff);
    expect(numberToFloat16Bits(65520)).toBe(0x7c00);
    expect(numberToFloat16Bits(-1e10)).toBe(0xfc00);
  });

  it('picks the nearest half value for any float32 (property)', () => {
    fc.assert(
      fc.property(fc.float({ noNaN: true, min: -65504, max: 65504 }), (x) => {
        const bits = numberToFloat16Bits(x);
        const err = Math.abs(float16BitsToNumber(bits) - x);
        // Neighbours one unit in the last place away must not be strictly closer.
        for (const n of [bits - 1, bits + 1]) {
          if ((n & 0x7fff) >= 0x7c00 || n < 0 || (n & 0x8000) !== (bits & 0x8000)) continue;
          expect(Math.abs(float16BitsToNumber(n) - x)).toBeGreaterThanOrEqual(err);
        }
      }),
    );
  });
});

describe('bfloat16ToFloat32', () => {
  it('is the high half of a float32', () => {
    expect(Array.from(bfloat16ToFloat32(new Uint16Array([0x3f80, 0xc049, 0x7f80, 0x0001])))).toEqual([
      1,
      -3.140625,
      Infinity,
      2 ** -133,
    ]);
  });
});

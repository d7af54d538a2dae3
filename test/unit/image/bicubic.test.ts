import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { bicubicWeightMatrix, dinoPositionScale, resizeBicubic } from '../../../src/backbone/arch/index.js';
import { InvalidArgumentError, ShapeError } from '../../../src/errors/index.js';
import { loadBicubicCases, relativeMaxError } from '../backbone/arch/fixture.js';

describe('resizeBicubic', () => {
  const cases = loadBicubicCases();

  it.each(cases.map((c) => [`${c.in.join('x')} -> ${c.outShape.join('x')}`, c] as const))(
    'equals torch F.interpolate(bicubic, align_corners=False): %s',
    (_, c) => {
      const out = resizeBicubic(c.input, [c.in[0], c.in[1], c.channels], c.outShape, c.scale);
      expect(out.length).toBe(c.output.length);
      expect(relativeMaxError(out, c.output)).toBeLessThan(1e-6);
    },
  );

  it('needs the scale factor, not only the size, to match a scale_factor call', () => {
    const c = cases.find((k) => k.scale?.[0] === 4.1 / 4)!;
    const bySize = resizeBicubic(c.input, [c.in[0], c.in[1], c.channels], c.outShape);
    expect(relativeMaxError(bySize, c.output)).toBeGreaterThan(1e-2);
  });

  it('rejects data that does not fit the shape', () => {
    expect(() => resizeBicubic(new Float32Array(5), [2, 2, 1], [3, 3])).toThrow(ShapeError);
  });
});

describe('bicubicWeightMatrix', () => {
  it('has rows summing to 1 (a partition of unity) for any sizes and scale', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 40 }),
        fc.integer({ min: 1, max: 40 }),
        fc.option(fc.double({ min: 0.05, max: 8, noNaN: true }), { nil: undefined }),
        (inSize, outSize, scale) => {
          const m = bicubicWeightMatrix(inSize, outSize, scale);
          for (let o = 0; o < outSize; o++) {
            let sum = 0;
            for (let i = 0; i < inSize; i++) sum += m[o * inSize + i];
            expect(sum).toBeCloseTo(1, 12);
          }
        },
      ),
    );
  });

  it('is the identity when sizes match and no scale is given', () => {
    const m = bicubicWeightMatrix(5, 5);
    for (let o = 0; o < 5; o++) for (let i = 0; i < 5; i++) expect(m[o * 5 + i]).toBe(o === i ? 1 : 0);
  });

  it('rejects non-positive sizes and scales', () => {
    expect(() => bicubicWeightMatrix(0, 3)).toThrow(InvalidArgumentError);
    expect(() => bicubicWeightMatrix(3, 2.5)).toThrow(InvalidArgumentError);
    expect(() => bicubicWeightMatrix(3, 3, 0)).toThrow(InvalidArgumentError);
    expect(() => bicubicWeightMatrix(3, 3, Number.NaN)).toThrow(InvalidArgumentError);
  });
});

describe('dinoPositionScale', () => {
  it('keeps the native grid of a square image', () => {
    expect(dinoPositionScale(14, 14, 14, true)).toBeNull();
  });

  it('resamples other grids with the +0.1 trick, and the native grid of a non-square image', () => {
    expect(dinoPositionScale(28, 12, 12, true)).toEqual([12.1 / 28, 12.1 / 28]);
    expect(dinoPositionScale(4, 6, 5, false)).toEqual([6.1 / 4, 5.1 / 4]);
    expect(dinoPositionScale(14, 14, 14, false)).toEqual([14.1 / 14, 14.1 / 14]);
  });

  it('lands floor(native * scale) on the target grid for every grid up to 64', () => {
    for (let g = 1; g <= 64; g++) {
      for (let t = 1; t <= 64; t++) {
        const [s] = dinoPositionScale(g, t, t, false)!;
        expect(Math.floor(g * s)).toBe(t);
      }
    }
  });
});

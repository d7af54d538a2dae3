import { describe, expect, it } from 'vitest';
import { rocBand } from '../../../src/charts/index.js';
import { tprAt } from '../../../src/charts/roc-band.js';
import { InvalidArgumentError, ShapeError, UndefinedMetricError } from '../../../src/errors/index.js';
import { rocCurve } from '../../../src/metrics/index.js';
import { Xoshiro128 } from '../../../src/random/xoshiro.js';

function noisyData(n: number, seed: number): { y: number[]; s: number[] } {
  const rng = new Xoshiro128(seed);
  const y = Array.from({ length: n }, (_, i) => i % 3 === 0 ? 1 : 0);
  // Positives score higher on average; rounding makes ties.
  const s = y.map((c) => Math.round((c + 1.5 * (rng.nextUint32() / 2 ** 32)) * 20) / 20);
  return { y, s };
}

describe('tprAt', () => {
  it('takes the top of a vertical rise and interpolates along a diagonal (tied scores)', () => {
    const fpr = [0, 0, 0.5, 1];
    const tpr = [0, 0.5, 1, 1];
    const out = new Float64Array(4);
    tprAt(fpr, tpr, [0, 0.25, 0.5, 1], out);
    expect(Array.from(out)).toEqual([0.5, 0.75, 1, 1]);
  });
});

describe('rocBand', () => {
  const { y, s } = noisyData(150, 5);

  it('reads the full-data curve on an even grid from 0 to 1', () => {
    const band = rocBand(y, s, { nBoot: 50, gridSize: 11 });
    expect(Array.from(band.fpr)).toEqual([0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1]);
    const full = rocCurve(y, s);
    const expected = new Float64Array(11);
    tprAt(full.fpr, full.tpr, band.fpr, expected);
    expect(band.tpr).toEqual(expected);
    expect(band.tpr[10]).toBe(1);
  });

  it('brackets the curve: lower <= upper everywhere, ends at 1, and holds the full-data curve at most points', () => {
    const band = rocBand(y, s, { nBoot: 400, seed: 2 });
    let inside = 0;
    for (let g = 0; g < band.fpr.length; g++) {
      expect(band.lower[g]).toBeLessThanOrEqual(band.upper[g]!);
      expect(band.lower[g]).toBeGreaterThanOrEqual(0);
      expect(band.upper[g]).toBeLessThanOrEqual(1);
      if (band.lower[g]! <= band.tpr[g]! && band.tpr[g]! <= band.upper[g]!) inside++;
    }
    expect(band.upper[band.fpr.length - 1]).toBe(1);
    expect(band.lower[band.fpr.length - 1]).toBe(1);
    expect(inside / band.fpr.length).toBeGreaterThan(0.9);
    // A real band has width somewhere.
    expect(Math.max(...band.upper.map((u, g) => u - band.lower[g]!))).toBeGreaterThan(0.05);
  });

  it('is exact where resampling cannot move the curve: perfect separation, and all scores tied', () => {
    const separated = rocBand([0, 0, 0, 1, 1], [0.1, 0.2, 0.3, 0.8, 0.9], { nBoot: 100, gridSize: 5 });
    expect(Array.from(separated.lower)).toEqual([1, 1, 1, 1, 1]);
    expect(Array.from(separated.upper)).toEqual([1, 1, 1, 1, 1]);
    const tied = rocBand([0, 1, 0, 1, 1], [0.5, 0.5, 0.5, 0.5, 0.5], { nBoot: 100, gridSize: 5 });
    expect(Array.from(tied.lower)).toEqual([0, 0.25, 0.5, 0.75, 1]);
    expect(Array.from(tied.upper)).toEqual([0, 0.25, 0.5, 0.75, 1]);
  });

  it('narrows with more data (the same score distribution)', () => {
    const width = (n: number) => {
      const d = noisyData(n, 9);
      const b = rocBand(d.y, d.s, { nBoot: 300, seed: 1 });
      return b.upper.reduce((a, u, g) => a + u - b.lower[g]!, 0);
    };
    expect(width(1200)).toBeLessThan(width(120) * 0.6);
  });

  it('gives the same band for the same seed and another for another seed', () => {
    const a = rocBand(y, s, { nBoot: 100, seed: 4 });
    expect(rocBand(y, s, { nBoot: 100, seed: 4 })).toEqual(a);
    expect(rocBand(y, s, { nBoot: 100, seed: 5 }).lower).not.toEqual(a.lower);
  });

  it('honours posLabel and alpha (a wider level gives a wider band)', () => {
    const y2 = y.map((c) => (c === 1 ? 2 : 1));
    expect(rocBand(y2, s, { nBoot: 60, posLabel: 2 })).toEqual(rocBand(y, s, { nBoot: 60 }));
    const narrow = rocBand(y, s, { nBoot: 300, alpha: 0.5 });
    const wide = rocBand(y, s, { nBoot: 300, alpha: 0.05 });
    narrow.fpr.forEach((_, g) => {
      expect(wide.lower[g]).toBeLessThanOrEqual(narrow.lower[g]!);
      expect(wide.upper[g]).toBeGreaterThanOrEqual(narrow.upper[g]!);
    });
  });

  it('throws typed errors for bad data and options', () => {
    expect(() => rocBand([0, 1], [0.5])).toThrow(ShapeError);
    expect(() => rocBand([1, 1], [0.2, 0.5])).toThrow(UndefinedMetricError);
    expect(() => rocBand(y, s, { nBoot: 0 })).toThrow(/nBoot must be a positive integer/);
    expect(() => rocBand(y, s, { gridSize: 1 })).toThrow(/gridSize must be at least 2/);
    expect(() => rocBand(y, s, { alpha: 1 })).toThrow(InvalidArgumentError);
    expect(() => rocBand(y, s, { seed: 0.5 })).toThrow(/seed must be a safe integer/);
  });
});

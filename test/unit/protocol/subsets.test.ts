import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { InvalidArgumentError, NonFiniteError, ShapeError } from '../../../src/errors/index.js';
import { Xoshiro128 } from '../../../src/random/xoshiro.js';
import { balancedCounts, proportionalCounts, sampleSubset } from '../../../src/protocol/subsets.js';

const countsOf = (labels: ArrayLike<number>, idx: Int32Array): Map<number, number> => {
  const m = new Map<number, number>();
  for (const i of idx) m.set(labels[i], (m.get(labels[i]) ?? 0) + 1);
  return m;
};

// RetinaMNIST's training class counts (../shared/data/README.md).
const retina = [486, 128, 206, 194, 66].flatMap((n, k) => Array<number>(n).fill(k));

describe('sampleSubset', () => {
  it('draws an equal share of every class when all classes have enough rows', () => {
    const { train, validation } = sampleSubset(retina, { size: 50, seed: 1 });
    expect(train.length).toBe(50);
    expect(validation.length).toBe(0);
    expect([...countsOf(retina, train).values()]).toEqual([10, 10, 10, 10, 10]);
  });

  it('redistributes the share of a class that runs out to the classes that still have rows', () => {
    const { train } = sampleSubset(retina, { size: 500, seed: 1 });
    // Class 4 gives all its 66; the other 434 split as 108/109 among four classes.
    const c = countsOf(retina, train);
    expect(c.get(4)).toBe(66);
    expect([c.get(0), c.get(1), c.get(2), c.get(3)].sort()).toEqual([108, 108, 109, 109]);
  });

  it('balancedCounts: sums to size, respects availability, and is as level as possible (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 40 }), { minLength: 1, maxLength: 8 }), fc.integer(), fc.nat(), (avail, seed, s) => {
        const total = avail.reduce((a, b) => a + b, 0);
        fc.pre(total > 0);
        const size = 1 + (s % total);
        const out = balancedCounts(avail, size, new Xoshiro128(seed));
        expect(out.reduce((a, b) => a + b, 0)).toBe(size);
        out.forEach((v, k) => expect(v).toBeLessThanOrEqual(avail[k]));
        // A class below its availability is never more than one short of any other class.
        out.forEach((v, k) => {
          if (v < avail[k]) out.forEach((w) => expect(w - v).toBeLessThanOrEqual(1));
        });
      }),
    );
  });

  it('proportionalCounts: keeps the class mix within one row per class (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 40 }), { minLength: 1, maxLength: 8 }), fc.integer(), fc.nat(), (avail, seed, s) => {
        const total = avail.reduce((a, b) => a + b, 0);
        fc.pre(total > 0);
        const size = 1 + (s % total);
        const out = proportionalCounts(avail, size, new Xoshiro128(seed));
        expect(out.reduce((a, b) => a + b, 0)).toBe(size);
        out.forEach((v, k) => {
          expect(v).toBeLessThanOrEqual(avail[k]);
          expect(Math.abs(v - (size * avail[k]) / total)).toBeLessThan(1);
        });
      }),
    );
  });

  it('balanced: false keeps the pool proportions', () => {
    const { train } = sampleSubset(retina, { size: 108, balanced: false, seed: 2 });
    // A tenth of each class: 48.6, 12.8, 20.6, 19.4, 6.6 -> the floors plus one for the three
    // largest remainders (12.8 first, then two of the three .6 ties, chosen by the seed).
    const got = [...countsOf(retina, train).entries()].sort((a, b) => a[0] - b[0]).map((e) => e[1]);
    expect(got.reduce((a, b) => a + b, 0)).toBe(108);
    expect(got[1]).toBe(13);
    expect(got[3]).toBe(19);
    [48.6, 12.8, 20.6, 19.4, 6.6].forEach((share, k) => expect(Math.abs(got[k] - share)).toBeLessThan(1));
  });

  it('is deterministic under a seed and changes with it', () => {
    const a = sampleSubset(retina, { size: 50, seed: 7, validationFraction: 0.2 });
    expect(sampleSubset(retina, { size: 50, seed: 7, validationFraction: 0.2 })).toEqual(a);
    expect(sampleSubset(retina, { size: 50, seed: 8, validationFraction: 0.2 }).train).not.toEqual(a.train);
  });

  it('returns sorted, distinct, disjoint indices whose union has `size` rows (property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 3 }), { minLength: 4, maxLength: 60 }),
        fc.nat(),
        fc.boolean(),
        fc.constantFrom(0, 0.25, 0.5),
        fc.integer(),
        (labels, s, balanced, validationFraction, seed) => {
          const size = 2 + (s % (labels.length - 1));
          const { train, validation } = sampleSubset(labels, { size, balanced, validationFraction, seed });
          const all = [...train, ...validation];
          expect(all.length).toBe(size);
          expect(new Set(all).size).toBe(size);
          for (const part of [train, validation]) expect([...part]).toEqual([...part].sort((x, y) => x - y));
          expect(all.every((i) => i >= 0 && i < labels.length)).toBe(true);
        },
      ),
    );
  });

  it('holds a stratified validation split out of the size', () => {
    const { train, validation } = sampleSubset(retina, { size: 50, seed: 3, validationFraction: 0.2 });
    expect(train.length + validation.length).toBe(50);
    expect([...countsOf(retina, validation).values()]).toEqual([2, 2, 2, 2, 2]);
  });

  it('never puts one group in both train and validation (property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: 0, max: 2 }), fc.integer({ min: 0, max: 9 })), { minLength: 4, maxLength: 60 }),
        fc.integer(),
        (rows, seed) => {
          const labels = rows.map((r) => r[0]);
          const groups = rows.map((r) => `patient-${r[1]}`);
          fc.pre(new Set(groups).size >= 2);
          const { train, validation } = sampleSubset(labels, { size: 'all', groups, validationFraction: 0.3, seed });
          const inTrain = new Set([...train].map((i) => groups[i]));
          expect([...validation].some((i) => inTrain.has(groups[i]))).toBe(false);
          expect(train.length).toBeGreaterThan(0);
          expect(validation.length).toBeGreaterThan(0);
        },
      ),
    );
  });

  it("size 'all' (or the pool size) takes every row; a larger size is an InvalidArgumentError", () => {
    const labels = [0, 1, 0, 1, 1];
    expect([...sampleSubset(labels, { size: 'all' }).train]).toEqual([0, 1, 2, 3, 4]);
    expect([...sampleSubset(labels, { size: 5, seed: 9 }).train]).toEqual([0, 1, 2, 3, 4]);
    expect(() => sampleSubset(labels, { size: 6 })).toThrow(InvalidArgumentError);
    expect(() => sampleSubset(labels, { size: 6 })).toThrow(/exceeds the 5 rows available.*'all'/);
  });

  it('rejects bad options with typed errors', () => {
    const labels = [0, 1, 0, 1];
    expect(() => sampleSubset(labels, { size: 0 })).toThrow(InvalidArgumentError);
    expect(() => sampleSubset(labels, { size: 2.5 })).toThrow(/positive integer or 'all'/);
    expect(() => sampleSubset(labels, { size: 2, validationFraction: 1 })).toThrow(/\[0, 1\)/);
    expect(() => sampleSubset(labels, { size: 2, seed: 0.5 })).toThrow(/safe integer/);
    expect(() => sampleSubset(labels, { size: 2, groups: ['a'] })).toThrow(ShapeError);
    expect(() => sampleSubset([0, Number.NaN], { size: 1 })).toThrow(NonFiniteError);
    expect(() => sampleSubset(labels, { size: 'all', groups: ['a', 'a', 'a', 'a'], validationFraction: 0.5 })).toThrow(/one group/);
  });
});

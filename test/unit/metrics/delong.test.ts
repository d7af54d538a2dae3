import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  InvalidArgumentError,
  NonFiniteError,
  ShapeError,
  UndefinedMetricError,
} from '../../../src/errors/index.js';
import { delongCi, delongTest } from '../../../src/metrics/delong.js';
import { placements } from '../../../src/metrics/midrank.js';
import { normalCdf, normalQuantile, normalTwoSidedPValue } from '../../../src/metrics/normal.js';

// Written by scripts/fixtures/delong_reference.py: an independent numpy DeLong (Sun & Xu),
// scikit-learn's roc_auc_score, scipy's norm and mpmath at 60 digits.
interface Case {
  name: string;
  yTrue: number[];
  posLabel: number;
  scoreA: number[];
  scoreB?: number[];
  sklearnAucA: number;
  sklearnAucB?: number;
  ci: {
    auc: number;
    variance: number;
    standardError: number;
    intervals: { alpha: number; lower: number; upper: number }[];
  };
  test?: {
    aucA: number;
    aucB: number;
    difference: number;
    variance: number;
    covariance: number[][];
    z: number;
    pValue: number;
  };
}
const fixture = JSON.parse(
  readFileSync(join(import.meta.dirname, '../../fixtures/delong-reference.json'), 'utf8'),
) as {
  cases: Case[];
  normal: { cdf: { x: number; cdf: number }[]; quantile: { p: number; quantile: number }[] };
};

/** |a - b| <= rel * |b| (+ a tiny absolute floor for values that are 0 up to rounding). */
function expectClose(actual: number, expected: number, rel = 1e-12, abs = 1e-300): void {
  const tol = Math.max(rel * Math.abs(expected), abs);
  if (!(Math.abs(actual - expected) <= tol)) {
    expect.fail(`expected ${actual} to be within ${tol} of ${expected}`);
  }
}

/** The definition: structural components from all m*n pairs (DeLong et al. 1988, eq. 4-5). */
function bruteForce(pos: number[], neg: number[], otherPos?: number[], otherNeg?: number[]) {
  const psi = (x: number, y: number) => (x > y ? 1 : x === y ? 0.5 : 0);
  const components = (p: number[], q: number[]) => ({
    v10: p.map((x) => q.reduce((s, y) => s + psi(x, y), 0) / q.length),
    v01: q.map((y) => p.reduce((s, x) => s + psi(x, y), 0) / p.length),
  });
  const mean = (v: number[]) => v.reduce((s, x) => s + x, 0) / v.length;
  const cov = (a: number[], b: number[]) => {
    const ma = mean(a);
    const mb = mean(b);
    return a.reduce((s, x, i) => s + (x - ma) * (b[i] - mb), 0) / (a.length - 1);
  };
  const a = components(pos, neg);
  const b = otherPos && otherNeg ? components(otherPos, otherNeg) : a;
  const m = pos.length;
  const n = neg.length;
  return {
    auc: mean(a.v10),
    variance: cov(a.v10, a.v10) / m + cov(a.v01, a.v01) / n,
    covariance: cov(a.v10, b.v10) / m + cov(a.v01, b.v01) / n,
    aucB: mean(b.v10),
    varianceB: cov(b.v10, b.v10) / m + cov(b.v01, b.v01) / n,
  };
}

/** Labels with both classes at least twice, and scores from a small set so ties are common. */
const labelledScores = fc
  .integer({ min: 4, max: 40 })
  .chain((len) =>
    fc.tuple(
      fc.array(fc.integer({ min: 0, max: 1 }), { minLength: len, maxLength: len }),
      fc.array(fc.integer({ min: 0, max: 6 }), { minLength: len, maxLength: len }),
      // Five-decimal reals: distinct values stay distinct under the transforms below.
      fc.array(fc.oneof(fc.integer({ min: -3, max: 3 }), fc.integer({ min: -1e6, max: 1e6 }).map((v) => v / 1e5)), {
        minLength: len,
        maxLength: len,
      }),
    ),
  )
  .filter(([y]) => y.filter((v) => v === 1).length >= 2 && y.filter((v) => v === 0).length >= 2);

function split(y: number[], s: number[]): [number[], number[]] {
  return [s.filter((_, i) => y[i] === 1), s.filter((_, i) => y[i] === 0)];
}

describe('delongCi and delongTest agree with the numpy fast DeLong and scikit-learn', () => {
  for (const c of fixture.cases) {
    it(`${c.name} (n = ${c.yTrue.length})`, () => {
      const opts = { posLabel: c.posLabel };
      for (const { alpha, lower, upper } of c.ci.intervals) {
        const ci = delongCi(c.yTrue, c.scoreA, { ...opts, alpha });
        expectClose(ci.auc, c.ci.auc);
        expectClose(ci.auc, c.sklearnAucA);
        expectClose(ci.variance, c.ci.variance);
        expectClose(ci.standardError, c.ci.standardError);
        expectClose(ci.lower, lower);
        expectClose(ci.upper, upper);
        expect(ci.alpha).toBe(alpha);
      }
      if (c.test && c.scoreB) {
        const t = delongTest(c.yTrue, c.scoreA, c.scoreB, opts);
        expectClose(t.aucA, c.sklearnAucA);
        expectClose(t.aucB, c.sklearnAucB as number);
        // The difference cancels: compare it on the scale of the AUCs it came from.
        expectClose(t.difference, c.test.difference, 0, 1e-12 * Math.abs(c.test.aucA));
        expectClose(t.variance, c.test.variance);
        for (const [i, j] of [[0, 0], [0, 1], [1, 0], [1, 1]] as const) {
          expectClose(t.covariance[i][j], c.test.covariance[i][j]);
        }
        expectClose(t.z, c.test.z);
        expectClose(t.pValue, c.test.pValue);
      }
    });
  }
});

describe('normal distribution helpers (vs mpmath at 60 digits)', () => {
  it('normalCdf has full relative accuracy, tails included', () => {
    for (const { x, cdf } of fixture.normal.cdf) expectClose(normalCdf(x), cdf, 1e-14, 1e-320);
    expect(normalCdf(Number.NEGATIVE_INFINITY)).toBe(0);
    expect(normalCdf(Number.POSITIVE_INFINITY)).toBe(1);
    expect(normalCdf(Number.NaN)).toBeNaN();
  });

  it('normalQuantile (AS 241) inverts it to ~1e-16', () => {
    for (const { p, quantile } of fixture.normal.quantile) expectClose(normalQuantile(p), quantile, 1e-14);
    expect(normalQuantile(0)).toBe(Number.NEGATIVE_INFINITY);
    expect(normalQuantile(1)).toBe(Number.POSITIVE_INFINITY);
    expect(normalQuantile(-0.1)).toBeNaN();
    expect(normalQuantile(Number.NaN)).toBeNaN();
  });

  it('the two-sided p-value keeps its digits far in the tail', () => {
    expect(normalTwoSidedPValue(0)).toBe(1);
    expectClose(normalTwoSidedPValue(-1.959963984540054), 0.05, 1e-14);
    // mpmath: 2 * ncdf(-12), 2 * ncdf(-30).
    expectClose(normalTwoSidedPValue(12), 3.552964224155358e-33, 1e-14);
    expectClose(normalTwoSidedPValue(-30), 9.813427854296374e-198, 1e-14);
    expect(normalTwoSidedPValue(Number.POSITIVE_INFINITY)).toBe(0);
  });
});

describe('placements', () => {
  it('count the other class below each sample, ties (-0 and 0 too) as 1/2, in sample order', () => {
    const isPos = Uint8Array.of(1, 0, 1, 0, 1, 0);
    const p = placements(isPos, 3, 3, Float64Array.of(3, 1, 3, 3, -0, 0));
    expect(Array.from(p.positive)).toEqual([2.5, 2.5, 0.5]);
    expect(Array.from(p.negative)).toEqual([1, 2, 0.5]);
    // Above the radix sort's size threshold too.
    const len = 5000;
    const big = placements(
      Uint8Array.from({ length: len }, (_, i) => i % 2),
      len / 2,
      len / 2,
      Float64Array.from({ length: len }, (_, i) => Math.floor(i / 4)),
    );
    // Each score holds 2 negatives and 2 positives: a tie group counts as 2 / 2 = 1.
    expect(big.positive[0]).toBe(1);
    expect(big.negative[big.n - 1]).toBe(len / 2 - 1);
    expect(big.positive.every((v, i) => v === 2 * Math.floor((2 * i + 1) / 4) + 1)).toBe(true);
  });
});

describe('delongCi properties', () => {
  it('equals the O(n^2) structural-components definition, ties included', () => {
    fc.assert(
      fc.property(labelledScores, ([y, ints, reals]) => {
        for (const s of [ints, reals]) {
          const [pos, neg] = split(y, s);
          const ref = bruteForce(pos, neg);
          const ci = delongCi(y, s);
          expectClose(ci.auc, ref.auc, 1e-12, 1e-15);
          expectClose(ci.variance, ref.variance, 1e-10, 1e-15);
        }
      }),
      { numRuns: 200 },
    );
  });

  it('is invariant to increasing transforms and sample order; the interval holds the AUC', () => {
    fc.assert(
      fc.property(labelledScores, fc.integer(), ([y, , s], shift) => {
        const ci = delongCi(y, s);
        const warped = delongCi(y, s.map((v) => Math.exp(v) + 3));
        expect(warped.auc).toBe(ci.auc);
        expectClose(warped.variance, ci.variance, 1e-12, 1e-15);
        const k = Math.abs(shift) % y.length;
        const rot = <T>(a: T[]) => [...a.slice(k), ...a.slice(0, k)];
        expect(delongCi(rot(y), rot(s)).auc).toBe(ci.auc);
        expect(ci.lower).toBeGreaterThanOrEqual(0);
        expect(ci.upper).toBeLessThanOrEqual(1);
        expect(ci.lower).toBeLessThanOrEqual(ci.auc);
        expect(ci.upper).toBeGreaterThanOrEqual(ci.auc);
        const wide = delongCi(y, s, { alpha: 0.01 });
        expect(wide.lower).toBeLessThanOrEqual(ci.lower);
        expect(wide.upper).toBeGreaterThanOrEqual(ci.upper);
      }),
      { numRuns: 100 },
    );
  });

  it('collapses to [1, 1] on perfect separation and clips at 1', () => {
    const ci = delongCi([0, 0, 1, 1], [0.1, 0.2, 0.8, 0.9]);
    expect(ci).toEqual({ auc: 1, variance: 0, standardError: 0, lower: 1, upper: 1, alpha: 0.05 });
    const near = delongCi([0, 0, 1, 1, 0, 1], [0.1, 0.2, 0.8, 0.9, 0.85, 0.3]);
    expect(near.upper).toBe(1);
    expect(near.auc + 1.959963984540054 * near.standardError).toBeGreaterThan(1);
  });

  it('reads posLabel and {-1, 1} labels', () => {
    const s = [0.1, 0.6, 0.4, 0.8, 0.3, 0.5];
    const ref = delongCi([0, 1, 0, 1, 0, 1], s);
    expect(delongCi([-1, 1, -1, 1, -1, 1], s)).toEqual(ref);
    expect(delongCi([3, 7, 3, 7, 3, 7], s, { posLabel: 7 })).toEqual(ref);
    // Without posLabel the greater label is positive, as rocAucScore.
    expect(delongCi([3, 7, 3, 7, 3, 7], s)).toEqual(ref);
    // With it, one class against all the others.
    expect(delongCi([3, 7, 5, 7, 4, 7], s, { posLabel: 7 })).toEqual(ref);
    expect(delongCi([3, 7, 3, 7, 3, 7], s, { posLabel: 3 }).auc).toBeCloseTo(1 - ref.auc, 15);
    expect(delongCi(new Int8Array([0, 1, 0, 1, 0, 1]), Float32Array.from(s)).auc).toBe(ref.auc);
  });

  it('follows onUndefined for one class and for a class of one sample', () => {
    expect(() => delongCi([1, 1, 1], [0.1, 0.2, 0.3])).toThrow(/only one class \(label 1\)/);
    expect(() => delongCi([0, 0], [0.1, 0.2], { posLabel: 1 })).toThrow(/no sample of the positive class/);
    expect(() => delongCi([], [])).toThrow(UndefinedMetricError);
    const nan = delongCi([1, 1, 1], [0.1, 0.2, 0.3], { onUndefined: 'nan' });
    expect(nan.auc).toBeNaN();
    expect(nan.upper).toBeNaN();
    expect(delongCi([0, 0, 0], [0.1, 0.2, 0.3], { onUndefined: 0.5 }).auc).toBe(0.5);
    expect(() => delongCi([0, 1, 0], [0.1, 0.2, 0.3])).toThrow(/at least 2 positive and 2 negative/);
    const one = delongCi([0, 1, 0], [0.1, 0.2, 0.3], { onUndefined: 'nan' });
    expect(one.auc).toBe(0.5);
    expect(one.variance).toBeNaN();
    expect(one.lower).toBeNaN();
  });

  it('rejects bad input with typed errors that say what to do', () => {
    expect(() => delongCi([0, 1, 2], [0.1, 0.2, 0.3])).toThrow(InvalidArgumentError);
    expect(() => delongCi([0, 1, 2], [0.1, 0.2, 0.3])).toThrow(/Pass \{ posLabel \}/);
    expect(() => delongCi([0, 1], [0.1, 0.2], { posLabel: Number.NaN })).toThrow(/posLabel must be/);
    expect(() => delongCi([0, 1], [0.1])).toThrow(ShapeError);
    expect(() => delongCi([0, 1], [0.1, Number.NaN])).toThrow(NonFiniteError);
    expect(() => delongCi([0, Number.NaN], [0.1, 0.2])).toThrow(NonFiniteError);
    for (const alpha of [0, 1, -0.1, Number.NaN]) {
      expect(() => delongCi([0, 1, 0, 1], [0.1, 0.2, 0.3, 0.4], { alpha })).toThrow(InvalidArgumentError);
    }
    expect(() => delongCi([0, 1], 'ab' as unknown as number[])).toThrow(InvalidArgumentError);
  });
});

describe('delongTest properties', () => {
  it('matches the brute-force covariance matrix, ties included', () => {
    fc.assert(
      fc.property(labelledScores, ([y, a, b]) => {
        const [pa, na] = split(y, a);
        const [pb, nb] = split(y, b);
        const ref = bruteForce(pa, na, pb, nb);
        const t = delongTest(y, a, b);
        expectClose(t.covariance[0][1], ref.covariance, 1e-10, 1e-15);
        expectClose(t.covariance[0][0], ref.variance, 1e-10, 1e-15);
        expectClose(t.covariance[1][1], ref.varianceB, 1e-10, 1e-15);
        const fromMatrix = t.covariance[0][0] + t.covariance[1][1] - 2 * t.covariance[0][1];
        expectClose(t.variance, fromMatrix, 1e-9, 1e-14);
        expectClose(t.difference, ref.auc - ref.aucB, 0, 1e-14);
      }),
      { numRuns: 200 },
    );
  });

  it('a model against itself differs by 0 with z = 0 and p = 1', () => {
    fc.assert(
      fc.property(labelledScores, ([y, , s]) => {
        for (const other of [s, s.map((v) => 2 * v + 1)]) {
          const t = delongTest(y, s, other);
          expect(t.difference).toBe(0);
          expect(t.variance).toBe(0);
          expect(t.z).toBe(0);
          expect(t.pValue).toBe(1);
        }
      }),
      { numRuns: 100 },
    );
  });

  it('p is in [0, 1] and swapping A and B negates z and keeps p', () => {
    fc.assert(
      fc.property(labelledScores, ([y, a, b]) => {
        const ab = delongTest(y, a, b);
        const ba = delongTest(y, b, a);
        expect(ab.pValue).toBeGreaterThanOrEqual(0);
        expect(ab.pValue).toBeLessThanOrEqual(1);
        // === rather than toBe: a zero difference may come back as -0 one way and 0 the other.
        expect(ba.difference === -ab.difference).toBe(true);
        expect(ba.variance).toBe(ab.variance);
        expect(ba.z === -ab.z).toBe(true);
        expect(ba.pValue).toBe(ab.pValue);
        expect(ba.covariance[0][1]).toBe(ab.covariance[1][0]);
      }),
      { numRuns: 200 },
    );
  });

  it('a nonzero difference with zero variance is infinitely significant', () => {
    const y = [0, 0, 1, 1];
    const t = delongTest(y, [0.1, 0.2, 0.8, 0.9], [0.5, 0.5, 0.5, 0.5]);
    expect(t.difference).toBe(0.5);
    expect(t.variance).toBe(0);
    expect(t.z).toBe(Number.POSITIVE_INFINITY);
    expect(t.pValue).toBe(0);
    expect(delongTest(y, [0.5, 0.5, 0.5, 0.5], [0.1, 0.2, 0.8, 0.9]).z).toBe(Number.NEGATIVE_INFINITY);
  });

  it('follows onUndefined and rejects bad input', () => {
    expect(() => delongTest([1, 1], [0.1, 0.2], [0.3, 0.4])).toThrow(UndefinedMetricError);
    const nan = delongTest([1, 1], [0.1, 0.2], [0.3, 0.4], { onUndefined: 'nan' });
    expect(nan.aucA).toBeNaN();
    expect(nan.pValue).toBeNaN();
    const one = delongTest([0, 1, 0], [0.1, 0.2, 0.3], [0.3, 0.2, 0.1], { onUndefined: 'nan' });
    expect(one.aucA).toBe(0.5);
    expect(one.aucB).toBe(0.5);
    expect(one.z).toBeNaN();
    expect(() => delongTest([0, 1, 0, 1], [0.1, 0.2, 0.3, 0.4], [0.1, 0.2, 0.3])).toThrow(ShapeError);
    expect(() => delongTest([0, 1, 0, 1], [0.1, 0.2, 0.3, 0.4], [0.1, 0.2, Infinity, 0.3])).toThrow(NonFiniteError);
    expect(() => delongTest([5, 6, 7, 6], [0.1, 0.2, 0.3, 0.4], [0.1, 0.2, 0.3, 0.4])).toThrow(InvalidArgumentError);
    expect(delongTest([5, 6, 5, 6], [0.1, 0.3, 0.2, 0.4], [0.4, 0.2, 0.3, 0.1], { posLabel: 6 }).aucA).toBe(1);
  });
});

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { InvalidArgumentError, ShapeError, NonFiniteError } from '../../../src/errors/index.js';
import { cohenKappaScore } from '../../../src/metrics/index.js';
import { applyOrdinalThresholds, expectedGrade, fitOrdinalThresholds } from '../../../src/index.js';

const qwk = (y: ArrayLike<number>, p: ArrayLike<number>, K: number): number =>
  cohenKappaScore(y, p, { weights: 'quadratic', labels: Array.from({ length: K }, (_, k) => k), onUndefined: 'nan' });

describe('ordinal thresholds', () => {
  it('expectedGrade is sum_k k * p_k', () => {
    expect(Array.from(expectedGrade([[0.1, 0.6, 0.3], [1, 0, 0], [0, 0, 1]]))).toEqual([1.2, 0, 2]);
  });

  it('applyOrdinalThresholds counts the cut points at or below each value', () => {
    expect(Array.from(applyOrdinalThresholds([0.2, 0.5, 0.9, 1.5, 2.5], [0.5, 1.5]))).toEqual([0, 1, 1, 2, 2]);
  });

  it('recovers the grades of a model that compresses them towards the middle (constructed case)', () => {
    // E[g] = 1 + 0.4 * (g - 1.5) + small noise: rounding at 0.5, 1.5, 2.5 confuses the extremes.
    const grades = Array.from({ length: 80 }, (_, i) => i % 4);
    const e = grades.map((g, i) => 1.5 + 0.4 * (g - 1.5) + 0.05 * Math.sin(i * 7.3));
    const fit = fitOrdinalThresholds(e, grades, 4);
    const before = qwk(grades, applyOrdinalThresholds(e, [0.5, 1.5, 2.5]), 4);
    expect(fit.initialQuadraticKappa).toBeCloseTo(before, 12);
    expect(fit.quadraticKappa).toBe(1);
    expect(before).toBeLessThan(0.8);
    expect(Array.from(applyOrdinalThresholds(e, fit.thresholds))).toEqual(grades);
  });

  it('its reported kappa is the kappa of its thresholds, never below the start, with sorted cut points (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 2, max: 5 }).chain((K) =>
          fc.tuple(
            fc.constant(K),
            fc.array(fc.tuple(fc.double({ min: -1, max: K, noNaN: true }), fc.integer({ min: 0, max: K - 1 })), {
              minLength: 1,
              maxLength: 60,
            }),
          ),
        ),
        ([K, rows]) => {
          const e = rows.map((r) => r[0]);
          const g = rows.map((r) => r[1]);
          const fit = fitOrdinalThresholds(e, g, K);
          expect(fit.thresholds).toHaveLength(K - 1);
          for (let j = 1; j < K - 1; j++) expect(fit.thresholds[j]).toBeGreaterThanOrEqual(fit.thresholds[j - 1]);
          const got = qwk(g, applyOrdinalThresholds(e, fit.thresholds), K);
          if (Number.isNaN(fit.quadraticKappa)) expect(got).toBeNaN();
          else {
            expect(got).toBeCloseTo(fit.quadraticKappa, 10);
            if (!Number.isNaN(fit.initialQuadraticKappa)) {
              expect(fit.quadraticKappa).toBeGreaterThanOrEqual(fit.initialQuadraticKappa - 1e-12);
            }
          }
        },
      ),
      { numRuns: 200 },
    );
  });

  it('is deterministic and independent of row order', () => {
    const e = [0.3, 2.2, 1.1, 0.9, 3.4, 2.8, 1.7, 0.1, 3.9, 2.4];
    const g = [0, 2, 1, 1, 3, 3, 2, 0, 3, 2];
    const a = fitOrdinalThresholds(e, g, 4);
    const order = [9, 3, 0, 7, 1, 5, 2, 8, 4, 6];
    const b = fitOrdinalThresholds(order.map((i) => e[i]), order.map((i) => g[i]), 4);
    expect(b).toEqual(a);
  });

  it('throws typed errors on bad input', () => {
    expect(() => fitOrdinalThresholds([0.1], [0, 1], 2)).toThrow(ShapeError);
    expect(() => fitOrdinalThresholds([], [], 2)).toThrow(ShapeError);
    expect(() => fitOrdinalThresholds([0.1], [2], 2)).toThrow(InvalidArgumentError);
    expect(() => fitOrdinalThresholds([0.1], [0], 1)).toThrow(InvalidArgumentError);
    expect(() => fitOrdinalThresholds([Number.NaN], [0], 2)).toThrow(NonFiniteError);
  });
});

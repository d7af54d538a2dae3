import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  cohenKappaScore,
  confusionMatrix,
  InvalidArgumentError,
  ShapeError,
  UndefinedMetricError,
} from '../../../src/metrics/index.js';

const weightings = [undefined, 'linear', 'quadratic'] as const;

/** Two raters over labels 0..k-1, agreeing often, with non-negative weights. */
const ratings = fc.integer({ min: 2, max: 6 }).chain((k) =>
  fc
    .array(fc.tuple(fc.integer({ min: 0, max: k - 1 }), fc.integer({ min: 0, max: k - 1 }), fc.boolean(), fc.integer({ min: 0, max: 4 })), {
      minLength: 1,
      maxLength: 80,
    })
    .map((rows) => ({
      y1: rows.map((r) => r[0]),
      y2: rows.map((r) => (r[2] ? r[0] : r[1])),
      w: rows.map((r) => r[3] / 2),
    })),
);

/** kappa, or NaN where it is undefined. */
const kappa = (y1: number[], y2: number[], o: Parameters<typeof cohenKappaScore>[2] = {}): number =>
  cohenKappaScore(y1, y2, { ...o, onUndefined: 'nan' });

describe('cohenKappaScore properties', () => {
  it('lies in [-1, 1] and is symmetric in (y1, y2), for every weighting, with and without weights', () => {
    fc.assert(
      fc.property(ratings, ({ y1, y2, w }) => {
        for (const weights of weightings) {
          for (const sampleWeight of [undefined, w]) {
            const k = kappa(y1, y2, { weights, sampleWeight });
            if (Number.isNaN(k)) continue;
            expect(k).toBeGreaterThanOrEqual(-1 - 1e-12);
            expect(k).toBeLessThanOrEqual(1 + 1e-12);
            expect(Math.abs(kappa(y2, y1, { weights, sampleWeight }) - k)).toBeLessThanOrEqual(1e-12);
          }
        }
      }),
    );
  });

  it('is 1 on perfect agreement whenever it is defined (two or more labels used)', () => {
    fc.assert(
      fc.property(ratings, ({ y1 }) => {
        for (const weights of weightings) {
          const k = kappa(y1, y1, { weights });
          if (new Set(y1).size >= 2) expect(k).toBe(1);
          else expect(k).toBeNaN();
        }
      }),
    );
  });

  it('depends on labels only through their order (weights follow the label index)', () => {
    fc.assert(
      fc.property(ratings, fc.integer({ min: -1000, max: 1000 }), ({ y1, y2 }, offset) => {
        // A strictly increasing relabelling, sparse enough to leave the lookup-table path.
        const f = (v: number): number => offset + v * v * 3_000_000 + v;
        for (const weights of weightings) {
          const a = kappa(y1, y2, { weights });
          const b = kappa(y1.map(f), y2.map(f), { weights });
          if (Number.isNaN(a)) expect(b).toBeNaN();
          else expect(Math.abs(a - b)).toBeLessThanOrEqual(1e-12);
        }
      }),
    );
  });

  it('equals the textbook formula (po - pe) / (1 - pe) when unweighted', () => {
    fc.assert(
      fc.property(ratings, ({ y1, y2 }) => {
        const cm = confusionMatrix(y1, y2);
        const n = y1.length;
        const k = cm.length;
        let po = 0;
        let pe = 0;
        for (let i = 0; i < k; i++) {
          po += cm[i][i] / n;
          pe += (cm[i].reduce((a, b) => a + b, 0) / n) * (cm.reduce((a, row) => a + row[i], 0) / n);
        }
        const expected = (po - pe) / (1 - pe);
        const actual = kappa(y1, y2);
        if (pe === 1) expect(actual).toBeNaN();
        else expect(Math.abs(actual - expected)).toBeLessThanOrEqual(1e-12);
      }),
    );
  });

  it('accepts typed arrays and matches documented values', () => {
    expect(cohenKappaScore(Int32Array.of(0, 1, 2, 2, 1), Uint8Array.of(0, 1, 2, 1, 1))).toBe(0.6875);
    expect(cohenKappaScore([0, 1, 2, 2, 1], [0, 1, 2, 1, 1], { weights: 'quadratic' })).toBe(0.8);
    expect(cohenKappaScore([0, 1, 2, 2, 1], [0, 1, 2, 1, 1], { weights: null })).toBe(0.6875);
  });
});

describe('cohenKappaScore undefined cases and errors', () => {
  it('names the cause of an undefined kappa, or returns onUndefined', () => {
    expect(() => cohenKappaScore([1, 1, 1], [1, 1, 1])).toThrow(UndefinedMetricError);
    expect(() => cohenKappaScore([1, 1, 1], [1, 1, 1])).toThrow(/every sample on label 1/);
    expect(() => cohenKappaScore([], [])).toThrow(/there are no samples/);
    expect(() => cohenKappaScore([0, 1], [0, 1], { sampleWeight: [0, 0] })).toThrow(/weights .* sum to 0/);
    expect(() => cohenKappaScore([0, 1, 5], [1, 0, 5], { labels: [5, 6] })).toThrow(/every sample on label 5/);
    expect(cohenKappaScore([1, 1, 1], [1, 1, 1], { onUndefined: 'nan' })).toBeNaN();
    expect(cohenKappaScore([], [], { onUndefined: 0 })).toBe(0);
  });

  it('rejects bad inputs with typed, helpful errors', () => {
    expect(() => cohenKappaScore([0, 1, 1], [0, 1])).toThrow(ShapeError);
    expect(() => cohenKappaScore([0, 1], [0, 1], { weights: 'cubic' as never })).toThrow(
      /weights must be one of null, 'linear', 'quadratic'; received "cubic"/,
    );
    expect(() => cohenKappaScore([0, 1], [0.5, 1])).toThrow(/y2 must hold integer class labels; element 0 is 0.5/);
    expect(() => cohenKappaScore([0, Number.NaN], [0, 1])).toThrow(/y1 must hold finite class labels/);
    expect(() => cohenKappaScore([0, 1], [0, 1], { labels: [5, 6] })).toThrow(InvalidArgumentError);
    expect(() => cohenKappaScore([0, 1], [0, 1], { labels: [5, 6] })).toThrow(/None of labels \{5, 6\} occurs in y1/);
    expect(() => cohenKappaScore([0, 1], [0, 1], { labels: [0, 1, 0] })).toThrow(/appears twice/);
    expect(() => cohenKappaScore([0, 1], [0, 1], { sampleWeight: [1, -1] })).toThrow(/non-negative/);
    expect(() => cohenKappaScore([[0, 1]] as never, [[0, 1]] as never)).toThrow(/1-D class labels/);
  });
});

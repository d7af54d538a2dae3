import fc from 'fast-check';
import { describe, expect, expectTypeOf, it } from 'vitest';
import {
  InvalidArgumentError,
  NonFiniteError,
  rocAucScore,
  rocCurve,
  ShapeError,
  UndefinedMetricError,
} from '../../../src/metrics/index.js';

/** O(n^2) reference: P(score of a positive > score of a negative), ties counting 1/2. */
function pairwiseAuc(y: ArrayLike<number>, s: ArrayLike<number>, w?: ArrayLike<number>): number {
  let num = 0;
  let den = 0;
  for (let i = 0; i < y.length; i++) {
    if (y[i] !== 1) continue;
    for (let j = 0; j < y.length; j++) {
      if (y[j] === 1) continue;
      const pair = (w ? w[i] : 1) * (w ? w[j] : 1);
      num += pair * (s[i] > s[j] ? 1 : s[i] === s[j] ? 0.5 : 0);
      den += pair;
    }
  }
  return num / den;
}

/** Binary labels with both classes present, and integer scores (many ties, exact transforms). */
const binaryProblem = fc
  .array(fc.tuple(fc.constantFrom(0, 1), fc.integer({ min: -20, max: 20 }), fc.integer({ min: 0, max: 5 })), {
    minLength: 2,
    maxLength: 120,
  })
  .filter((rows) => rows.some((r) => r[0] === 1) && rows.some((r) => r[0] === 0))
  .map((rows) => ({
    y: rows.map((r) => r[0]),
    s: rows.map((r) => r[1]),
    w: rows.map((r) => r[2] + 0.5),
  }));

/** Probability rows (softmax of small integer logits: ties included) and labels covering all k classes. */
const multiclassProblem = fc.integer({ min: 3, max: 5 }).chain((k) =>
  fc
    .array(fc.tuple(fc.integer({ min: 0, max: k - 1 }), fc.array(fc.integer({ min: -3, max: 3 }), { minLength: k, maxLength: k })), {
      minLength: k,
      maxLength: 60,
    })
    .map((rows) => rows.map(([label, logits], i) => [i < k ? i : label, logits] as const))
    .map((rows) => ({
      y: rows.map((r) => r[0]),
      p: rows.map(([, z]) => {
        const e = z.map((v) => Math.exp(v));
        const sum = e.reduce((a, b) => a + b, 0);
        return e.map((v) => v / sum);
      }),
    })),
);

const close = (a: number, b: number): void => expect(Math.abs(a - b)).toBeLessThanOrEqual(1e-12);

describe('rocAucScore properties', () => {
  it('equals the O(n^2) pairwise count with ties counted 1/2, unweighted and weighted', () => {
    fc.assert(
      fc.property(binaryProblem, ({ y, s, w }) => {
        close(rocAucScore(y, s), pairwiseAuc(y, s));
        close(rocAucScore(y, s, { sampleWeight: w }), pairwiseAuc(y, s, w));
      }),
    );
  });

  it('lies in [0, 1] and satisfies auc(y, -s) = 1 - auc(y, s)', () => {
    fc.assert(
      fc.property(binaryProblem, ({ y, s, w }) => {
        const auc = rocAucScore(y, s);
        expect(auc).toBeGreaterThanOrEqual(0);
        expect(auc).toBeLessThanOrEqual(1);
        close(rocAucScore(y, s.map((v) => -v)), 1 - auc);
        close(rocAucScore(y, s.map((v) => -v), { sampleWeight: w }), 1 - rocAucScore(y, s, { sampleWeight: w }));
      }),
    );
  });

  it('is invariant under strictly increasing transforms of the scores', () => {
    fc.assert(
      fc.property(binaryProblem, ({ y, s, w }) => {
        const auc = rocAucScore(y, s, { sampleWeight: w });
        expect(rocAucScore(y, s.map((v) => 3 * v + 1), { sampleWeight: w })).toBe(auc);
        expect(rocAucScore(y, s.map(Math.exp), { sampleWeight: w })).toBe(auc);
        expect(rocAucScore(y, Float32Array.from(s, (v) => 1 / (1 + Math.exp(-v / 4))), { sampleWeight: w })).toBe(auc);
      }),
    );
  });

  it('equals the pairwise count above the radix-sort threshold too', () => {
    let seed = 3;
    const rnd = (): number => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32);
    const n = 3000;
    const y = Array.from({ length: n }, () => (rnd() < 0.3 ? 1 : 0));
    const s = y.map((v) => Math.round((rnd() - 0.5 + 0.3 * v) * 200) / 10); // negatives, ties
    const w = y.map(() => rnd());
    close(rocAucScore(y, s), pairwiseAuc(y, s));
    close(rocAucScore(y, s, { sampleWeight: w }), pairwiseAuc(y, s, w));
  });

  it('takes labels in any two values (the greater is positive) and typed arrays', () => {
    fc.assert(
      fc.property(binaryProblem, fc.integer({ min: -5, max: 5 }), fc.integer({ min: 1, max: 4 }), ({ y, s }, lo, gap) => {
        const relabelled = Int32Array.from(y, (v) => (v === 1 ? lo + gap : lo));
        expect(rocAucScore(relabelled, Float64Array.from(s))).toBe(rocAucScore(y, s));
      }),
    );
  });

  it('reads two-column probability rows through column 1', () => {
    const p = [0.1, 0.4, 0.35, 0.8];
    expect(rocAucScore([0, 0, 1, 1], p.map((v) => [1 - v, v]))).toBe(0.75);
    expect(rocAucScore([0, 0, 1, 1], p.map((v) => [1 - v, v]), { labels: [0, 1] })).toBe(0.75);
  });

  it('maxFpr = 1 is the full AUC; partial AUCs stay in [0, 1]', () => {
    fc.assert(
      fc.property(binaryProblem, fc.double({ min: 0.01, max: 1, noNaN: true }), ({ y, s, w }, maxFpr) => {
        expect(rocAucScore(y, s, { maxFpr: 1 })).toBe(rocAucScore(y, s));
        const partial = rocAucScore(y, s, { maxFpr, sampleWeight: w });
        expect(partial).toBeGreaterThanOrEqual(0);
        expect(partial).toBeLessThanOrEqual(1 + 1e-12);
      }),
    );
  });

  it('perfect ranking gives partial AUC 1 and a reversed one the McClish minimum', () => {
    expect(rocAucScore([0, 0, 1, 1], [1, 2, 3, 4], { maxFpr: 0.5 })).toBe(1);
    const p = 0.5;
    const min = 0.5 * (1 - (0.5 * p * p) / (p - 0.5 * p * p));
    close(rocAucScore([0, 0, 1, 1], [4, 3, 2, 1], { maxFpr: p }), min);
  });

  it('multiclass one-vs-rest and one-vs-one scores lie in [0, 1]', () => {
    fc.assert(
      fc.property(multiclassProblem, ({ y, p }) => {
        for (const multiClass of ['ovr', 'ovo'] as const) {
          for (const average of ['macro', 'weighted'] as const) {
            const auc = rocAucScore(y, p, { multiClass, average });
            expect(auc).toBeGreaterThanOrEqual(0);
            expect(auc).toBeLessThanOrEqual(1);
          }
        }
        const perClass = rocAucScore(y, p, { multiClass: 'ovr', average: null });
        expect(perClass.length).toBe(p[0].length);
        for (const v of perClass) expect(v >= 0 && v <= 1).toBe(true);
        const micro = rocAucScore(y, p, { multiClass: 'ovr', average: 'micro' });
        expect(micro >= 0 && micro <= 1).toBe(true);
      }),
      { numRuns: 60 },
    );
  });

  it('one-vs-one macro is Hand & Till: the mean of pairwise binary AUCs', () => {
    const y = [0, 1, 2, 0, 1, 2, 1];
    const p = [
      [0.6, 0.3, 0.1],
      [0.2, 0.5, 0.3],
      [0.2, 0.2, 0.6],
      [0.3, 0.4, 0.3],
      [0.5, 0.25, 0.25],
      [0.1, 0.6, 0.3],
      [0.3, 0.3, 0.4],
    ];
    let sum = 0;
    for (const [a, b] of [[0, 1], [0, 2], [1, 2]]) {
      const idx = y.map((_, i) => i).filter((i) => y[i] === a || y[i] === b);
      const aucA = pairwiseAuc(idx.map((i) => (y[i] === a ? 1 : 0)), idx.map((i) => p[i][a]));
      const aucB = pairwiseAuc(idx.map((i) => (y[i] === b ? 1 : 0)), idx.map((i) => p[i][b]));
      sum += (aucA + aucB) / 2;
    }
    close(rocAucScore(y, p, { multiClass: 'ovo' }), sum / 3);
  });

  it('multilabel macro is the mean of per-label binary AUCs', () => {
    const yTrue = [[1, 0, 1], [0, 1, 1], [1, 1, 0], [0, 0, 1], [1, 0, 0]];
    const yScore = [[0.9, 0.1, 0.5], [0.2, 0.8, 0.5], [0.6, 0.7, 0.1], [0.3, 0.3, 0.9], [0.5, 0.4, 0.2]];
    const perLabel = rocAucScore(yTrue, yScore, { average: null });
    for (let c = 0; c < 3; c++) {
      close(perLabel[c], pairwiseAuc(yTrue.map((r) => r[c]), yScore.map((r) => r[c])));
    }
    close(rocAucScore(yTrue, yScore), (perLabel[0] + perLabel[1] + perLabel[2]) / 3);
  });

  it('types: average null gives a Float64Array, any other average a number', () => {
    expectTypeOf(rocAucScore([0, 1], [0.2, 0.7])).toEqualTypeOf<number>();
    expectTypeOf(rocAucScore([0, 1], [0.2, 0.7], { average: 'micro' })).toEqualTypeOf<number>();
    expectTypeOf(rocAucScore([0, 1], [0.2, 0.7], { average: null })).toEqualTypeOf<Float64Array>();
    expect(rocAucScore([0, 1], [0.2, 0.7], { average: null })).toEqual(Float64Array.of(1));
    // @ts-expect-error multiClass takes 'raise' | 'ovr' | 'ovo'
    expect(() => rocAucScore([0, 1], [0.2, 0.7], { multiClass: 'ova' })).toThrow(InvalidArgumentError);
  });
});

describe('rocAucScore undefined cases and errors', () => {
  it('throws UndefinedMetricError naming the missing class, or returns onUndefined', () => {
    expect(() => rocAucScore([1, 1, 1], [0.1, 0.5, 0.9])).toThrow(/only one class \(label 1\)/);
    expect(() => rocAucScore([1, 1, 1], [0.1, 0.5, 0.9])).toThrow(UndefinedMetricError);
    expect(() => rocAucScore([1, 1], [0.1, 0.5], { labels: [0, 1] })).toThrow(/negative class \(label 0\)/);
    expect(() => rocAucScore([0, 1], [0.1, 0.5], { sampleWeight: [1, 0] })).toThrow(
      /no sample with non-zero weight of the positive class \(label 1\)/,
    );
    expect(() => rocAucScore([], [])).toThrow(/yTrue is empty/);
    expect(rocAucScore([1, 1, 1], [0.1, 0.5, 0.9], { onUndefined: 'nan' })).toBeNaN();
    expect(rocAucScore([1, 1, 1], [0.1, 0.5, 0.9], { onUndefined: 0.5 })).toBe(0.5);
    expect(rocAucScore([1, 1, 1], [0.1, 0.5, 0.9], { onUndefined: 0.5, maxFpr: 0.2 })).toBe(0.5);
    expect(() => rocAucScore([1, 1], [0.1, 0.5], { onUndefined: 'zero' as never })).toThrow(InvalidArgumentError);
  });

  it('multilabel: an undefined label column is named; onUndefined stands in before averaging', () => {
    const yTrue = [[1, 0], [1, 1], [1, 0]];
    const yScore = [[0.1, 0.2], [0.5, 0.6], [0.9, 0.1]];
    expect(() => rocAucScore(yTrue, yScore)).toThrow(/label column 0 of yTrue: there is no negative sample/);
    expect(rocAucScore(yTrue, yScore, { average: null, onUndefined: 'nan' })[0]).toBeNaN();
    expect(rocAucScore(yTrue, yScore, { onUndefined: 0 })).toBe((0 + 1) / 2);
    expect(rocAucScore(yTrue, yScore, { average: 'weighted', onUndefined: 'nan' })).toBeNaN();
    expect(() => rocAucScore([[1, 0], [1, 1], [0, 1]], yScore, { average: 'samples' })).toThrow(/sample 1 \(row 1 of yTrue\)/);
  });

  it('one-vs-rest with a class absent from yTrue names the class', () => {
    const p = [[0.2, 0.3, 0.5], [0.6, 0.3, 0.1], [0.1, 0.8, 0.1], [0.3, 0.3, 0.4]];
    expect(() => rocAucScore([0, 1, 1, 0], p, { multiClass: 'ovr', labels: [0, 1, 2] })).toThrow(
      /class 2 \(column 2\) against the rest: there is no positive sample/,
    );
    // weighted: the absent class has weight 0, so its NaN is left out as in scikit-learn
    const perClass = rocAucScore([0, 1, 1, 0], p, { multiClass: 'ovr', labels: [0, 1, 2], average: null, onUndefined: 'nan' });
    expect(perClass[2]).toBeNaN();
    close(
      rocAucScore([0, 1, 1, 0], p, { multiClass: 'ovr', labels: [0, 1, 2], average: 'weighted', onUndefined: 'nan' }),
      (perClass[0] + perClass[1]) / 2,
    );
    expect(() => rocAucScore([0, 0, 0, 0], p, { multiClass: 'ovo', labels: [0, 1, 2] })).toThrow(/only class 0/);
    expect(rocAucScore([0, 0, 0, 0], p, { multiClass: 'ovo', labels: [0, 1, 2], onUndefined: 'nan' })).toBeNaN();
  });

  it('rejects non-finite scores, mismatched shapes and labels outside labels', () => {
    expect(() => rocAucScore([0, 1], [0.1, Number.NaN])).toThrow(NonFiniteError);
    expect(() => rocAucScore([0, 1], [0.1, Infinity])).toThrow(/element 1 is Infinity/);
    expect(() => rocAucScore([0, 1, 2], [[1, 0, 0], [0, 1, 0], [0, 0, Number.NaN]], { multiClass: 'ovr' })).toThrow(
      /yScore\[2\]\[2\] is NaN/,
    );
    expect(() => rocAucScore([0, 1, 0], [0.1, 0.2])).toThrow(ShapeError);
    expect(() => rocAucScore([0, 1, 0], [0.1, 0.2])).toThrow(/received 3 and 2/);
    expect(() => rocAucScore([[0, 1], [1, 0]], [0.1, 0.2])).toThrow(ShapeError);
    expect(() => rocAucScore([0, 1, 2], [0.1, 0.2, 0.3], { multiClass: 'ovr' })).toThrow(ShapeError);
    expect(() => rocAucScore([0, 1, 5], [[1, 0, 0], [0, 1, 0], [0, 0, 1]], { multiClass: 'ovr', labels: [0, 1, 2] })).toThrow(
      /label 5, which is not in labels \{0, 1, 2\}/,
    );
    expect(() => rocAucScore([0, 1, 5], [0.1, 0.2, 0.3], { labels: [0, 1] })).toThrow(InvalidArgumentError);
    expect(() => rocAucScore([0, 1, 1], [0.1, 0.2, 0.3], { labels: [0, 1, 2] })).toThrow(/pass \[negative, positive\]/);
    expect(() => rocAucScore([0, 0.5, 1], [0.1, 0.2, 0.3])).toThrow(/integer class labels/);
    expect(() => rocAucScore([[0, 2], [1, 0]], [[0.1, 0.2], [0.3, 0.4]])).toThrow(/0\/1 indicators/);
    expect(() => rocAucScore([0, 1], [[], []])).toThrow(ShapeError);
    expect(() => rocAucScore([[], []], [[], []])).toThrow(ShapeError);
  });

  it('explains the multiclass choice when multiClass is left at raise', () => {
    const p = [[0.2, 0.3, 0.5], [0.6, 0.3, 0.1], [0.1, 0.8, 0.1]];
    expect(() => rocAucScore([2, 0, 1], p)).toThrow(/multiClass: 'ovr'.*or 'ovo'/);
    expect(() => rocAucScore([2, 0, 1], p.map((r) => r.map((v) => v * 2)), { multiClass: 'ovr' })).toThrow(/row 0 sums to 2/);
  });
});

describe('rocCurve properties', () => {
  it('is monotone, starts at (0, 0), ends at (1, 1), with decreasing thresholds', () => {
    fc.assert(
      fc.property(binaryProblem, fc.boolean(), fc.boolean(), ({ y, s, w }, weighted, dropIntermediate) => {
        const { fpr, tpr, thresholds } = rocCurve(y, s, { dropIntermediate, sampleWeight: weighted ? w : undefined });
        const last = fpr.length - 1;
        expect([fpr[0], tpr[0], fpr[last], tpr[last]]).toEqual([0, 0, 1, 1]);
        expect(thresholds[0]).toBe(Infinity);
        for (let i = 1; i <= last; i++) {
          expect(fpr[i]).toBeGreaterThanOrEqual(fpr[i - 1]);
          expect(tpr[i]).toBeGreaterThanOrEqual(tpr[i - 1]);
          expect(thresholds[i]).toBeLessThan(thresholds[i - 1]);
        }
      }),
    );
  });

  it('dropping intermediate points keeps the area, which equals rocAucScore', () => {
    const trapezoid = ({ fpr, tpr }: { fpr: Float64Array; tpr: Float64Array }): number => {
      let a = 0;
      for (let i = 1; i < fpr.length; i++) a += ((fpr[i] - fpr[i - 1]) * (tpr[i] + tpr[i - 1])) / 2;
      return a;
    };
    fc.assert(
      fc.property(binaryProblem, ({ y, s }) => {
        const full = rocCurve(y, s, { dropIntermediate: false });
        const light = rocCurve(y, s);
        expect(light.fpr.length).toBeLessThanOrEqual(full.fpr.length);
        close(trapezoid(light), trapezoid(full));
        close(trapezoid(full), rocAucScore(y, s));
      }),
    );
  });

  it('posLabel picks the positive class; undefined rates follow onUndefined', () => {
    expect(Array.from(rocCurve([1, 1, 2, 2], [0.1, 0.4, 0.35, 0.8], { posLabel: 2 }).tpr)).toEqual([0, 0.5, 0.5, 1, 1]);
    expect(() => rocCurve([1, 2, 1], [0.1, 0.2, 0.3])).toThrow(/Pass posLabel explicitly/);
    expect(() => rocCurve([0, 1, 2], [0.1, 0.2, 0.3])).toThrow(/holds 3 classes/);
    expect(() => rocCurve([1, 1, 1], [0.1, 0.2, 0.3])).toThrow(UndefinedMetricError);
    expect(() => rocCurve([1, 1, 1], [0.1, 0.2, 0.3])).toThrow(/no negative sample/);
    const nan = rocCurve([1, 1, 1], [0.1, 0.2, 0.3], { onUndefined: 'nan' });
    expect(Array.from(nan.fpr).every(Number.isNaN)).toBe(true);
    expect(Array.from(nan.tpr)).toEqual([0, 1 / 3, 2 / 3, 1].filter((_, i) => i !== 2)); // (1/3, 2/3) collinear: dropped
    expect(Array.from(rocCurve([0, 0], [0.1, 0.2], { onUndefined: -1 }).tpr)).toEqual([-1, -1, -1]);
    expect(() => rocCurve([0, 1], [[0.1], [0.2]] as never)).toThrow(ShapeError);
  });
});

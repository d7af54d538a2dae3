import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  accuracyScore,
  confusionMatrix,
  InvalidArgumentError,
  ShapeError,
  UndefinedMetricError,
} from '../../../src/metrics/index.js';

describe('accuracyScore', () => {
  it('is the trace of the confusion matrix over n, and the count with normalize: false', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: 0, max: 3 }), fc.integer({ min: 0, max: 3 })), { minLength: 1, maxLength: 60 }),
        (rows) => {
          const y = rows.map((r) => r[0]);
          const p = rows.map((r) => r[1]);
          const cm = confusionMatrix(y, p);
          const trace = cm.reduce((a, row, i) => a + row[i], 0);
          expect(accuracyScore(y, p)).toBe(trace / y.length);
          expect(accuracyScore(y, p, { normalize: false })).toBe(trace);
          expect(accuracyScore(y, p, { sampleWeight: y.map(() => 2) })).toBe(trace / y.length);
        },
      ),
    );
  });

  it('computes subset accuracy on indicator rows; rows one wide are labels', () => {
    expect(accuracyScore([[0, 1], [1, 1]], [[1, 1], [1, 1]])).toBe(0.5);
    expect(accuracyScore([[0, 1, 1], [1, 0, 1]], [[0, 1, 1], [1, 0, 0]], { normalize: false })).toBe(1);
    expect(accuracyScore([[3], [2]], [3, 1])).toBe(0.5);
    expect(accuracyScore([0, 1, 2, 3], [0, 2, 1, 3], { sampleWeight: [1, 0, 0, 3] })).toBe(1);
  });

  it('is undefined (typed error or onUndefined) with nothing to divide by', () => {
    expect(() => accuracyScore([], [])).toThrow(UndefinedMetricError);
    expect(() => accuracyScore([0, 1], [0, 1], { sampleWeight: [0, 0] })).toThrow(/sample weights sum to 0/);
    expect(accuracyScore([], [], { onUndefined: 'nan' })).toBeNaN();
    expect(accuracyScore([], [], { normalize: false })).toBe(0);
  });

  it('rejects bad inputs with typed, helpful errors', () => {
    expect(() => accuracyScore([0, 1, 1], [0, 1])).toThrow(ShapeError);
    expect(() => accuracyScore([0, 1, 1], [0.2, 0.9, 0.7])).toThrow(/yPred must hold integer class labels; element 0 is 0.2/);
    expect(() => accuracyScore([[0, 1], [1, 1]], [1, 1])).toThrow(/yTrue is multilabel indicator rows but yPred is 1-D labels/);
    expect(() => accuracyScore([[0, 1]], [[0, 1, 1]])).toThrow(ShapeError);
    expect(() => accuracyScore([[0, 2]], [[0, 1]])).toThrow(InvalidArgumentError);
    expect(() => accuracyScore([0], [0], { normalize: 'yes' as never })).toThrow(/normalize must be true or false/);
  });
});

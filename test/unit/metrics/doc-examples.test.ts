import { describe, expect, it } from 'vitest';
import {
  accuracyScore,
  cohenKappaScore,
  confusionMatrix,
  InvalidArgumentError,
  NonFiniteError,
  rocAucScore,
  rocCurve,
  ShapeError,
  UndefinedMetricError,
  type OnUndefined,
} from '../../../src/metrics/index.js';

// The values the TSDoc @example blocks promise (checked against scikit-learn 1.2.1).
describe('TSDoc examples of dvme/metrics', () => {
  it('rocCurve', () => {
    const { fpr, tpr, thresholds } = rocCurve([1, 1, 2, 2], [0.1, 0.4, 0.35, 0.8], { posLabel: 2 });
    expect(Array.from(fpr)).toEqual([0, 0, 0.5, 0.5, 1]);
    expect(Array.from(tpr)).toEqual([0, 0.5, 0.5, 1, 1]);
    expect(Array.from(thresholds)).toEqual([Infinity, 0.8, 0.4, 0.35, 0.1]);
  });

  it('rocAucScore', () => {
    expect(rocAucScore([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8])).toBe(0.75);
    expect(
      rocAucScore([0, 1, 2], [[0.7, 0.2, 0.1], [0.2, 0.5, 0.3], [0.1, 0.2, 0.7]], { multiClass: 'ovr' }),
    ).toBe(1);
    expect(rocAucScore([[1, 0], [0, 1], [1, 1]], [[0.9, 0.2], [0.3, 0.8], [0.6, 0.7]], { average: null })).toEqual(
      Float64Array.of(1, 1),
    );
    const policy: OnUndefined = 'nan';
    expect(rocAucScore([0, 0], [0.1, 0.9], { onUndefined: policy })).toBeNaN();
  });

  it('confusionMatrix, cohenKappaScore, accuracyScore', () => {
    expect(confusionMatrix([2, 0, 2, 2, 0, 1], [0, 0, 2, 2, 0, 2])).toEqual([[2, 0, 0], [0, 0, 1], [1, 0, 2]]);
    expect(confusionMatrix([0, 0, 1, 1], [0, 1, 1, 1], { normalize: 'true' })).toEqual([[0.5, 0.5], [0, 1]]);
    expect(cohenKappaScore([0, 1, 2, 2, 1], [0, 1, 2, 1, 1])).toBe(0.6875);
    expect(cohenKappaScore([0, 1, 2, 2, 1], [0, 1, 2, 1, 1], { weights: 'quadratic' })).toBe(0.8);
    expect(cohenKappaScore([1, 1], [1, 1], { onUndefined: 'nan' })).toBeNaN();
    expect(accuracyScore([0, 1, 2, 3], [0, 2, 1, 3])).toBe(0.5);
    expect(accuracyScore([0, 1, 2, 3], [0, 2, 1, 3], { normalize: false })).toBe(2);
    expect(accuracyScore([[0, 1], [1, 1]], [[1, 1], [1, 1]])).toBe(0.5);
  });

  it('option and type examples', () => {
    expect(Array.from(rocCurve([1, 2, 2, 1], [0.3, 0.9, 0.6, 0.6], { posLabel: 2, dropIntermediate: false }).thresholds)).toEqual([
      Infinity, 0.9, 0.6, 0.3,
    ]);
    const curve = rocCurve([0, 1, 1], [0.2, 0.7, 0.9]);
    expect(Array.from(curve.fpr)).toEqual([0, 0, 0, 1]);
    expect(Array.from(curve.tpr)).toEqual([0, 0.5, 1, 1]);
    expect(rocAucScore([0, 0, 1, 1], [1, 2, 3, 4], { maxFpr: 0.5 })).toBe(1);
    expect(rocAucScore([[1, 0], [0, 1], [1, 1]], [[0.9, 0.2], [0.3, 0.8], [0.6, 0.7]], { average: 'micro' })).toBe(1);
    expect(rocAucScore([0, 1, 2], [[0.7, 0.2, 0.1], [0.2, 0.5, 0.3], [0.1, 0.2, 0.7]], { multiClass: 'ovo' })).toBe(1);
    expect(confusionMatrix([0, 1, 1, 1], [0, 1, 0, 1], { labels: [1, 0], normalize: 'all' })).toEqual([[0.5, 0.25], [0, 0.25]]);
    expect(cohenKappaScore([0, 1, 2], [0, 2, 2], { weights: 'linear', onUndefined: 'nan' })).toBe(0.6666666666666667);
    expect(accuracyScore([0, 1], [0, 0], { sampleWeight: [3, 1] })).toBe(0.75);
    expect(rocAucScore([0, 1], [Float32Array.of(0.8, 0.2), Float32Array.of(0.3, 0.7)])).toBe(1);
  });

  it('the error-class examples that call metrics', () => {
    expect(() => rocAucScore([0, 1], [0.2, 0.8], { maxFpr: 2 })).toThrow(InvalidArgumentError);
    expect(() => accuracyScore([0, 1], [0])).toThrow(ShapeError);
    expect(() => rocAucScore([0, 1], [0.1, Number.NaN])).toThrow(NonFiniteError);
    expect(() => rocAucScore([1, 1], [0.2, 0.8])).toThrow(UndefinedMetricError);
    expect(rocAucScore([1, 1], [0.2, 0.8], { onUndefined: 'nan' })).toBeNaN();
    try {
      cohenKappaScore([], []);
    } catch (e) {
      expect((e as UndefinedMetricError).code).toBe('UNDEFINED_METRIC');
    }
    expect.assertions(6);
  });
});

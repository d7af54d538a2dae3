import { describe, expect, it } from 'vitest';
import { InvalidArgumentError } from '../../../src/errors/index.js';
import { checkClassWeight, targetWeights } from '../../../src/training/class-weight.js';
import type { Targets } from '../../../src/training/labels.js';

const index = (ys: number[], numClasses: number): Targets => ({ kind: 'index', index: Int32Array.from(ys), numClasses });

describe('class weights', () => {
  it("'balanced' is n_samples / (n_classes * bincount), as scikit-learn computes it", () => {
    // 6 rows: class 0 x3, class 1 x2, class 2 x1 -> 6/(3*3), 6/(3*2), 6/(3*1).
    const w = targetWeights('balanced', index([0, 0, 0, 1, 1, 2], 3), [10, 20, 30]) as Float64Array;
    expect(Array.from(w)).toEqual([2 / 3, 2 / 3, 2 / 3, 1, 1, 2]);
    // Every class gets the same total weight, and the weights average 1.
    expect(w.reduce((a, b) => a + b)).toBeCloseTo(6, 12);
  });

  it("'balanced' counts only the classes present (a class listed but absent has no rows)", () => {
    const w = targetWeights('balanced', index([0, 0, 0, 2], 3), [0, 1, 2]) as Float64Array;
    expect(Array.from(w)).toEqual([4 / 6, 4 / 6, 4 / 6, 2]);
  });

  it('a record maps label values to weights; labels it leaves out weigh 1', () => {
    const w = targetWeights({ 20: 5 }, index([0, 1, 2], 3), [10, 20, 30]) as Float64Array;
    expect(Array.from(w)).toEqual([1, 5, 1]);
  });

  it("multilabel: 'balanced' per label column, a record keyed 0/1 for every label", () => {
    const t: Targets = { kind: 'indicator', data: Uint8Array.from([1, 0, 0, 0, 0, 1, 0, 1]), numLabels: 2 };
    // Column 0: one 1 in 4 rows -> pos 4/2 = 2, neg 4/6; column 1: two 1s -> 1 and 1.
    expect(Array.from(targetWeights('balanced', t, [0, 1]) as Float64Array)).toEqual([2, 1, 4 / 6, 1, 4 / 6, 1, 4 / 6, 1]);
    expect(Array.from(targetWeights({ 1: 3 }, t, [0, 1]) as Float64Array)).toEqual([3, 1, 1, 1, 1, 3, 1, 3]);
  });

  it('none -> undefined (every row weighs 1)', () => {
    expect(targetWeights(undefined, index([0, 1], 2), [0, 1])).toBeUndefined();
  });

  it('rejects weights for unknown labels, negative or non-finite weights, other shapes', () => {
    expect(() => checkClassWeight({ 3: 1 }, [0, 1])).toThrow(InvalidArgumentError);
    expect(() => checkClassWeight({ 1: -1 }, [0, 1])).toThrow(InvalidArgumentError);
    expect(() => checkClassWeight({ 1: Number.NaN }, [0, 1])).toThrow(InvalidArgumentError);
    expect(() => checkClassWeight('auto', [0, 1])).toThrow(InvalidArgumentError);
    expect(() => checkClassWeight([1, 2], [0, 1])).toThrow(InvalidArgumentError);
    expect(checkClassWeight('balanced', [0, 1])).toBe('balanced');
  });
});

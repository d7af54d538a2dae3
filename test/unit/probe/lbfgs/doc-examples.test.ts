import { describe, expect, it } from 'vitest';
import { fitLogisticRegression, predictLogisticProba } from '../../../../src/probe/lbfgs/index.js';

// The values the TSDoc @example blocks of src/probe/lbfgs promise.
describe('TSDoc examples of the L-BFGS logistic regression', () => {
  it('LbfgsFitResult', async () => {
    const fit = await fitLogisticRegression(new Float32Array([0, 1, 2, 3]), 4, 1, new Int32Array([0, 0, 1, 1]), 2);
    expect([fit.coef.length, fit.intercept.length, fit.converged]).toEqual([1, 1, true]);
  });

  it('fitLogisticRegression', async () => {
    const x = new Float32Array([0, 0, 1, 1, 2, 2, 3, 3]);
    const fit = await fitLogisticRegression(x, 4, 2, new Int32Array([0, 0, 1, 1]), 2, { C: 1 });
    expect(predictLogisticProba(x, 4, 2, fit, 2).length).toBe(8);
  });

  it('predictLogisticProba', () => {
    const fit = { coef: new Float64Array([2]), intercept: new Float64Array([-1]) };
    expect(Array.from(predictLogisticProba(new Float32Array([0.5]), 1, 1, fit, 2))).toEqual([0.5, 0.5]);
  });
});

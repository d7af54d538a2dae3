import { describe, expect, it } from 'vitest';
import { JsLinearKernel } from '../../../../src/probe/lbfgs/linear-kernel.js';
import {
  type LbfgsFitOptions,
  type LbfgsFitResult,
  fitLogisticRegression,
  fitOnKernel,
  predictLogisticProba,
} from '../../../../src/probe/lbfgs/logistic-regression.js';
import { createWasmKernel } from '../../../../src/probe/lbfgs/wasm-linear-kernel.js';
import { type SklearnCase, fixture, labelAgreement, logLoss } from './fixture.js';

const { nTrain, nTest, d, xTrain, xTest } = fixture;

function optionsOf(c: SklearnCase): LbfgsFitOptions {
  return {
    C: c.C,
    tol: c.tol,
    maxIter: c.maxIter,
    fitIntercept: c.fitIntercept,
    sampleWeight: c.sampleWeight ? Float64Array.from(c.sampleWeight) : undefined,
  };
}

/** Largest coefficient difference relative to the largest reference coefficient. */
function coefRelError(fit: LbfgsFitResult, c: SklearnCase): number {
  const scale = Math.max(...c.coef.map(Math.abs));
  return Math.max(...c.coef.map((v, i) => Math.abs(fit.coef[i] - v) / scale));
}

function compare(fit: LbfgsFitResult, c: SklearnCase) {
  const { yTest, numClasses } = fixture.labels(c);
  const proba = predictLogisticProba(xTest, nTest, d, fit, numClasses);
  return {
    coef: coefRelError(fit, c),
    intercept: Math.max(...c.intercept.map((v, i) => Math.abs(fit.intercept[i] - v))),
    logLoss: Math.abs(logLoss(proba, yTest, numClasses) - c.testLogLoss),
    proba: Math.max(...c.testProba.map((v, i) => Math.abs(proba[i] - v))),
    labels: labelAgreement(proba, c.testProba, numClasses),
    objective: Math.abs(fit.loss - c.objective) / c.objective,
  };
}

describe('fitLogisticRegression against scikit-learn 1.2 LogisticRegression(lbfgs)', () => {
  // Small problems run f64 throughout ('auto'), which follows scipy's L-BFGS-B path.
  it.each(fixture.cases.map((c) => [c.name, c] as const))('%s: same optimum, probabilities and log-loss', async (_, c) => {
    const { yTrain, numClasses } = fixture.labels(c);
    const fit = await fitLogisticRegression(xTrain, nTrain, d, yTrain, numClasses, optionsOf(c));
    const e = compare(fit, c);
    expect(fit.converged).toBe(true);
    expect(fit.coef.length).toBe(c.coef.length);
    expect(e.coef).toBeLessThan(1e-4);
    expect(e.intercept).toBeLessThan(1e-4);
    expect(e.logLoss).toBeLessThan(1e-6);
    expect(e.proba).toBeLessThan(1e-5);
    expect(e.labels).toBeGreaterThanOrEqual(0.995);
    expect(e.objective).toBeLessThan(1e-9);
    // The same iterates as L-BFGS-B, so the same iteration count give or take rounding.
    expect(Math.abs(fit.nIter - c.nIter)).toBeLessThanOrEqual(2);
  });

  it('takes the same path on the TypeScript kernel (the fallback without WebAssembly SIMD)', () => {
    for (const c of fixture.cases.filter((t) => t.name.endsWith('C=1.0') || t.name.endsWith('weighted'))) {
      const { yTrain, numClasses } = fixture.labels(c);
      const kernel = new JsLinearKernel(xTrain, nTrain, d, numClasses === 2 ? 1 : numClasses);
      const e = compare(fitOnKernel(kernel, false, yTrain, numClasses, optionsOf(c)), c);
      expect(e.coef).toBeLessThan(1e-4);
      expect(e.logLoss).toBeLessThan(1e-6);
    }
  });

  it('mixed precision (f32 products, then f64) reaches the same optimum to f32-path accuracy', async () => {
    for (const c of fixture.cases) {
      const { yTrain, numClasses } = fixture.labels(c);
      const kernel = await createWasmKernel(xTrain, nTrain, d, numClasses === 2 ? 1 : numClasses);
      expect(kernel?.hasFast).toBe(true);
      const fit = fitOnKernel(kernel!, true, yTrain, numClasses, optionsOf(c));
      const e = compare(fit, c);
      // A different path stopped by the same relative-decrease test (ftol 2.2e-9): close, not identical.
      expect(fit.converged).toBe(true);
      expect(e.objective).toBeLessThan(1e-7);
      expect(e.coef).toBeLessThan(2e-3);
      expect(e.logLoss).toBeLessThan(1e-4);
      expect(e.labels).toBeGreaterThanOrEqual(0.995);
    }
  });
});

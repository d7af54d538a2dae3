import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { minimizeLbfgs } from '../../../../src/probe/lbfgs/lbfgs.js';
import { fitLogisticRegression } from '../../../../src/probe/lbfgs/logistic-regression.js';
import { LogisticObjective } from '../../../../src/probe/lbfgs/objective.js';
import { createWasmKernel } from '../../../../src/probe/lbfgs/wasm-linear-kernel.js';

interface Problem {
  n: number;
  d: number;
  numClasses: number;
  C: number;
  x: Float32Array;
  y: Int32Array;
  sampleWeight: Float64Array | undefined;
  fitIntercept: boolean;
}

const problem: fc.Arbitrary<Problem> = fc
  .record({
    n: fc.integer({ min: 8, max: 60 }),
    d: fc.integer({ min: 1, max: 10 }),
    numClasses: fc.integer({ min: 2, max: 4 }),
    logC: fc.double({ min: -2, max: 2, noNaN: true }),
    weighted: fc.boolean(),
    fitIntercept: fc.boolean(),
    seed: fc.integer({ min: 1, max: 2 ** 31 - 1 }),
  })
  .map(({ n, d, numClasses, logC, weighted, fitIntercept, seed }) => {
    let s = seed;
    const rnd = () => (s = (s * 48271) % 2147483647) / 2147483647;
    const x = Float32Array.from({ length: n * d }, () => 4 * rnd() - 2);
    // Every class present; labels partly follow the first feature so the fit has signal.
    const y = Int32Array.from({ length: n }, (_, i) =>
      i < numClasses ? i : rnd() < 0.5 ? Math.floor(rnd() * numClasses) : (x[i * d] > 0 ? 1 : 0),
    );
    const sampleWeight = weighted ? Float64Array.from({ length: n }, () => 0.2 + 2 * rnd()) : undefined;
    return { n, d, numClasses, C: 10 ** logC, x, y, sampleWeight, fitIntercept };
  });

/**
 * scikit-learn's objective sum_i s_i loss_i + ||W||^2 / (2C) and its gradient, written out
 * directly (no kernel, no blocking) as an independent check of the solver's.
 */
function reference(p: Problem, theta: Float64Array): { f: number; g: Float64Array } {
  const { n, d, numClasses, C, x, y, sampleWeight, fitIntercept } = p;
  const k = numClasses === 2 ? 1 : numClasses;
  const g = new Float64Array(theta.length);
  let f = 0;
  for (let i = 0; i < n; i++) {
    const w = sampleWeight ? sampleWeight[i] : 1;
    const z = Array.from({ length: k }, (_, c) => {
      let t = fitIntercept ? theta[k * d + c] : 0;
      for (let j = 0; j < d; j++) t += x[i * d + j] * theta[c * d + j];
      return t;
    });
    let r: number[];
    if (k === 1) {
      f += w * (Math.max(z[0], 0) + Math.log1p(Math.exp(-Math.abs(z[0]))) - y[i] * z[0]);
      r = [w * (1 / (1 + Math.exp(-z[0])) - y[i])];
    } else {
      const m = Math.max(...z);
      const e = z.map((v) => Math.exp(v - m));
      const sum = e.reduce((a, v) => a + v, 0);
      f += w * (m + Math.log(sum) - z[y[i]]);
      r = e.map((v, c) => w * (v / sum - (c === y[i] ? 1 : 0)));
    }
    for (let c = 0; c < k; c++) {
      for (let j = 0; j < d; j++) g[c * d + j] += r[c] * x[i * d + j];
      if (fitIntercept) g[k * d + c] += r[c];
    }
  }
  for (let t = 0; t < k * d; t++) {
    f += (0.5 * theta[t] * theta[t]) / C;
    g[t] += theta[t] / C;
  }
  return { f, g };
}

const maxAbs = (a: Float64Array) => a.reduce((m, v) => Math.max(m, Math.abs(v)), 0);

/** Random unit-norm direction. */
function direction(len: number, seed: number): Float64Array {
  let s = seed;
  const v = Float64Array.from({ length: len }, () => (s = (s * 48271) % 2147483647) / 2147483647 - 0.5);
  const norm = Math.sqrt(v.reduce((a, t) => a + t * t, 0)) || 1;
  return v.map((t) => t / norm);
}

describe('optimality of the L-BFGS solution', () => {
  it('driven to a tight gradient tolerance, the independent gradient vanishes and perturbations cost', async () => {
    await fc.assert(
      fc.asyncProperty(problem, fc.integer({ min: 1, max: 1e9 }), fc.boolean(), async (p, dirSeed, mixed) => {
        const k = p.numClasses === 2 ? 1 : p.numClasses;
        const kernel = (await createWasmKernel(p.x, p.n, p.d, k))!;
        const objective = new LogisticObjective(kernel, { ...p, k }, mixed);
        const res = minimizeLbfgs(objective, new Float64Array(objective.dim), { maxIter: 5000, gtol: 1e-8, ftol: 0, memory: 10 });
        const { f, g } = reference(p, res.x);
        // (Not asserting `converged`: at gtol 1e-8 a line search may find no f64-visible decrease
        // first, which L-BFGS-B also reports as abnormal termination.)
        expect(Math.abs(f - res.f)).toBeLessThanOrEqual(1e-10 * f);
        // gtol 1e-8, or where f stops decreasing in f64 (ftol 0), whichever comes first.
        expect(maxAbs(g)).toBeLessThanOrEqual(1e-6 * (1 + f));
        const u = direction(res.x.length, dirSeed);
        for (const eps of [1e-4, 1e-2, 1]) {
          expect(reference(p, res.x.map((v, i) => v + eps * u[i])).f).toBeGreaterThan(f);
        }
      }),
      { numRuns: 60 },
    );
  });

  it('with the public defaults and tol 1e-8, the objective is at the optimum to scipy-ftol accuracy', async () => {
    await fc.assert(
      fc.asyncProperty(problem, fc.integer({ min: 1, max: 1e9 }), async (p, dirSeed) => {
        const fit = await fitLogisticRegression(p.x, p.n, p.d, p.y, p.numClasses, {
          C: p.C, tol: 1e-8, maxIter: 10_000, sampleWeight: p.sampleWeight, fitIntercept: p.fitIntercept,
        });
        const theta = new Float64Array([...fit.coef, ...(p.fitIntercept ? fit.intercept : [])]);
        const { f, g } = reference(p, theta);
        expect(fit.converged).toBe(true);
        // `loss` is C times scikit-learn's objective.
        expect(Math.abs(fit.loss - p.C * f)).toBeLessThanOrEqual(1e-10 * p.C * f);
        // scipy's relative-decrease test stops within about 1e-8 of the optimum's value. A step
        // that decreases f by less than ftol * f leaves a gradient of about sqrt(2 L ftol f),
        // and the curvature L grows as 1 / C (the penalty ||W||^2 / 2C): the bound scales so.
        expect(maxAbs(g)).toBeLessThanOrEqual(1e-4 * (1 + f) * Math.sqrt(Math.max(1, 1 / p.C)));
        const u = direction(theta.length, dirSeed);
        for (const eps of [1e-3, 1e-1]) {
          expect(reference(p, theta.map((v, i) => v + eps * u[i])).f).toBeGreaterThanOrEqual(f * (1 - 1e-8));
        }
      }),
      { numRuns: 60 },
    );
  });
});

import { describe, expect, it } from 'vitest';
import { type Differentiable, SCIPY_FTOL, minimizeLbfgs } from '../../../../src/probe/lbfgs/lbfgs.js';

/** Extended Rosenbrock in `dim` (even) dimensions; its minimum is all ones with value 0. */
function rosenbrock(dim: number, fastNoise = 0): Differentiable & { exactCalls: number } {
  let seed = 12345;
  const noise = () => {
    seed = (seed * 1103515245 + 12345) >>> 0;
    return (seed / 2 ** 32 - 0.5) * fastNoise;
  };
  const obj = {
    dim,
    hasFast: fastNoise > 0,
    exactCalls: 0,
    evaluate(x: Float64Array, fast: boolean, grad: Float64Array): number {
      if (!fast) obj.exactCalls++;
      let f = 0;
      for (let i = 0; i < dim; i += 2) {
        const t1 = 1 - x[i];
        const t2 = 10 * (x[i + 1] - x[i] * x[i]);
        f += t1 * t1 + t2 * t2;
        grad[i] = -2 * t1 - 40 * x[i] * t2;
        grad[i + 1] = 20 * t2;
      }
      // The fast mode stands for f32 products: correct up to small relative noise.
      if (fast) for (let i = 0; i < dim; i++) grad[i] += noise() * (1 + Math.abs(grad[i]));
      return fast ? f * (1 + noise()) : f;
    },
  };
  return obj;
}

const start = (dim: number) => Float64Array.from({ length: dim }, (_, i) => (i % 2 === 0 ? -1.2 : 1));

describe('minimizeLbfgs', () => {
  it('minimises the extended Rosenbrock function to the gradient tolerance', () => {
    for (const dim of [2, 10, 100]) {
      const res = minimizeLbfgs(rosenbrock(dim), start(dim), { maxIter: 1000, gtol: 1e-8, ftol: 0, memory: 10 });
      expect(res.converged).toBe(true);
      expect(res.gradMax).toBeLessThanOrEqual(1e-8);
      for (const v of res.x) expect(v).toBeCloseTo(1, 6);
      expect(res.nExactEval).toBe(res.nEval);
    }
  });

  it('stops at maxIter without claiming convergence, and on a relative decrease below ftol', () => {
    const capped = minimizeLbfgs(rosenbrock(10), start(10), { maxIter: 5, gtol: 1e-12, ftol: 0, memory: 10 });
    expect(capped.nIter).toBe(5);
    expect(capped.converged).toBe(false);
    const loose = minimizeLbfgs(rosenbrock(10), start(10), { maxIter: 1000, gtol: 0, ftol: SCIPY_FTOL, memory: 10 });
    expect(loose.converged).toBe(true);
    expect(loose.f).toBeLessThan(1e-9);
  });

  it('runs fast evaluations first, then finishes exactly: same optimum despite the noise', () => {
    const obj = rosenbrock(10, 1e-6);
    const res = minimizeLbfgs(obj, start(10), { maxIter: 1000, gtol: 1e-8, ftol: 0, memory: 10 });
    expect(res.converged).toBe(true);
    expect(res.nExactEval).toBeGreaterThan(0);
    expect(res.nExactEval).toBeLessThan(res.nEval);
    expect(res.nExactEval).toBe(obj.exactCalls);
    // Convergence is judged on an exact gradient only.
    expect(res.gradMax).toBeLessThanOrEqual(1e-8);
    for (const v of res.x) expect(v).toBeCloseTo(1, 6);
  });

  it('returns at once from a stationary start', () => {
    const res = minimizeLbfgs(rosenbrock(4), Float64Array.from([1, 1, 1, 1]), { maxIter: 10, gtol: 1e-10, ftol: 0, memory: 10 });
    expect(res).toMatchObject({ nIter: 0, nEval: 1, converged: true, f: 0 });
  });
});

import { describe, expect, it } from 'vitest';
import { JsLinearKernel } from '../../../../src/probe/lbfgs/linear-kernel.js';
import { LogisticObjective } from '../../../../src/probe/lbfgs/objective.js';
import { createWasmKernel } from '../../../../src/probe/lbfgs/wasm-linear-kernel.js';
import { fixture } from './fixture.js';

const { nTrain: n, d, xTrain: x } = fixture;

/** The objective written out row by row in f64, as scikit-learn 1.2 defines it. */
function direct(theta: Float64Array, y: Int32Array, k: number, sw: Float64Array, C: number) {
  const g = new Float64Array(theta.length);
  let f = 0;
  for (let i = 0; i < n; i++) {
    const z = Array.from({ length: k }, (_, c) => {
      let t = theta[k * d + c];
      for (let j = 0; j < d; j++) t += x[i * d + j] * theta[c * d + j];
      return t;
    });
    const m = Math.max(...z, k === 1 ? 0 : -Infinity);
    const e = z.map((v) => Math.exp(v - m));
    const sum = k === 1 ? Math.exp(-m) + e[0] : e.reduce((a, v) => a + v, 0);
    const target = (c: number) => (k === 1 ? y[i] : c === y[i] ? 1 : 0);
    f += sw[i] * (m + Math.log(sum) - (k === 1 ? y[i] * z[0] : z[y[i]]));
    for (let c = 0; c < k; c++) {
      const r = sw[i] * (e[c] / sum - target(c));
      for (let j = 0; j < d; j++) g[c * d + j] += r * x[i * d + j];
      g[k * d + c] += r;
    }
  }
  for (let t = 0; t < k * d; t++) {
    f += (0.5 * theta[t] ** 2) / C;
    g[t] += theta[t] / C;
  }
  return { f, g };
}

describe('LogisticObjective', () => {
  it('equals the direct formula at arbitrary parameters, class sums zero or not, on both kernels', async () => {
    for (const task of ['binary', 'multiclass'] as const) {
      const { yTrain: y, numClasses } = fixture.labels({ task } as never);
      const k = numClasses === 2 ? 1 : numClasses;
      const sw = Float64Array.from({ length: n }, (_, i) => 0.5 + (i % 4) / 2);
      const kernels = [new JsLinearKernel(x, n, d, k), (await createWasmKernel(x, n, d, k))!];
      for (const zeroSum of [false, true]) {
        const theta = Float64Array.from({ length: k * d + k }, (_, i) => 0.3 * Math.sin(1 + 7 * i));
        if (zeroSum && k > 1) {
          for (let j = 0; j < d; j++) theta[(k - 1) * d + j] = -theta.slice(0, (k - 1) * d).filter((_, t) => t % d === j).reduce((a, v) => a + v, 0);
        }
        const ref = direct(theta, y, k, sw, 0.7);
        for (const kernel of kernels) {
          for (const mixed of [false, true]) {
            const obj = new LogisticObjective(kernel, { n, d, y, k, sampleWeight: sw, C: 0.7, fitIntercept: true }, mixed);
            const g = new Float64Array(obj.dim);
            const f = obj.evaluate(theta, mixed, g);
            const tol = mixed && kernel.hasFast ? 1e-5 : 1e-11;
            expect(Math.abs(f - ref.f)).toBeLessThanOrEqual(tol * ref.f);
            const scale = ref.g.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
            for (let t = 0; t < g.length; t++) expect(Math.abs(g[t] - ref.g[t])).toBeLessThanOrEqual(tol * scale);
          }
        }
      }
    }
  });
});

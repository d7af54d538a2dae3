import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import * as lbfgs from '../../../src/probe/lbfgs/index.js';
import { Probe } from '../../../src/index.js';
import { blobs, multilabel } from './synthetic.js';

// Spy on the solver, calling through: what the probe hands it is the subject here.
vi.mock('../../../src/probe/lbfgs/index.js', async (importOriginal) => {
  const real = await importOriginal<typeof import('../../../src/probe/lbfgs/index.js')>();
  return { ...real, fitLogisticRegression: vi.fn(real.fitLogisticRegression) };
});
const spy = vi.mocked(lbfgs.fitLogisticRegression);

beforeAll(async () => {
  await tf.setBackend('cpu');
});
beforeEach(() => {
  spy.mockClear(); // not returned: beforeEach would call a returned function as its teardown
});

describe("Probe, solver 'lbfgs': what reaches the solver", () => {
  it('standardised features, class indices, C / tol / maxIter and balanced sample weights', async () => {
    // Labels 3 and 7, three rows of 3 and one of 7.
    const x = [[1, 10], [2, 20], [3, 30], [10, 100]];
    const probe = await new Probe({ task: 'binary', solver: 'lbfgs', C: 0.5, tol: 1e-6, maxIter: 50, classWeight: 'balanced' }).fit(x, [3, 3, 3, 7]);
    expect(spy).toHaveBeenCalledTimes(1);
    const [data, n, d, y, k, options] = spy.mock.calls[0];
    expect([n, d, k]).toEqual([4, 2, 2]);
    expect(Array.from(y)).toEqual([0, 0, 0, 1]);
    expect(options).toMatchObject({ C: 0.5, tol: 1e-6, maxIter: 50 });
    expect(Array.from(options?.sampleWeight ?? [])).toEqual([4 / 6, 4 / 6, 4 / 6, 2]);
    // Each column has mean 0 and population variance 1.
    for (let j = 0; j < 2; j++) {
      const col = [0, 1, 2, 3].map((i) => data[i * 2 + j]);
      expect(col.reduce((a, v) => a + v, 0)).toBeCloseTo(0, 5);
      expect(col.reduce((a, v) => a + v * v, 0) / 4).toBeCloseTo(1, 5);
    }
    probe.dispose();
  });

  it('standardize: false passes the features as they are; no class weight passes none', async () => {
    const { x, y } = blobs(20, 2, 3, 1);
    const probe = await new Probe({ task: 'multiclass', solver: 'lbfgs', standardize: false }).fit(x, y);
    const [data, , , , k, options] = spy.mock.calls[0];
    expect(k).toBe(3);
    expect(Array.from(data)).toEqual(x.flat().map(Math.fround));
    expect(options?.sampleWeight).toBeUndefined();
    probe.dispose();
  });

  it('multilabel: one binary model per label, each with its own column and weights', async () => {
    const { x, y } = multilabel(40, 3, 2, 2);
    const probe = await new Probe({ task: 'multilabel', solver: 'lbfgs', classWeight: { 1: 2 } }).fit(x, y);
    expect(spy).toHaveBeenCalledTimes(2);
    for (const j of [0, 1]) {
      const [, n, d, yj, k, options] = spy.mock.calls[j];
      expect([n, d, k]).toEqual([40, 3, 2]);
      expect(Array.from(yj)).toEqual(y.map((r) => r[j]));
      expect(Array.from(options?.sampleWeight ?? [])).toEqual(y.map((r) => (r[j] ? 2 : 1)));
    }
    const json = probe.toJSON();
    expect(json.weights.outputs).toBe(2);
    expect((json.provenance.training as unknown as { nIter: number[] }).nIter).toHaveLength(2);
    probe.dispose();
  });

  it("a validationSplit trains on the training part only", async () => {
    const { x, y } = blobs(50, 2, 2, 3);
    const probe = await new Probe({ task: 'binary', solver: 'lbfgs', validationSplit: 0.2 }).fit(x, y);
    expect(spy.mock.calls[0][1]).toBe(40);
    probe.dispose();
  });
});

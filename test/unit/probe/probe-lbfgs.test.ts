import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { beforeAll, describe, expect, it } from 'vitest';
import { InvalidArgumentError } from '../../../src/errors/index.js';
import { Probe, type ClassWeight, type ProbeTask } from '../../../src/index.js';
import { blobs } from './synthetic.js';

interface Case {
  task: ProbeTask;
  C: number;
  classWeight: ClassWeight | null;
  labels: number[] | null;
  x: number[][];
  y: number[] | number[][];
  xTest: number[][];
  mean: number[];
  scale: number[];
  proba: number[] | number[][];
}

// Written by scripts/fixtures/probe_reference.py with scikit-learn 1.2: StandardScaler +
// LogisticRegression(lbfgs), one-vs-rest for multilabel.
const reference = JSON.parse(readFileSync(new URL('../../fixtures/probe/probe-sklearn.json', import.meta.url), 'utf8')) as {
  cases: Case[];
};

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe("Probe, solver 'lbfgs'", () => {
  for (const c of reference.cases) {
    it(`matches scikit-learn: ${c.task}, C=${c.C}, classWeight=${JSON.stringify(c.classWeight)}`, async () => {
      const probe = await new Probe({
        task: c.task,
        solver: 'lbfgs',
        C: c.C,
        ...(c.classWeight ? { classWeight: c.classWeight } : {}),
        tol: 1e-10,
        maxIter: 10000,
      }).fit(c.x, c.y as never);
      const json = probe.toJSON();
      expect(json.classes).toEqual(c.labels);
      json.standardization?.mean.forEach((m, j) => expect(m).toBeCloseTo(c.mean[j], 5));
      json.standardization?.scale.forEach((s, j) => expect(s).toBeCloseTo(c.scale[j], 5));
      const p = probe.predictProba(c.xTest);
      const got = (p instanceof Float32Array ? [...p] : p.flatMap((r) => [...r])) as number[];
      const want = (c.proba as (number | number[])[]).flat();
      expect(got).toHaveLength(want.length);
      got.forEach((v, i) => expect(Math.abs(v - want[i])).toBeLessThan(2e-5));
      expect((probe.provenance?.training as unknown as { converged: boolean[] }).converged.every(Boolean)).toBe(true);
      probe.dispose();
    });
  }

  it('has no randomness: the seed does not change the fit', async () => {
    const { x, y } = blobs(60, 4, 3, 1);
    const a = await new Probe({ task: 'multiclass', solver: 'lbfgs', seed: 1 }).fit(x, y);
    const b = await new Probe({ task: 'multiclass', solver: 'lbfgs', seed: 2 }).fit(x, y);
    expect(b.toJSON().weights).toEqual(a.toJSON().weights);
    a.dispose();
    b.dispose();
  });

  it('needs every listed class in training (the convex problem has no optimum otherwise)', async () => {
    const { x, y } = blobs(30, 2, 2, 2);
    await expect(new Probe({ task: 'multiclass', solver: 'lbfgs', classes: [0, 1, 2] }).fit(x, y)).rejects.toThrow(
      InvalidArgumentError,
    );
  });

  it('an already aborted signal rejects before solving', async () => {
    const { x, y } = blobs(30, 2, 2, 3);
    const controller = new AbortController();
    controller.abort(new Error('cancelled'));
    await expect(new Probe({ task: 'binary', solver: 'lbfgs' }).fit(x, y, { signal: controller.signal })).rejects.toThrow('cancelled');
  });

  it('ordinal thresholds work with it too, fitted on a held-out split', async () => {
    const { x, y } = blobs(90, 3, 3, 4);
    const probe = await new Probe({ task: 'multiclass', solver: 'lbfgs', ordinal: true, validationSplit: 0.3 }).fit(x, y);
    expect(probe.thresholds).toHaveLength(2);
    expect(probe.provenance).toMatchObject({ validation: 'split', nValidation: 27, nTrain: 63 });
    probe.dispose();
  });
});

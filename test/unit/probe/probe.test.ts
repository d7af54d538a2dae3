import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { beforeAll, describe, expect, it } from 'vitest';
import { DisposedError, NotFittedError } from '../../../src/errors/index.js';
import { Probe, type ProbeJSON } from '../../../src/index.js';
import { blobs, multilabel } from './synthetic.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const fast = { minEpochs: 3, maxEpochs: 6, batchSize: 32 } as const;

describe('Probe: estimator contract', () => {
  it('stores hyperparameters with documented defaults', () => {
    const paper = new Probe({ task: 'binary' });
    expect(paper.hyperparameters).toMatchObject({
      task: 'binary',
      solver: 'paper',
      standardize: true,
      seed: 0,
      ordinal: false,
      validationSplit: 0,
      monitor: 'auc',
      learningRate: 1e-3,
      batchSize: 64,
      minEpochs: 30,
      maxEpochs: 50,
      earlyStoppingPatience: 10,
      plateauPatience: 5,
      plateauFactor: 0.1,
    });
    expect(paper.hyperparameters).not.toHaveProperty('C');
    expect(new Probe({ task: 'multiclass' }).hyperparameters.monitor).toBe('kappa');
    expect(new Probe({ task: 'multiclass', ordinal: true }).hyperparameters.monitor).toBe('quadraticKappa');
    expect(new Probe({ task: 'multilabel' }).hyperparameters.monitor).toBe('auc');
    const exact = new Probe({ task: 'binary', solver: 'lbfgs' });
    expect(exact.hyperparameters).toMatchObject({ solver: 'lbfgs', standardize: true, C: 1, tol: 1e-4, maxIter: 1000 });
    expect(exact.hyperparameters).not.toHaveProperty('learningRate');
    expect(Object.isFrozen(exact.hyperparameters)).toBe(true);
  });

  it('fit resolves to the probe itself', async () => {
    const { x, y } = blobs(60, 4, 2, 1);
    const probe = new Probe({ task: 'binary', ...fast });
    expect(probe.isFitted).toBe(false);
    await expect(probe.fit(x, y)).resolves.toBe(probe);
    expect(probe.isFitted).toBe(true);
    probe.dispose();
  });

  it('using a probe before fit throws NotFittedError saying "call fit first"', () => {
    const probe = new Probe({ task: 'binary' });
    for (const use of [() => probe.predictProba([[1, 2]]), () => probe.predict([[1, 2]]), () => probe.evaluate([[1, 2]], [1]), () => probe.toJSON()]) {
      expect(use).toThrow(NotFittedError);
      expect(use).toThrow(/call fit\(x, y\) first/);
    }
  });

  it('dispose is idempotent; every later use throws DisposedError', async () => {
    const { x, y } = blobs(40, 3, 2, 2);
    const probe = await new Probe({ task: 'binary', ...fast }).fit(x, y);
    probe.dispose();
    probe.dispose();
    expect(probe.isDisposed).toBe(true);
    expect(probe.isFitted).toBe(false);
    expect(() => probe.predictProba(x)).toThrow(DisposedError);
    expect(() => probe.toJSON()).toThrow(DisposedError);
    await expect(probe.fit(x, y)).rejects.toThrow(DisposedError);
    // An unfitted probe can be disposed too.
    new Probe({ task: 'binary' }).dispose();
  });

  it('a dispose during fit wins: fit rejects with DisposedError and keeps no tensors', async () => {
    const { x, y } = blobs(40, 3, 2, 2);
    const before = tf.memory().numTensors;
    const probe = new Probe({ task: 'binary', ...fast });
    const pending = probe.fit(x, y, { onEpoch: () => probe.dispose() });
    await expect(pending).rejects.toThrow(DisposedError);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('predictProba / predict / evaluate have the documented shapes per task', async () => {
    const b = blobs(60, 4, 2, 3, { labels: [-1, 1] });
    const binary = await new Probe({ task: 'binary', ...fast }).fit(b.x, b.y);
    const pb = binary.predictProba(b.x);
    expect(pb).toBeInstanceOf(Float32Array);
    expect(pb).toHaveLength(60);
    expect(new Set(binary.predict(b.x)).size).toBeLessThanOrEqual(2);
    for (const label of binary.predict(b.x)) expect([-1, 1]).toContain(label);
    expect(binary.classes).toEqual([-1, 1]);
    expect(Object.keys(binary.evaluate(b.x, b.y)).sort()).toEqual(['accuracy', 'auc', 'n', 'task']);

    const m = blobs(90, 4, 3, 4, { labels: [10, 20, 30] });
    const multi = await new Probe({ task: 'multiclass', ...fast, learningRate: 0.05 }).fit(m.x, m.y);
    const pm = multi.predictProba(m.x);
    expect(pm).toHaveLength(90);
    for (const row of pm) {
      expect(row).toHaveLength(3);
      expect(row.reduce((s, v) => s + v, 0)).toBeCloseTo(1, 5);
    }
    expect(multi.predict(m.x).every((l) => [10, 20, 30].includes(l))).toBe(true);
    const em = multi.evaluate(m.x, m.y);
    expect(em.task).toBe('multiclass');
    expect(em.aucPerClass).toHaveLength(3);
    expect(em.argmax).toBeUndefined();
    expect(em.accuracy).toBeGreaterThan(0.8);

    const l = multilabel(60, 5, 3, 5);
    const multi2 = await new Probe({ task: 'multilabel', ...fast }).fit(l.x, l.y);
    const pl = multi2.predictProba(l.x);
    expect(pl[0]).toHaveLength(3);
    const yl = multi2.predict(l.x);
    expect(yl[0]).toHaveLength(3);
    expect(yl.flat().every((v) => v === 0 || v === 1)).toBe(true);
    const el = multi2.evaluate(l.x, l.y);
    expect(el.aucPerLabel).toHaveLength(3);
    expect(el.auc).toBeCloseTo((el.aucPerLabel[0] + el.aucPerLabel[1] + el.aucPerLabel[2]) / 3, 12);
    for (const p of [binary, multi, multi2]) p.dispose();
  });

  it('accepts a tf.Tensor2D, { data, shape } and number[][] alike', async () => {
    const { x, y } = blobs(50, 4, 2, 6);
    const probe = await new Probe({ task: 'binary', ...fast }).fit(x, y);
    const flat = Float32Array.from(x.flat());
    const t = tf.tensor2d(flat, [50, 4]);
    const expected = probe.predictProba(x);
    expect(probe.predictProba(t)).toEqual(expected);
    expect(probe.predictProba({ data: flat, shape: [50, 4] })).toEqual(expected);
    expect(probe.predictProba(x.map((r) => Float32Array.from(r)))).toEqual(expected);
    expect(t.isDisposed).toBe(false); // the caller's tensor stays the caller's
    t.dispose();
    // Fitting on a tensor gives the same probe as fitting on arrays.
    const t2 = tf.tensor2d(flat, [50, 4]);
    const fromTensor = await new Probe({ task: 'binary', ...fast }).fit(t2, y);
    expect(fromTensor.toJSON().weights).toEqual(probe.toJSON().weights);
    t2.dispose();
    probe.dispose();
    fromTensor.dispose();
  });

  it('a JSON round trip (through text) predicts identically, for every task and solver', async () => {
    const b = blobs(60, 4, 2, 7);
    const m = blobs(60, 4, 3, 8, { labels: [0, 2, 5] });
    const l = multilabel(60, 4, 2, 9);
    const cases = [
      { probe: new Probe({ task: 'binary', standardize: true, ...fast }), x: b.x, y: b.y },
      { probe: new Probe({ task: 'multiclass', ordinal: true, ...fast }), x: m.x, y: m.y },
      { probe: new Probe({ task: 'multilabel', classWeight: 'balanced', ...fast }), x: l.x, y: l.y },
      { probe: new Probe({ task: 'multiclass', solver: 'lbfgs' }), x: m.x, y: m.y },
    ];
    for (const { probe, x, y } of cases) {
      await (probe as Probe).fit(x, y as never, { source: 'test-backbone' });
      const json = probe.toJSON();
      expect(json.kind).toBe('dvme.Probe');
      expect(json.version).toBe(1);
      expect(json.provenance).toMatchObject({ source: 'test-backbone', numFeatures: 4, nTrain: 60, backend: 'cpu' });
      const restored = Probe.fromJSON(JSON.stringify(probe));
      expect(restored.hyperparameters).toEqual(probe.hyperparameters);
      expect(restored.predictProba(x)).toEqual(probe.predictProba(x));
      expect(restored.predict(x)).toEqual(probe.predict(x));
      expect(restored.evaluate(x, y as never)).toEqual(probe.evaluate(x, y as never));
      expect(restored.toJSON()).toEqual(JSON.parse(JSON.stringify(json)) as ProbeJSON);
      restored.dispose();
      probe.dispose();
    }
  });

  it('the same seed and backend give the same probe; another seed another one', async () => {
    const { x, y } = blobs(80, 5, 3, 10);
    const v = blobs(40, 5, 3, 10);
    const fit = (seed: number) => new Probe({ task: 'multiclass', seed, ...fast }).fit(x, y, { validation: v });
    const [a, b, c] = await Promise.all([fit(1), fit(1), fit(2)]);
    expect(b.toJSON().weights).toEqual(a.toJSON().weights);
    expect(b.history).toEqual(a.history);
    expect(c.toJSON().weights).not.toEqual(a.toJSON().weights);
    for (const p of [a, b, c]) p.dispose();
  });

  it('refitting replaces the weights (and frees the old tensors)', async () => {
    const first = blobs(40, 3, 2, 11);
    const second = blobs(40, 3, 2, 12);
    const probe = await new Probe({ task: 'binary', ...fast }).fit(first.x, first.y);
    const count = tf.memory().numTensors;
    const w1 = probe.toJSON().weights;
    await probe.fit(second.x, second.y);
    expect(probe.toJSON().weights).not.toEqual(w1);
    expect(tf.memory().numTensors).toBe(count);
    probe.dispose();
  });
});

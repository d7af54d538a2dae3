import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { beforeAll, describe, expect, it } from 'vitest';
import { Probe, type EpochLog } from '../../../src/index.js';
import { blobs } from './synthetic.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe("Probe: the paper's protocol", () => {
  it('a flat validation score: lr drops at epochs 7, 13, 19, 25, training stops at epoch 30, epoch 1 weights kept', async () => {
    const train = blobs(64, 2, 2, 1);
    // Identical validation rows: every epoch scores AUC 0.5 exactly, so nothing ever improves.
    const validation = { x: Array.from({ length: 10 }, () => [0.5, -0.5]), y: [0, 1, 0, 1, 0, 1, 0, 1, 0, 1] };
    const logs: EpochLog[] = [];
    const probe = await new Probe({ task: 'binary' }).fit(train.x, train.y, { validation, onEpoch: (l) => void logs.push(l) });
    expect(logs.map((l) => l.epoch)).toEqual(Array.from({ length: 30 }, (_, i) => i + 1));
    expect(logs.every((l) => l.value === 0.5 && l.monitor === 'auc')).toBe(true);
    // The rate each epoch used: 1e-3, times 0.1 after epochs 7, 13, 19 and 25 (same float steps).
    const expected: number[] = [];
    for (let e = 1, lr = 1e-3; e <= 30; e++) {
      expected.push(lr);
      if ([7, 13, 19, 25].includes(e)) lr *= 0.1;
    }
    expect(logs.map((l) => l.lr)).toEqual(expected);
    expect(logs.map((l) => l.improved)).toEqual([true, ...Array<boolean>(29).fill(false)]);
    expect(probe.provenance?.training).toEqual({ epochs: 30, bestEpoch: 1, stoppedEarly: true, lrDropEpochs: [7, 13, 19, 25] });
    expect(probe.history).toEqual(logs);
    probe.dispose();
  });

  it('keeps the weights of the best validation epoch', async () => {
    const train = blobs(120, 6, 2, 2, { separation: 0.8 });
    const validation = blobs(60, 6, 2, 3, { separation: 0.8 });
    const probe = await new Probe({ task: 'binary', minEpochs: 4, maxEpochs: 12, earlyStoppingPatience: 3, learningRate: 0.05, seed: 3 }).fit(
      train.x,
      train.y,
      { validation },
    );
    const values = probe.history.map((l) => l.value);
    const best = values.indexOf(Math.max(...values));
    expect(probe.provenance?.training).toMatchObject({ bestEpoch: best + 1 });
    // The kept weights score exactly what the best epoch scored.
    expect(probe.evaluate(validation.x, validation.y).auc).toBe(values[best]);
    probe.dispose();
  });

  it('respects minEpochs and maxEpochs; without validation it monitors the training loss', async () => {
    const { x, y } = blobs(60, 3, 2, 4);
    const probe = await new Probe({ task: 'binary', minEpochs: 2, maxEpochs: 7 }).fit(x, y);
    // The training loss falls every epoch at this rate: no early stop, the last epoch is the best.
    expect(probe.history.map((l) => l.monitor)).toEqual(Array<string>(7).fill('loss'));
    expect(probe.history.every((l) => l.value === l.loss)).toBe(true);
    expect(probe.provenance).toMatchObject({ validation: 'none', nValidation: 0, nTrain: 60 });
    expect(probe.provenance?.training).toMatchObject({ epochs: 7, bestEpoch: 7, stoppedEarly: false });
    probe.dispose();
  });

  it('validationSplit holds out a stratified, seeded part of the training rows', async () => {
    const { x, y } = blobs(80, 3, 2, 5);
    const fit = () => new Probe({ task: 'binary', validationSplit: 0.25, minEpochs: 1, maxEpochs: 3, seed: 9 }).fit(x, y);
    const [a, b] = await Promise.all([fit(), fit()]);
    expect(a.provenance).toMatchObject({ validation: 'split', nTrain: 60, nValidation: 20 });
    expect(a.history[0].monitor).toBe('auc');
    expect(b.toJSON().weights).toEqual(a.toJSON().weights);
    a.dispose();
    b.dispose();
  });

  it('standardisation statistics come from the training rows only', async () => {
    const train = blobs(50, 3, 2, 6, { offset: 5, scale: 2 });
    const shifted = blobs(30, 3, 2, 7, { offset: 100, scale: 50 });
    const probe = await new Probe({ task: 'binary', standardize: true, minEpochs: 1, maxEpochs: 2 }).fit(train.x, train.y, {
      validation: shifted,
    });
    const s = probe.toJSON().standardization;
    for (let j = 0; j < 3; j++) {
      const col = train.x.map((r) => r[j]).map(Math.fround);
      const mean = col.reduce((a, v) => a + v, 0) / col.length;
      const sd = Math.sqrt(col.reduce((a, v) => a + (v - mean) ** 2, 0) / col.length);
      expect(s?.mean[j]).toBe(Math.fround(mean));
      expect(s?.scale[j]).toBeCloseTo(sd, 5);
    }
    // Standardising is folded into prediction: the same input gives the same output however the probe is used.
    expect(probe.predictProba(shifted.x)).toEqual(Probe.fromJSON(probe.toJSON()).predictProba(shifted.x));
    probe.dispose();
  });

  it("classWeight: all-ones equals none exactly; 'balanced' lifts the minority class", async () => {
    // 90 / 10 imbalance with overlapping classes.
    const data = blobs(200, 2, 2, 8, { separation: 0.7 });
    const keep = data.y.map((c, i) => c === 0 || i % 18 === 1);
    const x = data.x.filter((_, i) => keep[i]);
    const y = data.y.filter((_, i) => keep[i]);
    const opts = { task: 'binary', minEpochs: 10, maxEpochs: 10, learningRate: 0.05 } as const;
    const plain = await new Probe(opts).fit(x, y);
    const ones = await new Probe({ ...opts, classWeight: { 0: 1, 1: 1 } }).fit(x, y);
    expect(ones.toJSON().weights).toEqual(plain.toJSON().weights);
    const balanced = await new Probe({ ...opts, classWeight: 'balanced' }).fit(x, y);
    const positives = (p: Probe) => p.predict(x).filter((v) => v === 1).length;
    expect(positives(balanced)).toBeGreaterThan(positives(plain));
    for (const p of [plain, ones, balanced]) p.dispose();
  });

  it('an abort signal stops training: fit rejects with its reason and leaves no tensors', async () => {
    const { x, y } = blobs(60, 3, 2, 9);
    const before = tf.memory().numTensors;
    const controller = new AbortController();
    const probe = new Probe({ task: 'binary', minEpochs: 5, maxEpochs: 5 });
    const pending = probe.fit(x, y, {
      signal: controller.signal,
      onEpoch: (l) => {
        if (l.epoch === 2) controller.abort(new Error('stop'));
      },
    });
    await expect(pending).rejects.toThrow('stop');
    expect(probe.isFitted).toBe(false);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('multiclass monitors kappa by default and learns separable blobs', async () => {
    const train = blobs(150, 4, 3, 10);
    const validation = blobs(60, 4, 3, 10);
    const probe = await new Probe({ task: 'multiclass', minEpochs: 3, maxEpochs: 8, learningRate: 0.05 }).fit(train.x, train.y, {
      validation,
    });
    expect(probe.history[0].monitor).toBe('kappa');
    expect(probe.evaluate(validation.x, validation.y).kappa).toBeGreaterThan(0.8);
    probe.dispose();
  });
});

import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { beforeAll, describe, expect, it } from 'vitest';
import { Probe, type ProbeOptions } from '../../../src/index.js';
import { blobs, multilabel } from './synthetic.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const cases: { options: ProbeOptions; data: { x: number[][]; y: unknown }; owned: number }[] = [
  // A fitted probe owns its kernel and bias, plus mean and scale when it standardises.
  { options: { task: 'binary', standardize: false, minEpochs: 2, maxEpochs: 2 }, data: blobs(40, 3, 2, 1), owned: 2 },
  { options: { task: 'multiclass', ordinal: true, standardize: true, minEpochs: 2, maxEpochs: 2 }, data: blobs(60, 3, 3, 2), owned: 4 },
  { options: { task: 'multilabel', validationSplit: 0.2, minEpochs: 2, maxEpochs: 2 }, data: multilabel(40, 3, 2, 3), owned: 4 },
  { options: { task: 'binary', solver: 'lbfgs' }, data: blobs(40, 3, 2, 4), owned: 4 },
];

describe('Probe: tfjs memory contract', () => {
  for (const { options, data, owned } of cases) {
    it(`${options.task} / ${options.solver ?? 'paper'}: only the weights stay, and dispose frees them`, async () => {
      const start = tf.memory().numTensors;
      const probe = new Probe(options);
      await probe.fit(data.x, data.y as never, { validation: options.validationSplit ? undefined : (data as never) });
      expect(tf.memory().numTensors).toBe(start + owned);
      const t = tf.tensor2d(Float32Array.from(data.x.flat()), [data.x.length, 3]);
      const withInput = tf.memory().numTensors;
      probe.predictProba(data.x);
      probe.predictProba(t);
      probe.predict(t);
      probe.evaluate(t, data.y as never);
      probe.toJSON();
      expect(() => probe.predict([[Number.NaN, 1, 2]])).toThrow();
      expect(() => probe.predict([[1, 2]])).toThrow();
      expect(tf.memory().numTensors).toBe(withInput);
      const copy = Probe.fromJSON(probe.toJSON());
      expect(tf.memory().numTensors).toBe(withInput + owned);
      copy.dispose();
      t.dispose();
      await expect(probe.fit(data.x.slice(0, 1), (data.y as unknown[]).slice(0, 2) as never)).rejects.toThrow();
      expect(tf.memory().numTensors).toBe(start + owned);
      probe.dispose();
      probe.dispose();
      expect(tf.memory().numTensors).toBe(start);
    });
  }

  it('an int32 tensor input is cast without leaking', async () => {
    const { x, y } = blobs(30, 3, 2, 5);
    const probe = await new Probe({ task: 'binary', minEpochs: 1, maxEpochs: 1 }).fit(x, y);
    const t = tf.tensor2d([1, 2, 3, 4, 5, 6], [2, 3], 'int32');
    const before = tf.memory().numTensors;
    expect(probe.predictProba(t)).toEqual(probe.predictProba([[1, 2, 3], [4, 5, 6]]));
    expect(tf.memory().numTensors).toBe(before);
    t.dispose();
    probe.dispose();
  });
});

import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { ConcatProbe, ShapeError } from '../../../src/index.js';
import { trainTest } from './synthetic.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const matrix = (rows: number[][]) => ({ data: Float32Array.from(rows.flat()), shape: [rows.length, rows[0].length] as [number, number] });

// ConcatProbe trains on the host: with plain inputs and validation rows it makes no input tensor.
describe('ConcatProbe on plain rows with validation', () => {
  const { train, test } = trainTest(60, 30, 3, 5);
  const sources = { a: 6, b: 4, c: 3 };
  const opts = { task: 'multiclass' as const, sources, seed: 2, minEpochs: 3, maxEpochs: 3 };
  const plain = (x: typeof train.x) => ({ a: matrix(x.a), b: matrix(x.b), c: matrix(x.c) });

  it('uploads nothing, reads the caller\'s arrays without changing them, and equals the fit from tensors', async () => {
    const x = plain(train.x);
    const xv = plain(test.x);
    const copies = [x.a.data, x.b.data, xv.c.data].map((a) => Float32Array.from(a));
    const before = tf.memory().numTensors;
    const during: number[] = [];
    const onHost = await new ConcatProbe(opts).fit(x, train.y, {
      validation: { x: xv, y: test.y },
      onEpoch: () => void during.push(tf.memory().numTensors - before),
    });
    // The model's kernel and bias only (the tensor path also holds 3 + 3 input tensors).
    expect(during).toEqual([2, 2, 2]);
    expect([x.a.data, x.b.data, xv.c.data]).toEqual(copies);
    const tensors = (m: ReturnType<typeof plain>) => ({ a: tf.tensor2d(m.a.data, m.a.shape), b: tf.tensor2d(m.b.data, m.b.shape), c: tf.tensor2d(m.c.data, m.c.shape) });
    const [xt, xvt] = [tensors(x), tensors(xv)];
    const fromTensors = await new ConcatProbe(opts).fit(xt, train.y, { validation: { x: xvt, y: test.y } });
    expect(onHost.history).toEqual(fromTensors.history);
    expect(onHost.predictProba(xv)).toEqual(fromTensors.predictProba(xv));
    expect(onHost.provenance).toMatchObject({ nTrain: 60, nValidation: 30, validation: 'given' });
    tf.dispose([...Object.values(xt), ...Object.values(xvt)]);
    onHost.dispose();
    fromTensors.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('still checks that every source has the same rows, leaking nothing', async () => {
    const before = tf.memory().numTensors;
    const x = { ...plain(train.x), c: matrix(train.x.c.slice(1)) };
    const probe = new ConcatProbe(opts);
    await expect(probe.fit(x, train.y, { validation: { x: plain(test.x), y: test.y } })).rejects.toThrow(ShapeError);
    probe.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });
});

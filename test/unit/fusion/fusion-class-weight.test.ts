import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { InvalidArgumentError } from '../../../src/errors/index.js';
import { ConcatProbe, DynamicVisualMetaEmbedding } from '../../../src/index.js';
import { fusionLoss } from '../../../src/fusion/train-fusion.js';
import { QUICK, SOURCES, trainTest } from './synthetic.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('fusion models: classWeight', () => {
  it('weighs each cross-entropy term and divides by the number of terms (hand computation)', () => {
    const before = tf.memory().numTensors;
    // Softmax: rows with logits [0, ln 3] -> p = [1/4, 3/4]; truth 1 and 0; weights 2 and 0.5.
    const z = tf.tensor2d([[0, Math.log(3)], [0, Math.log(3)]]);
    const y = tf.tensor2d([[0, 1], [1, 0]]);
    const w = tf.tensor1d([2, 0.5]);
    const want = (2 * -Math.log(0.75) + 0.5 * -Math.log(0.25)) / 2;
    const lm = tf.tidy(() => fusionLoss('multiclass', z, y, w));
    expect(lm.dataSync()[0]).toBeCloseTo(want, 5);
    lm.dispose();
    // Sigmoid (binary): logit ln 3 -> p = 3/4; truths 1, 0; weights 1, 3.
    const zb = tf.tensor2d([[Math.log(3)], [Math.log(3)]]);
    const yb = tf.tensor2d([[1], [0]]);
    const wb = tf.tensor1d([1, 3]);
    const lb = tf.tidy(() => fusionLoss('binary', zb, yb, wb));
    expect(lb.dataSync()[0]).toBeCloseTo((-Math.log(0.75) + 3 * -Math.log(0.25)) / 2, 5);
    tf.dispose([z, y, w, zb, yb, wb, lb]);
    expect(tf.memory().numTensors).toBe(before);
  });

  it("'balanced' weights shift predictions towards a rare class", async () => {
    const { train, test } = trainTest(120, 60, 2, 5);
    // Keep one positive in six: the unweighted fit favours the majority.
    const keep = train.y.map((c, i) => c === 0 || i % 6 === 1);
    const pick = <R,>(rows: R[]) => rows.filter((_, i) => keep[i]);
    const x = { a: pick(train.x.a).map((r) => r.map((v) => v * 0.2)), b: pick(train.x.b).map((r) => r.map((v) => v * 0.2)), c: pick(train.x.c) };
    const y = pick(train.y);
    const before = tf.memory().numTensors;
    const positives = async (classWeight?: 'balanced') => {
      const est = await new ConcatProbe({ sources: SOURCES, task: 'binary', seed: 1, ...QUICK, ...(classWeight ? { classWeight } : {}) }).fit(x, y);
      const p = est.predictProba(test.x);
      est.dispose();
      return p.reduce((a, v) => a + v, 0);
    };
    expect(await positives('balanced')).toBeGreaterThan(await positives());
    expect(tf.memory().numTensors).toBe(before);
  });

  it('rejects a weight for an unknown label', async () => {
    const { train } = trainTest(30, 0, 2, 1);
    const est = new ConcatProbe({ sources: SOURCES, task: 'binary', ...QUICK, classWeight: { 7: 2 } });
    await expect(est.fit(train.x, train.y)).rejects.toThrow(/classWeight has a weight for label 7/);
    est.dispose();
    expect(() => new ConcatProbe({ sources: SOURCES, task: 'binary', classWeight: { 0: -1 } })).toThrow(InvalidArgumentError);
  });
});

describe('fusion models: ordinal thresholds', () => {
  it('fits K - 1 cut points on the validation rows, predicts with them, and keeps them in JSON', async () => {
    const { train, test } = trainTest(90, 60, 3, 2);
    const before = tf.memory().numTensors;
    const est = await new DynamicVisualMetaEmbedding({ sources: SOURCES, task: 'multiclass', ordinal: true, attention: false, projectionDim: 4, ...QUICK }).fit(
      train.x,
      train.y,
      { validation: test },
    );
    expect(est.thresholds).toHaveLength(2);
    const [t0, t1] = est.thresholds as number[];
    expect(t0).toBeLessThanOrEqual(t1);
    // predict = number of cut points at or below the expected grade.
    const proba = est.predictProba(test.x);
    const byHand = proba.map((p) => {
      const e = p[1] + 2 * p[2];
      return (e >= t0 ? 1 : 0) + (e >= t1 ? 1 : 0);
    });
    expect(est.predict(test.x)).toEqual(byHand);
    const back = DynamicVisualMetaEmbedding.fromJSON(JSON.parse(JSON.stringify(est)));
    expect(back.thresholds).toEqual(est.thresholds);
    back.dispose();
    est.dispose();
    expect(tf.memory().numTensors).toBe(before);
    expect(() => new ConcatProbe({ sources: SOURCES, task: 'binary', ordinal: true })).toThrow(/ordinal needs task 'multiclass'/);
  });
});

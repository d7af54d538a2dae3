import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { beforeAll, describe, expect, it } from 'vitest';
import { InvalidArgumentError } from '../../../src/errors/index.js';
import { cohenKappaScore } from '../../../src/metrics/index.js';
import { applyOrdinalThresholds, expectedGrade, Probe } from '../../../src/index.js';
import { ordinal } from './synthetic.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('Probe: ordinal grades', () => {
  // Five grades from one noisy feature; a briefly trained probe spreads its probability mass,
  // so the argmax favours middle grades: the case the thresholds are for.
  const train = ordinal(200, 3, 5, 1);
  const validation = ordinal(150, 3, 5, 2);
  const test = ordinal(150, 3, 5, 3);
  const options = { task: 'multiclass', ordinal: true, minEpochs: 5, maxEpochs: 5, learningRate: 0.02, seed: 1 } as const;

  it('fits sorted thresholds on the validation set that beat the argmax in quadratic kappa there and on new data', async () => {
    const probe = await new Probe(options).fit(train.x, train.y, { validation });
    const t = probe.thresholds as number[];
    expect(t).toHaveLength(4);
    expect([...t].sort((a, b) => a - b)).toEqual(t);
    for (const data of [validation, test]) {
      const e = probe.evaluate(data.x, data.y);
      expect(e.argmax).toBeDefined();
      expect(e.quadraticKappa).toBeGreaterThan((e.argmax?.quadraticKappa ?? 1) + 0.02);
    }
    probe.dispose();
  });

  it('predict cuts the expected grade with the thresholds; evaluate reports both decisions', async () => {
    const probe = await new Probe(options).fit(train.x, train.y, { validation });
    const grades = applyOrdinalThresholds(expectedGrade(probe.predictProba(test.x)), probe.thresholds as number[]);
    expect(probe.predict(test.x)).toEqual(Array.from(grades));
    const e = probe.evaluate(test.x, test.y);
    expect(e.quadraticKappa).toBeCloseTo(cohenKappaScore(test.y, Array.from(grades), { weights: 'quadratic' }), 12);
    const argmax = probe.predictProba(test.x).map((r) => r.indexOf(Math.max(...r)));
    expect(e.argmax?.quadraticKappa).toBeCloseTo(cohenKappaScore(test.y, argmax, { weights: 'quadratic' }), 12);
    probe.dispose();
  });

  it('labels map to grades in ascending order', async () => {
    const relabel = (y: number[]) => y.map((g) => [0, 10, 20, 30, 40][g]);
    const probe = await new Probe(options).fit(train.x, relabel(train.y), {
      validation: { x: validation.x, y: relabel(validation.y) },
    });
    expect(probe.classes).toEqual([0, 10, 20, 30, 40]);
    expect(probe.predict(test.x).every((l) => l % 10 === 0)).toBe(true);
    probe.dispose();
  });

  it('is for multiclass probes only', () => {
    expect(() => new Probe({ task: 'binary', ordinal: true })).toThrow(InvalidArgumentError);
    expect(() => new Probe({ task: 'multilabel', ordinal: true })).toThrow(InvalidArgumentError);
  });
});

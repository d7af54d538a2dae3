import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { beforeAll, describe, expect, it } from 'vitest';
import { Probe } from '../../../src/index.js';
import { DVME_VERSION } from '../../../src/version.js';
import { blobs } from './synthetic.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('ProbeJSON', () => {
  it('records the dvme version of package.json', () => {
    const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string };
    expect(DVME_VERSION).toBe(pkg.version);
  });

  it('holds kind, version, hyperparameters, label map, statistics, weights, thresholds and provenance', async () => {
    const train = blobs(45, 3, 3, 1, { labels: [4, 1, 9] });
    const probe = await new Probe({ task: 'multiclass', ordinal: true, standardize: true, minEpochs: 1, maxEpochs: 2, seed: 5 }).fit(
      train.x,
      train.y,
      { source: 'swav_rn50' },
    );
    const json = JSON.parse(JSON.stringify(probe)) as Record<string, unknown>;
    expect(Object.keys(json).sort()).toEqual(
      ['classes', 'hyperparameters', 'kind', 'numLabels', 'provenance', 'standardization', 'thresholds', 'version', 'weights'].sort(),
    );
    expect(json).toMatchObject({
      kind: 'dvme.Probe',
      version: 1,
      classes: [1, 4, 9],
      numLabels: null,
      hyperparameters: { task: 'multiclass', solver: 'paper', ordinal: true, seed: 5, maxEpochs: 2 },
      weights: { outputs: 3, features: 3 },
      provenance: {
        source: 'swav_rn50',
        numFeatures: 3,
        nTrain: 45,
        nValidation: 0,
        validation: 'none',
        seed: 5,
        solver: 'paper',
        backend: 'cpu',
        dvmeVersion: DVME_VERSION,
        training: { epochs: 2 },
      },
    });
    expect((json.weights as { coef: number[] }).coef).toHaveLength(9);
    expect(json.thresholds).toHaveLength(2);
    probe.dispose();
  });
});

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { beforeAll, describe, expect, it } from 'vitest';
import { computeTrainingBaseline, type BaselineRecord } from './baseline-cases.js';

// test/fixtures/training/baseline.json was written by scripts/fixtures/training_baseline.ts on
// the code before the training loop and the estimators were merged: the merged code must give
// the same bytes (probabilities, weights) and the same epoch logs, case by case.
const fixture = JSON.parse(readFileSync(join(import.meta.dirname, '../../fixtures/training/baseline.json'), 'utf8')) as {
  backend: string;
  cases: Record<string, BaselineRecord>;
};

let computed: Record<string, BaselineRecord>;

beforeAll(async () => {
  await tf.setBackend('cpu');
  // Through JSON as the fixture went (NaN -> null), so both sides compare alike.
  computed = JSON.parse(JSON.stringify(await computeTrainingBaseline())) as Record<string, BaselineRecord>;
}, 120_000);

describe('training: bit-identical to the recorded baseline', () => {
  it('was recorded on the cpu backend, with every case', () => {
    expect(fixture.backend).toBe('cpu');
    expect(Object.keys(computed)).toEqual(Object.keys(fixture.cases));
  });

  it.each(Object.keys(fixture.cases))('%s', (name) => {
    expect(computed[name]).toEqual(fixture.cases[name]);
  });
});

import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { beforeAll, describe, expect, it } from 'vitest';
import type { EmbeddingMatrix } from '../../../src/data/embedding-matrix.js';
import { InvalidArgumentError } from '../../../src/errors/index.js';
import {
  bestSingleSource,
  pairedDifference,
  runFusionEvaluation,
  runLinearEvaluation,
  sampleSubset,
  validatedDifference,
  type FusionEvaluationResult,
  type FusionEvaluationRun,
} from '../../../src/protocol/index.js';
import { runSeed } from '../../../src/protocol/run-seed.js';
import { gaussian, rng } from '../probe/synthetic.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const matrix = (rows: number[][]): EmbeddingMatrix => ({ data: Float32Array.from(rows.flat()), shape: [rows.length, rows[0].length] });

/** n rows of round-robin labels (k classes), class-centred `separation` apart, unit noise. */
function rows(n: number, d: number, k: number, seed: number, separation: number) {
  const noise = gaussian(rng(seed));
  const y = Array.from({ length: n }, (_, i) => i % k);
  return { x: matrix(y.map((c) => Array.from({ length: d }, (_, j) => (j === c % d ? separation : 0) + noise()))), y };
}

const train = { good: rows(80, 3, 2, 1, 2), weak: rows(80, 2, 2, 2, 0.3) };
const val = { good: rows(40, 3, 2, 3, 2), weak: rows(40, 2, 2, 4, 0.3) };
const test = { good: rows(60, 3, 2, 5, 2), weak: rows(60, 2, 2, 6, 0.3) };
const base = {
  task: 'binary' as const,
  metric: 'auc' as const,
  sources: { good: train.good.x, weak: train.weak.x },
  labels: train.good.y,
  validation: { sources: { good: val.good.x, weak: val.weak.x }, labels: val.good.y },
  test: { sources: { good: test.good.x, weak: test.weak.x }, labels: test.good.y },
  sizes: { S: 20, F: 'all' as const },
  repeats: 2,
  seed: 3,
};

describe('per-run validation draws', () => {
  it('draw max(min, round(fraction * n)) class-balanced rows per run, seeded like the training draw', async () => {
    const r = await runLinearEvaluation({ ...base, solver: 'lbfgs', validationDraw: true });
    expect(r.validation).toBe('drawn');
    // S: max(10, 0.2 * 20) = 10 rows; F: max(10, 0.2 * 80) = 16 rows.
    for (const s of ['good', 'weak']) {
      expect(r.results[s].S.runs.map((x) => x.validationSize)).toEqual([10, 10]);
      expect(r.results[s].F.runs.map((x) => x.validationSize)).toEqual([16, 16]);
    }
    const bigger = await runLinearEvaluation({ ...base, solver: 'lbfgs', validationDraw: { fraction: 0.5, min: 2 }, sizes: { F: 'all' }, repeats: 1 });
    expect(bigger.results.good.F.runs[0].validationSize).toBe(40);
    // The draw itself: the same rows a sampleSubset of the validation labels with the run's seed gives.
    const rowsOfRun = sampleSubset(val.good.y, { size: 10, seed: runSeed(3, 20, 0), balanced: true }).train;
    const probe = await runLinearEvaluation({ ...base, solver: 'lbfgs', validationDraw: true, sizes: { S: 20 }, repeats: 1 });
    expect(rowsOfRun.length).toBe(10);
    expect(Array.from(rowsOfRun, (i) => val.good.y[i]).filter((c) => c === 1)).toHaveLength(5);
    expect(probe.results.good.S.runs[0].validationValue).toBeGreaterThanOrEqual(0);
  });

  it('records every run\'s validation score (the same metric on its validation rows)', async () => {
    const r = await runLinearEvaluation({ ...base, solver: 'lbfgs', sizes: { F: 'all' }, repeats: 1 });
    expect(r.validation).toBe('given');
    expect(r.results.good.F.runs[0].validationValue).toBeGreaterThan(0.8);
    expect(r.results.weak.F.runs[0].validationValue).toBeLessThan(r.results.good.F.runs[0].validationValue as number);
  });

  it('rejects a draw without a validation set, and bad sizes', async () => {
    const { validation: _v, ...noValidation } = base;
    await expect(runLinearEvaluation({ ...noValidation, validationDraw: true })).rejects.toThrow(/validationDraw draws from the validation set/);
    await expect(runLinearEvaluation({ ...base, validationDraw: { fraction: 0 } })).rejects.toThrow(InvalidArgumentError);
    await expect(runLinearEvaluation({ ...base, validationDraw: { min: 0.5 } })).rejects.toThrow(/validationDraw.min must be a positive integer/);
  });
});

describe("runFusionEvaluation with 'robust'", () => {
  let result: FusionEvaluationResult;
  beforeAll(async () => {
    const before = tf.memory().numTensors;
    result = await runFusionEvaluation({ ...base, models: ['robust'], singleSolver: 'lbfgs', validationDraw: true });
    expect(tf.memory().numTensors).toBe(before);
  }, 60_000);

  it('records what it chose, and predicts as the chosen source where it chose one', () => {
    for (const size of ['S', 'F']) {
      const runs: readonly FusionEvaluationRun[] = result.fusion.robust[size].runs;
      runs.forEach((run, i) => {
        expect(run.chosen).toMatch(/^(source:good|source:weak|concat|average)$/);
        if (run.chosen === 'source:good') expect(run.value).toBeCloseTo(result.single.results.good[size].runs[i].value, 6);
      });
    }
    expect(result.fusion.robust.F.mean).toBeGreaterThan(0.85);
  });

  it('validatedDifference picks per repeat the source with the best validation score', () => {
    for (const size of ['S', 'F']) {
      const d = validatedDifference(result, 'robust', size);
      d.sources.forEach((s, i) => {
        const v = (src: string) => result.single.results[src][size].runs[i].validationValue as number;
        const other = s === 'good' ? 'weak' : 'good';
        expect(v(s)).toBeGreaterThanOrEqual(v(other));
        expect(d.values[i]).toBeCloseTo(result.fusion.robust[size].runs[i].value - result.single.results[s][size].runs[i].value, 12);
      });
      // The oracle compares with the best test mean.
      expect(pairedDifference(result, 'robust', bestSingleSource(result, size), size).values).toHaveLength(2);
    }
  });

  it('keeps the paper models as the default list', async () => {
    const r = await runFusionEvaluation({ ...base, sizes: { F: 'all' }, repeats: 1, singleSolver: 'lbfgs', training: { minEpochs: 1, maxEpochs: 1, projectionDim: 2, sourceHeads: 1 }, models: undefined });
    expect(r.models).toEqual(['concat', 'dme', 'dvme', 'dvme-source', 'dvme-noattn']);
  }, 60_000);
});

describe('multilabel fusion evaluation', () => {
  it('trains fusion models on a multilabel task, scored by macro AUC, with the AUC of every label per run', async () => {
    const y = train.good.y.map((c, i) => [c, i % 3 === 0 ? 1 : 0]);
    const yVal = val.good.y.map((c, i) => [c, i % 3 === 0 ? 1 : 0]);
    const yTest = test.good.y.map((c, i) => [c, i % 3 === 0 ? 1 : 0]);
    const r = await runFusionEvaluation({
      ...base,
      task: 'multilabel',
      labels: y,
      validation: { ...base.validation, labels: yVal },
      test: { ...base.test, labels: yTest },
      sizes: { F: 'all' },
      repeats: 1,
      singleSolver: 'lbfgs',
      models: ['concat', 'robust'],
      training: { minEpochs: 3, maxEpochs: 3, batchSize: 16, learningRate: 0.02 },
    });
    // Label 0 is learnable from `good`, label 1 is not: the macro AUC is about (1 + 0.5) / 2.
    for (const m of ['concat', 'robust']) {
      const run = r.fusion[m].F.runs[0];
      expect(run.aucPerLabel).toHaveLength(2);
      expect(run.value).toBeCloseTo(((run.aucPerLabel?.[0] ?? 0) + (run.aucPerLabel?.[1] ?? 0)) / 2, 12);
      expect(run.aucPerLabel?.[0]).toBeGreaterThan(0.9);
      expect(r.fusion[m].F.mean).toBeGreaterThan(0.6);
      expect(r.fusion[m].F.mean).toBeLessThan(0.9);
    }
  }, 60_000);
});

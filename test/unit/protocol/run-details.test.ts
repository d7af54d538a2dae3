import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { beforeAll, describe, expect, it } from 'vitest';
import type { EmbeddingMatrix } from '../../../src/data/embedding-matrix.js';
import { cohenKappaScore } from '../../../src/metrics/index.js';
import { runFusionEvaluation, runLinearEvaluation, type FusionEvaluationResult } from '../../../src/protocol/index.js';
import { gaussian, rng } from '../probe/synthetic.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const matrix = (rows: number[][]): EmbeddingMatrix => ({ data: Float32Array.from(rows.flat()), shape: [rows.length, rows[0].length] });

function problem(n: number, d: number, k: number, seed: number, separation: number) {
  const noise = gaussian(rng(seed));
  const y = Array.from({ length: n }, (_, i) => i % k);
  const x = y.map((c) => Array.from({ length: d }, (_, j) => (j === c % d ? separation : 0) + noise()));
  return { train: matrix(x.slice(0, 60)), test: matrix(x.slice(60)), yTrain: y.slice(0, 60), yTest: y.slice(60) };
}
const good = problem(90, 3, 3, 1, 4);
const weak = problem(90, 2, 3, 2, 0);

describe('details: true', () => {
  let result: FusionEvaluationResult;
  beforeAll(async () => {
    const before = tf.memory().numTensors;
    result = await runFusionEvaluation({
      task: 'multiclass',
      metric: 'quadraticKappa',
      singleSolver: 'paper',
      sources: { good: good.train, weak: weak.train },
      labels: good.yTrain,
      test: { sources: { good: good.test, weak: weak.test }, labels: good.yTest },
      validationFraction: 0.2,
      sizes: { F: 'all' },
      repeats: 1,
      models: ['concat', 'dvme-source', 'dvme-noattn'],
      training: { minEpochs: 3, maxEpochs: 4, batchSize: 8, learningRate: 0.02, projectionDim: 4, sourceHeads: 2 },
      probeOptions: { minEpochs: 3, maxEpochs: 4 },
      details: true,
    });
    expect(tf.memory().numTensors).toBe(before);
  }, 60_000);

  const allRuns = () => [
    ...result.single.sources.map((s) => result.single.results[s].F.runs[0]),
    ...result.models.map((m) => result.fusion[m].F.runs[0]),
  ];

  it('keeps one probability row per test image, each a distribution over the classes', () => {
    for (const run of allRuns()) {
      const p = run.details!.probabilities as number[][];
      expect(p).toHaveLength(30);
      for (const row of p) {
        expect(row).toHaveLength(3);
        expect(row.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
      }
      expect(run.details!.classes).toEqual([0, 1, 2]);
    }
  });

  it('keeps the predictions the score was computed from', () => {
    for (const run of allRuns()) {
      const kappa = cohenKappaScore(good.yTest, run.details!.predictions as number[], { weights: 'quadratic' });
      expect(kappa).toBeCloseTo(run.value, 10);
    }
  });

  it('keeps the training history with the kept epoch marked', () => {
    for (const m of result.models) {
      const run = result.fusion[m].F.runs[0];
      expect(run.details!.history).toHaveLength(run.epochs);
      expect(run.details!.history.filter((e) => e.improved).at(-1)?.epoch).toBe(run.bestEpoch);
    }
  });

  it('keeps an attention map only for DVME with self-attention; source-token rows sum to 1', () => {
    const map = result.fusion['dvme-source'].F.runs[0].details!.attention!;
    expect(map).toHaveLength(2);
    for (const row of map) expect(row[0] + row[1]).toBeCloseTo(1, 5);
    expect(result.fusion['dvme-noattn'].F.runs[0].details!.attention).toBeUndefined();
    expect(result.fusion.concat.F.runs[0].details!.attention).toBeUndefined();
  });

  it('is left out by default', async () => {
    const r = await runLinearEvaluation({
      task: 'multiclass', metric: 'accuracy', solver: 'lbfgs', sources: { good: good.train }, labels: good.yTrain,
      test: { sources: { good: good.test }, labels: good.yTest }, sizes: { F: 'all' }, repeats: 1,
    });
    expect('details' in r.results.good.F.runs[0]).toBe(false);
  });

  it('binary tasks keep one probability per row', async () => {
    const y = good.yTrain.map((c) => (c === 0 ? 1 : 0));
    const yTest = good.yTest.map((c) => (c === 0 ? 1 : 0));
    const r = await runLinearEvaluation({
      task: 'binary', metric: 'auc', solver: 'lbfgs', sources: { good: good.train }, labels: y,
      test: { sources: { good: good.test }, labels: yTest }, sizes: { F: 'all' }, repeats: 1, details: true,
    });
    const d = r.results.good.F.runs[0].details!;
    expect(d.probabilities).toHaveLength(30);
    expect(typeof d.probabilities[0]).toBe('number');
    expect(d.history).toEqual([]);
  });
});

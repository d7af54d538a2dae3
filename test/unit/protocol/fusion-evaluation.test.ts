import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { beforeAll, describe, expect, it } from 'vitest';
import type { EmbeddingMatrix } from '../../../src/data/embedding-matrix.js';
import { InvalidArgumentError } from '../../../src/errors/index.js';
import {
  bestSingleSource,
  formatFusionMarkdown,
  pairedDifference,
  runFusionEvaluation,
  runLinearEvaluation,
  type FusionEvaluationOptions,
  type FusionEvaluationResult,
} from '../../../src/protocol/index.js';
import { gaussian, rng } from '../probe/synthetic.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const matrix = (rows: number[][]): EmbeddingMatrix => ({ data: Float32Array.from(rows.flat()), shape: [rows.length, rows[0].length] });

/** Class-centred rows (`separation` apart, unit noise) of `n` round-robin labels; train / test split at `nTrain`. */
function problem(n: number, d: number, k: number, seed: number, separation: number, nTrain: number) {
  const noise = gaussian(rng(seed));
  const y = Array.from({ length: n }, (_, i) => i % k);
  const x = y.map((c) => Array.from({ length: d }, (_, j) => (j === c % d ? separation : 0) + noise()));
  return { train: matrix(x.slice(0, nTrain)), test: matrix(x.slice(nTrain)), yTrain: y.slice(0, nTrain), yTest: y.slice(nTrain) };
}

// Both sources share the round-robin labels; one is separable, one is noise.
const good = problem(90, 3, 3, 1, 4, 60);
const weak = problem(90, 2, 3, 2, 0, 60);

function options(extra: Partial<FusionEvaluationOptions<'multiclass'>> = {}): FusionEvaluationOptions<'multiclass'> {
  return {
    task: 'multiclass',
    metric: 'quadraticKappa',
    singleSolver: 'lbfgs',
    sources: { good: good.train, weak: weak.train },
    labels: good.yTrain,
    test: { sources: { good: good.test, weak: weak.test }, labels: good.yTest },
    sizes: { S: 15, F: 'all' },
    repeats: 2,
    seed: 7,
    training: { minEpochs: 3, maxEpochs: 4, batchSize: 8, learningRate: 0.02, projectionDim: 4, sourceHeads: 2 },
    ...extra,
  };
}

describe('runFusionEvaluation', () => {
  let result: FusionEvaluationResult;
  const progress: string[] = [];

  beforeAll(async () => {
    const before = tf.memory().numTensors;
    result = await runFusionEvaluation(options({ onProgress: (done, total, label) => progress.push(`${done}/${total} ${label}`) }));
    expect(tf.memory().numTensors).toBe(before);
  }, 60_000);

  it('trains every model on every size and repeat, paired with the single-source runs', () => {
    expect(result.kind).toBe('dvme.fusion-evaluation');
    expect(result.models).toEqual(['concat', 'dme', 'dvme', 'dvme-source', 'dvme-noattn']);
    expect(result.fusionSources).toEqual(['good', 'weak']);
    for (const model of result.models) {
      for (const { name } of result.sizes) {
        const cell = result.fusion[model][name];
        const single = result.single.results.good[name].runs;
        expect(cell.runs).toHaveLength(2);
        expect(cell.runs.map((r) => r.seed)).toEqual(single.map((r) => r.seed));
        expect(cell.runs.map((r) => r.trainSize)).toEqual(single.map((r) => r.trainSize));
        for (const run of cell.runs) {
          expect(Number.isFinite(run.value)).toBe(true);
          expect(run.epochs).toBeGreaterThanOrEqual(3);
          expect(run.wallMs).toBeGreaterThan(0);
        }
      }
    }
    expect(result.fusion.concat.F.runs[0].trainSize).toBe(60);
    expect(result.fusion.concat.S.runs[0].trainSize).toBe(15);
  });

  it('reports progress for every run, singles first', () => {
    expect(progress).toHaveLength((2 + 5) * 2 * 2);
    expect(progress[0]).toBe('1/28 good S 1/2');
    expect(progress.at(-1)).toBe('28/28 dvme-noattn F 2/2');
  });

  it('single-source runs equal a separate runLinearEvaluation with the same options', async () => {
    const { models: _m, training: _t, singleSolver: _s, ...linear } = options();
    const alone = await runLinearEvaluation({ ...linear, solver: 'lbfgs' });
    expect(result.single.results.good.S.runs.map((r) => r.value)).toEqual(alone.results.good.S.runs.map((r) => r.value));
  });

  it('the fusion models use the separable source', () => {
    expect(bestSingleSource(result, 'F')).toBe('good');
    for (const model of result.models) expect(result.fusion[model].F.mean).toBeGreaterThan(0.8);
  });

  it('paired differences are per-repeat differences', () => {
    const d = pairedDifference(result, 'concat', 'good', 'S');
    const f = result.fusion.concat.S.runs;
    const s = result.single.results.good.S.runs;
    expect(d.values).toEqual([f[0].value - s[0].value, f[1].value - s[1].value]);
    expect(d.mean).toBeCloseTo((d.values[0] + d.values[1]) / 2, 12);
  });

  it('formats the paper Table 4 layout and survives JSON', () => {
    const md = formatFusionMarkdown(result, { title: 'synthetic', digits: 3 });
    expect(md).toContain('## synthetic');
    expect(md).toContain('| size | best fused source alone | concat (Δ) | dme (Δ) | dvme (Δ) | dvme-source (Δ) | dvme-noattn (Δ) |');
    expect(md).toMatch(/\| S \(15\) \| good: [0-9.-]+ ± /);
    expect(md).toContain('| F (all: 60) |');
    expect(md).toContain('Single sources:');
    expect(formatFusionMarkdown(result, { against: 'all' })).toContain('| size | best single source | concat (Δ)');
    const back = JSON.parse(JSON.stringify(result)) as FusionEvaluationResult;
    expect(back.fusion.dvme.S.runs[1].seed).toBe(result.fusion.dvme.S.runs[1].seed);
  });
});

describe('runFusionEvaluation checks its options before any run', () => {
  it.each([
    [{ models: ['dvme', 'transformer'] }, /Unknown fusion model "transformer"/],
    [{ models: [] }, /models must list at least one/],
    [{ models: ['dme', 'dme'] }, /lists a model twice/],
    [{ fusionSources: ['good', 'nope'] }, /fusionSources must list sources among \[good, weak\]/],
    [{ sizes: { S: 1000 } }, /training pool has 60 rows/],
  ])('%j', async (extra, message) => {
    let calls = 0;
    const run = runFusionEvaluation(options({ ...(extra as object), onProgress: () => calls++ }));
    await expect(run).rejects.toThrow(InvalidArgumentError);
    await expect(runFusionEvaluation(options(extra as object))).rejects.toThrow(message);
    expect(calls).toBe(0);
  });

  it('fuses only the chosen sources', async () => {
    const r = await runFusionEvaluation(options({ models: ['concat'], fusionSources: ['weak'], sizes: { F: 'all' }, repeats: 1 }));
    expect(r.fusionSources).toEqual(['weak']);
    expect(bestSingleSource(r, 'F')).toBe('weak');
    expect(bestSingleSource(r, 'F', r.single.sources)).toBe('good');
    expect(formatFusionMarkdown(r, { against: 'all' })).toMatch(/\| good: /);
    expect(r.single.sources).toEqual(['good', 'weak']);
  });
});

describe('runFusionEvaluation standardize', () => {
  it('standardises fusion inputs with the draw statistics: tiny-valued features still train', async () => {
    const tiny = { data: good.train.data.map((v) => v * 1e-4), shape: good.train.shape };
    const tinyTest = { data: good.test.data.map((v) => v * 1e-4), shape: good.test.shape };
    const base = options({ models: ['concat'], sizes: { F: 'all' }, repeats: 1, probeOptions: { standardize: true } });
    const run = (standardize: boolean) =>
      runFusionEvaluation({
        ...base,
        standardize,
        sources: { good: tiny, weak: weak.train },
        test: { sources: { good: tinyTest, weak: weak.test }, labels: good.yTest },
      });
    const on = await run(true);
    expect(on.standardize).toBe(true);
    expect(on.fusion.concat.F.mean).toBeGreaterThan(0.8);
    expect((await run(false)).fusion.concat.F.mean).toBeLessThan(on.fusion.concat.F.mean);
  });
});

describe('TSDoc example of runFusionEvaluation', () => {
  it('runs and formats', async () => {
    const rows = (n: number, shift: number) => ({
      data: Float32Array.from({ length: n * 2 }, (_, i) => ((i >> 1) % 2) * shift + (i % 3) * 0.1),
      shape: [n, 2] as const,
    });
    const labels = Array.from({ length: 40 }, (_, i) => i % 2);
    const result = await runFusionEvaluation({
      task: 'binary', metric: 'auc', repeats: 2, sizes: { S: 10, F: 'all' }, models: ['concat', 'dvme-noattn'],
      training: { minEpochs: 2, maxEpochs: 3, projectionDim: 4 },
      sources: { good: rows(40, 3), weak: rows(40, 0.1) }, labels,
      test: { sources: { good: rows(20, 3), weak: rows(20, 0.1) }, labels: labels.slice(0, 20) },
    });
    expect(formatFusionMarkdown(result)).toContain('| S (10) |');
  });
});

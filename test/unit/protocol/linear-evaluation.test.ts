import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { beforeAll, describe, expect, it } from 'vitest';
import type { EmbeddingMatrix } from '../../../src/data/embedding-matrix.js';
import { AbortError, InvalidArgumentError, ShapeError } from '../../../src/errors/index.js';
import { runLinearEvaluation, type LinearEvaluationOptions, type LinearEvaluationResult } from '../../../src/protocol/index.js';
import { stratumOfRows } from '../../../src/protocol/linear-evaluation.js';
import { blobs, multilabel } from '../probe/synthetic.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const matrix = (rows: number[][]): EmbeddingMatrix => ({ data: Float32Array.from(rows.flat()), shape: [rows.length, rows[0].length] });

/** Train and test rows of one blob problem, split at `nTrain`. */
function problem(n: number, d: number, k: number, seed: number, separation: number, nTrain: number) {
  const { x, y } = blobs(n, d, k, seed, { separation });
  return { train: matrix(x.slice(0, nTrain)), test: matrix(x.slice(nTrain)), yTrain: y.slice(0, nTrain), yTest: y.slice(nTrain) };
}

// Same labels for both sources (blobs assigns labels round-robin), different separability.
const good = problem(120, 4, 2, 1, 3, 80);
const weak = problem(120, 4, 2, 2, 0.2, 80);

function binaryOptions(extra: Partial<LinearEvaluationOptions<'binary'>> = {}): LinearEvaluationOptions<'binary'> {
  return {
    task: 'binary',
    metric: 'auc',
    solver: 'lbfgs',
    sources: { good: good.train, weak: weak.train },
    labels: good.yTrain,
    test: { sources: { good: good.test, weak: weak.test }, labels: good.yTest },
    sizes: { S: 10, F: 'all' },
    repeats: 3,
    seed: 5,
    ...extra,
  };
}

const values = (r: LinearEvaluationResult, source: string, size: string) => r.results[source][size].runs.map((x) => x.value);

describe('runLinearEvaluation', () => {
  it('runs every source x size x repeat, pairs sources on one draw, and summarises with the sample std', async () => {
    const progress: [number, number, string][] = [];
    const before = tf.memory().numTensors;
    const r = await runLinearEvaluation(binaryOptions({ onProgress: (d, t, l) => progress.push([d, t, l]) }));
    expect(tf.memory().numTensors).toBe(before);
    expect(r).toMatchObject({ kind: 'dvme.linear-evaluation', version: 1, task: 'binary', metric: 'auc', solver: 'lbfgs', repeats: 3, validation: 'none' });
    expect(r.sources).toEqual(['good', 'weak']);
    expect(r.sizes).toEqual([{ name: 'S', size: 10 }, { name: 'F', size: 'all' }]);
    expect(progress.map((p) => p[0])).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
    expect(progress[0]).toEqual([1, 12, 'good S 1/3']);
    for (const size of ['S', 'F']) {
      const g = r.results.good[size];
      const w = r.results.weak[size];
      expect(g.runs).toHaveLength(3);
      // Paired: the same seeds (hence the same draws) for every source; distinct across repeats.
      expect(g.runs.map((x) => x.seed)).toEqual(w.runs.map((x) => x.seed));
      expect(new Set(g.runs.map((x) => x.seed)).size).toBe(3);
      const v = values(r, 'good', size);
      const m = v.reduce((a, b) => a + b, 0) / 3;
      expect(g.mean).toBeCloseTo(m, 12);
      expect(g.std).toBeCloseTo(Math.sqrt(v.reduce((a, b) => a + (b - m) ** 2, 0) / 2), 12);
      expect(g.mean).toBeGreaterThan(w.mean);
      expect(g.runs.every((x) => x.wallMs >= 0 && x.validationSize === 0)).toBe(true);
    }
    expect(r.results.good.S.runs.map((x) => x.trainSize)).toEqual([10, 10, 10]);
    expect(r.results.good.F.runs.map((x) => x.trainSize)).toEqual([80, 80, 80]);
    // lbfgs on all rows is deterministic: every repeat agrees.
    expect(r.results.good.F.std).toBe(0);
    expect(JSON.parse(JSON.stringify(r)).results.good.S.runs).toHaveLength(3);
  });

  it('is repeatable under a seed, and a run does not depend on the other sources or sizes', async () => {
    const a = await runLinearEvaluation(binaryOptions());
    const b = await runLinearEvaluation(binaryOptions());
    expect(values(b, 'weak', 'S')).toEqual(values(a, 'weak', 'S'));
    const alone = await runLinearEvaluation(
      binaryOptions({ sources: { weak: weak.train }, test: { sources: { weak: weak.test }, labels: good.yTest }, sizes: { small: 10 } }),
    );
    expect(values(alone, 'weak', 'small')).toEqual(values(a, 'weak', 'S'));
    const other = await runLinearEvaluation(binaryOptions({ seed: 6 }));
    expect(values(other, 'weak', 'S')).not.toEqual(values(a, 'weak', 'S'));
  });

  it('scores multiclass probes by quadratic kappa, kappa and accuracy, and binary ones by kappa', async () => {
    const p = problem(150, 3, 3, 3, 3, 90);
    const base = {
      task: 'multiclass' as const,
      solver: 'lbfgs' as const,
      sources: { s: p.train },
      labels: p.yTrain,
      test: { sources: { s: p.test }, labels: p.yTest },
      sizes: { M: 30 },
      repeats: 2,
    };
    for (const metric of ['quadraticKappa', 'kappa', 'accuracy', 'auc'] as const) {
      const r = await runLinearEvaluation({ ...base, metric });
      expect(r.results.s.M.mean).toBeGreaterThan(0.5);
      expect(r.results.s.M.mean).toBeLessThanOrEqual(1);
    }
    const k = await runLinearEvaluation(binaryOptions({ metric: 'kappa', sizes: { F: 'all' }, repeats: 1 }));
    expect(k.results.good.F.mean).toBeGreaterThan(0.5);
    expect(Number.isNaN(k.results.good.F.std)).toBe(true); // one run: std undefined
  });

  it("trains the 'paper' solver with validation held out of each draw, and a multilabel task by AUC", async () => {
    const r = await runLinearEvaluation(
      binaryOptions({ solver: 'paper', probeOptions: { minEpochs: 2, maxEpochs: 2 }, validationFraction: 0.25, sizes: { S: 20 }, repeats: 2 }),
    );
    expect(r.validation).toBe('split');
    // 10 rows per class, a quarter of each held out: 2.5 rounds to 3 per class.
    expect(r.results.good.S.runs.map((x) => [x.trainSize, x.validationSize])).toEqual([[14, 6], [14, 6]]);
    const ml = multilabel(90, 4, 2, 4);
    const before = tf.memory().numTensors;
    const m = await runLinearEvaluation({
      task: 'multilabel',
      metric: 'auc',
      solver: 'lbfgs',
      sources: { s: matrix(ml.x.slice(0, 60)) },
      labels: ml.y.slice(0, 60),
      test: { sources: { s: matrix(ml.x.slice(60)) }, labels: ml.y.slice(60) },
      sizes: { S: 20 },
      repeats: 2,
    });
    expect(m.results.s.S.mean).toBeGreaterThan(0.6);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('balances multilabel draws on each row\'s rarest positive label', () => {
    // Label 1 is rarer than label 0; a row with neither goes to stratum 2.
    expect(Array.from(stratumOfRows('multilabel', [[1, 0], [1, 1], [0, 0], [1, 0]]))).toEqual([0, 1, 2, 0]);
    expect(stratumOfRows('binary', [0, 1])).toEqual([0, 1]);
  });

  it('disposes every probe when a run throws, and stops on abort', async () => {
    const before = tf.memory().numTensors;
    // A draw of one row holds a single class, which a binary probe refuses.
    await expect(runLinearEvaluation(binaryOptions({ sizes: { one: 1 } }))).rejects.toThrow(InvalidArgumentError);
    expect(tf.memory().numTensors).toBe(before);
    const controller = new AbortController();
    const run = runLinearEvaluation(binaryOptions({ signal: controller.signal, onProgress: () => controller.abort() }));
    await expect(run).rejects.toThrow(AbortError);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('checks its options before the first run', async () => {
    const bad = (extra: object) => runLinearEvaluation(binaryOptions(extra as Partial<LinearEvaluationOptions<'binary'>>));
    await expect(bad({ test: { sources: { good: good.test }, labels: good.yTest } })).rejects.toThrow(/training sources \[good, weak\]/);
    await expect(bad({ labels: good.yTrain.slice(1) })).rejects.toThrow(ShapeError);
    await expect(bad({ test: { sources: { good: weak.test, weak: matrix([[1, 2]]) }, labels: good.yTest } })).rejects.toThrow(ShapeError);
    await expect(bad({ sizes: { huge: 81 } })).rejects.toThrow(/training pool has 80 rows/);
    await expect(bad({ metric: 'f1' })).rejects.toThrow(/metric must be one of/);
    await expect(bad({ repeats: 0 })).rejects.toThrow(/repeats/);
    await expect(bad({ probeOptions: { seed: 3 } })).rejects.toThrow(/probeOptions.seed is set by the protocol/);
    await expect(bad({ validationFraction: 0.2, validation: { sources: { good: good.test, weak: weak.test }, labels: good.yTest } })).rejects.toThrow(/not both/);
    await expect(
      runLinearEvaluation({ ...binaryOptions(), task: 'multilabel', metric: 'kappa' } as unknown as LinearEvaluationOptions<'multilabel'>),
    ).rejects.toThrow(/needs one label per row/);
  });
});

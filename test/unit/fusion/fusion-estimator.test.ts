import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  CheckpointFormatError,
  DisposedError,
  InvalidArgumentError,
  NotFittedError,
  ShapeError,
} from '../../../src/errors/index.js';
import { ConcatProbe, DynamicMetaEmbedding, DynamicVisualMetaEmbedding, type FusionEstimator, type FusionOptions } from '../../../src/index.js';
import type { ProbeTask } from '../../../src/index.js';
import { encodeTargets } from '../../../src/training/labels.js';
import { crossEntropy } from '../../../src/training/evaluation.js';
import { QUICK, SOURCES, trainTest } from './synthetic.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

type Make = <T extends ProbeTask>(o: FusionOptions<T>) => FusionEstimator<T>;
const estimators: [string, Make][] = [
  ['DynamicVisualMetaEmbedding (feature tokens)', (o) => new DynamicVisualMetaEmbedding({ ...o, projectionDim: 8 })],
  ['DynamicVisualMetaEmbedding (source tokens)', (o) => new DynamicVisualMetaEmbedding({ ...o, projectionDim: 8, tokens: 'source', heads: 2 })],
  ['DynamicVisualMetaEmbedding (w/o attention)', (o) => new DynamicVisualMetaEmbedding({ ...o, projectionDim: 8, attention: false })],
  ['DynamicMetaEmbedding', (o) => new DynamicMetaEmbedding({ ...o, projectionDim: 8 })],
  ['ConcatProbe', (o) => new ConcatProbe(o)],
];
const { train, test } = trainTest(96, 60, 3, 1);

describe.each(estimators)('%s', (_, make) => {
  it('fits a multiclass task, predicts, evaluates, round-trips through JSON, and leaks nothing', async () => {
    const before = tf.memory().numTensors;
    const est = make({ sources: SOURCES, task: 'multiclass', seed: 4, ...QUICK });
    const logs: number[] = [];
    expect(await est.fit(train.x, train.y, { validation: test, onEpoch: (l) => void logs.push(l.epoch) })).toBe(est);
    expect(logs.length).toBeGreaterThanOrEqual(QUICK.minEpochs);
    expect(est.provenance?.validation).toBe('given');
    const proba = est.predictProba(test.x);
    expect(proba).toHaveLength(60);
    proba.forEach((row) => expect(row.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5));
    const e = est.evaluate(test.x, test.y);
    expect(e.accuracy).toBeGreaterThan(0.9);
    expect(e.auc).toBeGreaterThan(0.95);
    expect(est.predict(test.x).filter((c, i) => c === test.y[i]).length / 60).toBeCloseTo(e.accuracy, 10);
    const restored = (est.constructor as unknown as { fromJSON(j: unknown): FusionEstimator<'multiclass'> }).fromJSON(
      JSON.parse(JSON.stringify(est)),
    );
    expect(restored.predictProba(test.x).map((r) => Array.from(r))).toEqual(proba.map((r) => Array.from(r)));
    expect(restored.hyperparameters).toEqual(est.hyperparameters);
    est.dispose();
    restored.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('binary (one sigmoid output) and multilabel tasks', async () => {
    const before = tf.memory().numTensors;
    const bin = make({ sources: SOURCES, task: 'binary', seed: 1, ...QUICK });
    const yBin = train.y.map((c) => (c === 0 ? 0 : 1));
    await bin.fit(train.x, yBin);
    expect(bin.provenance?.validation).toBe('none');
    const p = bin.predictProba(test.x);
    expect(p).toBeInstanceOf(Float32Array);
    expect(bin.evaluate(test.x, test.y.map((c) => (c === 0 ? 0 : 1))).auc).toBeGreaterThan(0.9);
    bin.dispose();
    const multi = make({ sources: SOURCES, task: 'multilabel', seed: 1, ...QUICK });
    await multi.fit(train.x, train.yMulti, { validation: { x: test.x, y: test.yMulti } });
    expect(multi.predict(test.x)[0]).toHaveLength(3);
    expect(multi.evaluate(test.x, test.yMulti).auc).toBeGreaterThan(0.9);
    multi.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('is reproducible: the same seed gives the same model', async () => {
    const [a, b] = [0, 1].map(() => make({ sources: SOURCES, task: 'multiclass', seed: 7, ...QUICK, maxEpochs: 3 }));
    await a.fit(train.x, train.y);
    await b.fit(train.x, train.y);
    expect(b.predictProba(test.x).map((r) => Array.from(r))).toEqual(a.predictProba(test.x).map((r) => Array.from(r)));
    a.dispose();
    b.dispose();
  });
});

describe('the estimator contract', () => {
  it('NotFittedError before fit, DisposedError after dispose (idempotent)', async () => {
    const est = new DynamicVisualMetaEmbedding({ sources: SOURCES, task: 'multiclass', projectionDim: 4, ...QUICK });
    expect(() => est.predictProba(test.x)).toThrow(NotFittedError);
    expect(() => est.toJSON()).toThrow(NotFittedError);
    expect(() => est.attentionMap(test.x)).toThrow(NotFittedError);
    est.dispose();
    est.dispose();
    expect(est.isDisposed).toBe(true);
    await expect(est.fit(train.x, train.y)).rejects.toThrow(DisposedError);
    expect(() => est.predict(test.x)).toThrow(DisposedError);
  });

  it('rejects bad options with InvalidArgumentError', () => {
    const base = { sources: SOURCES, task: 'multiclass' as const };
    expect(() => new DynamicVisualMetaEmbedding({ ...base, heads: 2 })).toThrow(/one-dimensional/);
    expect(() => new DynamicVisualMetaEmbedding({ ...base, tokens: 'source', projectionDim: 6, heads: 4 })).toThrow(InvalidArgumentError);
    expect(() => new DynamicVisualMetaEmbedding({ ...base, bogus: 1 } as never)).toThrow(/Unknown DynamicVisualMetaEmbedding option "bogus"/);
    expect(() => new ConcatProbe({ ...base, sources: {} })).toThrow(InvalidArgumentError);
    expect(() => new ConcatProbe({ ...base, sources: { a: 0 } })).toThrow(InvalidArgumentError);
    expect(() => new ConcatProbe({ ...base, task: 'binary', numClasses: 3 } as never)).toThrow(InvalidArgumentError);
    expect(() => new DynamicMetaEmbedding({ ...base, gating: 'tanh' } as never)).toThrow(InvalidArgumentError);
    expect(() => new ConcatProbe({ ...base, minEpochs: 10, maxEpochs: 5 })).toThrow(InvalidArgumentError);
  });

  it('checks inputs: missing, unknown, wrong width, unequal rows (no tensors leak)', async () => {
    const est = new ConcatProbe({ sources: SOURCES, task: 'multiclass', ...QUICK, maxEpochs: 3 });
    const before = tf.memory().numTensors;
    const { a, b, c } = train.x;
    await expect(est.fit({ a, b }, train.y)).rejects.toThrow(/missing: c/);
    await expect(est.fit({ a, b, c, d: c }, train.y)).rejects.toThrow(/unknown: d/);
    await expect(est.fit({ a, b: a, c }, train.y)).rejects.toThrow(ShapeError);
    await expect(est.fit({ a, b, c: c.slice(1) }, train.y)).rejects.toThrow(/same rows/);
    await expect(est.fit({ a: tf.tensor2d(a), b, c }, train.y.slice(1))).rejects.toThrow(ShapeError);
    expect(tf.memory().numTensors).toBe(before + 1); // only the caller's tensor above
    est.dispose();
  });

  it('accepts tensors and leaves them to the caller; numClasses fixes labels 0..K-1', async () => {
    const est = new ConcatProbe({ sources: SOURCES, task: 'multiclass', numClasses: 4, ...QUICK, maxEpochs: 3 });
    const x = { a: tf.tensor2d(train.x.a), b: tf.tensor2d(train.x.b), c: tf.tensor2d(train.x.c) };
    await est.fit(x, train.y); // class 3 never occurs
    expect(est.classes).toEqual([0, 1, 2, 3]);
    expect(est.predictProba(x)[0]).toHaveLength(4);
    expect(Object.values(x).every((t) => !t.isDisposed)).toBe(true);
    tf.dispose(Object.values(x));
    est.dispose();
  });

  it('validationSplit holds out rows; an aborted fit rejects with the reason and leaks nothing', async () => {
    const est = new DynamicMetaEmbedding({ sources: SOURCES, task: 'multiclass', projectionDim: 4, validationSplit: 0.25, ...QUICK });
    await est.fit(train.x, train.y);
    expect(est.provenance).toMatchObject({ validation: 'split', nTrain: 72, nValidation: 24 });
    const before = tf.memory().numTensors;
    const controller = new AbortController();
    const reason = new Error('stop');
    const fit = est.fit(train.x, train.y, {
      signal: controller.signal,
      onEpoch: () => controller.abort(reason),
    });
    await expect(fit).rejects.toBe(reason);
    expect(tf.memory().numTensors).toBe(before);
    expect(est.isFitted).toBe(true); // the earlier fit is kept
    est.dispose();
  });

  it('fromJSON rejects other kinds and versions with CheckpointFormatError', async () => {
    const est = new ConcatProbe({ sources: SOURCES, task: 'binary', ...QUICK, maxEpochs: 3 });
    await est.fit(train.x, train.y.map((c) => c % 2));
    const json = JSON.parse(JSON.stringify(est));
    expect(json.kind).toBe('dvme.ConcatProbe');
    expect(() => DynamicVisualMetaEmbedding.fromJSON(json)).toThrow(CheckpointFormatError);
    expect(() => ConcatProbe.fromJSON({ ...json, version: 2 })).toThrow(/version 2/);
    expect(() => ConcatProbe.fromJSON({ ...json, weights: { ...json.weights, data: 'AAAA' } })).toThrow(CheckpointFormatError);
    expect(() => ConcatProbe.fromJSON({ ...json, hyperparameters: { ...json.hyperparameters, batchSize: -1 } })).toThrow(
      CheckpointFormatError,
    );
    expect(() => ConcatProbe.fromJSON('{')).toThrow(CheckpointFormatError);
    est.dispose();
  });
});

describe('the paper protocol', () => {
  it('keeps the best epoch: the final model scores the best monitored value; the rate follows the plateau rule', async () => {
    const est = new DynamicVisualMetaEmbedding({
      sources: SOURCES, task: 'multiclass', projectionDim: 8, monitor: 'loss', seed: 3,
      minEpochs: 8, maxEpochs: 8, batchSize: 16, learningRate: 0.05, plateauPatience: 0, earlyStoppingPatience: 100,
    });
    // A third of the validation labels wrong: confident fits get worse on it, so the best epoch is early.
    const noisy = { x: test.x, y: test.y.map((c, i) => (i % 3 === 0 ? (c + 1) % 3 : c)) };
    await est.fit(train.x, train.y, { validation: noisy });
    const values = est.history.map((l) => l.value);
    const best = Math.min(...values);
    const bestEpoch = values.indexOf(best) + 1;
    expect(bestEpoch).toBeLessThan(8);
    const targets = encodeTargets('multiclass', 'y', noisy.y, 60, { classes: [0, 1, 2] });
    const proba = Float32Array.from(est.predictProba(noisy.x).flatMap((r) => Array.from(r)));
    expect(crossEntropy(targets, proba, 3)).toBeCloseTo(best, 6);
    expect(est.provenance?.training.bestEpoch).toBe(bestEpoch);
    // plateauPatience 0 (PyTorch rules, mode min): an epoch that does not improve divides the rate by 10.
    est.history.slice(1).forEach((l, i) => {
      const improved = values[i] < Math.min(...values.slice(0, i), Infinity) * (1 - 1e-4);
      expect(l.lr).toBeCloseTo(improved ? est.history[i].lr : est.history[i].lr * 0.1, 12);
    });
    expect(est.provenance?.training.lrDropEpochs.length).toBeGreaterThan(0);
    est.dispose();
  });
});

describe('inspection', () => {
  it('attentionMap: S x S; source-token rows sum to 1, feature-token rows to 1 / projectionDim', async () => {
    for (const tokens of ['source', 'feature'] as const) {
      const est = new DynamicVisualMetaEmbedding({ sources: SOURCES, task: 'multiclass', projectionDim: 8, tokens, heads: tokens === 'source' ? 2 : 1, ...QUICK, maxEpochs: 3 });
      await est.fit(train.x, train.y);
      const before = tf.memory().numTensors;
      const map = est.attentionMap(test.x);
      expect(tf.memory().numTensors).toBe(before);
      expect(map).toHaveLength(3);
      const want = tokens === 'source' ? 1 : 1 / 8;
      map.forEach((row) => {
        expect(row).toHaveLength(3);
        expect(row.reduce((a, b) => a + b, 0)).toBeCloseTo(want, 5);
        row.forEach((v) => expect(v).toBeGreaterThan(0));
      });
      est.dispose();
    }
    const ablation = new DynamicVisualMetaEmbedding({ sources: SOURCES, task: 'binary', attention: false, projectionDim: 4, ...QUICK, maxEpochs: 3 });
    await ablation.fit(train.x, train.y.map((c) => c % 2));
    expect(() => ablation.attentionMap(test.x)).toThrow(InvalidArgumentError);
    ablation.dispose();
  });

  it('DME sourceWeights: a mean weight per source; softmax weights sum to 1, sigmoid gates lie in (0, 1)', async () => {
    for (const gating of ['softmax', 'sigmoid'] as const) {
      const dme = new DynamicMetaEmbedding({ sources: SOURCES, task: 'multiclass', projectionDim: 8, gating, ...QUICK });
      await dme.fit(train.x, train.y);
      const w = dme.sourceWeights(test.x);
      expect(Object.keys(w)).toEqual(['a', 'b', 'c']);
      if (gating === 'softmax') expect(w.a + w.b + w.c).toBeCloseTo(1, 5);
      Object.values(w).forEach((v) => expect(v > 0 && v < 1).toBe(true));
      dme.dispose();
    }
  });
});

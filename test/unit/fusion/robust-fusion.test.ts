import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { CheckpointFormatError, DisposedError, InvalidArgumentError, NotFittedError, ShapeError } from '../../../src/errors/index.js';
import { Probe, RobustFusion, rocAucScore } from '../../../src/index.js';
import { assignFolds, chooseCandidate, criterionScore, type RobustCandidateScore } from '../../../src/fusion/robust-selection.js';
import { encodeTargets } from '../../../src/training/labels.js';
import { SOURCES, sourcesData, trainTest } from './synthetic.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const { train, test } = trainTest(90, 60, 3, 1);

describe('RobustFusion', () => {
  it('fits, predicts, evaluates, round-trips through JSON, disposes, and leaks no tensor', async () => {
    const before = tf.memory().numTensors;
    const est = new RobustFusion({ sources: SOURCES, task: 'multiclass', seed: 2 });
    expect(() => est.predict(test.x)).toThrow(NotFittedError);
    expect(await est.fit(train.x, train.y, { validation: test })).toBe(est);
    const p = est.provenance;
    expect(p?.nTrain).toBe(90);
    expect(p?.nValidation).toBe(60);
    expect(p?.scores.map((s) => s.name)).toEqual(['source:a', 'source:b', 'source:c', 'concat', 'average']);
    expect(p?.chosen.name).toBe(est.chosen.name);
    const proba = est.predictProba(test.x);
    expect(proba).toHaveLength(60);
    proba.forEach((row) => expect(row.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5));
    expect(est.predict(test.x).every((c) => [0, 1, 2].includes(c))).toBe(true);
    expect(est.evaluate(test.x, test.y).accuracy).toBeGreaterThan(0.8);
    const json = JSON.parse(JSON.stringify(est));
    expect(json.kind).toBe('dvme.RobustFusion');
    expect(json.version).toBe(1);
    const back = RobustFusion.fromJSON<'multiclass'>(json);
    expect(back.chosen).toEqual(est.chosen);
    back.predictProba(test.x).forEach((row, i) => row.forEach((v, k) => expect(v).toBeCloseTo(proba[i][k], 6)));
    back.dispose();
    est.dispose();
    est.dispose();
    expect(() => est.predictProba(test.x)).toThrow(DisposedError);
    await expect(est.fit(train.x, train.y)).rejects.toThrow(DisposedError);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('leaks no tensor when fit or predict throws', async () => {
    const before = tf.memory().numTensors;
    const est = new RobustFusion({ sources: SOURCES, task: 'multiclass' });
    await expect(est.fit({ ...train.x, a: train.x.a.slice(1) }, train.y)).rejects.toThrow(ShapeError);
    await expect(est.fit({ a: train.x.a, b: train.x.b }, train.y)).rejects.toThrow(InvalidArgumentError);
    await est.fit(train.x, train.y);
    expect(() => est.predictProba({ ...test.x, b: test.x.a })).toThrow(ShapeError);
    est.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('predicts exactly as the Probe of the source it chose', async () => {
    // Only source a carries the class, and c is noise: concat and average cannot beat a by
    // the margin, so a is chosen.
    const x = { a: train.x.a, c: train.x.c };
    const est = await new RobustFusion({ sources: { a: 6, c: 3 }, task: 'binary', margin: 0.05, seed: 3 }).fit(
      x,
      train.y.map((c) => (c === 0 ? 1 : 0)),
    );
    expect(est.chosen).toEqual({ name: 'source:a', kind: 'source', sources: ['a'] });
    const probe = await new Probe({ task: 'binary', solver: 'lbfgs', standardize: true, seed: 3, classes: [0, 1] }).fit(
      x.a,
      train.y.map((c) => (c === 0 ? 1 : 0)),
    );
    const mine = est.predictProba({ a: test.x.a, c: test.x.c });
    const ref = probe.predictProba(test.x.a);
    mine.forEach((v, i) => expect(v).toBeCloseTo(ref[i], 6));
    est.dispose();
    probe.dispose();
  });

  it('scores on held-out rows no worse than the best of its candidates, less a tolerance (property over seeds)', async () => {
    for (const seed of [11, 12, 13, 14]) {
      // Weak, noisy sources: which candidate is best varies from seed to seed.
      const all = sourcesData(160, 2, seed, 0.6);
      const idx = (from: number, to: number) => ({
        x: { a: all.x.a.slice(from, to), b: all.x.b.slice(from, to), c: all.x.c.slice(from, to) },
        y: all.y.slice(from, to),
      });
      const tr = idx(0, 60);
      const va = idx(60, 160);
      const est = await new RobustFusion({ sources: SOURCES, task: 'binary', seed }).fit(tr.x, tr.y);
      const robust = rocAucScore(va.y, est.predictProba(va.x));
      // Every candidate, fitted alone on the same rows (Probe with the same options).
      const fit = async (m: number[][]) => {
        const p = await new Probe({ task: 'binary', solver: 'lbfgs', seed, classes: [0, 1] }).fit(m, tr.y);
        return p;
      };
      const single: number[] = [];
      const avg = new Float32Array(va.y.length);
      for (const s of ['a', 'b', 'c'] as const) {
        const p = await fit(tr.x[s]);
        const q = p.predictProba(va.x[s]);
        q.forEach((v, i) => (avg[i] += v / 3));
        single.push(rocAucScore(va.y, q));
        p.dispose();
      }
      const cat = (x: typeof tr.x) => x.a.map((r, i) => [...r, ...x.b[i], ...x.c[i]]);
      const pc = await fit(cat(tr.x));
      const best = Math.max(...single, rocAucScore(va.y, pc.predictProba(cat(va.x))), rocAucScore(va.y, avg));
      pc.dispose();
      expect(robust).toBeGreaterThanOrEqual(best - 0.08);
      est.dispose();
    }
  });

  it('fits ordinal thresholds for a multiclass task, and a multilabel task', async () => {
    const est = await new RobustFusion({ sources: SOURCES, task: 'multiclass', ordinal: true, criterion: 'quadraticKappa' }).fit(train.x, train.y);
    expect(est.thresholds).toHaveLength(2);
    expect(est.evaluate(test.x, test.y).quadraticKappa).toBeGreaterThan(0.7);
    est.dispose();
    const ml = await new RobustFusion({ sources: SOURCES, task: 'multilabel', folds: 3, classWeight: 'balanced' }).fit(train.x, train.yMulti);
    const e = ml.evaluate(test.x, test.yMulti);
    expect(e.auc).toBeGreaterThan(0.9);
    expect(ml.predict(test.x)[0]).toHaveLength(3);
    ml.dispose();
  });

  it('rejects bad options and bad JSON with typed errors', async () => {
    const make = (o: object) => () => new RobustFusion({ sources: SOURCES, task: 'binary', ...o });
    expect(make({ folds: 1 })).toThrow(/folds must be an integer >= 2; received 1/);
    expect(make({ margin: -1 })).toThrow(InvalidArgumentError);
    expect(make({ candidates: ['dvme'] })).toThrow(/candidates must list some of sources, concat, average/);
    expect(make({ ordinal: true })).toThrow(/ordinal needs task 'multiclass'/);
    expect(make({ criterion: 'quadraticKappa', task: 'multilabel' })).toThrow(InvalidArgumentError);
    expect(make({ epochs: 3 })).toThrow(/Unknown RobustFusion option "epochs"/);
    // One row of class 2: cross-validation cannot hold it out and train on it.
    const est = new RobustFusion({ sources: SOURCES, task: 'multiclass' });
    await expect(est.fit(train.x, train.y.map((c, i) => (c === 2 && i > 2 ? 1 : c)))).rejects.toThrow(/rarest class has 1/);
    est.dispose();
    expect(() => RobustFusion.fromJSON({ kind: 'dvme.Probe' } as never)).toThrow(CheckpointFormatError);
  });
});

describe('robust selection', () => {
  const score = (name: string, kind: 'source' | 'concat' | 'average', s: number): RobustCandidateScore => ({ name, kind, sources: [], score: s });

  it('keeps the best single source unless a fused candidate beats it by more than the margin', () => {
    const scores = [score('source:a', 'source', 0.8), score('source:b', 'source', 0.7), score('concat', 'concat', 0.83), score('average', 'average', 0.82)];
    expect(chooseCandidate(scores, 0).name).toBe('concat');
    expect(chooseCandidate(scores, 0.02).name).toBe('concat');
    expect(chooseCandidate(scores, 0.03).name).toBe('source:a');
    expect(chooseCandidate([score('source:a', 'source', Number.NaN), score('source:b', 'source', 0.5)], 0).name).toBe('source:b');
    expect(chooseCandidate([score('concat', 'concat', 0.5)], 0).name).toBe('concat');
  });

  it('deals folds stratified by class, as sklearn StratifiedKFold sizes them', () => {
    const y = [0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 2, 2, 2];
    const t = encodeTargets('multiclass', 'y', y, y.length, { classes: [0, 1, 2] });
    const { fold, folds } = assignFolds(t, y.length, 3, 0);
    expect(folds).toBe(3);
    for (let f = 0; f < 3; f++) {
      // 6, 9, 3 rows per class -> 2, 3, 1 per fold.
      const count = (c: number) => y.filter((v, i) => v === c && fold[i] === f).length;
      expect([count(0), count(1), count(2)]).toEqual([2, 3, 1]);
    }
    expect(assignFolds(t, y.length, 5, 0).folds).toBe(3);
  });

  it('negates the log-loss so that higher is better', () => {
    const t = encodeTargets('binary', 'y', [0, 1], 2, { classes: [0, 1] });
    // -(ln 0.8 + ln 0.8) / 2 by hand.
    expect(criterionScore('loss', false, t, Float32Array.of(0.2, 0.8), 1)).toBeCloseTo(Math.log(0.8), 6);
  });
});

import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { beforeAll, describe, expect, it } from 'vitest';
import { CheckpointFormatError, DisposedError, NotFittedError } from '../../../src/errors/index.js';
import { ConcatProbe, DynamicMetaEmbedding, DynamicVisualMetaEmbedding } from '../../../src/index.js';
import { Estimator, Probe } from '../../../src/index.js';
import { readEstimatorJSON } from '../../../src/training/estimator-json.js';
import { DVME_VERSION } from '../../../src/version.js';
import { sourcesData } from '../fusion/synthetic.js';
import { blobs } from '../probe/synthetic.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const quick = { minEpochs: 2, maxEpochs: 2 } as const;
const sources = { a: 6, b: 4, c: 3 };

describe('Estimator: one contract for the probe and the fusion heads', () => {
  it('TSDoc example: Probe and every fusion estimator are Estimators', () => {
    const all = [
      new Probe({ task: 'binary' }),
      new ConcatProbe({ sources: { a: 2 }, task: 'binary' }),
      new DynamicMetaEmbedding({ sources: { a: 2 }, task: 'binary' }),
      new DynamicVisualMetaEmbedding({ sources: { a: 2 }, task: 'binary' }),
    ];
    expect(all.every((e) => e instanceof Estimator && !e.isFitted)).toBe(true);
    all.forEach((e) => e.dispose());
  });

  it('not fitted: NotFittedError saying "call fit first", naming the class', () => {
    const est = new ConcatProbe({ sources, task: 'multiclass' });
    for (const use of [() => est.predictProba({} as never), () => est.predict({} as never), () => est.evaluate({} as never, []), () => est.toJSON(), () => est.model]) {
      expect(use).toThrow(NotFittedError);
      expect(use).toThrow('This multiclass ConcatProbe is not fitted yet: call fit(x, y) first (or load one with ConcatProbe.fromJSON).');
    }
    expect(est.provenance).toBeUndefined();
    expect(est.history).toEqual([]);
  });

  it('dispose is idempotent; later use throws DisposedError naming the class, also a fit that was running', async () => {
    const { x, y } = sourcesData(40, 2, 1);
    const est = await new DynamicMetaEmbedding({ sources, task: 'binary', projectionDim: 4, ...quick }).fit(x, y);
    const before = tf.memory().numTensors;
    est.dispose();
    est.dispose();
    expect(tf.memory().numTensors).toBeLessThan(before);
    expect(est.isDisposed).toBe(true);
    expect(est.isFitted).toBe(false);
    expect(() => est.predict(x)).toThrow(DisposedError);
    expect(() => est.predict(x)).toThrow('This DynamicMetaEmbedding was disposed. Create a new DynamicMetaEmbedding (or DynamicMetaEmbedding.fromJSON) to use one again.');
    await expect(est.fit(x, y)).rejects.toThrow(DisposedError);

    const probe = new Probe({ task: 'binary', ...quick });
    const data = blobs(40, 3, 2, 1);
    const start = tf.memory().numTensors;
    const pending = probe.fit(data.x, data.y);
    probe.dispose();
    await expect(pending).rejects.toThrow(DisposedError);
    expect(tf.memory().numTensors).toBe(start);
  });

  it('history is the last fit\'s epoch logs (empty after fromJSON); provenance names backend and dvme version', async () => {
    const { x, y } = blobs(60, 3, 2, 2);
    const probe = await new Probe({ task: 'binary', ...quick }).fit(x, y);
    expect(probe.history.map((l) => l.epoch)).toEqual([1, 2]);
    expect(probe.provenance).toMatchObject({ backend: 'cpu', dvmeVersion: DVME_VERSION, warnings: [] });
    const json = probe.toJSON();
    expect(Object.keys(json)).toEqual(['kind', 'version', 'hyperparameters', 'classes', 'numLabels', 'standardization', 'weights', 'thresholds', 'provenance']);
    const copy = Probe.fromJSON(json);
    expect(copy.history).toEqual([]);
    expect(copy.provenance).toEqual(probe.provenance);
    const f = sourcesData(40, 2, 3);
    const est = await new ConcatProbe({ sources, task: 'binary', ...quick }).fit(f.x, f.y);
    expect(Object.keys(est.toJSON())).toEqual(['kind', 'version', 'hyperparameters', 'classes', 'numLabels', 'weights', 'thresholds', 'provenance']);
    expect(est.provenance).toMatchObject({ backend: 'cpu', dvmeVersion: DVME_VERSION });
    for (const e of [probe, copy, est]) e.dispose();
  });

  it('JSON plumbing: kind and version tags, text or object, CheckpointFormatError naming the kind', () => {
    const ok = { kind: 'dvme.X', version: 1, hyperparameters: {}, provenance: {} };
    expect(readEstimatorJSON('dvme.X', 1, ok)).toEqual(ok);
    expect(readEstimatorJSON('dvme.X', 1, JSON.stringify(ok))).toEqual(ok);
    expect(() => readEstimatorJSON('dvme.X', 1, '{')).toThrow(/^Not a valid dvme\.X JSON: the text does not parse/);
    expect(() => readEstimatorJSON('dvme.X', 1, { ...ok, kind: 'dvme.Y' })).toThrow('Not a valid dvme.X JSON: kind is "dvme.Y", expected "dvme.X". Pass what toJSON() returned.');
    expect(() => readEstimatorJSON('dvme.X', 1, { ...ok, version: 2 })).toThrow(/version 2 is not supported/);
    expect(() => readEstimatorJSON('dvme.X', 1, { ...ok, provenance: null })).toThrow(CheckpointFormatError);
    expect(() => Probe.fromJSON({ ...ok, kind: 'dvme.Probe' } as never)).toThrow(/^Not a valid dvme\.Probe JSON: /);
  });
});

import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CheckpointFormatError,
  InvalidArgumentError,
  NonFiniteError,
  ShapeError,
} from '../../../src/errors/index.js';
import { Probe, type ProbeJSON, type ProbeOptions } from '../../../src/index.js';
import { blobs, multilabel } from './synthetic.js';

const quick = { minEpochs: 1, maxEpochs: 1 } as const;
let fitted: Probe<'binary'>;
let baseline: number;

beforeAll(async () => {
  await tf.setBackend('cpu');
  const { x, y } = blobs(30, 3, 2, 1);
  fitted = await new Probe({ task: 'binary', ...quick }).fit(x, y);
  baseline = tf.memory().numTensors;
});

afterAll(() => fitted.dispose());

/** Expects `f` to reject/throw `E`, leaving the tensor count as it was. */
async function expectTyped(f: () => unknown, E: abstract new (...a: never[]) => Error): Promise<void> {
  const before = tf.memory().numTensors;
  let caught: unknown;
  try {
    await f();
  } catch (e) {
    caught = e;
  }
  expect(caught).toBeInstanceOf(E);
  expect((E as unknown as { is(e: unknown): boolean }).is(caught)).toBe(true);
  expect(tf.memory().numTensors).toBe(before);
}

describe('Probe: typed errors', () => {
  it('rejects bad hyperparameters in the constructor', async () => {
    const bad: unknown[] = [
      { task: 'regression' },
      { task: 'binary', solver: 'sgd' },
      { task: 'binary', lr: 0.1 }, // a typo of learningRate
      { task: 'binary', C: 1 }, // an lbfgs option with the paper solver
      { task: 'binary', solver: 'lbfgs', maxEpochs: 3 },
      { task: 'binary', minEpochs: 10, maxEpochs: 5 },
      { task: 'binary', batchSize: 0 },
      { task: 'binary', learningRate: -1 },
      { task: 'binary', seed: 1.5 },
      { task: 'binary', validationSplit: 1 },
      { task: 'multilabel', monitor: 'kappa' },
      { task: 'multilabel', classes: [0, 1] },
      { task: 'binary', solver: 'lbfgs', C: 0 },
      null,
    ];
    for (const o of bad) await expectTyped(() => new Probe(o as ProbeOptions), InvalidArgumentError);
  });

  it('fit: bad shapes are ShapeErrors', async () => {
    const p = () => new Probe({ task: 'binary', ...quick });
    await expectTyped(() => p().fit([[1, 2], [3, 4]], [0, 1, 1]), ShapeError);
    await expectTyped(() => p().fit([[1, 2], [3]], [0, 1]), ShapeError);
    await expectTyped(() => p().fit({ data: new Float32Array(5), shape: [2, 3] }, [0, 1]), ShapeError);
    await expectTyped(() => p().fit([], []), ShapeError);
    const t = tf.tensor1d([1, 2]);
    await expectTyped(() => p().fit(t as unknown as tf.Tensor2D, [0, 1]), ShapeError);
    t.dispose();
    await expectTyped(
      () => p().fit([[1, 2], [3, 4]], [0, 1], { validation: { x: [[1, 2, 3]], y: [0] } }),
      ShapeError,
    );
  });

  it('fit: NaN and Infinity are NonFiniteErrors, in arrays and tensors', async () => {
    const p = () => new Probe({ task: 'binary', ...quick });
    await expectTyped(() => p().fit([[1, Number.NaN], [3, 4]], [0, 1]), NonFiniteError);
    const t = tf.tensor2d([1, 2, Infinity, 4], [2, 2]);
    await expectTyped(() => p().fit(t, [0, 1]), NonFiniteError);
    t.dispose();
    await expectTyped(() => p().fit([[1, 2], [3, 4]], [0, Number.NaN]), NonFiniteError);
  });

  it('fit: bad labels are InvalidArgumentErrors', async () => {
    const x = [[1, 2], [3, 4], [5, 6]];
    await expectTyped(() => new Probe({ task: 'binary', ...quick }).fit(x, [0, 1, 2]), InvalidArgumentError);
    await expectTyped(() => new Probe({ task: 'binary', ...quick }).fit(x, [1, 1, 1]), InvalidArgumentError);
    await expectTyped(() => new Probe({ task: 'multiclass', ...quick }).fit(x, [4, 4, 4]), InvalidArgumentError);
    await expectTyped(() => new Probe({ task: 'binary', ...quick }).fit(x, ['a', 'b', 'a'] as never), InvalidArgumentError);
    await expectTyped(() => new Probe({ task: 'multiclass', classes: [0, 1], ...quick }).fit(x, [0, 1, 2]), InvalidArgumentError);
    await expectTyped(
      () => new Probe({ task: 'binary', ...quick }).fit(x, [0, 1, 0], { validation: { x: [[1, 1]], y: [7] } }),
      InvalidArgumentError,
    );
    await expectTyped(() => new Probe({ task: 'binary', classWeight: { 5: 2 }, ...quick }).fit(x, [0, 1, 0]), InvalidArgumentError);
    // Validation rows of one class: the monitored AUC would be undefined at every epoch.
    await expectTyped(
      () => new Probe({ task: 'binary', ...quick }).fit(x, [0, 1, 0], { validation: { x: [[1, 1], [2, 2]], y: [1, 1] } }),
      InvalidArgumentError,
    );
    await expectTyped(() => new Probe({ task: 'multilabel', ...quick }).fit(x, [[0, 1], [1, 2], [1, 0]]), InvalidArgumentError);
    await expectTyped(() => new Probe({ task: 'multilabel', ...quick }).fit(x, [0, 1, 0] as never), InvalidArgumentError);
    await expectTyped(() => new Probe({ task: 'multilabel', ...quick }).fit(x, [[0, 1], [1, 0], [1]]), ShapeError);
    // A label that is 1 (or 0) in every training row.
    await expectTyped(() => new Probe({ task: 'multilabel', ...quick }).fit(x, [[1, 1], [1, 0], [1, 0]]), InvalidArgumentError);
  });

  it('multiclass classes may list labels absent from training', async () => {
    const { x, y } = blobs(30, 2, 2, 3);
    const probe = await new Probe({ task: 'multiclass', classes: [0, 1, 2], ...quick }).fit(x, y);
    expect(probe.predictProba(x)[0]).toHaveLength(3);
    probe.dispose();
  });

  it('predict / evaluate: wrong width, NaN, unknown labels, length mismatch', async () => {
    await expectTyped(() => fitted.predictProba([[1, 2]]), ShapeError);
    await expectTyped(() => fitted.predict({ data: new Float32Array(4), shape: [1, 4] }), ShapeError);
    await expectTyped(() => fitted.predictProba([[1, 2, Number.NaN]]), NonFiniteError);
    const t = tf.tensor2d([1, 2, Number.NaN], [1, 3]);
    await expectTyped(() => fitted.predictProba(t), NonFiniteError);
    t.dispose();
    const w = tf.tensor2d([1, 2, 3, 4], [2, 2]);
    await expectTyped(() => fitted.predict(w), ShapeError);
    w.dispose();
    await expectTyped(() => fitted.evaluate([[1, 2, 3]], [3]), InvalidArgumentError);
    await expectTyped(() => fitted.evaluate([[1, 2, 3]], [0, 1]), ShapeError);
    await expectTyped(() => fitted.predictProba([1, 2, 3] as never), InvalidArgumentError);
    expect(tf.memory().numTensors).toBe(baseline);
  });

  it('fromJSON: anything but a probe JSON of a known version is a CheckpointFormatError', async () => {
    const good = fitted.toJSON();
    const variants: unknown[] = [
      null,
      'not json',
      { ...good, kind: 'dvme.Other' },
      { ...good, version: 2 },
      { ...good, weights: { ...good.weights, coef: good.weights.coef.slice(1) } },
      { ...good, weights: { ...good.weights, intercept: [Number.NaN] } },
      { ...good, classes: [0, 1, 2] },
      { ...good, hyperparameters: { ...good.hyperparameters, task: 'nope' } },
      { ...good, standardization: { mean: [0], scale: [1] } },
      { ...good, thresholds: [0.5] },
      { ...good, provenance: undefined },
    ];
    for (const v of variants) await expectTyped(() => Probe.fromJSON(v as ProbeJSON), CheckpointFormatError);
  });

  it('multilabel evaluate checks the indicator width', async () => {
    const l = multilabel(30, 3, 2, 4);
    const probe = await new Probe({ task: 'multilabel', ...quick }).fit(l.x, l.y);
    await expectTyped(() => probe.evaluate(l.x, l.y.map((r) => [...r, 0])), ShapeError);
    probe.dispose();
  });
});

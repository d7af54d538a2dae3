import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { beforeAll, describe, expect, it } from 'vitest';
import { Backbone, DisposedError, FineTuner, InvalidArgumentError, NonFiniteError, OutOfMemoryError, ShapeError } from '../../../src/index.js';
import { tinyResNetBackbone, toyImages } from './helpers.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const quick = { minEpochs: 2, maxEpochs: 2, batchSize: 4 } as const;

/** Expects `run` to reject with `type` (and `message`), leaving the tensor count as it was. */
async function rejectsCleanly(run: () => Promise<unknown>, type: new (...a: never[]) => Error, message?: RegExp): Promise<void> {
  const before = tf.memory().numTensors;
  const error = await run().then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(type);
  if (message) expect((error as Error).message).toMatch(message);
  expect(tf.memory().numTensors).toBe(before);
}

describe('FineTuner: bad input', () => {
  const backbone = tinyResNetBackbone();
  const { images, labels } = toyImages(8);

  it('images and labels that disagree in count', async () => {
    await rejectsCleanly(() => new FineTuner({ backbone, task: 'binary', ...quick }).fit(images, labels.slice(1)), ShapeError, /8 images, 7 labels/);
  });

  it('labels outside the task', async () => {
    await rejectsCleanly(() => new FineTuner({ backbone, task: 'binary', ...quick }).fit(images, [0, 1, 2, 0, 1, 2, 0, 1]), InvalidArgumentError, /multiclass/);
    await rejectsCleanly(
      () => new FineTuner({ backbone, task: 'binary', ...quick, classes: [0, 1] }).fit(images, [0, 1, 5, 0, 1, 0, 1, 0]),
      InvalidArgumentError,
      /does not know/,
    );
    await rejectsCleanly(() => new FineTuner({ backbone, task: 'multilabel', ...quick }).fit(images, labels.map((l) => [l, 2])), InvalidArgumentError, /0 or 1/);
  });

  it('non-finite pixels, naming the image', async () => {
    const data = new Float32Array(8 * 8 * 8 * 3).fill(0.5);
    data[3 * 192 + 7] = NaN;
    await rejectsCleanly(() => new FineTuner({ backbone, task: 'binary', ...quick }).fit({ data, shape: [8, 8, 8, 3] }, labels), NonFiniteError, /image 3 holds NaN/);
    const t = tf.tensor4d(Float32Array.from(data, (v) => (Number.isNaN(v) ? Infinity : v)), [8, 8, 8, 3]);
    await rejectsCleanly(() => new FineTuner({ backbone, task: 'binary', ...quick }).fit(t, labels), NonFiniteError, /image 3 holds Infinity/);
    t.dispose();
  });

  it('an abort, with the signal reason, and nothing leaked', async () => {
    const controller = new AbortController();
    const reason = new Error('stop');
    await rejectsCleanly(async () => {
      const ft = new FineTuner({ backbone, task: 'binary', ...quick });
      try {
        await ft.fit(images, labels, { onEpoch: () => controller.abort(reason), signal: controller.signal });
      } finally {
        ft.dispose();
      }
    }, Error, /stop/);
  });

  it('a backbone disposed during fit, naming the fix', async () => {
    let doomed = tinyResNetBackbone(2);
    // Made inside: the count before includes neither the backbone nor anything of the fit.
    await rejectsCleanly(async () => {
      doomed = tinyResNetBackbone(2);
      const ft = new FineTuner({ backbone: doomed, task: 'binary', ...quick });
      try {
        await ft.fit(images, labels, { onEpoch: () => doomed.dispose() });
      } finally {
        ft.dispose();
      }
    }, DisposedError, /keep it alive until fit resolves/);
    expect(doomed.isDisposed).toBe(true);
    await rejectsCleanly(() => new FineTuner({ backbone: doomed, task: 'binary', ...quick }).fit(images, labels), DisposedError, /load it again/);
  });

  it('memory running out inside a backward pass (as the wasm heap guard throws it): the OutOfMemoryError, nothing leaked, the backbone untouched', async () => {
    const own = tinyResNetBackbone(3);
    const before = (await own.embed(images, { as: 'array' })).data;
    // The cpu kernel that the third backward pass needs fails as a full heap would.
    const kernel = tf.getKernel('Conv2DBackpropFilter', 'cpu') as tf.KernelConfig;
    let calls = 0;
    tf.unregisterKernel('Conv2DBackpropFilter', 'cpu');
    tf.registerKernel({
      ...kernel,
      kernelFunc: (args) => {
        if (++calls === 9) throw new OutOfMemoryError('tfjs-backend-wasm could not allocate 12.0 MiB for a tensor');
        return kernel.kernelFunc(args);
      },
    });
    try {
      await rejectsCleanly(async () => {
        const ft = new FineTuner({ backbone: own, task: 'binary', ...quick });
        try {
          await ft.fit(images, labels);
        } finally {
          ft.dispose();
        }
      }, OutOfMemoryError, /could not allocate/);
    } finally {
      tf.unregisterKernel('Conv2DBackpropFilter', 'cpu');
      tf.registerKernel(kernel);
    }
    expect(calls).toBe(9);
    expect((await own.embed(images, { as: 'array' })).data).toEqual(before);
    own.dispose();
  });

  it('a backbone that cannot train, naming how to load one that can', async () => {
    const fn = Backbone.fromModel((x) => tf.mean(x, [1, 2]), { inputSize: 8, mean: [0, 0, 0], std: [1, 1, 1] });
    await rejectsCleanly(() => new FineTuner({ backbone: fn, task: 'binary', ...quick }).fit(images, labels), InvalidArgumentError, /LayersModel/);
    const graphLike = { predict: (x: tf.Tensor) => tf.mean(x, [1, 2]), dispose: () => undefined, weights: {} };
    const graph = Backbone.fromModel(graphLike, { inputSize: 8, mean: [0, 0, 0], std: [1, 1, 1], embeddingDim: 3 });
    await rejectsCleanly(() => new FineTuner({ backbone: graph, task: 'binary', ...quick }).fit(images, labels), InvalidArgumentError, /GraphModel/);
    fn.dispose();
    graph.dispose();
  });

  it('bad constructor options', () => {
    expect(() => new FineTuner({ backbone: {} as Backbone, task: 'binary' })).toThrow(/backbone must be a Backbone/);
    expect(() => new FineTuner({ backbone, task: 'regression' as never })).toThrow(InvalidArgumentError);
    expect(() => new FineTuner({ backbone, task: 'binary', augment: 'flip' as never })).toThrow(/augment must be a function/);
  });
});

describe('FineTuner: backbones that train', () => {
  it('Backbone.fromTfjs of a LayersModel (cut at embeddingLayer) trains, and the loaded model stays as it was', async () => {
    const net = tfl.sequential({
      layers: [
        tfl.layers.conv2d({ inputShape: [8, 8, 3], filters: 4, kernelSize: 3, name: 'conv' }),
        tfl.layers.globalAveragePooling2d({ name: 'pool' }),
        tfl.layers.dense({ units: 5, name: 'top' }),
      ],
    });
    let artifacts: tf.io.ModelArtifacts | undefined;
    await net.save(tf.io.withSaveHandler(async (a) => ((artifacts = a), { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } })));
    net.dispose();
    const backbone = await Backbone.fromTfjs(tf.io.fromMemory(artifacts as tf.io.ModelArtifacts), { embeddingLayer: 'pool', mean: [0.5, 0.5, 0.5], std: [0.25, 0.25, 0.25] });
    const { images, labels } = toyImages(8);
    const before = (await backbone.embed(images, { as: 'array' })).data;
    const ft = await new FineTuner({ backbone, task: 'binary', minEpochs: 2, maxEpochs: 2, batchSize: 4 }).fit(images, labels);
    expect(ft.predictProba(images).length).toBe(8);
    const trained = await ft.toBackbone();
    expect(trained.embeddingDim).toBe(4);
    expect((await trained.embed(images, { as: 'array' })).data).not.toEqual(before);
    expect((await backbone.embed(images, { as: 'array' })).data).toEqual(before);
    ft.dispose();
    trained.dispose();
    backbone.dispose();
  });
});

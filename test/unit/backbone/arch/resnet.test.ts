import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  RESNET50_CONFIG,
  buildResNet,
  loadTorchStateDict,
  resnetEmbeddingDim,
  torchStateDictSpec,
  type ResNetConfig,
} from '../../../../src/backbone/arch/index.js';
import { InvalidArgumentError } from '../../../../src/errors/index.js';
import { loadParityFixture, relativeMaxError } from './fixture.js';

const fixture = loadParityFixture('resnet-tiny');
const config = fixture.config as unknown as Partial<ResNetConfig>;

/** Order-free comparison: a state dict is a map, and tfjs orders layers topologically. */
function byKey<T extends { key: string }>(entries: T[]): T[] {
  return [...entries].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}

function trainableParams(model: tfl.LayersModel): number {
  return model.trainableWeights.reduce((n, w) => n + w.shape.reduce((a, b) => a! * b!, 1)!, 0);
}

describe('buildResNet (tiny, against torchvision)', () => {
  let model: tfl.LayersModel;

  beforeAll(async () => {
    await tf.setBackend('cpu');
    model = buildResNet({ ...config, name: 'resnet_tiny' });
    loadTorchStateDict(model, fixture.state());
  });
  afterAll(() => model.dispose());

  it.each(fixture.cases)('embeds the %s case as PyTorch does', (c) => {
    const x = fixture.get(`input/${c}`);
    const expected = fixture.get(`output/${c}/avgpool`);
    const before = tf.memory().numTensors;
    const y = tf.tidy(() => (model.predict(tf.tensor(x.data, [...x.shape])) as tf.Tensor).dataSync());
    expect(tf.memory().numTensors).toBe(before);
    expect(y.length).toBe(expected.data.length);
    expect(relativeMaxError(y, expected.data)).toBeLessThan(1e-5);
  });

  it('outputs 32 * width dimensions', () => {
    expect(model.outputs[0].shape).toEqual([null, resnetEmbeddingDim(config)]);
    expect(resnetEmbeddingDim(config)).toBe(32 * (config.width as number));
  });

  it('expects exactly the keys and shapes of the PyTorch state dict', () => {
    const torch = [...fixture.state()]
      .filter(([k]) => !k.endsWith('num_batches_tracked'))
      .map(([key, t]) => ({ key, shape: [...t.shape] }));
    expect(byKey(torchStateDictSpec(model))).toEqual(byKey(torch));
  });
});

describe('buildResNet (training)', () => {
  it('is trainable: one fit step changes conv weights and BN running stats', async () => {
    await tf.setBackend('cpu');
    const model = buildResNet({ ...config, inputSize: [32, 32] });
    loadTorchStateDict(model, fixture.state());
    const conv = model.getLayer('layer3.0.conv2').getWeights()[0].dataSync().slice();
    const mean = model.getLayer('bn1').getWeights()[2].dataSync().slice();
    model.compile({ optimizer: tf.train.sgd(0.1), loss: 'meanSquaredError' });
    const x = tf.randomUniform([2, 32, 32, 3], 0, 1, 'float32', 1);
    const y = tf.randomNormal([2, resnetEmbeddingDim(config)], 0, 1, 'float32', 2);
    await model.fit(x, y, { epochs: 1, batchSize: 2, verbose: 0 });
    const conv2 = model.getLayer('layer3.0.conv2').getWeights()[0].dataSync();
    const mean2 = model.getLayer('bn1').getWeights()[2].dataSync();
    expect(relativeMaxError(conv2, conv)).toBeGreaterThan(1e-6);
    expect(relativeMaxError(mean2, mean)).toBeGreaterThan(1e-6);
    tf.dispose([x, y]);
    model.dispose();
  });

  it('releases every tensor it made when disposed', async () => {
    await tf.setBackend('cpu');
    const before = tf.memory().numTensors;
    const model = buildResNet(config);
    loadTorchStateDict(model, fixture.state());
    model.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });
});

describe('buildResNet (ResNet-50)', () => {
  it('builds torchvision ResNet-50: 2048-d output, 23.5 M parameters, its exact state dict', async () => {
    await tf.setBackend('cpu');
    const model = buildResNet();
    try {
      expect(model.outputs[0].shape).toEqual([null, 2048]);
      expect(resnetEmbeddingDim(RESNET50_CONFIG)).toBe(2048);
      // torchvision: 25,557,032 parameters minus the 2,049,000 of fc.
      expect(trainableParams(model)).toBe(23_508_032);
      const url = new URL('../../../fixtures/backbone/full-size-keys.json', import.meta.url);
      const specs = JSON.parse(readFileSync(url, 'utf8')) as Record<string, [string, number[]][]>;
      expect(byKey(torchStateDictSpec(model))).toEqual(byKey(specs.resnet50.map(([key, shape]) => ({ key, shape }))));
    } finally {
      model.dispose();
    }
  });
});

describe('buildResNet (config)', () => {
  it('rejects malformed configs with InvalidArgumentError', () => {
    expect(() => buildResNet({ layers: [1, 1, 1] as never })).toThrow(InvalidArgumentError);
    expect(() => buildResNet({ layers: [1, 0, 1, 1] })).toThrow(/layers\[1\]/);
    expect(() => buildResNet({ width: 2.5 })).toThrow(InvalidArgumentError);
    expect(() => buildResNet({ width: 1, widthPerGroup: 16 })).toThrow(InvalidArgumentError);
    expect(() => buildResNet({ inputSize: [224] as never })).toThrow(InvalidArgumentError);
  });
});

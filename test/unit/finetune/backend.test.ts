import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { afterAll, describe, expect, it } from 'vitest';
import { Backbone, BackendUnavailableError, FineTuner } from '../../../src/index.js';
import { tinyResNetBackbone, toyImages } from './helpers.js';

afterAll(async () => {
  await tf.setBackend('cpu');
});

/** Fits the tiny ResNet for two epochs on `backend`; returns the probabilities and the trained embeddings. */
async function trainOn(backend: string): Promise<{ proba: Float32Array; embeddings: Float32Array; leaked: number }> {
  await tf.setBackend(backend);
  const backbone = tinyResNetBackbone();
  const { images, labels } = toyImages(8);
  const before = tf.memory().numTensors;
  const ft = await new FineTuner({ backbone, task: 'binary', minEpochs: 2, maxEpochs: 2, batchSize: 4, seed: 3 }).fit(images, labels);
  expect(ft.provenance?.backend).toBe(backend);
  const proba = ft.predictProba(images);
  const trained = await ft.toBackbone();
  const embeddings = (await trained.embed(images, { as: 'array' })).data;
  trained.dispose();
  ft.dispose();
  const leaked = tf.memory().numTensors - before;
  backbone.dispose();
  return { proba, embeddings, leaked };
}

function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  expect(a.length).toBe(b.length);
  return a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i])), 0);
}

describe('FineTuner on tfjs-backend-wasm', () => {
  it('trains a tiny ResNet (dvme registers Conv2DBackpropFilter) to the cpu backend\'s result within 1e-5, nothing leaked', async () => {
    const cpu = await trainOn('cpu');
    const wasm = await trainOn('wasm');
    expect(cpu.leaked).toBe(0);
    expect(wasm.leaked).toBe(0);
    // Float32 sums in another order (XNNPACK vs cpu loops) over 4 steps of Adam: 1e-5 absolute (measured: 6e-8 / 8e-7).
    expect(maxAbsDiff(wasm.proba, cpu.proba)).toBeLessThan(1e-5);
    expect(maxAbsDiff(wasm.embeddings, cpu.embeddings)).toBeLessThan(1e-5);
    // Training moved the weights: the trained probabilities are not the 0.5 of an untrained head.
    expect(cpu.proba.some((p) => Math.abs(p - 0.5) > 1e-3)).toBe(true);
  });

  it('trains a depthwise model (dvme registers the depthwise gradient kernels) to the cpu backend\'s result, nothing leaked', async () => {
    const run = async (backend: string) => {
      await tf.setBackend(backend);
      const net = tfl.sequential({
        layers: [
          tfl.layers.depthwiseConv2d({ inputShape: [8, 8, 3], kernelSize: 3, depthMultiplier: 2, strides: 2, padding: 'same', activation: 'relu6' }),
          tfl.layers.separableConv2d({ filters: 4, kernelSize: 3, padding: 'same' }),
          tfl.layers.globalAveragePooling2d({}),
        ],
      });
      // Fixed weights (a formula), so both backends start from the same model.
      for (const w of net.weights) w.write(tf.tidy(() => tf.reshape(tf.mul(tf.sin(tf.mul(tf.range(0, w.shape.reduce((a, b) => (a as number) * (b as number), 1) as number), 0.7)), 0.3), w.shape as number[])));
      const backbone = Backbone.fromModel(net, { id: 'tiny-depthwise', inputSize: 8, mean: [0.5, 0.5, 0.5], std: [0.25, 0.25, 0.25] });
      const { images, labels } = toyImages(8);
      const before = tf.memory().numTensors;
      const ft = await new FineTuner({ backbone, task: 'binary', minEpochs: 2, maxEpochs: 2, batchSize: 4, seed: 3 }).fit(images, labels);
      const proba = ft.predictProba(images);
      ft.dispose();
      const leaked = tf.memory().numTensors - before;
      backbone.dispose();
      return { proba, leaked };
    };
    const cpu = await run('cpu');
    const wasm = await run('wasm');
    expect(cpu.leaked).toBe(0);
    expect(wasm.leaked).toBe(0);
    expect(maxAbsDiff(wasm.proba, cpu.proba)).toBeLessThan(1e-5);
    expect(cpu.proba.some((p) => Math.abs(p - 0.5) > 1e-4)).toBe(true);
  });

  it('refuses a dilated depthwise convolution on wasm with a BackendUnavailableError naming the cpu backend, nothing leaked', async () => {
    await tf.setBackend('wasm');
    const net = tfl.sequential({
      layers: [tfl.layers.depthwiseConv2d({ inputShape: [8, 8, 3], kernelSize: 3, dilationRate: 2, name: 'dilated_dw' }), tfl.layers.globalAveragePooling2d({})],
    });
    const backbone = Backbone.fromModel(net, { id: 'tiny-dilated', inputSize: 8, mean: [0.5, 0.5, 0.5], std: [0.25, 0.25, 0.25] });
    const { images, labels } = toyImages(4);
    const before = tf.memory().numTensors;
    const error = await new FineTuner({ backbone, task: 'binary', minEpochs: 1, maxEpochs: 1, batchSize: 4 }).fit(images, labels).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BackendUnavailableError);
    expect((error as Error).message).toMatch(/'wasm' cannot train the dilated depthwise convolution 'dilated_dw'.*setBackend\('cpu'\)/);
    expect(tf.memory().numTensors).toBe(before);
    backbone.dispose();
  });
});

import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, describe, expect, it } from 'vitest';
import { BackendUnavailableError, FineTuner } from '../../../src/index.js';
import { tinyResNetBackbone, toyImages } from './helpers.js';

afterAll(async () => {
  await tf.setBackend('cpu');
});

describe('FineTuner on a backend without gradient kernels', () => {
  it('tfjs-backend-wasm 4.22 (no Conv2DBackpropFilter): a BackendUnavailableError naming the cpu backend, nothing leaked', async () => {
    await tf.setBackend('wasm');
    const backbone = tinyResNetBackbone();
    const { images, labels } = toyImages(4);
    const before = tf.memory().numTensors;
    const error = await new FineTuner({ backbone, task: 'binary', minEpochs: 1, maxEpochs: 1, batchSize: 4 }).fit(images, labels).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BackendUnavailableError);
    expect((error as Error).message).toMatch(/'wasm' has no 'Conv2DBackpropFilter'.*setBackend\('cpu'\)/);
    expect(tf.memory().numTensors).toBe(before);
    backbone.dispose();
  });
});

/**
 * `batchNormMomentum`: the trained copy's batch norms follow the batches at PyTorch's 0.1 by
 * default, whatever momentum the model was saved with (Keras' 0.999 in nsfwjs' MobileNetV2).
 */
import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { beforeAll, describe, expect, it } from 'vitest';
import { Backbone, FineTuner, InvalidArgumentError } from '../../../src/index.js';
import { layersModelOf } from '../../../src/finetune/trainable-copy.js';
import { toyImages } from './helpers.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

/** A batch norm straight on the (preprocessed) pixels, saved with Keras momentum 0.999, then pooling. */
function kerasBatchNormBackbone(): Backbone {
  const net = tfl.sequential({
    layers: [tfl.layers.batchNormalization({ inputShape: [8, 8, 3], momentum: 0.999, name: 'bn' }), tfl.layers.globalAveragePooling2d({})],
  });
  return Backbone.fromModel(net, { id: 'keras-bn', inputSize: 8, mean: [0.5, 0.5, 0.5], std: [0.25, 0.25, 0.25] });
}

/** Running mean and variance of the trained copy's batch norm after one full-batch training step. */
async function runningStats(options: { batchNormMomentum?: number | 'model'; batchNorm?: 'train' | 'frozen' }): Promise<{ mean: Float32Array; variance: Float32Array; leaked: number }> {
  const backbone = kerasBatchNormBackbone();
  const { images, labels } = toyImages(8);
  const before = tf.memory().numTensors;
  const ft = await new FineTuner({ backbone, task: 'binary', minEpochs: 1, maxEpochs: 1, batchSize: 8, seed: 1, ...options }).fit(images, labels);
  const trained = await ft.toBackbone();
  const bn = layersModelOf('test', trained).getLayer('bn');
  const [, , mean, variance] = bn.getWeights().map((w) => w.dataSync() as Float32Array);
  // The backbone's own layer is untouched: its momentum stays 0.999.
  expect((layersModelOf('test', backbone).getLayer('bn').getConfig() as { momentum: number }).momentum).toBe(0.999);
  trained.dispose();
  ft.dispose();
  const leaked = tf.memory().numTensors - before;
  backbone.dispose();
  return { mean: mean as Float32Array, variance: variance as Float32Array, leaked };
}

describe('FineTuner batchNormMomentum', () => {
  it("moves the running statistics by PyTorch's 0.1 by default, 100x what the model's own 0.001 moves them (initial mean 0, variance 1)", async () => {
    const pytorch = await runningStats({});
    const own = await runningStats({ batchNormMomentum: 'model' });
    const explicit = await runningStats({ batchNormMomentum: 0.5 });
    for (const r of [pytorch, own, explicit]) expect(r.leaked).toBe(0);
    for (let c = 0; c < 3; c++) {
      // running = (1 - m) * running + m * batch, from mean 0 / variance 1: the step is m * (batch - initial).
      const batchMean = (explicit.mean[c] as number) / 0.5;
      expect(Math.abs(batchMean)).toBeGreaterThan(0.05);
      expect(pytorch.mean[c]).toBeCloseTo(0.1 * batchMean, 5);
      expect(own.mean[c]).toBeCloseTo(0.001 * batchMean, 6);
      const batchVarStep = ((explicit.variance[c] as number) - 1) / 0.5;
      expect(pytorch.variance[c]).toBeCloseTo(1 + 0.1 * batchVarStep, 5);
      expect(own.variance[c]).toBeCloseTo(1 + 0.001 * batchVarStep, 6);
    }
  });

  it("leaves the running statistics alone with batchNorm: 'frozen'", async () => {
    const frozen = await runningStats({ batchNorm: 'frozen' });
    expect(Array.from(frozen.mean)).toEqual([0, 0, 0]);
    expect(Array.from(frozen.variance)).toEqual([1, 1, 1]);
  });

  it('refuses a momentum outside (0, 1] with an InvalidArgumentError naming the allowed values', () => {
    const backbone = kerasBatchNormBackbone();
    for (const m of [0, -0.1, 1.5, Number.NaN]) {
      expect(() => new FineTuner({ backbone, task: 'binary', batchNormMomentum: m })).toThrow(InvalidArgumentError);
    }
    expect(() => new FineTuner({ backbone, task: 'binary', batchNormMomentum: 2 })).toThrow(/batchNormMomentum.*in \(0, 1\], or 'model'/);
    backbone.dispose();
  });
});

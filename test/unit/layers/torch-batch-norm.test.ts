import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { describe, expect, it } from 'vitest';
import { TorchBatchNorm } from '../../../src/layers/torch-batch-norm.js';

const ARGS = { epsilon: 1e-5, momentum: 0.9 } as const;
const SHAPE = [2, 3, 2, 4] as const; // 12 values per channel
const x = () => tf.tensor4d(Array.from({ length: 48 }, (_, i) => Math.sin(i * 1.7) * 2 + (i % 4)), [...SHAPE]);

function withWeights(layer: tfl.layers.Layer): tfl.layers.Layer {
  layer.apply(tfl.input({ shape: SHAPE.slice(1) }));
  layer.setWeights([
    tf.tensor1d([1.5, 0.5, 2, 1]),
    tf.tensor1d([0.1, -0.2, 0.3, 0]),
    tf.tensor1d([0.2, -0.1, 0, 0.4]),
    tf.tensor1d([1.2, 0.8, 2, 0.6]),
  ]);
  return layer;
}

describe('TorchBatchNorm', () => {
  it('infers exactly as tfjs-layers BatchNormalization, with the same class name, config and weight names', () => {
    const ours = withWeights(new TorchBatchNorm({ name: 'bn1', ...ARGS }));
    const theirs = withWeights(tfl.layers.batchNormalization({ name: 'bn1', ...ARGS }));
    const input = x();
    const a = ours.apply(input) as tf.Tensor;
    const b = theirs.apply(input) as tf.Tensor;
    expect(Array.from(a.dataSync())).toEqual(Array.from(b.dataSync()));
    expect(ours.getClassName()).toBe('BatchNormalization');
    expect(ours.getConfig()).toEqual(theirs.getConfig());
    expect(ours.weights.map((w) => w.originalName)).toEqual(theirs.weights.map((w) => w.originalName));
    tf.dispose([input, a, b]);
    ours.dispose();
    theirs.dispose();
  });

  it('updates the running variance with the unbiased batch variance, as torch.nn.BatchNorm2d', () => {
    const layer = withWeights(new TorchBatchNorm({ name: 'bn', ...ARGS }));
    const input = x();
    const before = tf.memory().numTensors;
    const out = layer.apply(input, { training: true }) as tf.Tensor;
    const values = input.dataSync();
    const runningMean = [0.2, -0.1, 0, 0.4];
    const runningVar = [1.2, 0.8, 2, 0.6];
    const gamma = [1.5, 0.5, 2, 1];
    const beta = [0.1, -0.2, 0.3, 0];
    const normed = out.dataSync();
    for (let c = 0; c < 4; c++) {
      // Hand computation in float64: PyTorch's rule with momentum 0.1.
      const col = Array.from({ length: 12 }, (_, i) => values[i * 4 + c]);
      const mean = col.reduce((s, v) => s + v, 0) / 12;
      const biased = col.reduce((s, v) => s + (v - mean) ** 2, 0) / 12;
      const newMean = 0.9 * runningMean[c] + 0.1 * mean;
      const newVar = 0.9 * runningVar[c] + 0.1 * ((biased * 12) / 11);
      expect(layer.getWeights()[2].dataSync()[c]).toBeCloseTo(newMean, 6);
      expect(layer.getWeights()[3].dataSync()[c]).toBeCloseTo(newVar, 6);
      // The batch is normalised with the biased variance.
      for (let i = 0; i < 12; i++) {
        expect(normed[i * 4 + c]).toBeCloseTo(((col[i] - mean) / Math.sqrt(biased + 1e-5)) * gamma[c] + beta[c], 4);
      }
    }
    out.dispose();
    expect(tf.memory().numTensors).toBe(before);
    input.dispose();
    layer.dispose();
  });

  it('has the gradient of normalising with its batch statistics (x, gamma, beta), as autodiff of the plain formula gives', () => {
    const layer = withWeights(new TorchBatchNorm({ name: 'bn', ...ARGS }));
    const w = tf.tensor4d(Array.from({ length: 48 }, (_, i) => Math.cos(i * 0.9) + 0.3), [...SHAPE]);
    const xv = tf.variable(x(), true, 'bn-test-x');
    const [gamma, beta] = layer.weights.map((v) => v.read() as tf.Variable) as [tf.Variable, tf.Variable];
    const [g0, b0] = [tf.tensor1d([1.5, 0.5, 2, 1]), tf.tensor1d([0.1, -0.2, 0.3, 0])];
    const before = tf.memory().numTensors;
    const { value, grads } = tf.variableGrads(() => tf.sum(tf.mul(layer.apply(xv, { training: true }) as tf.Tensor, w)), [xv, gamma, beta]);
    // Reference: tfjs autodiff through moments and the normalisation written out.
    const want = tf.grads((a: tf.Tensor, g: tf.Tensor, b: tf.Tensor) => {
      const { mean, variance } = tf.moments(a, [0, 1, 2]);
      return tf.sum(tf.mul(tf.add(tf.mul(tf.div(tf.sub(a, mean), tf.sqrt(tf.add(variance, 1e-5))), g), b), w));
    })([xv, g0, b0]);
    [xv, gamma, beta].forEach((v, j) => {
      const got = (grads[v.name] as tf.Tensor).dataSync();
      const ref = (want[j] as tf.Tensor).dataSync();
      expect(got.length).toBe(ref.length);
      expect(ref.some((r) => Math.abs(r) > 0.1)).toBe(true);
      got.forEach((g, i) => expect(g).toBeCloseTo(ref[i] as number, 4));
    });
    tf.dispose([value, ...Object.values(grads), ...want]);
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([xv, w, g0, b0]);
    layer.dispose();
  });

  it('refuses a single value per channel in training mode, as PyTorch does', () => {
    const layer = withWeights(new TorchBatchNorm({ name: 'bn', ...ARGS }));
    const one = tf.ones([1, 1, 1, 4]);
    const before = tf.memory().numTensors;
    expect(() => layer.apply(one, { training: true })).toThrow(/more than 1 value per channel/);
    expect(tf.memory().numTensors).toBe(before);
    one.dispose();
    layer.dispose();
  });
});

describe('TorchBatchNorm through JSON', () => {
  it('is what tfjs-layers deserialises a BatchNormalization layer as, so model copies keep the PyTorch update', async () => {
    const input = tfl.input({ shape: [2, 2, 4] });
    const model = tfl.model({ inputs: input, outputs: tfl.layers.batchNormalization({ name: 'bn', ...ARGS }).apply(input) as tfl.SymbolicTensor });
    const copy = await tfl.models.modelFromJSON({ modelTopology: model.toJSON(null, false) } as tf.io.ModelJSON);
    expect(copy.getLayer('bn')).toBeInstanceOf(TorchBatchNorm);
    model.dispose();
    copy.dispose();
  });
});

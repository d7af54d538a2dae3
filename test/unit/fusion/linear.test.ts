import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { beforeAll, describe, expect, it } from 'vitest';
import { LayerNorm } from '../../../src/layers/layer-norm.js';
import { Linear } from '../../../src/fusion/linear.js';
import { linear } from '../../../src/fusion/linear.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const maxDiff = (a: tf.Tensor, b: tf.Tensor): number => tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]);

describe('linear: x W + b with plain-matMul gradients', () => {
  it.each([true, false])('values and weight gradients equal tfjs autodiff (inputGradient %s)', (inputGradient) => {
    tf.tidy(() => {
      const x = tf.randomNormal([7, 5], 0, 1, 'float32', 1) as tf.Tensor2D;
      const w = tf.variable(tf.randomNormal([5, 3], 0, 1, 'float32', 2)) as tf.Variable<tf.Rank.R2>;
      const b = tf.variable(tf.randomNormal([3], 0, 1, 'float32', 3)) as tf.Variable<tf.Rank.R1>;
      const loss = (f: () => tf.Tensor) => () => tf.sum(tf.square(f())) as tf.Scalar;
      const ours = tf.variableGrads(loss(() => linear(x, w, b, inputGradient)), [w, b]);
      const ref = tf.variableGrads(loss(() => tf.add(tf.matMul(x, w), b)), [w, b]);
      expect(maxDiff(ours.value, ref.value)).toBeLessThan(1e-4);
      expect(maxDiff(ours.grads[w.name], ref.grads[w.name])).toBeLessThan(1e-4);
      expect(maxDiff(ours.grads[b.name], ref.grads[b.name])).toBeLessThan(1e-4);
      w.dispose();
      b.dispose();
    });
  });

  // [4, 6] x [6, 2] transposes W; [2, 6] x [6, 5] transposes dy and the product instead.
  it.each([
    [4, 6, 2],
    [2, 6, 5],
  ])('input gradient equals tfjs autodiff, with and without bias (x [%i, %i], %i units)', (rows, width, units) => {
    tf.tidy(() => {
      const x = tf.randomNormal([rows, width], 0, 1, 'float32', 4) as tf.Tensor2D;
      const w = tf.randomNormal([width, units], 0, 1, 'float32', 5) as tf.Tensor2D;
      const b = tf.randomNormal([units], 0, 1, 'float32', 6) as tf.Tensor1D;
      const ours = tf.grad((a: tf.Tensor) => tf.sum(tf.sin(linear(a as tf.Tensor2D, w, b, true))))(x);
      const ref = tf.grad((a: tf.Tensor) => tf.sum(tf.sin(tf.add(tf.matMul(a, w), b))))(x);
      expect(maxDiff(ours, ref)).toBeLessThan(1e-5);
      const noBias = tf.grad((a: tf.Tensor) => tf.sum(tf.sin(linear(a as tf.Tensor2D, w, undefined, true))))(x);
      const refNoBias = tf.grad((a: tf.Tensor) => tf.sum(tf.sin(tf.matMul(a, w))))(x);
      expect(maxDiff(noBias, refNoBias)).toBeLessThan(1e-5);
    });
  });

  it('the Linear layer matches tf.layers.dense with the same weights, and leaks nothing', () => {
    const before = tf.memory().numTensors;
    const ours = new Linear({ units: 3, activation: 'relu', seed: 1, name: 'fc' });
    const dense = tfl.layers.dense({ units: 3, activation: 'relu' });
    const x = tf.randomNormal([4, 5], 0, 1, 'float32', 7);
    const a = ours.apply(x) as tf.Tensor;
    tf.dispose(dense.apply(x) as tf.Tensor);
    dense.setWeights(ours.getWeights());
    const b = dense.apply(x) as tf.Tensor;
    expect(maxDiff(a, b)).toBeLessThan(1e-6);
    expect(ours.weights.map((w) => w.originalName)).toEqual(['fc/kernel', 'fc/bias']);
    tf.dispose([a, b, x]);
    ours.dispose();
    dense.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });
});

describe('LayerNorm', () => {
  it('equals tf.layers.layerNormalization in values and gradients', () => {
    tf.tidy(() => {
      const x = tf.randomNormal([6, 9], 2, 3, 'float32', 8);
      const ours = new LayerNorm({ epsilon: 1e-5, name: 'norm' });
      const ref = tfl.layers.layerNormalization({ axis: -1, epsilon: 1e-5 });
      ours.apply(x);
      ref.apply(x);
      const gamma = tf.randomNormal([9], 1, 0.1, 'float32', 9);
      const beta = tf.randomNormal([9], 0, 0.1, 'float32', 10);
      ours.setWeights([gamma, beta]);
      ref.setWeights([gamma, beta]);
      const f = (layer: tfl.layers.Layer) => (a: tf.Tensor) => tf.sum(tf.sin(layer.apply(a) as tf.Tensor));
      expect(maxDiff(ours.apply(x) as tf.Tensor, ref.apply(x) as tf.Tensor)).toBeLessThan(1e-5);
      expect(maxDiff(tf.grad(f(ours))(x), tf.grad(f(ref))(x))).toBeLessThan(1e-5);
      expect(ours.weights.map((w) => w.originalName)).toEqual(['norm/gamma', 'norm/beta']);
    });
  });

  it('normalises the last axis of rank-3 tokens (the ViT blocks) as tfjs-layers does, without its Tile copies', async () => {
    const x = tf.randomNormal([2, 5, 7], -1, 2, 'float32', 11);
    const ours = new LayerNorm({ epsilon: 1e-6, name: 'norm1' });
    const ref = tfl.layers.layerNormalization({ axis: -1, epsilon: 1e-6 });
    tf.tidy(() => {
      ours.apply(x);
      ref.apply(x);
      const weights = [tf.randomNormal([7], 1, 0.1, 'float32', 12), tf.randomNormal([7], 0, 0.1, 'float32', 13)];
      ours.setWeights(weights);
      ref.setWeights(weights);
      expect(maxDiff(ours.apply(x) as tf.Tensor, ref.apply(x) as tf.Tensor)).toBeLessThan(1e-5);
    });
    const kernels = async (layer: tfl.layers.Layer) => (await tf.profile(() => layer.apply(x) as tf.Tensor)).kernels.map((k) => k.name);
    expect(await kernels(ref)).toContain('Tile');
    expect(await kernels(ours)).not.toContain('Tile');
    tf.dispose(x);
    ours.dispose();
    ref.dispose();
  });

  it('rejects a rank-1 input or an unknown feature width', () => {
    expect(() => new LayerNorm({}).apply(tfl.input({ shape: [] }))).toThrow(/LayerNorm takes \[batch, \.\.\., features\] inputs/);
    expect(() => new LayerNorm({}).apply(tfl.input({ shape: [3, null] }))).toThrow(/known feature width/);
  });
});

describe('TSDoc examples of Linear and LayerNorm', () => {
  it('Linear: [2, 4] -> [2, 3]; LayerNorm: [[1, 2, 3]] -> [[-1.22, 0, 1.22]]', () => {
    tf.tidy(() => {
      expect((new Linear({ units: 3, seed: 1 }).apply(tf.ones([2, 4])) as tf.Tensor).shape).toEqual([2, 3]);
      const y = (new LayerNorm({}).apply(tf.tensor2d([[1, 2, 3]])) as tf.Tensor).dataSync();
      expect(Array.from(y, (v) => Number(v.toFixed(2)))).toEqual([-1.22, 0, 1.22]);
    });
  });
});

import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerConv2dBackpropFilter } from '../../../src/wasm/conv2d-backprop-filter.js';

// [x shape, filter shape, stride, pad]: ResNet's stem, 3x3 and 1x1 convolutions (stride 1 and 2), 'same' and ViT's patch embedding.
const CASES: Array<[number[], [number, number, number, number], number, 'valid' | 'same' | number]> = [
  [[2, 13, 11, 3], [7, 7, 3, 4], 2, 'valid'],
  [[2, 9, 9, 5], [3, 3, 5, 6], 1, 'same'],
  [[2, 9, 8, 5], [3, 3, 5, 6], 2, 'valid'],
  [[3, 6, 6, 8], [1, 1, 8, 4], 1, 'valid'],
  [[3, 6, 6, 4], [1, 1, 4, 8], 1, 'valid'],
  [[3, 7, 7, 8], [1, 1, 8, 4], 2, 'valid'],
  [[2, 16, 16, 3], [8, 8, 3, 5], 8, 'valid'],
];

const filterGrad = (xs: Float32Array, xShape: number[], dys: Float32Array, dyShape: number[], filterShape: number[], stride: number, pad: unknown) =>
  tf.tidy(() => {
    const x = tf.tensor4d(xs, xShape as [number, number, number, number]);
    const dy = tf.tensor4d(dys, dyShape as [number, number, number, number]);
    const attrs = { strides: stride, pad, dataFormat: 'NHWC', dimRoundingMode: undefined, filterShape };
    return (tf.engine().runKernel('Conv2DBackpropFilter', { x, dy }, attrs as unknown as tf.NamedAttrMap) as tf.Tensor).dataSync().slice();
  });

function values(shape: number[], seed: number): Float32Array {
  return Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, (_, i) => Math.sin(i * 0.37 + seed) + 0.1 * Math.cos(i * 1.3));
}

describe('Conv2DBackpropFilter on wasm via im2col', () => {
  beforeAll(async () => {
    await tf.setBackend('wasm');
    expect(registerConv2dBackpropFilter('wasm')).toBe(true);
    expect(registerConv2dBackpropFilter('wasm')).toBe(true);
  });
  afterAll(async () => {
    await tf.setBackend('cpu');
  });

  it.each(CASES)('x %j, filter %j, stride %d, pad %j: the filter gradient equals tfjs-cpu\'s, nothing leaked', async (xShape, fShape, stride, pad) => {
    const probe = tf.tidy(() => tf.conv2d(tf.zeros(xShape as [number, number, number, number]) as tf.Tensor4D, tf.zeros([...fShape]) as tf.Tensor4D, stride, pad as 'valid'));
    const dyShape = probe.shape;
    probe.dispose();
    const xs = values(xShape, 1);
    const dys = values(dyShape as number[], 2);
    const before = tf.memory().numTensors;
    const ours = filterGrad(xs, xShape, dys, dyShape, fShape, stride, pad);
    expect(tf.memory().numTensors).toBe(before);
    await tf.setBackend('cpu');
    const ref = filterGrad(xs, xShape, dys, dyShape, fShape, stride, pad);
    await tf.setBackend('wasm');
    const scale = Math.max(...Array.from(ref, Math.abs));
    const err = Math.max(...Array.from(ref, (v, i) => Math.abs(v - ours[i])));
    expect(ours.length).toBe(ref.length);
    expect(err / scale).toBeLessThan(1e-5);
  });

  it('trains a convolution end to end: tf.grads through conv2d on wasm', () => {
    const g = tf.tidy(() => {
      const f = tf.variable(tf.tensor4d(values([3, 3, 2, 2], 3), [3, 3, 2, 2]));
      const x = tf.tensor4d(values([1, 5, 5, 2], 4), [1, 5, 5, 2]);
      const { grads } = tf.variableGrads(() => tf.sum(tf.square(tf.conv2d(x, f, 1, 'same'))), [f]);
      const out = grads[f.name].dataSync().slice();
      f.dispose();
      return out;
    });
    expect(g.every(Number.isFinite)).toBe(true);
    expect(g.some((v) => v !== 0)).toBe(true);
  });
});

import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerConv2dBackpropInput } from '../../../src/wasm/conv2d-backprop-input.js';

// [x shape, filter shape, stride, pad]: ResNet's stem, 3x3 and 1x1 convolutions (stride 1 and 2,
// even and odd sizes), 'same' and explicit padding, ViT's patch embedding, 'same' stride 2; with
// few input channels or strides over 2 the strided cases run the backend's own kernel.
const CASES: Array<[number[], [number, number, number, number], number, 'valid' | 'same' | number]> = [
  [[2, 13, 11, 3], [7, 7, 3, 4], 2, 'valid'],
  [[2, 9, 9, 5], [3, 3, 5, 6], 1, 'same'],
  [[2, 9, 8, 5], [3, 3, 5, 6], 2, 'valid'],
  [[2, 9, 8, 5], [3, 3, 5, 6], 1, 1],
  [[3, 6, 6, 8], [1, 1, 8, 4], 1, 'valid'],
  [[3, 7, 7, 8], [1, 1, 8, 4], 2, 'valid'],
  [[3, 8, 6, 8], [1, 1, 8, 4], 2, 'valid'],
  [[2, 16, 16, 3], [8, 8, 3, 5], 8, 'valid'],
  [[2, 10, 9, 4], [3, 3, 4, 3], 2, 'same'],
  [[2, 9, 8, 16], [3, 3, 16, 4], 2, 'valid'],
  [[2, 10, 9, 16], [3, 3, 16, 3], 2, 'same'],
  [[2, 12, 12, 16], [3, 3, 16, 3], 3, 'valid'],
];

// The gradient of sum(conv2d(x, f) * dy) with respect to x, through whatever Conv2DBackpropInput is registered.
const inputGrad = (xShape: number[], fs: Float32Array, fShape: [number, number, number, number], dys: Float32Array, dyShape: number[], stride: number, pad: unknown) =>
  tf.tidy(() => {
    const f = tf.tensor4d(fs, fShape);
    const dy = tf.tensor4d(dys, dyShape as [number, number, number, number]);
    const attrs = { strides: stride, pad, dataFormat: 'NHWC', dimRoundingMode: undefined, inputShape: xShape };
    return (tf.engine().runKernel('Conv2DBackpropInput', { dy, filter: f }, attrs as unknown as tf.NamedAttrMap) as tf.Tensor).dataSync().slice();
  });

function values(shape: number[], seed: number): Float32Array {
  return Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, (_, i) => Math.sin(i * 0.37 + seed) + 0.1 * Math.cos(i * 1.3));
}

describe('Conv2DBackpropInput on wasm via XNNPACK convolutions and products', () => {
  beforeAll(async () => {
    await tf.setBackend('wasm');
    expect(registerConv2dBackpropInput('wasm')).toBe(true);
    expect(registerConv2dBackpropInput('wasm')).toBe(true);
  });
  afterAll(async () => {
    await tf.setBackend('cpu');
  });

  it.each(CASES)("x %j, filter %j, stride %d, pad %j: the input gradient equals tfjs-cpu's, nothing leaked", async (xShape, fShape, stride, pad) => {
    const probe = tf.tidy(() => tf.conv2d(tf.zeros(xShape as [number, number, number, number]) as tf.Tensor4D, tf.zeros([...fShape]) as tf.Tensor4D, stride, pad as 'valid'));
    const dyShape = probe.shape;
    probe.dispose();
    const fs = values(fShape, 1);
    const dys = values(dyShape as number[], 2);
    const before = tf.memory().numTensors;
    const ours = inputGrad(xShape, fs, fShape, dys, dyShape, stride, pad);
    expect(tf.memory().numTensors).toBe(before);
    await tf.setBackend('cpu');
    const ref = inputGrad(xShape, fs, fShape, dys, dyShape, stride, pad);
    await tf.setBackend('wasm');
    const scale = Math.max(...Array.from(ref, Math.abs));
    const err = Math.max(...Array.from(ref, (v, i) => Math.abs(v - ours[i])));
    expect(ours.length).toBe(ref.length);
    expect(scale).toBeGreaterThan(0);
    expect(err / scale).toBeLessThan(1e-5);
  });
});

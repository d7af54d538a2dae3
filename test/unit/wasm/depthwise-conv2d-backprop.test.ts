import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerDepthwiseBackprop } from '../../../src/wasm/depthwise-conv2d-backprop.js';

type Pad = 'valid' | 'same' | number;
// [x shape, filter shape [kh, kw, c, multiplier], stride, pad]: MobileNetV2's 3x3 depthwise (stride 1 'same', stride 2 'valid' after
// ZeroPadding2D, stride 2 'same' on odd and even sizes), EfficientNet's 5x5, a channel multiplier of 2, a 1x1 filter with stride 2.
const CASES: Array<[number[], [number, number, number, number], number | [number, number], Pad]> = [
  [[2, 9, 9, 5], [3, 3, 5, 1], 1, 'same'],
  [[2, 9, 9, 5], [3, 3, 5, 1], 2, 'valid'],
  [[2, 8, 8, 4], [3, 3, 4, 1], 2, 'same'],
  [[2, 7, 9, 4], [3, 3, 4, 1], 2, 'same'],
  [[2, 11, 10, 3], [5, 5, 3, 1], 2, 'same'],
  [[2, 7, 7, 3], [3, 3, 3, 2], 1, 'same'],
  [[2, 8, 7, 3], [3, 3, 3, 2], 2, 'valid'],
  [[2, 6, 6, 4], [1, 1, 4, 1], 2, 'valid'],
  [[1, 9, 8, 2], [3, 2, 2, 1], [2, 1], 1],
];

const dyShapeOf = (xShape: number[], f: number[], stride: number | [number, number], pad: Pad) =>
  tf.backend_util.computeConv2DInfo(xShape as [number, number, number, number], f as [number, number, number, number], stride, 1, pad, undefined, true).outShape;

function run(kernel: string, inputs: () => Record<string, tf.Tensor>, attrs: Record<string, unknown>): Float32Array {
  return tf.tidy(() => (tf.engine().runKernel(kernel, inputs(), attrs as unknown as tf.NamedAttrMap) as tf.Tensor).dataSync() as Float32Array).slice();
}

function values(shape: number[], seed: number): Float32Array {
  return Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, (_, i) => Math.sin(i * 0.37 + seed) + 0.1 * Math.cos(i * 1.3));
}

function relErr(ours: Float32Array, ref: Float32Array): number {
  expect(ours.length).toBe(ref.length);
  const scale = Math.max(...Array.from(ref, Math.abs));
  return Math.max(...Array.from(ref, (v, i) => Math.abs(v - (ours[i] as number)))) / scale;
}

/** Runs `f` on wasm (checking that it leaks nothing) and on tfjs-cpu (tfjs' reference loops). */
async function both(f: () => Float32Array): Promise<[Float32Array, Float32Array]> {
  const before = tf.memory().numTensors;
  const ours = f();
  expect(tf.memory().numTensors).toBe(before);
  await tf.setBackend('cpu');
  const ref = f();
  await tf.setBackend('wasm');
  return [ours, ref];
}

describe('depthwise convolution gradients on wasm', () => {
  beforeAll(async () => {
    await tf.setBackend('wasm');
    expect(tf.getKernel('DepthwiseConv2dNativeBackpropFilter', 'wasm')).toBeUndefined();
    expect(registerDepthwiseBackprop('wasm')).toBe(true);
    expect(registerDepthwiseBackprop('wasm')).toBe(true);
  });
  afterAll(async () => {
    await tf.setBackend('cpu');
  });

  it.each(CASES)('x %j, filter %j, stride %j, pad %j: filter and input gradients equal tfjs-cpu\'s, nothing leaked', async (xShape, fShape, stride, pad) => {
    const dyShape = dyShapeOf(xShape, fShape, stride, pad);
    const xs = values(xShape, 1);
    const dys = values(dyShape, 2);
    const fs = values(fShape, 3);
    const common = { strides: stride, pad, dilations: 1, dimRoundingMode: undefined };
    const [dw, dwRef] = await both(() =>
      run('DepthwiseConv2dNativeBackpropFilter', () => ({ x: tf.tensor(xs, xShape), dy: tf.tensor(dys, dyShape) }), { ...common, filterShape: fShape }),
    );
    expect(relErr(dw, dwRef)).toBeLessThan(1e-5);
    const [dx, dxRef] = await both(() =>
      run('DepthwiseConv2dNativeBackpropInput', () => ({ dy: tf.tensor(dys, dyShape), filter: tf.tensor(fs, fShape) }), { ...common, inputShape: xShape }),
    );
    expect(relErr(dx, dxRef)).toBeLessThan(1e-5);
  });

  it('tf.grads through depthwiseConv2d (and its ReLU6) on wasm equal tfjs-cpu\'s', async () => {
    const grads = () =>
      tf.tidy(() => {
        const f = tf.tensor4d(values([3, 3, 4, 1], 3), [3, 3, 4, 1]);
        const x = tf.tensor4d(values([2, 8, 8, 4], 4), [2, 8, 8, 4]);
        const [gx, gf] = tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.square(tf.relu6(tf.depthwiseConv2d(a as tf.Tensor4D, b as tf.Tensor4D, 2, 'same')))))([x, f]);
        return Float32Array.from([...(gx as tf.Tensor).dataSync(), ...(gf as tf.Tensor).dataSync()]);
      });
    const [ours, ref] = await both(grads);
    expect(ours.some((v) => v !== 0)).toBe(true);
    expect(relErr(ours, ref)).toBeLessThan(1e-5);
  });

  it('refuses dilated depthwise convolutions with an error that names the cpu backend', () => {
    const x = tf.zeros([1, 7, 7, 2]);
    const dy = tf.zeros([1, 3, 3, 2]);
    expect(() => tf.engine().runKernel('DepthwiseConv2dNativeBackpropFilter', { x, dy }, { strides: 1, pad: 'valid', dilations: 2, filterShape: [3, 3, 2, 1] } as unknown as tf.NamedAttrMap)).toThrow(/dilation 1 only.*cpu backend/);
    tf.dispose([x, dy]);
  });
});

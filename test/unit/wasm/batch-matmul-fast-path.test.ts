import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerBatchMatMulFastPath, SPLIT_BATCH_MIN_WORK } from '../../../src/wasm/batch-matmul-fast-path.js';

// [a shape, b shape, transposeA, transposeB]: single products in all four layouts (a dense
// layer's forward and both gradients), batches big enough to be split, a small batch and a
// broadcast batch (the backend's own kernel).
const CASES: Array<[number[], number[], boolean, boolean]> = [
  [[7, 5], [5, 3], false, false],
  [[1, 9, 6], [1, 9, 4], true, false],
  [[9, 6], [4, 6], false, true],
  [[6, 9], [4, 6], true, true],
  [[2, 3, 48, 40], [2, 3, 48, 40], true, false],
  [[3, 48, 40], [3, 48, 40], false, true],
  [[3, 40, 48], [3, 48, 40], false, false],
  [[4, 5, 3], [4, 3, 2], false, false],
  [[1, 6, 3], [4, 3, 2], false, false],
];

function values(shape: number[], seed: number): Float32Array {
  return Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, (_, i) => Math.sin(i * 0.37 + seed) + 0.1 * Math.cos(i * 1.3));
}

const product = (aShape: number[], bShape: number[], ta: boolean, tb: boolean) =>
  tf.tidy(() => tf.matMul(tf.tensor(values(aShape, 1), aShape), tf.tensor(values(bShape, 2), bShape), ta, tb).dataSync().slice());

describe('BatchMatMul on wasm through the XNNPACK fast path', () => {
  beforeAll(async () => {
    await tf.setBackend('wasm');
    expect(registerBatchMatMulFastPath('wasm')).toBe(true);
    expect(registerBatchMatMulFastPath('wasm')).toBe(true);
  });
  afterAll(async () => {
    await tf.setBackend('cpu');
  });

  it('splits the batched cases of the table (the per-matrix work exceeds the threshold)', () => {
    expect(48 * 40 * 48).toBeGreaterThanOrEqual(SPLIT_BATCH_MIN_WORK);
  });

  it.each(CASES)("a %j, b %j, transposeA %s, transposeB %s: equals tfjs-cpu's product, nothing leaked", async (aShape, bShape, ta, tb) => {
    const before = tf.memory().numTensors;
    const ours = product(aShape, bShape, ta, tb);
    expect(tf.memory().numTensors).toBe(before);
    await tf.setBackend('cpu');
    const ref = product(aShape, bShape, ta, tb);
    await tf.setBackend('wasm');
    const scale = Math.max(...Array.from(ref, Math.abs));
    const err = Math.max(...Array.from(ref, (v, i) => Math.abs(v - ours[i])));
    expect(ours.length).toBe(ref.length);
    expect(err / scale).toBeLessThan(1e-5);
  });

  it('gives the gradients of a batched product (attention) as tfjs-cpu does', async () => {
    const grads = () =>
      tf.tidy(() => {
        const q = tf.tensor(values([2, 48, 40], 3), [2, 48, 40]);
        const k = tf.tensor(values([2, 48, 40], 4), [2, 48, 40]);
        const [dq, dk] = tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.square(tf.matMul(a, b, false, true))))([q, k]);
        return [...dq.dataSync(), ...dk.dataSync()];
      });
    const ours = grads();
    await tf.setBackend('cpu');
    const ref = grads();
    await tf.setBackend('wasm');
    const scale = Math.max(...ref.map(Math.abs));
    expect(Math.max(...ref.map((v, i) => Math.abs(v - (ours[i] as number)))) / scale).toBeLessThan(1e-5);
  });
});

import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerSharedIdentity } from '../../../src/wasm/identity.js';

describe('the shared Identity kernel on wasm', () => {
  beforeAll(async () => {
    await tf.setBackend('wasm');
  });
  afterAll(async () => {
    await tf.setBackend('cpu');
  });

  const heapBytes = () => (tf.backend() as unknown as { wasm: { HEAPU8: Uint8Array } }).wasm.HEAPU8.byteLength;

  it('tfjs-backend-wasm 4.22 copies on clone; after registering, a clone shares the memory and outlives its source', () => {
    const x = tf.tensor2d([1, 2, 3, 4, 5, 6], [2, 3]);
    const copy = tf.clone(x);
    expect(copy.dataId).not.toBe(x.dataId);
    copy.dispose();
    expect(registerSharedIdentity('wasm')).toBe(true);
    const kernel = tf.getKernel('Identity', 'wasm')?.kernelFunc;
    expect(registerSharedIdentity('wasm')).toBe(true);
    // Idempotent: a second call (every fit on wasm makes one) wraps nothing more.
    expect(tf.getKernel('Identity', 'wasm')?.kernelFunc).toBe(kernel);
    const before = tf.memory().numTensors;
    const clone = tf.clone(x);
    expect(clone.dataId).toBe(x.dataId);
    expect(tf.memory().numTensors).toBe(before + 1);
    x.dispose();
    expect(Array.from(clone.dataSync())).toEqual([1, 2, 3, 4, 5, 6]);
    expect(clone.shape).toEqual([2, 3]);
    clone.dispose();
    expect(tf.memory().numTensors).toBe(before - 1);
  });

  it('a clone of 64 MiB takes no heap; tensors made after the source is gone keep their own values', () => {
    registerSharedIdentity('wasm');
    const big = tf.fill([16 * 2 ** 20], 3);
    const heap = heapBytes();
    const clones = Array.from({ length: 8 }, () => tf.clone(big));
    expect(heapBytes()).toBe(heap);
    big.dispose();
    const other = tf.fill([16 * 2 ** 20], 7);
    expect(clones[3]?.dataSync()[12345]).toBe(3);
    expect(other.dataSync()[12345]).toBe(7);
    tf.dispose([...clones, other]);
  });

  it('gradients through saved tensors equal tfjs-cpu\'s', async () => {
    registerSharedIdentity('wasm');
    const f = (x: tf.Tensor) => tf.sum(tf.mul(tf.exp(tf.mul(x, 0.3)), tf.relu(tf.sub(x, 0.5))));
    const xs = [0.1, 0.7, -1.2, 2.5, 0.9, 1.4];
    const grad = () => tf.tidy(() => Array.from(tf.grad(f)(tf.tensor1d(xs)).dataSync()));
    const ours = grad();
    await tf.setBackend('cpu');
    const ref = grad();
    await tf.setBackend('wasm');
    ours.forEach((g, i) => expect(g).toBeCloseTo(ref[i] as number, 6));
  });
});

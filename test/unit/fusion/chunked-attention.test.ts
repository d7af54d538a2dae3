import '@tensorflow/tfjs-backend-cpu';
// tfjs-layers registers the gradients of tfjs-core's ops; these tests use tfjs-core alone.
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import * as tf from '@tensorflow/tfjs-core';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  blockedAttention,
  groupedAttentionSums,
  rowsPerChunk,
  type AttentionKernels,
} from '../../../src/fusion/chunked-attention.js';
import { maxAbsDiff } from './fixture.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

/** The textbook computation, the whole map at once. */
function naive(q: tf.Tensor3D, k: tf.Tensor3D, v: tf.Tensor3D, scale: number): tf.Tensor3D {
  return tf.matMul(tf.softmax(tf.mul(tf.matMul(q, k, false, true), scale)), v);
}

function randomQkv(bh: number, n: number, hd: number, seed: number): [tf.Tensor3D, tf.Tensor3D, tf.Tensor3D] {
  return [0, 1, 2].map((i) => tf.randomNormal([bh, n, hd], 0, 1.5, 'float32', seed + i)) as [
    tf.Tensor3D,
    tf.Tensor3D,
    tf.Tensor3D,
  ];
}

const KERNELS: AttentionKernels[] = ['fused', 'matmul'];

describe('blockedAttention', () => {
  it('equals the whole-map computation, values and gradients, for any blocking and both kernel forms', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 3 }),
        fc.integer({ min: 1, max: 20 }),
        fc.constantFrom(1, 2, 4),
        fc.integer({ min: 1, max: 200 }),
        fc.constantFrom(...KERNELS),
        fc.integer({ min: 0, max: 1000 }),
        (bh, n, hd, chunk, kernels, seed) => {
          const before = tf.memory().numTensors;
          const [q, k, v] = randomQkv(bh, n, hd, seed);
          const dy = tf.randomNormal([bh, n, hd], 0, 1, 'float32', seed + 7);
          const scale = hd ** -0.5;
          const loss = (f: typeof naive) => (a: tf.Tensor, b: tf.Tensor, c: tf.Tensor) =>
            tf.sum(tf.mul(f(a as tf.Tensor3D, b as tf.Tensor3D, c as tf.Tensor3D, scale), dy));
          const blocked = (a: tf.Tensor3D, b: tf.Tensor3D, c: tf.Tensor3D, s: number) =>
            blockedAttention(a, b, c, s, chunk, kernels);
          const [want, got] = [naive, blocked].map((f) => tf.tidy(() => f(q, k, v, scale).dataSync()));
          expect(maxAbsDiff(got, want)).toBeLessThan(1e-5);
          const gWant = tf.grads(loss(naive))([q, k, v]);
          const gGot = tf.grads(loss(blocked))([q, k, v]);
          gWant.forEach((g, i) => expect(maxAbsDiff(gGot[i].dataSync(), g.dataSync())).toBeLessThan(2e-5));
          tf.dispose([q, k, v, dy, ...gWant, ...gGot]);
          expect(tf.memory().numTensors).toBe(before);
        },
      ),
      { numRuns: 40 },
    );
  });

  it.each(KERNELS)('%s: holds one block, not the map, through forward and backward', (kernels) => {
    // An 8 x 384 x 384 map is 4.7 MB per intermediate; blocks of 2^13 elements are 32 KB.
    const [q, k, v] = randomQkv(8, 384, 1, 3);
    const base = tf.memory().numBytes;
    const f = () => tf.sum(blockedAttention(q, k, v, 1, 1 << 13, kernels));
    return tf
      .profile(() => {
        const g = tf.grads(f)([q, k, v]);
        tf.dispose(g);
      })
      .then((info) => {
        const peak = info.peakBytes - base;
        // q, k, v, their gradients and the saves are 12 KB each; a block 32 KB. Measured:
        // 0.31 MB (fused), 0.34 MB (matmul); one whole-map intermediate would be 4.7 MB.
        expect(peak).toBeLessThan(0.6e6);
        tf.dispose([q, k, v]);
      });
  });

  it('sizes blocks to the budget, at least one row', () => {
    expect(rowsPerChunk(64, 1536, 1 << 20)).toBe(10);
    expect(rowsPerChunk(64, 1536, 10)).toBe(1);
  });
});

describe('groupedAttentionSums', () => {
  it.each(KERNELS)('%s: equals sums of the whole map over token groups', (kernels) => {
    const [q, k] = randomQkv(3, 12, 2, 11);
    const want = tf.tidy(() => {
      const p = tf.softmax(tf.mul(tf.matMul(q, k, false, true), 2 ** -0.5)); // [3, 12, 12]
      // groups of 4 tokens: [3, 3, 4, 3, 4] -> sum over batch and both in-group axes
      return tf.sum(tf.reshape(p, [3, 3, 4, 3, 4]), [0, 2, 4]).dataSync();
    });
    const got = groupedAttentionSums(q, k, 2 ** -0.5, 4, 30, kernels);
    expect(maxAbsDiff(got, want)).toBeLessThan(1e-5);
    // Every query row's probabilities sum to 1: all entries sum to batch * tokens.
    expect(got.reduce((a, b) => a + b, 0)).toBeCloseTo(3 * 12, 4);
    tf.dispose([q, k]);
  });
});

import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import { afterAll, describe, expect, it } from 'vitest';
import { fewTokenAttention } from '../../../src/fusion/few-token-attention.js';
import { maxAbsDiff } from './fixture.js';

afterAll(async () => {
  await tf.setBackend('cpu');
});

/** timm's attention written out in f64 loops: qkv `[b, n, 3, H, hd]`, output `[b, n, H, hd]`. */
function timmLoops(qkv: Float32Array, b: number, n: number, heads: number, hd: number): Float64Array {
  const d = heads * hd;
  const at = (r: number, i: number, s: number, h: number, e: number) => qkv[r * n * 3 * d + i * 3 * d + s * d + h * hd + e];
  const out = new Float64Array(b * n * d);
  for (let r = 0; r < b; r++) {
    for (let h = 0; h < heads; h++) {
      for (let i = 0; i < n; i++) {
        const s = Array.from({ length: n }, (_, j) => {
          let t = 0;
          for (let e = 0; e < hd; e++) t += at(r, i, 0, h, e) * at(r, j, 1, h, e);
          return t / Math.sqrt(hd);
        });
        const max = Math.max(...s);
        const z = s.reduce((a, v) => a + Math.exp(v - max), 0);
        for (let e = 0; e < hd; e++) {
          let o = 0;
          for (let j = 0; j < n; j++) o += (Math.exp(s[j] - max) / z) * at(r, j, 2, h, e);
          out[r * n * d + i * d + h * hd + e] = o;
        }
      }
    }
  }
  return out;
}

/** The same by the transposing head split (tfjs ops, autodiff), as the reference for gradients. */
function transposed(qkv: tf.Tensor2D, n: number, heads: number, hd: number): tf.Tensor2D {
  const b = qkv.shape[0];
  const split = tf.transpose(tf.reshape(qkv, [b, n, 3, heads, hd]), [2, 0, 3, 1, 4]);
  const [q, k, v] = tf.unstack(split, 0);
  const p = tf.softmax(tf.div(tf.matMul(q, k, false, true), Math.sqrt(hd)));
  return tf.reshape(tf.transpose(tf.matMul(p, v), [0, 2, 1, 3]), [b, n * heads * hd]);
}

// On wasm the token blocks are copied out of its heap (a custom op), elsewhere sliced.
describe.each(['cpu', 'wasm'])('fewTokenAttention on the %s backend: multi-head attention over a few wide tokens without transposes', (backend) => {
  it.each([
    [1, 1, 4],
    [3, 2, 4],
    [4, 4, 2],
  ])('%i tokens, %i heads of width %i: values equal the timm formula (f64 loops), gradients equal autodiff of the head split', async (n, heads, hd) => {
    await tf.setBackend(backend);
    const b = 5;
    const d = heads * hd;
    const before = tf.memory().numTensors;
    const qkv = tf.randomNormal([b, 3 * n * d], 0, 1, 'float32', 11) as tf.Tensor2D;
    const dy = tf.randomNormal([b, n * d], 0, 1, 'float32', 12) as tf.Tensor2D;
    const got = tf.tidy(() => fewTokenAttention(qkv, n, heads, hd ** -0.5));
    expect(got.shape).toEqual([b, n * d]);
    expect(maxAbsDiff(got.dataSync(), timmLoops(qkv.dataSync() as Float32Array, b, n, heads, hd))).toBeLessThan(1e-5);
    const g = tf.grad((x: tf.Tensor) => tf.sum(tf.mul(fewTokenAttention(x as tf.Tensor2D, n, heads, hd ** -0.5), dy)));
    const gRef = tf.grad((x: tf.Tensor) => tf.sum(tf.mul(transposed(x as tf.Tensor2D, n, heads, hd), dy)));
    const [a, r] = [g(qkv), gRef(qkv)];
    expect(maxAbsDiff(a.dataSync(), r.dataSync())).toBeLessThan(1e-5);
    expect(Math.max(...r.dataSync().map(Math.abs))).toBeGreaterThan(0.01);
    tf.dispose([qkv, dy, got, a, r]);
    expect(tf.memory().numTensors).toBe(before);
  });
});

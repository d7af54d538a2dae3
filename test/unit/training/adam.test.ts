import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, describe, expect, it } from 'vitest';
import { Adam } from '../../../src/training/adam.js';

/** PyTorch's Adam written out in f64 (torch.optim.Adam, defaults), the reference. */
function torchAdam(p0: Float64Array, grads: Float64Array[], lrs: number[]): Float64Array {
  const p = Float64Array.from(p0);
  const m = new Float64Array(p.length);
  const v = new Float64Array(p.length);
  grads.forEach((g, s) => {
    const t = s + 1;
    for (let j = 0; j < p.length; j++) {
      m[j] = 0.9 * m[j] + 0.1 * g[j];
      v[j] = 0.999 * v[j] + 0.001 * g[j] * g[j];
      const denom = Math.sqrt(v[j]) / Math.sqrt(1 - 0.999 ** t) + 1e-8;
      p[j] -= (lrs[s] / (1 - 0.9 ** t)) * (m[j] / denom);
    }
  });
  return p;
}

/** Seeded values in [-scale, scale) with some exact zeros (Adam's 0 / eps case). */
function values(n: number, seed: number, scale: number): Float32Array {
  let x = seed >>> 0;
  return Float32Array.from({ length: n }, (_, i) => {
    x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
    return i % 11 === 3 ? 0 : ((x / 2 ** 32) * 2 - 1) * scale;
  });
}

const shapes = [[7], [13, 5], [1], [64, 33]];
const lrs = [1e-3, 1e-3, 1e-4, 2e-3];

/** Four Adam steps on the shapes; returns the final values of every parameter. */
function run(form: 'auto' | 'tensor'): { out: Float32Array[]; fused: boolean; leaked: number } {
  const before = tf.memory().numTensors;
  const params = shapes.map((s, i) => tf.tidy(() => tf.variable(tf.tensor(values(s.reduce((a, b) => a * b, 1), 10 + i, 1), s))));
  const adam = new Adam(params, 0.9, 0.999, 1e-8, form);
  lrs.forEach((lr, step) => {
    tf.tidy(() => adam.step(params.map((p, i) => tf.tensor(values(p.size, 100 * step + i, 0.5 + step), p.shape)), lr));
  });
  const out = params.map((p) => Float32Array.from(p.dataSync()));
  const fused = adam.fused;
  adam.dispose();
  tf.dispose(params);
  return { out, fused, leaked: tf.memory().numTensors - before };
}

afterAll(async () => {
  await tf.setBackend('cpu');
});

describe.each(['cpu', 'wasm'])('Adam on the %s backend', (backend) => {
  it('the fused WebAssembly update gives the tensor form\'s bits and PyTorch\'s formula to float32 rounding, leaking nothing', async () => {
    await tf.setBackend(backend);
    const fused = run('auto');
    const tensor = run('tensor');
    expect(fused.fused).toBe(true);
    expect(tensor.fused).toBe(false);
    expect([fused.leaked, tensor.leaked]).toEqual([0, 0]);
    shapes.forEach((s, i) => {
      expect(Buffer.from(fused.out[i].buffer).equals(Buffer.from(tensor.out[i].buffer)), `shape [${s}]`).toBe(true);
      const n = fused.out[i].length;
      const ref = torchAdam(
        Float64Array.from(values(n, 10 + i, 1)),
        lrs.map((_, step) => Float64Array.from(values(n, 100 * step + i, 0.5 + step))),
        lrs,
      );
      let worst = 0;
      for (let j = 0; j < n; j++) worst = Math.max(worst, Math.abs(fused.out[i][j] - ref[j]));
      expect(worst, `shape [${s}]`).toBeLessThan(1e-6);
    });
  });
});

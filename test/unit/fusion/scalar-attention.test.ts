import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
// tfjs-layers registers the gradients of tfjs-core's ops.
import '@tensorflow/tfjs-layers';
import * as tf from '@tensorflow/tfjs-core';
import fc from 'fast-check';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { blockedAttention, defaultKernels } from '../../../src/fusion/chunked-attention.js';
import { DynamicVisualMetaEmbedding } from '../../../src/index.js';
import { ScalarAttentionKernel } from '../../../src/fusion/scalar-attention-kernel.js';
import { encodeScalarAttention } from '../../../src/wasm/scalar-attention-kernels.js';
import { scalarAttentionKernelFor, setScalarAttentionKernel } from '../../../src/fusion/scalar-attention.js';
import { QUICK, SOURCES, trainTest } from './synthetic.js';

type Qkv = [tf.Tensor3D, tf.Tensor3D, tf.Tensor3D];

function randomQkv(bh: number, n: number, sd: number, seed: number): Qkv {
  return [0, 1, 2].map((i) => tf.randomNormal([bh, n, 1], 0, i < 2 ? sd : 1, 'float32', seed + i)) as Qkv;
}

/** The output gradient of {@link run}. */
const outputGradient = (qkv: Qkv, seed: number) => tf.randomNormal(qkv[0].shape, 0, 1, 'float32', seed + 7);

/** Output and the gradients of `sum(out * dy)` for q, k, v, through the kernel or the tensor ops. */
function run(qkv: Qkv, scale: number, kernel: boolean, seed: number): Float32Array[] {
  const dy = outputGradient(qkv, seed);
  const attend = (a: tf.Tensor, b: tf.Tensor, c: tf.Tensor) =>
    kernel
      ? blockedAttention(a as tf.Tensor3D, b as tf.Tensor3D, c as tf.Tensor3D, scale)
      : blockedAttention(a as tf.Tensor3D, b as tf.Tensor3D, c as tf.Tensor3D, scale, undefined, 'fused');
  const out = tf.tidy(() => attend(...qkv).dataSync() as Float32Array);
  const grads = tf.grads((a: tf.Tensor, b: tf.Tensor, c: tf.Tensor) => tf.sum(tf.mul(attend(a, b, c), dy)))(qkv);
  const values = grads.map((g) => g.dataSync() as Float32Array);
  tf.dispose([dy, ...grads]);
  return [out, ...values];
}

/**
 * {@link run}'s results in float64 from the same float32 inputs, the whole map at once, and
 * for each result the magnitude float32 can hold it to: the sum of its terms' absolute values
 * times `1 + |a_i| (kmax - kmin)` (a score's rounding moves its exponential by that much).
 */
function exact(qkv: Qkv, scale: number, seed: number): { values: Float64Array[]; magnitudes: Float64Array[] } {
  const [bh, n] = qkv[0].shape;
  const [q, k, v] = qkv.map((t) => t.dataSync());
  const dy = outputGradient(qkv, seed);
  const g = dy.dataSync();
  dy.dispose();
  const z = () => [0, 1, 2, 3].map(() => new Float64Array(bh * n));
  const [values, magnitudes] = [z(), z()];
  const [out, dq, dk, dv] = values;
  const [mOut, mDq, mDk, mDv] = magnitudes;
  const p = new Float64Array(n);
  for (let o = 0; o < bh * n; o += n) {
    const keys = Array.from(k.subarray(o, o + n));
    const [kmax, kmin] = [Math.max(...keys), Math.min(...keys)];
    for (let i = o; i < o + n; i++) {
      const a = q[i] * scale;
      const kext = a >= 0 ? kmax : kmin;
      const range = 1 + Math.abs(a) * (kmax - kmin);
      let l = 0;
      for (let j = o; j < o + n; j++) l += p[j - o] = Math.exp(a * (k[j] - kext));
      for (let j = o; j < o + n; j++) {
        p[j - o] /= l;
        out[i] += p[j - o] * v[j];
        mOut[i] += p[j - o] * Math.abs(v[j]) * range;
      }
      const d = g[i] * out[i];
      for (let j = o; j < o + n; j++) {
        const ds = p[j - o] * (g[i] * v[j] - d);
        const dsMagnitude = p[j - o] * (Math.abs(g[i] * v[j]) + Math.abs(d)) * range;
        dv[j] += p[j - o] * g[i];
        mDv[j] += p[j - o] * Math.abs(g[i]) * range;
        dq[i] += ds * k[j] * scale;
        mDq[i] += dsMagnitude * (Math.abs(k[j]) + Math.abs(kext)) * scale;
        dk[j] += ds * a;
        mDk[j] += dsMagnitude * Math.abs(a);
      }
    }
  }
  return { values, magnitudes };
}

/**
 * Exact in float32's terms: every result within 1e-5 (84 ulp) of its own magnitude (see
 * {@link exact}), plus 1e-15 of the largest magnitude for probabilities the kernel flushes to 0
 * (below 2^-64 of their row's largest).
 */
function expectExact(got: Float32Array[], want: ReturnType<typeof exact>): void {
  ['out', 'dq', 'dk', 'dv'].forEach((name, r) => {
    const m = want.magnitudes[r];
    const largest = Math.max(...m);
    let worst = 0;
    for (let i = 0; i < m.length; i++) worst = Math.max(worst, Math.abs(got[r][i] - want.values[r][i]) / (m[i] + 1e-10 * largest));
    expect(worst, name).toBeLessThan(1e-5);
  });
}

/** max |a - b| / max(|b|, floor): relative to the result's own scale. */
function gap(a: ArrayLike<number>, b: ArrayLike<number>, floor = 1e-3): number {
  let d = 0;
  let m = floor;
  for (let i = 0; i < a.length; i++) {
    d = Math.max(d, Math.abs(a[i] - b[i]));
    m = Math.max(m, Math.abs(b[i]));
  }
  return d / m;
}

function spyKernel() {
  return {
    forward: vi.spyOn(ScalarAttentionKernel.prototype, 'forward'),
    backward: vi.spyOn(ScalarAttentionKernel.prototype, 'backward'),
  };
}

afterEach(() => {
  vi.restoreAllMocks();
  setScalarAttentionKernel(true);
});

describe.each(['cpu', 'wasm'])('head-width-1 attention kernel on %s', (backend) => {
  it('is the path blockedAttention takes for [batch, tokens, 1] float32, and only for those', async () => {
    await tf.setBackend(backend);
    const [q1, q2, qi] = [tf.zeros([2, 3, 1]), tf.zeros([2, 3, 2]), tf.zeros([2, 3, 1], 'int32')] as tf.Tensor3D[];
    expect(scalarAttentionKernelFor(q1)).toBeInstanceOf(ScalarAttentionKernel);
    expect(scalarAttentionKernelFor(q2)).toBeUndefined();
    expect(scalarAttentionKernelFor(qi)).toBeUndefined();
    expect(setScalarAttentionKernel(false)).toBe(true);
    expect(scalarAttentionKernelFor(q1)).toBeUndefined();
    tf.dispose([q1, q2, qi]);
  });

  it.each([
    // [batchHeads, tokens, sd of q and k, scale]: token counts off multiples of 4, one token,
    // and softmax saturation (|q k| in the hundreds: the range-tested code).
    [1, 1, 1, 1],
    [2, 3, 1, 1],
    [3, 5, 0.3, 0.5],
    [2, 37, 1, 1],
    [1, 130, 2, 0.125],
    [2, 21, 20, 1],
    [1, 9, 100, 1],
  ])('equals the tensor ops, output and all three gradients: %i x %i tokens, sd %f, scale %f', async (bh, n, sd, scale) => {
    await tf.setBackend(backend);
    const spy = spyKernel();
    const qkv = randomQkv(bh, n, sd, bh * 100 + n);
    const before = tf.memory().numTensors;
    const got = run(qkv, scale, true, n);
    expect(spy.forward).toHaveBeenCalled();
    expect(spy.backward).toHaveBeenCalled();
    const calls = spy.forward.mock.calls.length;
    const want = run(qkv, scale, false, n);
    expect(spy.forward.mock.calls.length).toBe(calls);
    ['out', 'dq', 'dk', 'dv'].forEach((name, i) => expect(gap(got[i], want[i]), name).toBeLessThan(2e-5));
    expectExact(got, exact(qkv, scale, n));
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose(qkv);
  });

  it('a saturated row returns the value of its largest score exactly', async () => {
    await tf.setBackend(backend);
    const q = tf.tensor3d([100, -100, 0], [1, 3, 1]);
    const k = tf.tensor3d([1, 2, 3], [1, 3, 1]);
    const v = tf.tensor3d([0.25, -0.5, 0.75], [1, 3, 1]);
    const out = blockedAttention(q, k, v, 1);
    // exp(-100) is far below v's rounding; q = 0 weighs every key equally.
    expect(Array.from(out.dataSync())).toEqual([0.75, 0.25, Math.fround((0.25 - 0.5 + 0.75) / 3)]);
    tf.dispose([q, k, v, out]);
  });

  it('property: exact for any shape, scale and magnitude', async () => {
    await tf.setBackend(backend);
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 3 }),
        fc.integer({ min: 1, max: 40 }),
        fc.constantFrom(0.1, 1, 5, 30),
        fc.constantFrom(1, 0.5, 0.125),
        fc.integer({ min: 0, max: 1000 }),
        (bh, n, sd, scale, seed) => {
          const qkv = randomQkv(bh, n, sd, seed);
          expectExact(run(qkv, scale, true, seed), exact(qkv, scale, seed));
          tf.dispose(qkv);
        },
      ),
      { numRuns: 30 },
    );
  });
});

describe('head-width-1 attention kernel', () => {
  it('leaves non-finite or overflowing inputs to the tensor ops, which propagate them as PyTorch does', async () => {
    await tf.setBackend('cpu');
    const spy = spyKernel();
    const q = tf.tensor3d([1, Number.NaN, 2, 0.5], [1, 4, 1]);
    const kv = tf.tensor3d([0.1, 0.2, 0.3, 0.4], [1, 4, 1]);
    const got = blockedAttention(q, kv, kv, 1);
    const want = blockedAttention(q, kv, kv, 1, undefined, defaultKernels());
    expect(spy.forward).not.toHaveBeenCalled();
    expect(Array.from(got.dataSync())).toEqual(Array.from(want.dataSync()));
    expect(Number.isNaN(got.dataSync()[1])).toBe(true);
    // Magnitudes where float32 scores overflow, and scales above 1, go the same way.
    const huge = tf.tensor3d([1, 2e30, 3, 4], [1, 4, 1]);
    tf.dispose([blockedAttention(huge, kv, kv, 1), blockedAttention(kv, kv, kv, 2)]);
    expect(spy.forward).not.toHaveBeenCalled();
    tf.dispose([q, kv, got, want, huge]);
  });

  it('leaks no tensor when the kernel throws, forward or backward', async () => {
    await tf.setBackend('cpu');
    const qkv = randomQkv(2, 6, 1, 5);
    const grads = (f: (...t: tf.Tensor[]) => tf.Tensor) => () => tf.tidy(() => tf.grads(f)(qkv));
    const leaked = (f: () => unknown, message: string) => {
      const before = tf.memory().numTensors;
      expect(f).toThrow(message);
      return tf.memory().numTensors - before;
    };
    // tfjs itself loses one tensor whenever a gradient function throws.
    const failing = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => ({
      value: tf.mul(args[0] as tf.Tensor, 2),
      gradFunc: () => {
        throw new Error('baseline failed');
      },
    }));
    const tfjsLeak = leaked(grads((a) => tf.sum(failing(a))), 'baseline failed');

    const attention = (a: tf.Tensor, b: tf.Tensor, c: tf.Tensor) =>
      tf.sum(blockedAttention(a as tf.Tensor3D, b as tf.Tensor3D, c as tf.Tensor3D, 1));
    const fwd = vi.spyOn(ScalarAttentionKernel.prototype, 'forward').mockImplementation(() => {
      throw new Error('forward failed');
    });
    expect(leaked(() => tf.tidy(() => attention(...qkv)), 'forward failed')).toBe(0);
    expect(leaked(grads(attention), 'forward failed')).toBe(0);
    fwd.mockRestore();
    vi.spyOn(ScalarAttentionKernel.prototype, 'backward').mockImplementation(() => {
      throw new Error('backward failed');
    });
    // The five tensors the tape saved for the kernel are freed.
    expect(leaked(grads(attention), 'backward failed')).toBe(tfjsLeak);
    tf.dispose(qkv);
  });

  it('holds memory for one sample, whatever the batch, and no attention map', async () => {
    await tf.setBackend('wasm');
    const grow = (bh: number) => {
      const qkv = randomQkv(bh, 1536, 1, bh);
      const g = tf.grads((a: tf.Tensor, b: tf.Tensor, c: tf.Tensor) =>
        tf.sum(blockedAttention(a as tf.Tensor3D, b as tf.Tensor3D, c as tf.Tensor3D, 1)),
      )(qkv);
      tf.dispose([...qkv, ...g]);
      return scalarAttentionKernelFor(qkv[0])!.memoryBytes;
    };
    const one = grow(1);
    // 1536 tokens: about 70 bytes each (one attention map would be 9.4 MB per sample).
    expect(one).toBeLessThanOrEqual(2 * 65536);
    expect(grow(16)).toBe(one);
  });

  it('compiles synchronously in browsers too: the module is under their 4 KiB main-thread limit', () => {
    const code = encodeScalarAttention();
    expect(code.length).toBeLessThan(4096);
    expect(WebAssembly.validate(code)).toBe(true);
  });

  it('DVME with feature tokens trains and predicts through it, equal to the tensor ops, leaking nothing', async () => {
    await tf.setBackend('cpu');
    const { train, test } = trainTest(48, 12, 3, 2);
    const fit = async (kernel: boolean) => {
      setScalarAttentionKernel(kernel);
      const est = new DynamicVisualMetaEmbedding({ sources: SOURCES, task: 'multiclass', seed: 4, projectionDim: 8, ...QUICK });
      await est.fit(train.x, train.y);
      const p = est.predictProba(test.x).map((r) => Array.from(r));
      est.dispose();
      return p;
    };
    const before = tf.memory().numTensors;
    const spy = spyKernel();
    const fast = await fit(true);
    expect(spy.backward).toHaveBeenCalled();
    const slow = await fit(false);
    // Several epochs of Adam on each path: float32 rounding differs, the model does not.
    fast.forEach((row, i) => row.forEach((p, c) => expect(Math.abs(p - slow[i][c])).toBeLessThan(1e-3)));
    expect(tf.memory().numTensors).toBe(before);
  });
});

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { JsLinearKernel, type LinearKernel } from '../../../../src/probe/lbfgs/linear-kernel.js';
import { createWasmKernel } from '../../../../src/probe/lbfgs/wasm-linear-kernel.js';

/** Runs one pass with a nonlinear block loss and returns the scores it saw and the gradient. */
function run(kernel: LinearKernel, w: Float64Array, fast: boolean, n: number, k: number) {
  const z = new Float64Array(n * k);
  const grad = new Float64Array(w.length);
  kernel.pass(
    w,
    fast,
    (row0, rows, zb, g) => {
      for (let t = 0; t < rows * k; t++) {
        z[row0 * k + t] = zb[t];
        g[t] = Math.tanh(zb[t]) + 0.25 * (((row0 * k + t) % 3) - 1);
      }
    },
    grad,
  );
  return { z, grad };
}

function maxAbsDiff(a: Float64Array, b: Float64Array): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

function maxAbs(a: Float64Array): number {
  return a.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
}

const shape = fc.record({
  n: fc.integer({ min: 1, max: 300 }),
  d: fc.integer({ min: 1, max: 70 }),
  k: fc.integer({ min: 1, max: 9 }),
  seed: fc.integer(),
});

function data(n: number, d: number, k: number, seed: number) {
  let s = seed >>> 0 || 1;
  const rnd = () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 2 ** 32 - 0.5;
  };
  return { x: Float32Array.from({ length: n * d }, rnd), w: Float64Array.from({ length: k * d }, rnd) };
}

describe('WebAssembly SIMD kernel', () => {
  it('f64 mode equals the TypeScript kernel to rounding, for any shape (padding, remainders)', async () => {
    await fc.assert(
      fc.asyncProperty(shape, async ({ n, d, k, seed }) => {
        const { x, w } = data(n, d, k, seed);
        const wasm = (await createWasmKernel(x, n, d, k))!;
        const ref = run(new JsLinearKernel(x, n, d, k), w, false, n, k);
        const got = run(wasm, w, false, n, k);
        expect(maxAbsDiff(got.z, ref.z)).toBeLessThanOrEqual(1e-12 * (1 + maxAbs(ref.z)));
        expect(maxAbsDiff(got.grad, ref.grad)).toBeLessThanOrEqual(1e-12 * (1 + maxAbs(ref.grad)));
      }),
      { numRuns: 40 },
    );
  });

  it('f32 mode is within f32 rounding of the f64 result', async () => {
    await fc.assert(
      fc.asyncProperty(shape, async ({ n, d, k, seed }) => {
        const { x, w } = data(n, d, k, seed);
        const wasm = (await createWasmKernel(x, n, d, k))!;
        const ref = run(wasm, w, false, n, k);
        const got = run(wasm, w, true, n, k);
        // Scores round within one row; gradients within one block of rows.
        expect(maxAbsDiff(got.z, ref.z)).toBeLessThanOrEqual(1e-6 * d * (1 + maxAbs(ref.z)));
        expect(maxAbsDiff(got.grad, ref.grad)).toBeLessThanOrEqual(1e-6 * Math.min(n, 256) * (1 + maxAbs(ref.grad)));
      }),
      { numRuns: 40 },
    );
  });

  it('with sumZero, derives the last class exactly as multiplying it out would', async () => {
    await fc.assert(
      fc.asyncProperty(shape.filter((s) => s.k >= 2), async ({ n, d, k, seed }) => {
        const { x, w } = data(n, d, k, seed);
        for (let j = 0; j < d; j++) {
          let sum = 0;
          for (let c = 0; c < k - 1; c++) sum += w[c * d + j];
          w[(k - 1) * d + j] = -sum;
        }
        // Rows of G summing to zero, as softmax residuals do.
        const loss = (_r: number, rows: number, z: Float64Array, g: Float64Array) => {
          for (let r = 0; r < rows; r++) {
            let sum = 0;
            for (let c = 0; c < k - 1; c++) sum += g[r * k + c] = Math.tanh(z[r * k + c]) + 0.1 * c;
            g[r * k + k - 1] = -sum;
          }
        };
        const wasm = (await createWasmKernel(x, n, d, k))!;
        for (const kernel of [wasm, new JsLinearKernel(x, n, d, k)]) {
          const full = new Float64Array(k * d);
          const derived = new Float64Array(k * d);
          kernel.pass(w, false, loss, full, false);
          kernel.pass(w, false, loss, derived, true);
          expect(maxAbsDiff(derived, full)).toBeLessThanOrEqual(1e-12 * (1 + maxAbs(full)));
        }
      }),
      { numRuns: 30 },
    );
  });

  it('handles rows wider than 2^16 bytes (multi-byte LEB128 offsets) and reports its mode', async () => {
    const [n, d, k] = [6, 20_000, 3];
    const { x, w } = data(n, d, k, 7);
    const wasm = (await createWasmKernel(x, n, d, k))!;
    expect(wasm.name).toBe('wasm-simd');
    expect(wasm.hasFast).toBe(true);
    expect(wasm.d).toBe(d);
    const ref = run(new JsLinearKernel(x, n, d, k), w, false, n, k);
    expect(maxAbsDiff(run(wasm, w, false, n, k).grad, ref.grad)).toBeLessThan(1e-10);
    wasm.dispose();
    wasm.dispose(); // idempotent
    expect(() => run(wasm, w, false, n, k)).toThrow(/after dispose/);
  });
});

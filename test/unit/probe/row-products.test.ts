import { describe, expect, it } from 'vitest';
import { createRowProducts } from '../../../src/probe/row-products.js';

// Per-source blocks (ConcatProbe's sources) must give the products of the concatenated rows:
// checked against f64 dot products computed here, and exactly against the one-array input.
describe('row products over per-source blocks', () => {
  const [n, nVal, k] = [7, 3, 2];
  const widths = [5, 3, 6];
  const d = widths.reduce((a, b) => a + b, 0);
  const value = (i: number, j: number) => Math.fround(Math.sin(i * 31 + j * 7) * 2);
  const blocks = (rows: number, base: number) => {
    let o = 0;
    return widths.map((w) => {
      const b = Float32Array.from({ length: rows * w }, (_, t) => value(base + Math.floor(t / w), o + (t % w)));
      o += w;
      return b;
    });
  };
  const joined = (rows: number, base: number) => Float32Array.from({ length: rows * d }, (_, t) => value(base + Math.floor(t / d), t % d));
  const w = Float32Array.from({ length: k * d }, (_, t) => Math.fround(Math.cos(t) / 3));
  const dot = (i: number, c: number) => {
    let s = 0;
    for (let j = 0; j < d; j++) s += value(i, j) * w[c * d + j];
    return s;
  };

  it('forward, backward and validation products equal those of the concatenated rows', async () => {
    const idx = Int32Array.from([4, 0, 6, 2, 2]);
    const g = Float64Array.from({ length: idx.length * k }, (_, t) => (t % 3) - 1);
    const run = async (x: Float32Array | Float32Array[], xv: Float32Array | Float32Array[]) => {
      const p = await createRowProducts(x, xv, d, k, idx.length);
      p.setWeights(w);
      const z = new Float64Array(idx.length * k);
      p.forward(idx, z);
      const grad = new Float64Array(k * d);
      p.backward(g, grad);
      const zv = new Float64Array(nVal * k);
      p.forwardValidation(zv);
      return { z, grad, zv };
    };
    // A memory handed back holds its fit's values: a fit of 16 features (the kernels' row
    // padding, so the same layout) leaves 1e6 where the next fit's 14-feature rows and weights
    // have their padding, which must not count.
    const full = (len: number) => Float32Array.from({ length: len }, () => 1e6);
    const wide = await createRowProducts(full(n * 16), full(nVal * 16), 16, k, idx.length);
    wide.setWeights(full(k * 16));
    wide.forward(idx, new Float64Array(idx.length * k));
    wide.release();
    const fromBlocks = await run(blocks(n, 0), blocks(nVal, n));
    const fromJoined = await run(joined(n, 0), joined(nVal, n));
    expect(fromBlocks).toEqual(fromJoined);
    for (let r = 0; r < idx.length; r++) for (let c = 0; c < k; c++) expect(fromBlocks.z[r * k + c]).toBeCloseTo(dot(idx[r], c), 4);
    for (let r = 0; r < nVal; r++) for (let c = 0; c < k; c++) expect(fromBlocks.zv[r * k + c]).toBeCloseTo(dot(n + r, c), 4);
    for (let c = 0; c < k; c++) {
      for (let j = 0; j < d; j++) {
        let s = 0;
        for (let r = 0; r < idx.length; r++) s += g[r * k + c] * value(idx[r], j);
        expect(fromBlocks.grad[c * d + j]).toBeCloseTo(s, 4);
      }
    }
  });
});

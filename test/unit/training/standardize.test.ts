import { describe, expect, it } from 'vitest';
import { columnMoments, fitStandardization, standardizeColumns } from '../../../src/training/standardize.js';
import { gaussian, rng } from '../probe/synthetic.js';

// The fusion evaluation's standardisation as it was before it moved into training/standardize.ts
// (src/protocol/fusion-evaluation.ts, columnStats / scaleColumns), kept as the reference.
function oldColumnStats(m: { data: ArrayLike<number>; shape: readonly [number, number] }) {
  const [n, d] = m.shape;
  const mu = new Float64Array(d);
  const sd = new Float64Array(d);
  for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) mu[j] += m.data[i * d + j];
  for (let j = 0; j < d; j++) mu[j] /= n;
  for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) sd[j] += (m.data[i * d + j] - mu[j]) ** 2;
  for (let j = 0; j < d; j++) sd[j] = Math.sqrt(sd[j] / n) || 1;
  return { mean: mu, std: sd };
}
function oldScaleColumns(m: { data: ArrayLike<number>; shape: readonly [number, number] }, s: { mean: Float64Array; std: Float64Array }) {
  const [n, d] = m.shape;
  const out = new Float32Array(n * d);
  for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) out[i * d + j] = (m.data[i * d + j] - s.mean[j]) / s.std[j];
  return out;
}

/** Embedding-like columns: rectified (many exact zeros), offset, wide, and all-zero ones. */
function embeddingLike(n: number, d: number, seed: number): Float32Array {
  const g = gaussian(rng(seed));
  const scales = Array.from({ length: d }, (_, j) => [1e-3, 0.05, 1, 40][j % 4]);
  return Float32Array.from({ length: n * d }, (_, k) => {
    const j = k % d;
    if (j % 7 === 6) return 0;
    return Math.max(0, (g() + (j % 3)) * scales[j]);
  });
}

describe('standardisation: one implementation', () => {
  it("the fusion evaluation's standardisation is bit-identical to the code it replaced", () => {
    for (const [n, d, seed] of [[50, 64, 1], [500, 33, 2], [1080, 128, 3]] as const) {
      const data = embeddingLike(n, d, seed);
      const m = { data, shape: [n, d] as const };
      const old = oldColumnStats(m);
      const now = columnMoments(data, n, d);
      expect(now.mean).toEqual(old.mean);
      expect(now.scale).toEqual(old.std);
      expect(standardizeColumns(data, n, d, now)).toEqual(oldScaleColumns(m, old));
    }
  });

  it('a spread lost in rounding noise counts as none (StandardScaler), where the old copy divided by it', () => {
    // float64 data: 0.1 + 0.1 + 0.1 = 0.30000000000000004, so the mean misses 0.1 and the
    // spread is ~1e-17. (Float32 values never do this: n equal float32 values sum exactly in
    // float64, and distinct ones differ by far more; the protocol's statistics are of float32 rows.)
    const data = Float64Array.of(0.1, 1, 0.1, 2, 0.1, 3);
    const old = oldColumnStats({ data, shape: [3, 2] });
    expect(old.std[0]).toBeGreaterThan(0);
    expect(old.std[0]).toBeLessThan(1e-15);
    const now = columnMoments(data, 3, 2);
    expect(now.scale[0]).toBe(1);
    expect(now.scale[1]).toBe(old.std[1]);
    expect(Array.from(standardizeColumns(data, 3, 2, now)).every((v) => Math.abs(v) < 10)).toBe(true);
  });

  it("the probe's float32 statistics are the float64 moments, rounded", () => {
    const data = embeddingLike(200, 20, 4);
    const s = fitStandardization({ data, rows: 200, cols: 20 });
    const m = columnMoments(data, 200, 20);
    expect(s.mean).toEqual(Float32Array.from(m.mean));
    expect(s.scale).toEqual(Float32Array.from(m.scale));
  });
});

// Seeded multi-source data for the fusion estimator tests (not a test file itself).
import { gaussian, rng } from '../probe/synthetic.js';

/**
 * n rows, k classes (round-robin), three sources: `a` (6 features) and `b` (4) carry the class
 * (Gaussian blobs `separation` apart), `c` (3) is noise. Multilabel: label j is class == j.
 */
export function sourcesData(
  n: number,
  k: number,
  seed: number,
  separation = 3,
): { x: { a: number[][]; b: number[][]; c: number[][] }; y: number[]; yMulti: number[][] } {
  const g = gaussian(rng(seed));
  const centres = (d: number) => Array.from({ length: k }, () => Array.from({ length: d }, () => g() * separation));
  const ca = centres(6);
  const cb = centres(4);
  const x = { a: [] as number[][], b: [] as number[][], c: [] as number[][] };
  const y: number[] = [];
  for (let i = 0; i < n; i++) {
    const c = i % k;
    x.a.push(ca[c].map((m) => m + g()));
    x.b.push(cb[c].map((m) => m + g()));
    x.c.push([g(), g(), g()]);
    y.push(c);
  }
  return { x, y, yMulti: y.map((c) => Array.from({ length: k }, (_, j) => (j === c ? 1 : 0))) };
}

/** One data set of `nTrain + nTest` rows, split in two (the same class centres in both). */
export function trainTest(nTrain: number, nTest: number, k: number, seed: number) {
  const all = sourcesData(nTrain + nTest, k, seed);
  const part = (from: number, to: number) => ({
    x: { a: all.x.a.slice(from, to), b: all.x.b.slice(from, to), c: all.x.c.slice(from, to) },
    y: all.y.slice(from, to),
    yMulti: all.yMulti.slice(from, to),
  });
  return { train: part(0, nTrain), test: part(nTrain, nTrain + nTest) };
}

export const SOURCES = { a: 6, b: 4, c: 3 } as const;

/** Fast training options for tests. */
export const QUICK = { minEpochs: 3, maxEpochs: 6, batchSize: 16, learningRate: 1e-2 } as const;

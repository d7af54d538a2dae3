// Small seeded synthetic data sets for the probe tests (not a test file itself).

/** mulberry32: a tiny seeded generator, enough for test data. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Standard normal draws (Box-Muller). */
export function gaussian(r: () => number): () => number {
  return () => Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r());
}

/**
 * n rows of d features in k Gaussian blobs (unit variance) whose centres sit `separation`
 * apart along random directions; labels are `labels[c]` for blob c (default 0..k-1), assigned
 * round-robin so every class is present.
 */
export function blobs(
  n: number,
  d: number,
  k: number,
  seed: number,
  options: { separation?: number; labels?: number[]; offset?: number; scale?: number } = {},
): { x: number[][]; y: number[] } {
  const r = rng(seed);
  const g = gaussian(r);
  const sep = options.separation ?? 3;
  const centres = Array.from({ length: k }, () => Array.from({ length: d }, () => g() * sep));
  const x: number[][] = [];
  const y: number[] = [];
  for (let i = 0; i < n; i++) {
    const c = i % k;
    x.push(centres[c].map((m) => (m + g()) * (options.scale ?? 1) + (options.offset ?? 0)));
    y.push(options.labels ? options.labels[c] : c);
  }
  return { x, y };
}

/** Multilabel rows: label j is on when feature j (plus noise) is positive. */
export function multilabel(n: number, d: number, L: number, seed: number): { x: number[][]; y: number[][] } {
  const g = gaussian(rng(seed));
  const x: number[][] = [];
  const y: number[][] = [];
  for (let i = 0; i < n; i++) {
    const row = Array.from({ length: d }, () => g());
    x.push(row);
    y.push(Array.from({ length: L }, (_, j) => (row[j] + 0.3 * g() > 0 ? 1 : 0)));
  }
  return { x, y };
}

/** Ordinal grades 0..k-1 from one noisy feature (plus `d - 1` noise features). */
export function ordinal(n: number, d: number, k: number, seed: number, noise = 0.8): { x: number[][]; y: number[] } {
  const g = gaussian(rng(seed));
  const x: number[][] = [];
  const y: number[] = [];
  for (let i = 0; i < n; i++) {
    const grade = i % k;
    x.push([grade + noise * g(), ...Array.from({ length: d - 1 }, () => g())]);
    y.push(grade);
  }
  return { x, y };
}

import type { Xoshiro128 } from './xoshiro.js';

// Seeded shuffles and splits. Everything random in a probe (initial weights, batch order,
// held-out rows) draws from one Xoshiro128 stream in a fixed order, so a seed fixes the run.

/** @internal A uniform float in [0, 1) from 32 random bits. */
export function uniform(rng: Xoshiro128): number {
  return rng.nextUint32() / 4294967296;
}

/** @internal A uniformly random permutation of 0..n-1 (Fisher-Yates). */
export function permutation(n: number, rng: Xoshiro128): Int32Array {
  const p = new Int32Array(n);
  for (let i = 0; i < n; i++) p[i] = i;
  shuffleInPlace(p, rng);
  return p;
}

/** @internal Fisher-Yates shuffle of `a` in place. */
export function shuffleInPlace(a: Int32Array, rng: Xoshiro128): void {
  for (let i = a.length - 1; i > 0; i--) {
    const j = rng.nextInt(i + 1);
    const t = a[i];
    a[i] = a[j];
    a[j] = t;
  }
}

/** @internal Row indices of a train / held-out split, each in ascending order. */
export interface Split {
  readonly train: Int32Array;
  readonly heldOut: Int32Array;
}

/**
 * @internal Holds out `fraction` of the rows of every group (class) at random, so the held-out
 * part keeps the class proportions. Each group with at least two rows keeps at least one row on
 * each side; a group of one stays in training. Groups are visited in ascending key order, so
 * the result depends only on the seed and the data.
 *
 * @param groups - Group key (class index) of every row; pass all zeros for a plain random split.
 */
export function stratifiedSplit(groups: Int32Array, fraction: number, rng: Xoshiro128): Split {
  const byGroup = new Map<number, number[]>();
  for (let i = 0; i < groups.length; i++) {
    const list = byGroup.get(groups[i]);
    if (list) list.push(i);
    else byGroup.set(groups[i], [i]);
  }
  const held: number[] = [];
  for (const key of [...byGroup.keys()].sort((a, b) => a - b)) {
    const rows = Int32Array.from(byGroup.get(key) as number[]);
    if (rows.length < 2) continue;
    shuffleInPlace(rows, rng);
    const k = Math.min(rows.length - 1, Math.max(1, Math.round(fraction * rows.length)));
    for (let i = 0; i < k; i++) held.push(rows[i]);
  }
  const isHeld = new Uint8Array(groups.length);
  for (const i of held) isHeld[i] = 1;
  const train: number[] = [];
  const heldOut: number[] = [];
  for (let i = 0; i < groups.length; i++) (isHeld[i] ? heldOut : train).push(i);
  return { train: Int32Array.from(train), heldOut: Int32Array.from(heldOut) };
}

import type { MedMnistSplit } from '../data/medmnist.js';
import type { ProbeTask } from '../training/labels.js';
import { stratumOfRows } from '../protocol/linear-evaluation.js';
import { sampleSubset, type SubsetSize } from '../protocol/subsets.js';

/** @internal Rows `idx` of a MedMNIST split: images and labels copied. */
export function takeSplit(split: MedMnistSplit, idx: Int32Array): MedMnistSplit {
  const [, ...rest] = split.images.shape;
  const per = rest.reduce((a, b) => a * b, 1);
  const data = new Uint8Array(idx.length * per);
  idx.forEach((r, i) => data.set(split.images.data.subarray(r * per, (r + 1) * per), i * per));
  const labels = Array.isArray(split.labels)
    ? Array.from(idx, (r) => Int32Array.from((split.labels as Int32Array[])[r]))
    : Int32Array.from(idx, (r) => (split.labels as Int32Array)[r]);
  return { images: { data, shape: [idx.length, ...rest] }, labels };
}

/**
 * @internal A seeded, class-stratified pool of `size` training rows (the class mix of the full
 * split kept), for backbones too slow to embed every image. `'all'` returns the split as is.
 * Its seed is independent of the protocol's, so the pool stays fixed when the protocol varies.
 */
export function drawTrainingPool(
  split: MedMnistSplit,
  task: ProbeTask,
  size: SubsetSize,
  seed: number,
): { readonly split: MedMnistSplit; readonly indices: Int32Array | undefined } {
  const n = split.images.shape[0] as number;
  if (size === 'all' || size >= n) return { split, indices: undefined };
  const { train } = sampleSubset(stratumOfRows(task, split.labels), { size, balanced: false, seed });
  return { split: takeSplit(split, train), indices: train };
}

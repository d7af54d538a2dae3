import * as tf from '@tensorflow/tfjs-core';
import type { LoopOptimizer } from '../training/train-loop.js';
import type { AdamW } from './adamw.js';

/** @internal Where a batch falls in training. */
export interface BatchPosition {
  readonly epoch: number;
  readonly batch: number;
  readonly batches: number;
}

/**
 * @internal The rate of one batch: linear warmup from 0 over `warmupEpochs` (reaching the
 * full rate on the last warmup batch), then the plateau schedule's rate or a cosine decay from
 * it to 0 at the end of `maxEpochs` (per optimizer step, as timm's per-step schedules).
 */
export function batchRate(
  schedule: 'plateau' | 'cosine',
  warmupEpochs: number,
  maxEpochs: number,
): ((plateauLr: number, at: BatchPosition) => number) | undefined {
  if (schedule === 'plateau' && warmupEpochs === 0) return undefined;
  return (lr, { epoch, batch, batches }) => {
    const step = (epoch - 1) * batches + batch;
    const warm = warmupEpochs * batches;
    if (step < warm) return (lr * (step + 1)) / warm;
    if (schedule === 'plateau') return lr;
    const total = Math.max(maxEpochs * batches - warm, 1);
    return 0.5 * lr * (1 + Math.cos((Math.PI * (step - warm)) / total));
  };
}

/**
 * @internal Gradient accumulation: the batch gradients of `every` consecutive batches (fewer
 * at the end of an epoch) are averaged, then the optimizer takes one step at the last batch's
 * rate. With `every` 1 it is the optimizer itself.
 */
export function accumulating(optimizer: AdamW, every: number, batchesPerEpoch: number): LoopOptimizer {
  if (every === 1) return optimizer;
  let sums: tf.Tensor[] | undefined;
  let held = 0;
  let seen = 0;
  return {
    step(grads, lr) {
      const next = tf.tidy(() => grads.map((g, i) => (sums ? tf.add(sums[i] as tf.Tensor, g) : tf.clone(g))));
      tf.dispose(sums);
      sums = next.map((t) => tf.keep(t));
      held++;
      seen++;
      const endOfEpoch = seen === batchesPerEpoch;
      if (held < every && !endOfEpoch) return;
      const current = sums;
      tf.tidy(() => optimizer.step(current.map((s) => tf.div(s, held)), lr));
      tf.dispose(current);
      sums = undefined;
      held = 0;
      if (endOfEpoch) seen = 0;
    },
    dispose() {
      tf.dispose(sums);
      sums = undefined;
      optimizer.dispose();
    },
  };
}

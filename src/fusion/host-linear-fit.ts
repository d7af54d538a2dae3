import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { LinearHeadTrainer } from '../probe/linear-head-trainer.js';
import { transpose } from '../probe/paper-solver.js';
import { createRowProducts } from '../probe/row-products.js';
import { hostTrainLoop } from '../training/host-train-loop.js';
import type { TrainingReport } from '../training/train-loop.js';
import type { FusionFitInput } from './train-fusion.js';

/**
 * One row-major `[n, d_j]` array per source: the host copy where there is one, else the
 * tensor's values (no tensors at all: the host rows are all there).
 */
async function sourceRows(xs: readonly tf.Tensor2D[], host: readonly (Float32Array | undefined)[] | undefined): Promise<Float32Array[]> {
  if (xs.length === 0) return (host ?? []) as Float32Array[];
  return Promise.all(xs.map(async (x, j) => host?.[j] ?? ((await x.data()) as Float32Array)));
}

/** Rows of `[n, d]` split into per-source blocks. */
const rowCount = (blocks: readonly Float32Array[], d: number): number => blocks.reduce((a, b) => a + b.length, 0) / d;

/**
 * @internal {@link fitFusionModel} for a model that is one linear layer over the concatenated
 * sources (the concat baseline): the same loop and arithmetic as the 'paper' Probe's host
 * engine (WebAssembly SIMD products, closed-form cross-entropy gradient, Adam on typed arrays),
 * starting from the model's seeded initial weights; the best epoch's weights are written back.
 */
export async function fitLinearModelOnHost(input: FusionFitInput): Promise<TrainingReport> {
  const { model, task, x, validation, hp } = input;
  const [kernel, bias] = model.getWeights() as [tf.Tensor2D, tf.Tensor1D];
  const [d, k] = kernel.shape;
  const init = { coef: transpose((await kernel.data()) as Float32Array, d, k), bias: Float32Array.from(await bias.data()) };
  // The sources go into the products' memory block by block, without a concatenated copy.
  const xVal = validation ? await sourceRows(validation.x, input.hostRows?.validation) : undefined;
  const xRows = await sourceRows(x, input.hostRows?.x);
  const products = await createRowProducts(xRows, xVal, d, k, hp.batchSize);
  const nVal = xVal ? rowCount(xVal, d) : 0;
  const trainer = new LinearHeadTrainer(task, products, init, input.targets, input.weights, d, k, hp.batchSize, nVal);
  let report: TrainingReport;
  try {
    report = await hostTrainLoop({
      model: trainer,
      rows: rowCount(xRows, d),
      validation: validation && { targets: validation.targets, outputs: k },
      hp,
      rng: input.rng,
      diverged: (loss, epoch) => `Training diverged: the training loss is ${loss} at epoch ${epoch}. Lower learningRate or check the embeddings.`,
      onEpoch: input.onEpoch,
      signal: input.signal,
    });
  } finally {
    products.release();
  }
  const best = trainer.current();
  const weights = [tf.tensor2d(transpose(best.coef, k, d), [d, k]), tf.tensor1d(best.bias)];
  try {
    (model as tfl.LayersModel).setWeights(weights);
  } finally {
    tf.dispose(weights);
  }
  return report;
}

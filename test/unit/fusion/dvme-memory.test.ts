import '@tensorflow/tfjs-backend-wasm';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildDvmeModel } from '../../../src/fusion/dvme-model.js';
import { fusionLoss, trainableVariables } from '../../../src/fusion/train-fusion.js';

// The paper's size: sources (2048, 2048, 1536), feature tokens (1536 one-dimensional tokens),
// batch 64. A whole attention map is 64 * 1536^2 * 4 B = 604 MB per intermediate. The wasm
// backend runs this step in ~0.5 s with the head-width-1 WebAssembly kernel (~2.5 s through
// tensor ops).
beforeAll(async () => {
  await tf.setBackend('wasm');
});

describe('DVME feature tokens at the paper size', () => {
  it('forward + backward at batch 64 stays under 150 MB above the weights (measured 52 MB; 90 MB through tensor ops)', async () => {
    const model = buildDvmeModel({ sourceDims: [2048, 2048, 1536], numOutputs: 5, seed: 1 });
    expect(model.countParams()).toBe(3677709);
    const xs = [2048, 2048, 1536].map((d, j) => tf.randomNormal([64, d], 0, 1, 'float32', j));
    const y = tf.tidy(() => tf.cast(tf.oneHot(tf.tensor1d(Int32Array.from({ length: 64 }, (_, i) => i % 5), 'int32'), 5), 'float32'));
    const params = trainableVariables(model);
    const before = tf.memory();
    const qkvKernel = (model.getLayer('attention').trainableWeights[0].read() as tf.Variable).name;
    let loss = Number.NaN;
    let gradNorm = Number.NaN;
    let qkvGrad = new Float32Array(0);
    const info = await tf.profile(() => {
      const { value, grads } = tf.variableGrads(
        () => fusionLoss('multiclass', model.apply(xs, { training: true }) as tf.Tensor2D, y as tf.Tensor2D),
        params,
      );
      loss = value.dataSync()[0];
      gradNorm = tf.tidy(() => tf.sqrt(tf.addN(Object.values(grads).map((g) => tf.sum(tf.square(g))))).dataSync()[0]);
      qkvGrad = Float32Array.from(grads[qkvKernel].dataSync());
      tf.dispose([value, ...Object.values(grads)]);
    });
    const peakMB = (info.peakBytes - before.numBytes) / 1e6;
    expect(peakMB).toBeLessThan(150);
    expect(Number.isFinite(loss) && Number.isFinite(gradNorm) && gradNorm > 0).toBe(true);
    // The gradient reaches the query / key weights through the blocked backward pass.
    expect(qkvGrad.length).toBe(3);
    expect(Math.abs(qkvGrad[0]) + Math.abs(qkvGrad[1])).toBeGreaterThan(0);
    expect(tf.memory().numTensors).toBe(before.numTensors);
    tf.dispose([...xs, y]);
    model.dispose();
  });
});

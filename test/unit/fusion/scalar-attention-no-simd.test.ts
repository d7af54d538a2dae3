import '@tensorflow/tfjs-backend-cpu';
// tfjs-layers registers the gradients of tfjs-core's ops.
import '@tensorflow/tfjs-layers';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { blockedAttention } from '../../../src/fusion/chunked-attention.js';
import { buildDvmeModel } from '../../../src/fusion/dvme-model.js';
import { scalarAttentionKernelFor } from '../../../src/fusion/scalar-attention.js';
import { fusionLoss, trainableVariables } from '../../../src/fusion/train-fusion.js';
import { maxAbsDiff } from './fixture.js';

// An engine without WebAssembly SIMD: the module fails validation. Set before the kernel's first
// (lazy) compile; this file's module graph is its own.
vi.spyOn(WebAssembly, 'validate').mockReturnValue(false);

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('head-width-1 attention without WebAssembly SIMD', () => {
  it('has no kernel, and blockedAttention keeps the tensor ops: equal values and gradients, nothing leaked', () => {
    const [q, k, v] = [0, 1, 2].map((i) => tf.randomNormal([2, 7, 1], 0, 1.5, 'float32', i)) as tf.Tensor3D[];
    expect(scalarAttentionKernelFor(q)).toBeUndefined();
    const before = tf.memory().numTensors;
    const naive = (a: tf.Tensor, b: tf.Tensor, c: tf.Tensor) =>
      tf.sum(tf.square(tf.matMul(tf.softmax(tf.matMul(a as tf.Tensor3D, b as tf.Tensor3D, false, true)), c as tf.Tensor3D)));
    const blocked = (a: tf.Tensor, b: tf.Tensor, c: tf.Tensor) =>
      tf.sum(tf.square(blockedAttention(a as tf.Tensor3D, b as tf.Tensor3D, c as tf.Tensor3D, 1)));
    const want = tf.grads(naive)([q, k, v]);
    const got = tf.grads(blocked)([q, k, v]);
    got.forEach((g, i) => expect(maxAbsDiff(g.dataSync(), want[i].dataSync())).toBeLessThan(2e-5));
    tf.dispose([...want, ...got]);
    expect(tf.memory().numTensors).toBe(before);
    expect(WebAssembly.validate).toHaveBeenCalled();
    tf.dispose([q, k, v]);
  });

  it('DVME with feature tokens still trains', () => {
    const model = buildDvmeModel({ sourceDims: [6, 5], numOutputs: 3, projectionDim: 4, seed: 2 });
    const xs = [6, 5].map((d, j) => tf.randomNormal([8, d], 0, 1, 'float32', j)) as tf.Tensor2D[];
    const y = tf.tidy(() => tf.cast(tf.oneHot(tf.tensor1d([0, 1, 2, 0, 1, 2, 0, 1], 'int32'), 3), 'float32')) as tf.Tensor2D;
    const before = tf.memory().numTensors;
    const { value, grads } = tf.variableGrads(
      () => fusionLoss('multiclass', model.apply(xs, { training: true }) as tf.Tensor2D, y),
      trainableVariables(model),
    );
    expect(Number.isFinite(value.dataSync()[0])).toBe(true);
    tf.dispose([value, ...Object.values(grads)]);
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([...xs, y]);
    model.dispose();
  });
});

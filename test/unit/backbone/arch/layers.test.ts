import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  ClassTokenPositionEmbedding,
  MultiHeadSelfAttention,
  TokenPooling,
  resizeBicubic,
} from '../../../../src/backbone/arch/index.js';
import { InvalidArgumentError } from '../../../../src/errors/index.js';
import { relativeMaxError } from './fixture.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('ClassTokenPositionEmbedding', () => {
  /** Tokens for zero patch features: just the (resampled) position embeddings plus CLS. */
  function tokensFor(layer: ClassTokenPositionEmbedding, rows: number, cols: number, image: [number, number]) {
    return tf.tidy(() => {
      const grid = tf.zeros([1, rows, cols, 3]);
      const img = tf.zeros([1, image[0], image[1], 3]);
      return (layer.apply([grid, img]) as tf.Tensor).dataSync() as Float32Array;
    });
  }

  it('adds the CLS token and resamples pos_embed as resizeBicubic with DINO scale factors', () => {
    const layer = new ClassTokenPositionEmbedding({ numPatches: 16 });
    layer.build([[null, 4, 4, 3], [null, 32, 32, 3]]);
    const cls = Float32Array.from({ length: 3 }, (_, i) => i + 1);
    const pos = Float32Array.from({ length: 17 * 3 }, (_, i) => Math.sin(i));
    const values = [tf.tensor(cls, [1, 1, 3]), tf.tensor(pos, [1, 17, 3])];
    layer.setWeights(values);
    tf.dispose(values);
    const before = tf.memory().numTensors;

    const native = tokensFor(layer, 4, 4, [32, 32]);
    expect(native.slice(0, 3)).toEqual(cls.map((c, i) => c + pos[i]));
    expect(relativeMaxError(native.slice(3), pos.slice(3))).toBe(0);

    const resized = tokensFor(layer, 6, 5, [50, 43]);
    const expected = resizeBicubic(pos.slice(3), [4, 4, 3], [6, 5], [6.1 / 4, 5.1 / 4]);
    expect(resized.length).toBe(3 + 6 * 5 * 3);
    expect(relativeMaxError(resized.slice(3), expected)).toBeLessThan(1e-6);
    expect(tf.memory().numTensors).toBe(before);
    // Layer.dispose() only works on layers wired into a model; free the weights directly.
    for (const w of layer.weights) w.dispose();
  });

  it('rejects a patch count that is not a square grid', () => {
    expect(() => new ClassTokenPositionEmbedding({ numPatches: 12 })).toThrow(InvalidArgumentError);
    expect(() => new ClassTokenPositionEmbedding({ numPatches: 0 })).toThrow(InvalidArgumentError);
  });
});

describe('MultiHeadSelfAttention', () => {
  it('averages values uniformly when all queries and keys are equal', () => {
    const layer = new MultiHeadSelfAttention({ numHeads: 2 });
    const out = tf.tidy(() => {
      // q = k = 0 for every token; v = token index, so each output is the mean index 1.
      const v = tf.tile(tf.reshape(tf.range(0, 3), [1, 3, 1]), [1, 1, 4]);
      const qkv = tf.concat([tf.zeros([1, 3, 8]), v], 2);
      return (layer.apply(qkv) as tf.Tensor).arraySync() as number[][][];
    });
    for (const row of out[0]) for (const value of row) expect(value).toBeCloseTo(1, 6);
  });

  it('rejects head counts that do not divide the width', () => {
    expect(() => new MultiHeadSelfAttention({ numHeads: 0 })).toThrow(InvalidArgumentError);
    const input = tfl.input({ shape: [5, 30] });
    expect(() => new MultiHeadSelfAttention({ numHeads: 4 }).apply(input)).toThrow(InvalidArgumentError);
  });
});

describe('TokenPooling', () => {
  it('takes token 0 or the mean of the others', () => {
    const x = tf.tensor3d([[[1, 2], [3, 4], [5, 8]]]);
    const cls = new TokenPooling({ mode: 'cls' }).apply(x) as tf.Tensor;
    const mean = new TokenPooling({ mode: 'patchMean' }).apply(x) as tf.Tensor;
    expect(cls.arraySync()).toEqual([[1, 2]]);
    expect(mean.arraySync()).toEqual([[4, 6]]);
    tf.dispose([x, cls, mean]);
  });

  it('rejects unknown modes', () => {
    expect(() => new TokenPooling({ mode: 'max' as never })).toThrow(InvalidArgumentError);
  });
});

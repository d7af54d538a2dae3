import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { beforeAll, describe, expect, it } from 'vitest';
import { Backbone } from '../../../src/backbone/backbone.js';
import { ShapeError } from '../../../src/errors/index.js';
import { artifactsOf } from './tfjs-fixtures.js';

const norm = { mean: [0, 0, 0], std: [1, 1, 1] } as const;
const pixels = (n: number, side: number) => ({
  data: Uint8Array.from({ length: n * side * side * 3 }, (_, i) => (i * 53) % 256),
  shape: [n, side, side, 3],
});
const init = (seed: number) => ({ kernelInitializer: tfl.initializers.glorotUniform({ seed }) });

/** Keras-application style: conv (stride 2) -> AveragePooling2D over the whole 4x4 map -> Flatten -> Dense. */
function kerasStyle(): tfl.LayersModel {
  const input = tfl.input({ shape: [8, 8, 3], name: 'image' });
  let x = tfl.layers.conv2d({ filters: 6, kernelSize: 3, strides: 2, padding: 'same', activation: 'relu', name: 'conv', ...init(1) }).apply(input);
  x = tfl.layers.averagePooling2d({ poolSize: 4, name: 'pool' }).apply(x);
  x = tfl.layers.flatten({ name: 'flat' }).apply(x);
  const out = tfl.layers.dense({ units: 5, name: 'head', ...init(2) }).apply(x) as tfl.SymbolicTensor;
  return tfl.model({ inputs: input, outputs: out });
}

/** Needs its size: Flatten of a 2x2 map. */
function flattenSpatial(): tfl.LayersModel {
  const input = tfl.input({ shape: [8, 8, 3] });
  let x = tfl.layers.conv2d({ filters: 2, kernelSize: 3, strides: 4, padding: 'same', name: 'conv', ...init(3) }).apply(input);
  x = tfl.layers.flatten({ name: 'flat_map' }).apply(x);
  return tfl.model({ inputs: input, outputs: tfl.layers.dense({ units: 3, name: 'head', ...init(4) }).apply(x) as tfl.SymbolicTensor });
}

let keras: tf.io.ModelArtifacts;
let flat: tf.io.ModelArtifacts;

beforeAll(async () => {
  await tf.setBackend('cpu');
  const a = kerasStyle();
  const b = flattenSpatial();
  keras = await artifactsOf(a);
  flat = await artifactsOf(b);
  a.dispose();
  b.dispose();
});

describe('Backbone.fromTfjs adaptInputSize', () => {
  it('runs a fully convolutional model at another size with the same weights; the whole-map pool becomes global', async () => {
    const native = await Backbone.fromTfjs(tf.io.fromMemory(keras), { embeddingLayer: 'flat', ...norm });
    const big = await Backbone.fromTfjs(tf.io.fromMemory(keras), { embeddingLayer: 'flat', inputSize: 16, adaptInputSize: true, ...norm });
    const small = await Backbone.fromTfjs(tf.io.fromMemory(keras), { embeddingLayer: 'flat', inputSize: [4, 6], adaptInputSize: true, ...norm });
    expect(big.config.inputSize).toEqual([16, 16]);
    expect(small.config.inputSize).toEqual([4, 6]);
    expect(big.embeddingDim).toBe(6);
    // Same width at 16 x 16, finite, and not the 8 x 8 model's numbers.
    const e16 = await big.embed(pixels(2, 16), { as: 'array' });
    const e8 = await native.embed(pixels(2, 16), { as: 'array' });
    expect(e16.shape).toEqual([2, 6]);
    expect(Array.from(e16.data).every(Number.isFinite)).toBe(true);
    expect(Array.from(e16.data)).not.toEqual(Array.from(e8.data));
    expect((await small.embed(pixels(1, 8), { as: 'array' })).shape).toEqual([1, 6]);
    // At the native size the rewritten model equals the original.
    const same = await Backbone.fromTfjs(tf.io.fromMemory(keras), { embeddingLayer: 'flat', inputSize: 8, adaptInputSize: true, ...norm });
    expect(await same.embed(pixels(1, 8), { as: 'array' })).toEqual(await native.embed(pixels(1, 8), { as: 'array' }));
    for (const b of [native, big, small, same]) b.dispose();
  });

  it('refuses models whose layers need the fixed size, naming the layer', async () => {
    const run = Backbone.fromTfjs(tf.io.fromMemory(flat), { inputSize: 16, adaptInputSize: true, ...norm });
    await expect(run).rejects.toThrow(ShapeError);
    await expect(Backbone.fromTfjs(tf.io.fromMemory(flat), { inputSize: 16, adaptInputSize: true, ...norm })).rejects.toThrow(
      /cannot run at inputSize \[16, 16\]: its layer 'flat_map' \(Flatten\) flattens a spatial feature map/,
    );
  });

  it('without adaptInputSize a different size is still refused, and the message names the option', async () => {
    await expect(Backbone.fromTfjs(tf.io.fromMemory(keras), { inputSize: 16, ...norm })).rejects.toThrow(/adaptInputSize: true/);
  });

  it('leaks no tensors', async () => {
    const before = tf.memory().numTensors;
    const b = await Backbone.fromTfjs(tf.io.fromMemory(keras), { embeddingLayer: 'flat', inputSize: 12, adaptInputSize: true, ...norm });
    await b.embed(pixels(1, 12), { as: 'array' });
    b.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });
});

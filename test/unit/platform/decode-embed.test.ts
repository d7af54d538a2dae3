import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { beforeAll, describe, expect, it } from 'vitest';
import { Backbone } from '../../../src/backbone/backbone.js';
import { parseNpy } from '../../../src/data/npy.js';
import { decodeImage, readImages } from '../../../src/platform/node/decode-image.js';
import { imageFile, IMAGES_DIR } from './image-fixtures.js';

/** conv -> relu -> global average pool -> dense(6) at 16 x 16. */
function smallBackbone(): Backbone {
  const input = tfl.input({ shape: [16, 16, 3] });
  const conv = tfl.layers.conv2d({ filters: 8, kernelSize: 3, strides: 2, activation: 'relu', kernelInitializer: tfl.initializers.glorotUniform({ seed: 3 }) });
  const dense = tfl.layers.dense({ units: 6, kernelInitializer: tfl.initializers.glorotUniform({ seed: 4 }) });
  const model = tfl.model({ inputs: input, outputs: dense.apply(tfl.layers.globalAveragePooling2d({}).apply(conv.apply(input))) as tfl.SymbolicTensor });
  return Backbone.fromModel(model, { id: 'small', inputSize: 16, mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225], resize: 'shorter-then-crop' });
}

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('decoded files embed as the pixels they hold', () => {
  it('RetinaMNIST test images 0, 1, 3 as PNG (RGB, RGBA, interlaced RGB) embed as the same rows of the npz array', async () => {
    // retina-test-0-3.npy is numpy's copy of test_images[0:4]; the PNGs were written from it by Pillow / the script.
    const npy = parseNpy(imageFile('retina-test-0-3.npy'));
    expect(npy.shape).toEqual([4, 28, 28, 3]);
    const rows = [0, 1, 3];
    const per = 28 * 28 * 3;
    const fromNpz = new Uint8Array(rows.length * per);
    rows.forEach((r, i) => fromNpz.set((npy.data as Uint8Array).subarray(r * per, (r + 1) * per), i * per));
    const decoded = await readImages(['rgb8.png', 'rgba8.png', 'rgb8-interlaced.png'].map((n) => new URL(n, IMAGES_DIR).pathname));
    expect(decoded.map((d) => d.channels)).toEqual([3, 4, 3]);

    const b = smallBackbone();
    const before = tf.memory().numTensors;
    const a = await b.embed(decoded, { as: 'array', batchSize: 2 });
    const want = await b.embed({ data: fromNpz, shape: [3, 28, 28, 3] }, { as: 'array', batchSize: 2 });
    expect(tf.memory().numTensors).toBe(before);
    expect(Array.from(a.data)).toEqual(Array.from(want.data));
    b.dispose();
  });

  it('a folder of PNG and JPEG files of different sizes embeds as each file on its own', async () => {
    const names = ['rgb8.png', 'gray16.png', 'rgb-420.jpg', 'palette4-trns.png', 'gray.jpg', 'rgb8-interlaced-3x2.png', 'rgb8.png'];
    const b = smallBackbone();
    const images = await readImages(names.map((n) => new URL(n, IMAGES_DIR).pathname));
    const together = await b.embed(images, { as: 'array', batchSize: 3, resize: 'direct' });
    const alone = await Promise.all(images.map(async (m) => Array.from((await b.embed(m, { as: 'array', resize: 'direct' })).data)));
    expect(Array.from(together.data)).toEqual(alone.flat());
    // 16-bit at full precision embeds (nearly) as its rounded 8-bit decode: same image, other quantisation.
    const full = await decodeImage(imageFile('gray16.png'), { pixelType: 'float32' });
    const e16 = (await b.embed(full, { as: 'array', resize: 'direct' })).data;
    const e8 = alone[1]!;
    e8.forEach((v, i) => expect(e16[i]).toBeCloseTo(v, 2));
    b.dispose();
  });
});

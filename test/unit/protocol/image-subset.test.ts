import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import type { DecodedImage } from '../../../src/index.js';
import { takeImages } from '../../../src/protocol/image-subset.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const rows = Int32Array.of(2, 0);

describe('takeImages', () => {
  it('copies the rows of an array { data, shape }, keeping the element type and the image shape', () => {
    const data = Float32Array.from({ length: 3 * 2 * 2 }, (_, i) => i / 100);
    const { images, owned } = takeImages({ data, shape: [3, 2, 2] }, 3, rows);
    expect(owned).toBe(false);
    expect(images).toEqual({ data: Float32Array.of(0.08, 0.09, 0.1, 0.11, 0, 0.01, 0.02, 0.03), shape: [2, 2, 2] });
  });

  it('picks the images of a list without copying them', () => {
    const list: DecodedImage[] = [0, 1, 2].map((v) => ({ data: new Uint8Array(4).fill(v), width: 1, height: 1 }));
    const { images } = takeImages(list, 3, rows);
    expect(images).toEqual([list[2], list[0]]);
    expect((images as DecodedImage[])[0]).toBe(list[2]);
  });

  it('gathers the rows of a tensor into a new one the caller owns, and gives every row in order as the input itself', () => {
    const t = tf.tensor4d(Float32Array.from({ length: 3 }, (_, i) => i), [3, 1, 1, 1]);
    const taken = takeImages(t, 3, rows);
    expect(taken.owned).toBe(true);
    expect(Array.from((taken.images as tf.Tensor).dataSync())).toEqual([2, 0]);
    (taken.images as tf.Tensor).dispose();
    expect(takeImages(t, 3, Int32Array.of(0, 1, 2))).toEqual({ images: t, owned: false });
    t.dispose();
  });
});

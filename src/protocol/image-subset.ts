import * as tf from '@tensorflow/tfjs-core';
import { isTensor, type ImageArray, type ImageInput, type ImagePixels, type SingleImage } from '../image/images.js';

/**
 * @internal Rows `idx` of a batch of images, as a batch of the same kind: a list keeps its
 * images (no pixels copied), an array `{ data, shape }` copies the rows' pixels into one of
 * the same element type, a tensor gathers them into a new tensor (its caller disposes it:
 * `owned` is `true`). All rows in order give the input itself.
 */
export function takeImages(images: ImageInput, count: number, idx: Int32Array): { images: ImageInput; owned: boolean } {
  if (idx.length === count && idx.every((r, i) => r === i)) return { images, owned: false };
  if (Array.isArray(images)) return { images: Array.from(idx, (r) => (images as readonly SingleImage[])[r] as SingleImage), owned: false };
  if (isTensor(images)) return { images: tf.gather(images, idx), owned: true };
  const { data, shape } = images as ImageArray;
  const per = data.length / count;
  const Ctor = data.constructor as new (n: number) => ImagePixels;
  const out = new Ctor(idx.length * per);
  idx.forEach((r, i) => out.set(data.subarray(r * per, (r + 1) * per) as ArrayLike<number> & ImagePixels, i * per));
  return { images: { data: out, shape: [idx.length, ...shape.slice(1)] }, owned: false };
}

import type * as tf from '@tensorflow/tfjs-core';
import { isTensor, toImageSource, type ImageInput, type PixelRange } from '../backbone/images.js';

/**
 * @internal One batch of raw NHWC pixels as the ONNX preprocessing front takes them: 8-bit
 * pixels as they are, anything else as float32 with the divisor that brings it to 0-1.
 */
export interface PixelBatch {
  readonly count: number;
  readonly u8: Uint8Array | undefined;
  readonly f32: Float32Array | undefined;
  /** 255 for 0-255 floats, 1 for 0-1 floats. */
  readonly divisor: number;
}

/** @internal Validated images cut into {@link PixelBatch}es without going through tfjs. */
export interface PixelSource {
  readonly count: number;
  readonly height: number;
  readonly width: number;
  readonly channels: 1 | 3 | 4;
  readonly range: PixelRange;
  batch(start: number, end: number): PixelBatch;
}

type Pixels = Uint8Array | Uint8ClampedArray | Float32Array | Int32Array | ArrayLike<number>;

function fromPixels(data: Pixels, range: PixelRange, perImage: number): (start: number, end: number) => PixelBatch {
  const divisor = range === '0-255' ? 255 : 1;
  const view = (from: number, to: number) => (data as Float32Array).subarray(from * perImage, to * perImage);
  if (range === '0-255' && (data instanceof Uint8Array || data instanceof Uint8ClampedArray)) {
    // Uint8ClampedArray (canvas ImageData) shares Uint8Array's bytes: a view, no copy.
    const bytes = new Uint8Array(data.buffer, data.byteOffset, data.length);
    return (start, end) => ({ count: end - start, u8: bytes.subarray(start * perImage, end * perImage), f32: undefined, divisor });
  }
  if (data instanceof Float32Array) {
    return (start, end) => ({ count: end - start, u8: undefined, f32: view(start, end), divisor });
  }
  // Other element types are converted a batch at a time, so memory stays at one batch.
  return (start, end) => ({ count: end - start, u8: undefined, f32: Float32Array.from(view(start, end)), divisor });
}

/**
 * @internal Validates `images` exactly as `Backbone.embed` does (shape, element type, pixel
 * range) and returns their pixels batch by batch. Arrays are read in place; a tensor is read
 * back once (int32 0-255 tensors as bytes).
 */
export async function toPixelSource(owner: string, images: ImageInput, range: PixelRange | undefined): Promise<PixelSource> {
  const source = toImageSource(owner, images, range);
  const { count, height, width, channels } = source;
  const perImage = height * width * channels;
  let data: Pixels;
  if (isTensor(images)) {
    const values = (await (images as tf.Tensor).data()) as Float32Array | Int32Array;
    // int32 0-255 pixels were range-checked, so they fit in bytes exactly.
    data = values instanceof Int32Array && source.range === '0-255' ? Uint8Array.from(values) : values;
  } else {
    data = (images as { data: Pixels }).data;
  }
  return { count, height, width, channels, range: source.range, batch: fromPixels(data, source.range, perImage) };
}

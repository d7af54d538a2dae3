import { toImageRuns, type ImageRun } from './image-runs.js';
import { isTensor, type ImageInput, type PixelRange } from './images.js';

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

/**
 * @internal Same-size images (a run of an input) cut into {@link PixelBatch}es without going
 * through tfjs; `start` is the index of its first image in the whole input.
 */
export interface PixelSource {
  readonly start: number;
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

/** A run of a list: its pixels come stacked, bytes or float32. */
function fromListRun(run: ImageRun): PixelSource {
  const { count, height, width, channels, range } = run.source;
  const pixels = run.pixels as NonNullable<ImageRun['pixels']>;
  const divisor = range === '0-255' ? 255 : 1;
  const batch = (from: number, to: number): PixelBatch => {
    const data = pixels(from, to);
    return data instanceof Uint8Array && range === '0-255'
      ? { count: to - from, u8: data, f32: undefined, divisor }
      : { count: to - from, u8: undefined, f32: data instanceof Float32Array ? data : Float32Array.from(data), divisor };
  };
  return { start: run.start, count, height, width, channels, range, batch };
}

/**
 * @internal Validates `images` exactly as `Backbone.embed` does (shape, element type, pixel
 * range, every image of a list) and returns their pixels as runs of same-size images, batch by
 * batch. Arrays and lists are read in place; a tensor is read back once (int32 0-255 tensors as
 * bytes).
 */
export async function toPixelSources(owner: string, images: ImageInput, range: PixelRange | undefined): Promise<{ count: number; runs: PixelSource[] }> {
  const runs = toImageRuns(owner, images, range);
  const first = runs.runs[0];
  if (first === undefined || first.pixels) return { count: runs.count, runs: runs.runs.map(fromListRun) };
  // A batch tensor or array: one run.
  const { count, height, width, channels } = first.source;
  const perImage = height * width * channels;
  let data: Pixels;
  if (isTensor(images)) {
    const values = (await images.data()) as Float32Array | Int32Array;
    // int32 0-255 pixels were range-checked, so they fit in bytes exactly.
    data = values instanceof Int32Array && first.source.range === '0-255' ? Uint8Array.from(values) : values;
  } else {
    data = (images as { data: Pixels }).data;
  }
  const source: PixelSource = { start: 0, count, height, width, channels, range: first.source.range, batch: fromPixels(data, first.source.range, perImage) };
  return { count, runs: [source] };
}

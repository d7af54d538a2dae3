import * as tf from '@tensorflow/tfjs-core';
import { InvalidArgumentError, ShapeError } from '../errors/index.js';
import { currentPlatform, openPlatformImage } from '../host/platform.js';
import {
  ACCEPTED_IMAGES,
  checkPixelValues,
  checkRangeOption,
  isTensor,
  toImageSource,
  type DecodedImage,
  type ImageArray,
  type ImageInput,
  type ImageSource,
  type PixelRange,
} from './images.js';

/** @internal One validated image of a list; its pixels are read when its batch runs. */
interface ListedImage {
  readonly height: number;
  readonly width: number;
  readonly channels: 1 | 3 | 4;
  readonly range: PixelRange;
  readonly kind: 'uint8' | 'float32';
  /** HWC pixels, `channels` per pixel. */
  pixels(): Uint8Array | Float32Array;
}

/**
 * @internal Consecutive images that share a size, channel count, scale and element type, so
 * they preprocess as one tensor. A batch tensor or array is a single run.
 */
export interface ImageRun {
  /** Index of the run's first image in the whole input. */
  readonly start: number;
  readonly count: number;
  readonly source: ImageSource;
  /** The run's images `[from, to)` as one HWC typed array; absent for a tensor or array input. */
  readonly pixels?: (from: number, to: number) => Uint8Array | Float32Array;
}

/** @internal Validated images as runs that together cover `[0, count)` in order. */
export interface ImageRuns {
  readonly count: number;
  readonly runs: readonly ImageRun[];
}

/** @internal Whether a list item is a decoded image `{ data, width, height }` (not a platform image). */
export function isDecodedImage(x: object): x is DecodedImage {
  const d = x as Partial<DecodedImage>;
  return ArrayBuffer.isView(d.data) && typeof d.width === 'number' && typeof d.height === 'number' && !('shape' in x);
}

function checkedDimension(owner: string, what: string, axis: string, v: number): number {
  if (!Number.isInteger(v) || v <= 0) throw new ShapeError(`${owner}: ${what} has ${axis} ${v}; it must be a positive integer.`);
  return v;
}

function fromDecoded(owner: string, what: string, image: DecodedImage, range: PixelRange | undefined): ListedImage {
  const { data } = image;
  const bytes = data instanceof Uint8Array || data instanceof Uint8ClampedArray;
  if (!bytes && !(data instanceof Float32Array)) {
    throw new InvalidArgumentError(
      `${owner}: ${what} holds a ${(data as object).constructor.name}; a decoded image's data must be a Uint8Array, Uint8ClampedArray (0-255) ` +
        `or Float32Array (0-1). Pass other element types as { data, shape: [1, h, w, c] } with a range.`,
    );
  }
  const width = checkedDimension(owner, what, 'width', image.width);
  const height = checkedDimension(owner, what, 'height', image.height);
  const channels = image.channels ?? 4;
  if (channels !== 1 && channels !== 3 && channels !== 4) {
    throw new ShapeError(`${owner}: ${what} has channels ${JSON.stringify(channels)}; it must be 1, 3 or 4.`);
  }
  if (data.length !== width * height * channels) {
    const fits = ([1, 3, 4] as const).find((c) => data.length === width * height * c);
    const hint = fits === undefined ? '' : ` That is ${width} x ${height} x ${fits}: pass channels: ${fits}.`;
    throw new ShapeError(
      `${owner}: ${what} is ${width} x ${height} with ${channels} channels${image.channels === undefined ? ' (RGBA, the default)' : ''}, ` +
        `which needs ${width * height * channels} values; its data has ${data.length}.${hint}`,
    );
  }
  const effective = range ?? (bytes ? '0-255' : '0-1');
  checkPixelValues(`${owner} (${what})`, data, effective);
  // Uint8ClampedArray (canvas ImageData) shares Uint8Array's bytes: a view, no copy.
  const pixels = bytes ? new Uint8Array(data.buffer, data.byteOffset, data.length) : data;
  return { height, width, channels, range: effective, kind: bytes ? 'uint8' : 'float32', pixels: () => pixels };
}

function listed(owner: string, what: string, image: unknown, range: PixelRange | undefined): ListedImage {
  if (typeof image === 'object' && image !== null) {
    if (isDecodedImage(image)) return fromDecoded(owner, what, image, range);
    if (isTensor(image)) {
      throw new InvalidArgumentError(
        `${owner}: ${what} is a tf.Tensor; an array holds decoded images { data, width, height, channels? }. ` +
          'Stack same-size tensors into one [n, h, w, c] tensor with tf.stack, or read them with tensor.data().',
      );
    }
    const opened = openPlatformImage(image);
    if (opened) {
      if (range === '0-1') {
        throw new InvalidArgumentError(`${owner}: ${what} is a platform image, whose pixels are 8-bit: pass range '0-255' or none.`);
      }
      const width = checkedDimension(owner, what, 'width', opened.width);
      const height = checkedDimension(owner, what, 'height', opened.height);
      return {
        height,
        width,
        channels: 4,
        range: '0-255',
        kind: 'uint8',
        pixels: () => {
          const data = opened.read();
          if (data.length !== width * height * 4) {
            throw new ShapeError(`${owner}: the platform read ${data.length} values for ${what}, ${width} x ${height}; expected ${width * height * 4} (RGBA).`);
          }
          return new Uint8Array(data.buffer, data.byteOffset, data.length);
        },
      };
    }
  }
  const platform = currentPlatform();
  const hint =
    typeof image === 'object' && image !== null && !platform?.openImage
      ? ` Browser images (<img>, canvases, ImageBitmap, <video>) need the 'dvme/browser' entrypoint${platform ? ` (platform '${platform.name}' cannot read them)` : ''}.`
      : '';
  const got = image === null ? 'null' : Array.isArray(image) ? 'an array' : typeof image === 'object' ? `a ${image.constructor?.name ?? 'plain'} object` : typeof image;
  throw new InvalidArgumentError(`${owner}: ${ACCEPTED_IMAGES}; ${what} is ${got}.${hint}`);
}

/** Stacks the pixels of images `[from, to)`, which share a size, channels and kind. */
function stack(images: readonly ListedImage[], from: number, to: number): Uint8Array | Float32Array {
  const first = images[from] as ListedImage;
  if (to - from === 1) return first.pixels();
  const per = first.height * first.width * first.channels;
  const out = first.kind === 'uint8' ? new Uint8Array((to - from) * per) : new Float32Array((to - from) * per);
  for (let i = from; i < to; i++) out.set((images[i] as ListedImage).pixels(), (i - from) * per);
  return out;
}

function runsOf(images: readonly ListedImage[]): ImageRun[] {
  const runs: ImageRun[] = [];
  const key = (m: ListedImage) => `${m.height}x${m.width}x${m.channels}/${m.range}/${m.kind}`;
  for (let start = 0; start < images.length; ) {
    const first = images[start] as ListedImage;
    let end = start + 1;
    while (end < images.length && key(images[end] as ListedImage) === key(first)) end++;
    const { height, width, channels, range } = first;
    const members = images.slice(start, end);
    const pixels = (from: number, to: number) => stack(members, from, to);
    const source: ImageSource = {
      count: end - start,
      height,
      width,
      channels,
      range,
      // tfjs takes Uint8Array and Float32Array values as they are (it never writes to them).
      batch: (from, to) => tf.tensor4d(pixels(from, to), [to - from, height, width, channels], 'float32'),
    };
    runs.push({ start, count: end - start, source, pixels });
    start = end;
  }
  return runs;
}

/**
 * @internal Validates any {@link ImageInput} (shape, element type, pixel range; every image of
 * a list) before any work is done, and returns it as runs of same-size images. Pixels are not
 * copied; platform images are read when their batch runs.
 */
export function toImageRuns(owner: string, images: ImageInput, range?: PixelRange): ImageRuns {
  checkRangeOption(owner, range);
  if (Array.isArray(images)) {
    const list = (images as readonly unknown[]).map((image, i) => listed(owner, `image ${i}`, image, range));
    return { count: list.length, runs: runsOf(list) };
  }
  if (isTensor(images) || (typeof images === 'object' && images !== null && 'shape' in images)) {
    const source = toImageSource(owner, images as tf.Tensor | ImageArray, range);
    return { count: source.count, runs: [{ start: 0, count: source.count, source }] };
  }
  const one = listed(owner, 'the image', images, range);
  return { count: 1, runs: runsOf([one]) };
}

/**
 * @internal The runs that images `[start, end)` fall in, each with its index and the part
 * `[from, to)` of it (relative to the run's start), in order.
 */
export function runSpans<R extends { readonly start: number; readonly count: number }>(
  runs: readonly R[],
  start: number,
  end: number,
): { run: R; index: number; from: number; to: number }[] {
  // The last run that starts at or before `start`, by bisection: lists may hold one run per image.
  let lo = 0;
  let hi = runs.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if ((runs[mid] as R).start <= start) lo = mid;
    else hi = mid - 1;
  }
  const out: { run: R; index: number; from: number; to: number }[] = [];
  for (let i = lo; i < runs.length && start < end; i++) {
    const run = runs[i] as R;
    const to = Math.min(end, run.start + run.count);
    if (to > start) out.push({ run, index: i, from: start - run.start, to: to - run.start });
    start = Math.max(start, to);
  }
  return out;
}

/** @internal `owner` naming the run's first image, for resize errors of a list. */
export function runOwner(owner: string, runs: { readonly runs: readonly unknown[] }, run: { readonly start: number }): string {
  return runs.runs.length > 1 ? `${owner} (image ${run.start})` : owner;
}

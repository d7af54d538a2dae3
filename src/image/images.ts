import * as tf from '@tensorflow/tfjs-core';
import { DisposedError, InvalidArgumentError, ShapeError } from '../errors/index.js';

/**
 * The scale pixel values are on: `'0-255'` for 8-bit pixels, `'0-1'` for pixels already
 * divided by 255. Either way the backbone then normalises with its own mean and std, so never
 * pass images that are already normalised.
 *
 * @remarks Since 0.1.0.
 * @example
 * ```ts
 * import type { PixelRange } from 'dvme';
 * const range: PixelRange = '0-255';
 * ```
 */
export type PixelRange = '0-255' | '0-1';

/**
 * Typed arrays that {@link ImageArray} accepts (every type `readNpz` returns, plus
 * `Uint8ClampedArray` from canvas `ImageData`).
 *
 * @remarks Since 0.1.0.
 * @example
 * ```ts
 * import type { ImagePixels } from 'dvme';
 * const pixels: ImagePixels = new Uint8Array(28 * 28);
 * ```
 */
export type ImagePixels =
  | Uint8Array
  | Uint8ClampedArray
  | Int8Array
  | Uint16Array
  | Int16Array
  | Uint32Array
  | Int32Array
  | Float32Array
  | Float64Array;

/**
 * A batch of images as a plain row-major array, such as a MedMNIST array from `readNpz`.
 *
 * @remarks
 * Since 0.1.0. `shape` always starts with the image count: `[n, h, w]` is a grayscale batch
 * (MedMNIST's PneumoniaMNIST), `[n, h, w, c]` has `c` = 1 (grayscale), 3 (RGB) or 4 (RGBA,
 * alpha dropped). A single image is `[1, h, w, c]`.
 *
 * @example
 * ```ts
 * import type { ImageArray } from 'dvme';
 * const gray: ImageArray = { data: new Uint8Array(2 * 28 * 28), shape: [2, 28, 28] };
 * ```
 */
export interface ImageArray {
  /** Pixel values, row-major. `Uint8Array`/`Uint8ClampedArray` are 0-255, float arrays 0-1. */
  readonly data: ImagePixels;
  /** `[n, h, w]` or `[n, h, w, c]`. */
  readonly shape: readonly number[];
}

/**
 * One decoded image as plain pixels, shaped like the browser's `ImageData`: what `decodeImage`
 * from `dvme/node` returns, a canvas `ImageData`, or pixels from any other decoder.
 *
 * @remarks
 * Since 0.1.0. `data` is row-major with `channels` values per pixel: 4 (RGBA, as `ImageData`;
 * the default), 3 (RGB) or 1 (grayscale). Alpha is dropped before embedding. Bytes
 * (`Uint8Array`, `Uint8ClampedArray`) are 0-255, a `Float32Array` 0-1 (such as 16-bit PNGs
 * decoded with `pixelType: 'float32'`); `embed`'s `range` option overrides that.
 *
 * @example
 * ```ts
 * import type { DecodedImage } from 'dvme';
 * const rgba: DecodedImage = { data: new Uint8ClampedArray(32 * 24 * 4), width: 32, height: 24 };
 * const gray: DecodedImage = { data: new Uint8Array(28 * 28), width: 28, height: 28, channels: 1 };
 * ```
 */
export interface DecodedImage {
  /** Pixel values, row-major, `channels` per pixel. */
  readonly data: Uint8Array | Uint8ClampedArray | Float32Array;
  /** Width in pixels. */
  readonly width: number;
  /** Height in pixels. */
  readonly height: number;
  /** Values per pixel. @defaultValue `4` (RGBA, as `ImageData`) */
  readonly channels?: 1 | 3 | 4;
}

/**
 * The browser's image objects, which `embed` reads when the app imports `dvme/browser`.
 *
 * @remarks
 * Since 0.1.0. Pixels are read through a 2D canvas (`drawImage` + `getImageData`) one batch
 * at a time, at the image's natural size (`naturalWidth` of an `<img>`, `videoWidth` of a
 * `<video>`'s current frame). An `<img>` must have loaded (`await img.decode()`) and a
 * `<video>` must have a frame; images from another origin need CORS
 * (`crossOrigin = 'anonymous'`), since the canvas refuses to read them otherwise. `ImageData`
 * is a {@link DecodedImage} and needs no platform.
 *
 * @example
 * ```ts
 * import type { BrowserImage } from 'dvme/browser';
 * const bitmap: BrowserImage = await createImageBitmap(await (await fetch('scan.png')).blob());
 * ```
 */
export type BrowserImage = HTMLImageElement | HTMLCanvasElement | OffscreenCanvas | ImageBitmap | HTMLVideoElement | ImageData;

/**
 * One image of a list that {@link ImageInput} accepts: a {@link DecodedImage}, or a
 * {@link BrowserImage} under `dvme/browser`.
 *
 * @remarks Since 0.1.0.
 * @example
 * ```ts
 * import type { SingleImage } from 'dvme';
 * const images: SingleImage[] = [
 *   { data: new Uint8Array(28 * 28 * 3), width: 28, height: 28, channels: 3 },
 *   { data: new Uint8Array(64 * 48 * 3), width: 64, height: 48, channels: 3 },
 * ];
 * ```
 */
export type SingleImage = DecodedImage | BrowserImage;

/**
 * Images a backbone accepts.
 *
 * @remarks
 * Since 0.1.0. A `tf.Tensor4D` is NHWC `[n, h, w, c]`, a `tf.Tensor3D` one HWC image
 * `[h, w, c]`, with `c` = 1, 3 or 4 (grayscale is repeated to RGB, alpha dropped); for a
 * grayscale batch as a tensor use `[n, h, w, 1]`. The pixel range follows the element type:
 * `int32` tensors and `Uint8Array`s are 0-255, `float32` tensors and float arrays 0-1; other
 * integer arrays need an explicit `range`. Values outside the range (such as 0-255 floats read
 * as 0-1, or already normalised images) are an {@link InvalidArgumentError}. Inputs are never
 * disposed: the caller keeps ownership. Tensors of any static rank type are accepted (as
 * `tf.zeros(shape)` returns) and their rank is checked when called.
 *
 * A {@link SingleImage} or an array of them may mix sizes, channel counts and element types
 * (a folder of PNG and JPEG files): each image is resized and cropped to the model's input on
 * its own, exactly as if it were embedded alone, and then batched with the others.
 *
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs-core';
 * import type { ImageInput } from 'dvme';
 * const rgb: ImageInput = tf.zeros([4, 28, 28, 3], 'int32'); // 0-255 pixels
 * const scaled: ImageInput = tf.zeros([28, 28, 3]); // one image, 0-1 floats
 * const mixed: ImageInput = [
 *   { data: new Uint8Array(28 * 28), width: 28, height: 28, channels: 1 },
 *   { data: new Uint8ClampedArray(640 * 480 * 4), width: 640, height: 480 },
 * ];
 * ```
 */
export type ImageInput = tf.Tensor4D | tf.Tensor3D | tf.Tensor | ImageArray | SingleImage | readonly SingleImage[];

/** @internal Images as the preprocessing sees them: a size, a scale and a way to get batches. */
export interface ImageSource {
  readonly count: number;
  readonly height: number;
  readonly width: number;
  readonly channels: 1 | 3 | 4;
  readonly range: PixelRange;
  /** Images `[start, end)` as float32 NHWC on their original scale; the caller disposes. */
  batch(start: number, end: number): tf.Tensor4D;
}

/** Relative slack of the range check, for values a resize upstream pushed slightly over. */
const RANGE_SLACK = 1e-3;

function checkedChannels(owner: string, c: number, shape: readonly number[], hint: string): 1 | 3 | 4 {
  if (c !== 1 && c !== 3 && c !== 4) {
    throw new ShapeError(
      `${owner}: images must have 1, 3 or 4 channels (last axis); received shape [${shape.join(', ')}]. ${hint}`,
    );
  }
  return c;
}

/** The count, size and channels of `[n, h, w, c]` (or `[n, h, w]`: grayscale), checked; `shape` is the caller's, for messages. */
function checkedDims(owner: string, dims: readonly number[], shape: readonly number[], hint: string): Pick<ImageSource, 'count' | 'height' | 'width' | 'channels'> {
  if (!dims.every((d) => Number.isInteger(d) && d >= 0) || dims.slice(1).some((d) => d === 0)) {
    throw new ShapeError(`${owner}: image dimensions must be positive integers; received shape [${dims.join(', ')}].`);
  }
  const [count, height, width, c = 1] = dims as [number, number, number, number?];
  return { count, height, width, channels: checkedChannels(owner, c, shape, hint) };
}

function checkRange(owner: string, range: PixelRange, min: number, max: number, dtype: string): void {
  const top = range === '0-255' ? 255 : 1;
  if (min >= -RANGE_SLACK * top && max <= top * (1 + RANGE_SLACK)) return;
  let fix: string;
  if (Number.isNaN(min) || Number.isNaN(max)) fix = 'The images contain NaN.';
  else if (min < 0) {
    fix = 'Negative values suggest images that are already normalised: pass raw pixels, the backbone applies its own mean and std.';
  } else if (range === '0-1' && max <= 255 * (1 + RANGE_SLACK)) {
    fix = `These look like 0-255 pixel values: pass { range: '0-255' }.`;
  } else fix = 'Rescale them to 0-255 (or 0-1 with { range: \'0-1\' }).';
  throw new InvalidArgumentError(
    `${owner}: ${dtype} images are read as ${range} pixels, but their values span [${min}, ${max}]. ${fix}`,
  );
}

/**
 * @internal Checks that typed-array pixels lie in `range` (bytes read as 0-255 always do), with
 * a message that says how to fix a wrong scale.
 */
export function checkPixelValues(owner: string, data: ImagePixels, range: PixelRange): void {
  if (range === '0-255' && (data instanceof Uint8Array || data instanceof Uint8ClampedArray)) return;
  let min = Infinity;
  let max = -Infinity;
  let nan = false;
  for (let i = 0; i < data.length; i++) {
    const v = data[i] as number;
    if (v < min) min = v;
    if (v > max) max = v;
    nan ||= Number.isNaN(v);
  }
  if (data.length > 0) checkRange(owner, range, nan ? NaN : min, nan ? NaN : max, data.constructor.name);
}

function defaultArrayRange(owner: string, data: ImagePixels): PixelRange {
  if (data instanceof Uint8Array || data instanceof Uint8ClampedArray) return '0-255';
  if (data instanceof Float32Array || data instanceof Float64Array) return '0-1';
  throw new InvalidArgumentError(
    `${owner}: ${data.constructor.name} pixels have no implied scale; pass { range: '0-255' } or { range: '0-1' } ` +
      `(16-bit images must be rescaled to one of these first).`,
  );
}

function fromTensor(owner: string, images: tf.Tensor, range: PixelRange | undefined): ImageSource {
  if (images.isDisposed) {
    throw new DisposedError(`${owner}: the images tensor was disposed before the call.`);
  }
  if (images.dtype !== 'float32' && images.dtype !== 'int32') {
    throw new InvalidArgumentError(
      `${owner}: image tensors must be int32 (0-255) or float32 (0-1); received dtype '${images.dtype}'.`,
    );
  }
  const single = images.rank === 3;
  if (images.rank !== 3 && images.rank !== 4) {
    throw new ShapeError(
      `${owner}: an image tensor must be [n, h, w, c] (a batch) or [h, w, c] (one image); received shape [${images.shape.join(', ')}]. ` +
        'For a grayscale batch use [n, h, w, 1] (tf.expandDims(x, -1)).',
    );
  }
  const shape4 = single ? [1, ...images.shape] : images.shape;
  const dims = checkedDims(
    owner,
    shape4,
    images.shape,
    single ? 'A rank-3 tensor is one HWC image; for a grayscale batch [n, h, w] use tf.expandDims(x, -1).' : '',
  );
  const { count, height, width, channels } = dims;
  const effective = range ?? (images.dtype === 'int32' ? '0-255' : '0-1');
  if (count > 0) {
    // One reduction over the input is cheap next to a forward pass and catches the most
    // damaging silent mistake: 0-255 floats read as 0-1, or normalising twice.
    const [min, max] = tf.tidy(() => tf.cast(tf.stack([tf.min(images), tf.max(images)]), 'float32').dataSync());
    checkRange(owner, effective, min as number, max as number, images.dtype);
  }
  return {
    ...dims,
    range: effective,
    batch: (start, end) =>
      tf.tidy(() => {
        const x4 = (single ? tf.expandDims(images, 0) : images) as tf.Tensor4D;
        return tf.cast(tf.slice(x4, [start, 0, 0, 0], [end - start, height, width, channels]), 'float32');
      }),
  };
}

function fromArray(owner: string, images: ImageArray, range: PixelRange | undefined): ImageSource {
  const { data, shape } = images;
  if (!ArrayBuffer.isView(data) || !Array.isArray(shape)) {
    throw new InvalidArgumentError(`${owner}: ${ACCEPTED_IMAGES}; received an object with data and shape, but not a TypedArray and an array.`);
  }
  if (shape.length !== 3 && shape.length !== 4) {
    throw new ShapeError(
      `${owner}: an image array's shape must be [n, h, w] (grayscale) or [n, h, w, c]; received [${shape.join(', ')}]. ` +
        'A single image is [1, h, w, c].',
    );
  }
  const dims = checkedDims(owner, shape, shape, '');
  const { count, height, width, channels } = dims;
  const perImage = height * width * channels;
  if (data.length !== count * perImage) {
    throw new ShapeError(
      `${owner}: shape [${shape.join(', ')}] needs ${count * perImage} values; data has ${data.length}.`,
    );
  }
  const effective = range ?? defaultArrayRange(owner, data);
  checkPixelValues(owner, data, effective);
  return {
    ...dims,
    range: effective,
    batch: (start, end) => {
      const view = data.subarray(start * perImage, end * perImage);
      // tfjs takes Float32Array, Int32Array and Uint8Array (a view, not a copy: tfjs may keep it
      // for the batch's lifetime but never writes to it); other element types are copied to
      // float32, which tfjs would otherwise reject.
      const values =
        view instanceof Float32Array || view instanceof Int32Array || view instanceof Uint8Array
          ? view
          : Float32Array.from(view);
      return tf.tensor4d(values, [end - start, height, width, channels], 'float32');
    },
  };
}

/**
 * @internal True for a tfjs tensor, also one made by another copy of tfjs-core (where
 * `instanceof` fails).
 */
export function isTensor(x: unknown): x is tf.Tensor {
  if (x instanceof tf.Tensor) return true;
  const t = x as { dataId?: unknown; rank?: unknown; dtype?: unknown; shape?: unknown } | null;
  return typeof t === 'object' && t !== null && t.dataId !== undefined && typeof t.rank === 'number' && Array.isArray(t.shape);
}

/** @internal What `embed` accepts, in words, for messages. */
export const ACCEPTED_IMAGES =
  'images must be a tf.Tensor4D [n, h, w, c], a tf.Tensor3D [h, w, c], { data, shape: [n, h, w] | [n, h, w, c] }, ' +
  'a decoded image { data, width, height, channels? } or an array of decoded images';

/** @internal Throws unless `range` is absent or a {@link PixelRange}. */
export function checkRangeOption(owner: string, range: unknown): asserts range is PixelRange | undefined {
  if (range !== undefined && range !== '0-255' && range !== '0-1') {
    throw new InvalidArgumentError(`${owner}: range must be '0-255' or '0-1'; received ${JSON.stringify(range)}.`);
  }
}

/**
 * @internal Validates a batch tensor or array (shape, element type, pixel range) without
 * copying it, and returns a way to cut it into float32 batches.
 */
export function toImageSource(owner: string, images: tf.Tensor | ImageArray, range?: PixelRange): ImageSource {
  checkRangeOption(owner, range);
  if (isTensor(images)) return fromTensor(owner, images, range);
  if (typeof images !== 'object' || images === null) {
    throw new InvalidArgumentError(`${owner}: ${ACCEPTED_IMAGES}; received ${images === null ? 'null' : typeof images}.`);
  }
  return fromArray(owner, images, range);
}

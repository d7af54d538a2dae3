import * as tf from '@tensorflow/tfjs-core';
import { ShapeError } from '../errors/index.js';
// Named in the TSDoc of preprocessImages.
import type { InvalidArgumentError } from '../errors/index.js';
import { bicubicWeightMatrix } from './bicubic.js';
import { checkChoice } from '../validation/checks.js';
import { RESIZE_MODES, resolvePreprocessSpec, type PreprocessSpec, type PreprocessSpecInit, type ResizeMode } from './preprocess-spec.js';
import { runOwner, runSpans, toImageRuns } from './image-runs.js';
import type { ImageInput, PixelRange } from './images.js';

/**
 * @internal Where one image size goes on its way to the model size: an optional resize, then
 * an optional crop.
 */
export interface ResizePlan {
  /** `[h, w]` to resample to, or `null` to keep the input size. */
  readonly resizeTo: readonly [number, number] | null;
  /** Box cut from the (resized) image, or `null` for no crop. */
  readonly crop: { readonly top: number; readonly left: number; readonly height: number; readonly width: number } | null;
}

/** Python's `round`, which rounds halves to even; torchvision's CenterCrop uses it. */
function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/**
 * @internal The resize and crop for an `inH x inW` image: torchvision's
 * `Resize(floor(min(size) / cropFraction))` + `CenterCrop(size)` for `'shorter-then-crop'`,
 * with its integer arithmetic, so every pixel lands where torchvision puts it.
 */
export function planResize(
  owner: string,
  inH: number,
  inW: number,
  spec: Pick<PreprocessSpec, 'inputSize' | 'cropFraction'>,
  mode: ResizeMode,
): ResizePlan {
  const [h, w] = spec.inputSize;
  if (mode === 'none') {
    if (inH !== h || inW !== w) {
      throw new ShapeError(
        `${owner}: with resize 'none' images must already be ${h} x ${w}; received ${inH} x ${inW}. ` +
          `Pass resize: 'direct' or 'shorter-then-crop' to resize them.`,
      );
    }
    return { resizeTo: null, crop: null };
  }
  if (mode === 'direct') return { resizeTo: inH === h && inW === w ? null : [h, w], crop: null };
  const short = Math.floor(Math.min(h, w) / spec.cropFraction);
  // torchvision: new_long = int(new_short * long / short), in this order of operations.
  const [newH, newW] =
    inW <= inH ? [Math.floor((short * inH) / inW), short] : [short, Math.floor((short * inW) / inH)];
  if (newH < h || newW < w) {
    throw new ShapeError(
      `${owner}: resizing the shorter side of a ${inH} x ${inW} image to ${short} gives ${newH} x ${newW}, ` +
        `smaller than the ${h} x ${w} crop (torchvision would pad). Use resize: 'direct' for this input size.`,
    );
  }
  const top = roundHalfEven((newH - h) / 2);
  const left = roundHalfEven((newW - w) / 2);
  return {
    resizeTo: newH === inH && newW === inW ? null : [newH, newW],
    crop: newH === h && newW === w ? null : { top, left, height: h, width: w },
  };
}

/**
 * PyTorch's bicubic `F.interpolate` as two matrix products: resampling is separable and
 * linear, and the shared weight matrices reproduce PyTorch's a = -0.75 kernel and edge
 * clamping, which `tf.image` has no op for.
 */
function resizeBicubicNhwc(x: tf.Tensor4D, [oh, ow]: readonly [number, number]): tf.Tensor4D {
  const [b, h, w, c] = x.shape;
  const wh = tf.tensor2d(Float32Array.from(bicubicWeightMatrix(h, oh)), [oh, h]);
  const ww = tf.tensor2d(Float32Array.from(bicubicWeightMatrix(w, ow)), [ow, w]);
  const cols = tf.matMul(tf.reshape(tf.transpose(x, [0, 3, 1, 2]), [b * c * h, w]), ww, false, true);
  const byColumn = tf.reshape(tf.transpose(tf.reshape(cols, [b * c, h, ow]), [0, 2, 1]), [b * c * ow, h]);
  const rows = tf.matMul(byColumn, wh, false, true);
  return tf.transpose(tf.reshape(rows, [b, c, ow, oh]), [0, 3, 2, 1]);
}

/**
 * @internal One batch from raw float32 pixels (`range` scale, 1/3/4 channels) to the
 * normalised RGB model input. Creates intermediates freely: call it inside `tf.tidy`.
 */
export function preprocessBatch(
  x: tf.Tensor4D,
  range: PixelRange,
  spec: PreprocessSpec,
  plan: ResizePlan,
): tf.Tensor4D {
  // Scale first, as torchvision's ToTensor does before Resize, so float rounding matches it.
  let y: tf.Tensor4D = range === '0-255' ? tf.div(x, 255) : x;
  if (y.shape[3] === 4) y = tf.slice(y, [0, 0, 0, 0], [-1, -1, -1, 3]);
  if (plan.resizeTo) {
    // halfPixelCenters = PyTorch's align_corners=False sampling grid.
    y =
      spec.interpolation === 'bicubic'
        ? resizeBicubicNhwc(y, plan.resizeTo)
        : tf.image.resizeBilinear(y, plan.resizeTo as [number, number], false, true);
  }
  if (plan.crop) {
    const { top, left, height, width } = plan.crop;
    y = tf.slice(y, [0, top, left, 0], [-1, height, width, -1]);
  }
  // Resampling one channel and then repeating it is exact and three times cheaper.
  if (y.shape[3] === 1) y = tf.tile(y, [1, 1, 1, 3]);
  const mean = tf.tensor1d([...spec.mean]);
  const std = tf.tensor1d([...spec.std]);
  return tf.div(tf.sub(y, mean), std);
}

/**
 * Options of {@link preprocessImages}.
 *
 * @remarks Since 0.1.0.
 * @example
 * ```ts
 * import type { PreprocessOptions } from 'dvme';
 * const options: PreprocessOptions = { range: '0-255', resize: 'direct' };
 * ```
 */
export interface PreprocessOptions {
  /** Scale of the input pixels. @defaultValue implied by the element type (see {@link ImageInput}) */
  readonly range?: PixelRange;
  /** Overrides the spec's resize mode for this call. @defaultValue the spec's `resize` */
  readonly resize?: ResizeMode;
}

/**
 * @internal Validated images, ready to be preprocessed batch by batch. Images of different
 * sizes each get their own resize plan, so a batch equals its images preprocessed one by one.
 */
export interface PreparedImages {
  readonly count: number;
  /** Images `[start, end)` as the normalised model input; call inside `tf.tidy`. */
  batch(start: number, end: number): tf.Tensor4D;
}

/** @internal Validates images and plans their resizing before any work is done. */
export function preparePreprocess(
  owner: string,
  images: ImageInput,
  spec: PreprocessSpec,
  options: PreprocessOptions,
): PreparedImages {
  const mode = checkChoice(owner, 'resize', options.resize ?? spec.resize, RESIZE_MODES);
  const runs = toImageRuns(owner, images, options.range);
  const plans = runs.runs.map((run) => planResize(runOwner(owner, runs, run), run.source.height, run.source.width, spec, mode));
  const [h, w] = spec.inputSize;
  return {
    count: runs.count,
    batch: (start, end) => {
      const parts = runSpans(runs.runs, start, end).map(({ run, index, from, to }) =>
        preprocessBatch(run.source.batch(from, to), run.source.range, spec, plans[index] as ResizePlan),
      );
      if (parts.length === 0) return tf.zeros([0, h, w, 3]);
      return parts.length === 1 ? (parts[0] as tf.Tensor4D) : tf.concat(parts, 0);
    },
  };
}

/**
 * Turns images into a model's input: scale to 0-1, resize (and crop), grayscale to RGB,
 * `(x - mean) / std`. The same preparation `Backbone.embed` applies, for callers that run a
 * model themselves (fine-tuning, a custom head).
 *
 * @param images - see {@link ImageInput}; not disposed.
 * @param spec - the preprocessing of a model; a `Backbone`'s `config` is one.
 * @param options - pixel range and a resize override.
 * @returns float32 NHWC `[n, inputSize[0], inputSize[1], 3]`; the caller owns it.
 * @throws A {@link ShapeError} for a shape that cannot be images, or an input of the wrong
 * size under `resize: 'none'`; {@link InvalidArgumentError} for values outside the range.
 *
 * @remarks Since 0.1.0. Everything happens at once; for many images, prefer
 * `Backbone.embed`, which works in batches.
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs-core';
 * import { IMAGENET_MEAN, IMAGENET_STD, preprocessImages } from 'dvme';
 * const images = { data: new Uint8Array(2 * 28 * 28), shape: [2, 28, 28] };
 * const x = preprocessImages(images, { inputSize: 224, mean: IMAGENET_MEAN, std: IMAGENET_STD });
 * x.shape; // [2, 224, 224, 3]
 * x.dispose();
 * ```
 */
export function preprocessImages(
  images: ImageInput,
  spec: PreprocessSpecInit,
  options: PreprocessOptions = {},
): tf.Tensor4D {
  const owner = 'preprocessImages';
  const resolved = resolvePreprocessSpec(owner, spec);
  const prepared = preparePreprocess(owner, images, resolved, options);
  return tf.tidy(() => prepared.batch(0, prepared.count));
}

import { InvalidArgumentError } from '../errors/index.js';
// Named in the TSDoc of ResizeMode.
import type { ShapeError } from '../errors/index.js';
import { checkChoice, checkPositiveInteger } from '../validation/checks.js';

/**
 * How an image of any size becomes the model's input size.
 *
 * - `'shorter-then-crop'`: torchvision's evaluation transform `Resize(floor(size / cropFraction))`
 *   (the shorter side, keeping the aspect ratio) then `CenterCrop(size)`.
 * - `'direct'`: resize straight to the input size, ignoring the aspect ratio (keeps the whole
 *   image, which is what you want for small square images such as MedMNIST's).
 * - `'none'`: images must already have the input size; anything else is a {@link ShapeError}.
 *
 * @remarks Since 0.1.0.
 * @example
 * ```ts
 * import type { ResizeMode } from 'dvme';
 * const mode: ResizeMode = 'shorter-then-crop';
 * ```
 */
export type ResizeMode = 'shorter-then-crop' | 'direct' | 'none';

/**
 * Resampling filter of the resize step, both without antialiasing.
 *
 * - `'bilinear'`: PyTorch `F.interpolate(mode='bilinear', align_corners=False)`.
 * - `'bicubic'`: PyTorch `F.interpolate(mode='bicubic', align_corners=False)` (Keys, a = -0.75).
 *
 * @remarks Since 0.1.0. torchvision's PIL path antialiases when it shrinks an image and rounds
 * to uint8, so images that are downsampled differ slightly from a PIL pipeline; upsampling
 * (MedMNIST's 28 px to 224 px) has no antialiasing to differ by.
 * @example
 * ```ts
 * import type { Interpolation } from 'dvme';
 * const filter: Interpolation = 'bicubic'; // what timm's ViT configs use
 * ```
 */
export type Interpolation = 'bilinear' | 'bicubic';

/**
 * How images are prepared for a model: size, resize, resampling and normalisation, fully
 * resolved. {@link BackboneConfig} extends it.
 *
 * @remarks Since 0.1.0.
 * @example
 * ```ts
 * import { IMAGENET_MEAN, IMAGENET_STD, type PreprocessSpec } from 'dvme';
 * const torchvisionEval: PreprocessSpec = {
 *   inputSize: [224, 224], mean: IMAGENET_MEAN, std: IMAGENET_STD,
 *   resize: 'shorter-then-crop', cropFraction: 0.875, interpolation: 'bilinear',
 * };
 * ```
 */
export interface PreprocessSpec {
  /** `[height, width]` of the preprocessed image the model takes. */
  readonly inputSize: readonly [number, number];
  /** Per-channel (RGB) mean subtracted from pixels scaled to 0-1. */
  readonly mean: readonly [number, number, number];
  /** Per-channel (RGB) standard deviation that pixels are divided by after the mean. */
  readonly std: readonly [number, number, number];
  /** How images reach `inputSize`. */
  readonly resize: ResizeMode;
  /** Crop fraction of `'shorter-then-crop'` (ignored otherwise). */
  readonly cropFraction: number;
  /** Resampling filter of the resize step. */
  readonly interpolation: Interpolation;
}

/**
 * What a caller states about preprocessing; the rest takes its default.
 *
 * @remarks Since 0.1.0.
 * @example
 * ```ts
 * import type { PreprocessSpecInit } from 'dvme';
 * const pixelOver255: PreprocessSpecInit = { inputSize: 224, mean: [0, 0, 0], std: [1, 1, 1] };
 * ```
 */
export interface PreprocessSpecInit {
  /** `[height, width]`, or one number for a square input. */
  readonly inputSize: number | readonly [number, number];
  /** Required: a wrong mean silently degrades every embedding, so there is no default. */
  readonly mean: readonly [number, number, number];
  /** Required, for the same reason as `mean`. */
  readonly std: readonly [number, number, number];
  /** @defaultValue `'direct'` */
  readonly resize?: ResizeMode;
  /** @defaultValue `0.875` (224 / 256, torchvision's and timm's default) */
  readonly cropFraction?: number;
  /** @defaultValue `'bilinear'` */
  readonly interpolation?: Interpolation;
}

/**
 * ImageNet's per-channel mean, as torchvision and timm normalise with it.
 *
 * @remarks Since 0.1.0.
 * @example
 * ```ts
 * import { IMAGENET_MEAN, IMAGENET_STD } from 'dvme';
 * const normalise = { mean: IMAGENET_MEAN, std: IMAGENET_STD };
 * ```
 */
export const IMAGENET_MEAN: readonly [number, number, number] = Object.freeze([0.485, 0.456, 0.406] as const);

/**
 * ImageNet's per-channel standard deviation, as torchvision and timm normalise with it.
 *
 * @remarks Since 0.1.0.
 * @example
 * ```ts
 * import { IMAGENET_STD } from 'dvme';
 * IMAGENET_STD[0]; // 0.229
 * ```
 */
export const IMAGENET_STD: readonly [number, number, number] = Object.freeze([0.229, 0.224, 0.225] as const);

/** @internal Every {@link ResizeMode}, for option checks. */
export const RESIZE_MODES: readonly ResizeMode[] = ['shorter-then-crop', 'direct', 'none'];
const INTERPOLATIONS: readonly Interpolation[] = ['bilinear', 'bicubic'];
/** @internal `[h, w]` from a number or a pair. */
export function resolveInputSize(owner: string, size: unknown): [number, number] {
  if (typeof size === 'number') {
    const s = checkPositiveInteger(owner, 'inputSize', size);
    return [s, s];
  }
  if (!Array.isArray(size) || size.length !== 2) {
    throw new InvalidArgumentError(
      `${owner}: inputSize must be a positive integer or [height, width]; received ${JSON.stringify(size)}.`,
    );
  }
  return [checkPositiveInteger(owner, 'inputSize[0]', size[0]), checkPositiveInteger(owner, 'inputSize[1]', size[1])];
}

function resolveTriple(owner: string, option: string, value: unknown, positive: boolean): [number, number, number] {
  const ok =
    Array.isArray(value) &&
    value.length === 3 &&
    value.every((v) => typeof v === 'number' && Number.isFinite(v) && (!positive || v > 0));
  if (!ok) {
    throw new InvalidArgumentError(
      `${owner}: ${option} must be three finite${positive ? ' positive' : ''} numbers (R, G, B) on the 0-1 pixel scale; ` +
        `received ${JSON.stringify(value)}. ImageNet models use IMAGENET_MEAN / IMAGENET_STD; ` +
        'models that take pixel / 255 use [0, 0, 0] / [1, 1, 1].',
    );
  }
  return [value[0], value[1], value[2]] as [number, number, number];
}

/** @internal Validates a preprocessing init and fills the defaults. */
export function resolvePreprocessSpec(owner: string, init: PreprocessSpecInit): PreprocessSpec {
  if (typeof init !== 'object' || init === null) {
    throw new InvalidArgumentError(`${owner}: config must be an object; received ${JSON.stringify(init)}.`);
  }
  const cropFraction = init.cropFraction ?? 0.875;
  if (typeof cropFraction !== 'number' || !(cropFraction > 0 && cropFraction <= 1)) {
    throw new InvalidArgumentError(
      `${owner}: cropFraction must be in (0, 1] (0.875 = 224 / 256); received ${JSON.stringify(cropFraction)}.`,
    );
  }
  return Object.freeze({
    inputSize: Object.freeze(resolveInputSize(owner, init.inputSize)),
    mean: Object.freeze(resolveTriple(owner, 'mean', init.mean, false)),
    std: Object.freeze(resolveTriple(owner, 'std', init.std, true)),
    resize: checkChoice(owner, 'resize', init.resize ?? 'direct', RESIZE_MODES),
    cropFraction,
    interpolation: checkChoice(owner, 'interpolation', init.interpolation ?? 'bilinear', INTERPOLATIONS),
  });
}

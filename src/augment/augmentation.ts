/**
 * An image as augmentations see it: HWC float32, values in the input's own range.
 *
 * @remarks Since 0.1.0. `data` is row-major `[height, width, channels]`, `data.length ===
 * height * width * channels`. Values are not rescaled: an 8-bit image stays in [0, 255], a
 * normalised one in [0, 1], a 16-bit medical image in [0, 65535]. Augmentations never modify
 * `data` in place; they return a new image (or the same one when they leave it unchanged).
 * @example
 * ```ts
 * import type { AugmentImage } from 'dvme';
 * const image: AugmentImage = { data: new Float32Array(4 * 4 * 3), height: 4, width: 4, channels: 3 };
 * ```
 */
export interface AugmentImage { readonly data: Float32Array; readonly height: number; readonly width: number; readonly channels: number }

/**
 * A seeded random transform; `random()` returns uniform floats in [0, 1).
 *
 * @remarks Since 0.1.0. Every random choice an augmentation makes comes from `random`, in a
 * fixed order, so the same image and the same stream give the same output. Build one with the
 * factories (`randomResizedCrop`, `randomHorizontalFlip`, ...) and chain them with `compose`.
 * @example
 * ```ts
 * import { compose, randomHorizontalFlip, seededRandom, type Augmentation } from 'dvme';
 * const augment: Augmentation = compose(randomHorizontalFlip(0.5));
 * const out = augment({ data: new Float32Array(12), height: 2, width: 2, channels: 3 }, seededRandom(1));
 * ```
 */
export type Augmentation = (image: AugmentImage, random: () => number) => AugmentImage;

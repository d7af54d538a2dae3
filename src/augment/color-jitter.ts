import { InvalidArgumentError, ShapeError } from '../errors/index.js';
import { describe } from '../validation/describe.js';
import type { AugmentImage, Augmentation } from './augmentation.js';
import { adjustBrightness, adjustContrast, adjustHue, adjustSaturation } from './color-ops.js';
import { checkImage } from './image-checks.js';
import { randomPermutation, uniformIn } from './seeded-random.js';

/**
 * Options of {@link colorJitter}: each strength is a number `v` (factor drawn from
 * `[max(0, 1 - v), 1 + v]`, hue from `[-v, v]`) or an explicit `[min, max]`.
 *
 * @remarks Since 0.1.0. As torchvision's `ColorJitter(brightness, contrast, saturation, hue)`.
 * @example
 * ```ts
 * import { colorJitter, type ColorJitterOptions } from 'dvme';
 * const options: ColorJitterOptions = { brightness: 0.4, contrast: 0.4, saturation: 0.4, hue: 0.1 };
 * const jitter = colorJitter(options);
 * ```
 */
export interface ColorJitterOptions {
  /** @defaultValue 0 (unchanged) */
  readonly brightness?: number | readonly [number, number];
  /** @defaultValue 0 (unchanged) */
  readonly contrast?: number | readonly [number, number];
  /** @defaultValue 0 (unchanged) */
  readonly saturation?: number | readonly [number, number];
  /** Hue shift in turns; within [-0.5, 0.5]. @defaultValue 0 (unchanged) */
  readonly hue?: number | readonly [number, number];
  /**
   * Largest value of the image's range: results are clamped to [0, maxValue] as torchvision
   * clamps floats to [0, 1] (and uint8 to [0, 255]); hue works on values / maxValue.
   * @defaultValue 1
   */
  readonly maxValue?: number;
  /**
   * Accept 1-channel images, on which brightness and contrast apply and saturation and hue do
   * nothing (torchvision's behaviour). Off by default so that grey medical images are not
   * jittered by accident.
   * @defaultValue false
   */
  readonly allowSingleChannel?: boolean;
}

/** torchvision's `ColorJitter._check_input`: `null` when the factor can only be `center`. */
function factorRange(
  name: string,
  value: number | readonly [number, number] | undefined,
  center: number,
  bound: readonly [number, number],
): readonly [number, number] | null {
  let range: readonly number[];
  if (value === undefined) return null;
  if (typeof value === 'number') {
    if (!(value >= 0) || !Number.isFinite(value)) {
      throw new InvalidArgumentError(`colorJitter: ${name} must be a non-negative number or [min, max]; received ${value}. Pass e.g. { ${name}: 0.2 }.`);
    }
    range = [center - value, center + value];
    if (center === 1) range = [Math.max(range[0], 0), range[1]];
  } else {
    range = value;
  }
  if (!Array.isArray(range) || range.length !== 2 || !range.every(Number.isFinite) || !(bound[0] <= range[0] && range[0] <= range[1] && range[1] <= bound[1])) {
    throw new InvalidArgumentError(
      `colorJitter: ${name} range must lie in [${bound[0]}, ${bound[1]}] as [min, max] with min <= max; received ${Array.isArray(value) ? JSON.stringify(value) : describe(value)}.`,
    );
  }
  return range[0] === center && range[1] === center ? null : [range[0], range[1]];
}

/**
 * Randomly changes brightness, contrast, saturation and hue, as torchvision's `ColorJitter`:
 * the four adjustments run in a random order (a permutation drawn first), each with a factor
 * drawn uniformly from its range; an adjustment left at its default draws nothing.
 *
 * @param options - The strengths, the value range, and whether 1-channel images are allowed.
 * @throws InvalidArgumentError for a negative strength, a range outside its bounds (hue within
 *   [-0.5, 0.5]) or a non-positive `maxValue`; ShapeError (when applied) for an image that is
 *   not RGB, unless `allowSingleChannel` is set and it has 1 channel.
 * @remarks Since 0.1.0. RGB only by default: dvme applies no colour augmentation to grey
 *   (e.g. 16-bit medical) images unless asked. Equal to torchvision's `F.adjust_*` on float
 *   tensors within 1e-5 of the value range.
 * @example
 * ```ts
 * import { colorJitter, seededRandom } from 'dvme';
 * const jitter = colorJitter({ brightness: 0.2, hue: 0.05 });
 * const out = jitter({ data: new Float32Array(2 * 2 * 3).fill(0.5), height: 2, width: 2, channels: 3 }, seededRandom(1));
 * ```
 */
export function colorJitter(options: ColorJitterOptions = {}): Augmentation {
  const brightness = factorRange('brightness', options.brightness, 1, [0, Infinity]);
  const contrast = factorRange('contrast', options.contrast, 1, [0, Infinity]);
  const saturation = factorRange('saturation', options.saturation, 1, [0, Infinity]);
  const hue = factorRange('hue', options.hue, 0, [-0.5, 0.5]);
  const bound = options.maxValue ?? 1;
  if (!(bound > 0) || !Number.isFinite(bound)) {
    throw new InvalidArgumentError(`colorJitter: maxValue must be a finite positive number; received ${describe(options.maxValue)}. Pass 1 for [0, 1] images, 255 for 8-bit ones.`);
  }
  const allowSingle = options.allowSingleChannel ?? false;
  return (image, random) => {
    checkImage('colorJitter', image);
    if (image.channels !== 3 && !(allowSingle && image.channels === 1)) {
      throw new ShapeError(
        `colorJitter needs RGB images (3 channels); received ${image.channels} channel${image.channels === 1 ? '' : 's'}. ` +
          (image.channels === 1
            ? 'dvme applies no colour augmentation to grey (e.g. 16-bit medical) images unless asked: pass { allowSingleChannel: true } to adjust brightness and contrast only, or leave colorJitter out.'
            : 'Convert the image to RGB first.'),
      );
    }
    const order = randomPermutation(random, 4);
    const b = brightness && uniformIn(random, brightness[0], brightness[1]);
    const c = contrast && uniformIn(random, contrast[0], contrast[1]);
    const s = saturation && uniformIn(random, saturation[0], saturation[1]);
    const h = hue && uniformIn(random, hue[0], hue[1]);
    let out: AugmentImage = image;
    for (const op of order) {
      if (op === 0 && b !== null) out = adjustBrightness(out, b, bound);
      else if (op === 1 && c !== null) out = adjustContrast(out, c, bound);
      else if (op === 2 && s !== null) out = adjustSaturation(out, s, bound);
      else if (op === 3 && h !== null) out = adjustHue(out, h, bound);
    }
    return out;
  };
}

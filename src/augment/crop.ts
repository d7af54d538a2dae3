import { InvalidArgumentError } from '../errors/index.js';
import { describe } from '../validation/describe.js';
import type { AugmentImage, Augmentation } from './augmentation.js';
import { checkImage, roundHalfEven, sizePair } from './image-checks.js';
import { resampleImage } from './resample.js';
import { resizeSettings, type ResizeOptions } from './resize.js';
import { randomInt, uniformIn } from './seeded-random.js';

/** @internal A crop box: rows `[top, top + height)`, columns `[left, left + width)`. */
export interface CropBox {
  readonly top: number;
  readonly left: number;
  readonly height: number;
  readonly width: number;
}

/**
 * @internal torchvision's `F.crop` on a tensor: the box may reach outside the image, where the
 * output is zero.
 */
export function cropImage(image: AugmentImage, box: CropBox): AugmentImage {
  const { data, height: h, width: w, channels: c } = image;
  const { top, left, height, width } = box;
  const out = new Float32Array(height * width * c);
  const x0 = Math.max(left, 0);
  const x1 = Math.min(left + width, w);
  for (let y = Math.max(top, 0); y < Math.min(top + height, h); y++) {
    if (x1 <= x0) break;
    out.set(data.subarray((y * w + x0) * c, (y * w + x1) * c), ((y - top) * width + (x0 - left)) * c);
  }
  return { data: out, height, width, channels: c };
}

/**
 * @internal torchvision's `F.center_crop` box: offsets `round((size - crop) / 2)` (Python's
 * round, halves to even), and zero padding split `floor` before / `ceil` after when the crop is
 * larger than the image.
 */
export function centerCropBox(h: number, w: number, ch: number, cw: number): CropBox {
  const offset = (size: number, crop: number): number =>
    crop > size ? -Math.floor((crop - size) / 2) : roundHalfEven((size - crop) / 2);
  return { top: offset(h, ch), left: offset(w, cw), height: ch, width: cw };
}

/**
 * Crops the centre of the image, as torchvision's `CenterCrop`; a crop larger than the image
 * pads it with zeros.
 *
 * @param size - Side of a square crop, or `[height, width]`.
 * @throws InvalidArgumentError when `size` is not a positive integer (pair).
 * @remarks Since 0.1.0. Not random; exact (pixels are copied).
 * @example
 * ```ts
 * import { centerCrop, seededRandom } from 'dvme';
 * const crop = centerCrop(2);
 * const out = crop({ data: new Float32Array(16), height: 4, width: 4, channels: 1 }, seededRandom(0));
 * out.width; // 2
 * ```
 */
export function centerCrop(size: number | readonly [number, number]): Augmentation {
  const [ch, cw] = sizePair('centerCrop', size);
  return (image) => {
    checkImage('centerCrop', image);
    if (image.height === ch && image.width === cw) return image;
    return cropImage(image, centerCropBox(image.height, image.width, ch, cw));
  };
}

/**
 * Options of {@link randomResizedCrop}.
 *
 * @remarks Since 0.1.0.
 * @example
 * ```ts
 * import { randomResizedCrop, type RandomResizedCropOptions } from 'dvme';
 * const options: RandomResizedCropOptions = { scale: [0.5, 1], interpolation: 'bicubic' };
 * const crop = randomResizedCrop(28, options);
 * ```
 */
export interface RandomResizedCropOptions extends ResizeOptions {
  /**
   * Range of the crop's area as a fraction of the image's area.
   * @defaultValue [0.08, 1]
   */
  readonly scale?: readonly [number, number];
  /**
   * Range of the crop's aspect ratio (width / height), sampled log-uniformly.
   * @defaultValue [3 / 4, 4 / 3]
   */
  readonly ratio?: readonly [number, number];
}

function checkRange(name: string, r: unknown, example: string, minAllowed: number): readonly [number, number] {
  const ok =
    Array.isArray(r) && r.length === 2 && r.every((v) => typeof v === 'number' && Number.isFinite(v)) && r[0] >= minAllowed && r[0] <= r[1] && r[1] > 0;
  if (!ok) {
    throw new InvalidArgumentError(
      `randomResizedCrop: ${name} must be [min, max] of finite numbers with ${minAllowed === 0 ? '0 <= min' : '0 < min'} <= max, max > 0; received ${Array.isArray(r) ? JSON.stringify(r) : describe(r)}. Pass e.g. { ${name}: ${example} }.`,
    );
  }
  return r as [number, number];
}

/**
 * @internal `RandomResizedCrop.get_params` of torchvision, line for line, drawing from `random`:
 * up to 10 tries of (area, log-ratio) for a box that fits, then a centred box of the nearest
 * allowed ratio. Each try draws twice; a fitting box draws its top, then its left.
 */
export function sampleResizedCropBox(
  h: number,
  w: number,
  scale: readonly [number, number],
  ratio: readonly [number, number],
  random: () => number,
): CropBox {
  const area = h * w;
  const logRatio = [Math.log(ratio[0]), Math.log(ratio[1])];
  for (let attempt = 0; attempt < 10; attempt++) {
    const targetArea = area * uniformIn(random, scale[0], scale[1]);
    const aspect = Math.exp(uniformIn(random, logRatio[0], logRatio[1]));
    const cw = roundHalfEven(Math.sqrt(targetArea * aspect));
    const chh = roundHalfEven(Math.sqrt(targetArea / aspect));
    if (cw > 0 && cw <= w && chh > 0 && chh <= h) {
      const top = randomInt(random, 0, h - chh + 1);
      const left = randomInt(random, 0, w - cw + 1);
      return { top, left, height: chh, width: cw };
    }
  }
  const inRatio = w / h;
  let cw: number;
  let chh: number;
  if (inRatio < Math.min(...ratio)) {
    cw = w;
    chh = roundHalfEven(cw / Math.min(...ratio));
  } else if (inRatio > Math.max(...ratio)) {
    chh = h;
    cw = roundHalfEven(chh * Math.max(...ratio));
  } else {
    cw = w;
    chh = h;
  }
  return { top: Math.floor((h - chh) / 2), left: Math.floor((w - cw) / 2), height: chh, width: cw };
}

/**
 * Crops a random part of the image and resizes it to `size`, as torchvision's
 * `RandomResizedCrop` (the Inception crop): area fraction uniform in `scale`, aspect ratio
 * log-uniform in `ratio`, 10 tries, then a centre crop.
 *
 * @param size - Output side, or `[height, width]`.
 * @param options - `scale`, `ratio`, and the resize options.
 * @throws InvalidArgumentError for a bad size, range or interpolation.
 * @remarks Since 0.1.0. The box follows torchvision's sampling exactly with dvme's random
 *   stream instead of torch's; the crop is exact and the resize equals `F.resize` within 1e-4
 *   (see {@link resize}).
 * @example
 * ```ts
 * import { randomResizedCrop, seededRandom } from 'dvme';
 * const crop = randomResizedCrop(8, { scale: [0.5, 1] });
 * const out = crop({ data: new Float32Array(16 * 16 * 3), height: 16, width: 16, channels: 3 }, seededRandom(7));
 * out.height; // 8
 * ```
 */
export function randomResizedCrop(size: number | readonly [number, number], options: RandomResizedCropOptions = {}): Augmentation {
  const [oh, ow] = sizePair('randomResizedCrop', size);
  const scale = checkRange('scale', options.scale ?? [0.08, 1], '[0.08, 1]', 0);
  const ratio = checkRange('ratio', options.ratio ?? [3 / 4, 4 / 3], '[3 / 4, 4 / 3]', Number.MIN_VALUE);
  const { mode, antialias } = resizeSettings('randomResizedCrop', options);
  return (image, random) => {
    checkImage('randomResizedCrop', image);
    const box = sampleResizedCropBox(image.height, image.width, scale, ratio, random);
    return resampleImage(cropImage(image, box), oh, ow, mode, antialias);
  };
}

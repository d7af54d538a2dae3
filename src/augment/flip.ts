import { InvalidArgumentError } from '../errors/index.js';
import { describe } from '../validation/describe.js';
import type { AugmentImage, Augmentation } from './augmentation.js';
import { checkImage, checkProbability } from './image-checks.js';
import { randomInt } from './seeded-random.js';

/** @internal The image mirrored left-right (torchvision's `F.hflip`). */
export function hflip(image: AugmentImage): AugmentImage {
  const { data, height: h, width: w, channels: c } = image;
  const out = new Float32Array(data.length);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const src = (y * w + x) * c;
      const dst = (y * w + w - 1 - x) * c;
      for (let ch = 0; ch < c; ch++) out[dst + ch] = data[src + ch];
    }
  }
  return { data: out, height: h, width: w, channels: c };
}

/** @internal The image mirrored top-bottom (torchvision's `F.vflip`). */
export function vflip(image: AugmentImage): AugmentImage {
  const { data, height: h, width: w, channels: c } = image;
  const out = new Float32Array(data.length);
  const row = w * c;
  for (let y = 0; y < h; y++) out.set(data.subarray(y * row, (y + 1) * row), (h - 1 - y) * row);
  return { data: out, height: h, width: w, channels: c };
}

/**
 * @internal The image turned by `k` quarter turns counter-clockwise, `torch.rot90(img, k,
 * dims=[-2, -1])` on CHW (and `np.rot90`): height and width swap for odd `k`.
 */
export function rot90(image: AugmentImage, k: number): AugmentImage {
  const turns = ((k % 4) + 4) % 4;
  if (turns === 0) return image;
  if (turns === 2) return hflip(vflip(image));
  const { data, height: h, width: w, channels: c } = image;
  const out = new Float32Array(data.length);
  // Output is w x h. One counter-clockwise turn: out[i][j] = in[j][w - 1 - i]; three: in[h - 1 - j][i].
  for (let i = 0; i < w; i++) {
    for (let j = 0; j < h; j++) {
      const src = (turns === 1 ? j * w + (w - 1 - i) : (h - 1 - j) * w + i) * c;
      const dst = (i * h + j) * c;
      for (let ch = 0; ch < c; ch++) out[dst + ch] = data[src + ch];
    }
  }
  return { data: out, height: w, width: h, channels: c };
}

/**
 * Mirrors the image left-right with probability `p`, as torchvision's `RandomHorizontalFlip`:
 * one draw per call, flipped when it is below `p`.
 *
 * @param p - Probability of flipping.
 * @defaultValue `p`: 0.5
 * @throws InvalidArgumentError when `p` is not in [0, 1].
 * @remarks Since 0.1.0. Exact: pixels move, values do not change.
 * @example
 * ```ts
 * import { randomHorizontalFlip, seededRandom } from 'dvme';
 * const flip = randomHorizontalFlip(0.5);
 * const out = flip({ data: new Float32Array([1, 2]), height: 1, width: 2, channels: 1 }, seededRandom(3));
 * ```
 */
export function randomHorizontalFlip(p = 0.5): Augmentation {
  checkProbability('randomHorizontalFlip', p);
  return (image, random) => {
    checkImage('randomHorizontalFlip', image);
    return random() < p ? hflip(image) : image;
  };
}

/**
 * Mirrors the image top-bottom with probability `p`, as torchvision's `RandomVerticalFlip`.
 *
 * @param p - Probability of flipping.
 * @defaultValue `p`: 0.5
 * @throws InvalidArgumentError when `p` is not in [0, 1].
 * @remarks Since 0.1.0. Exact: pixels move, values do not change.
 * @example
 * ```ts
 * import { randomVerticalFlip, seededRandom } from 'dvme';
 * const flip = randomVerticalFlip(0.5);
 * const out = flip({ data: new Float32Array([1, 2]), height: 2, width: 1, channels: 1 }, seededRandom(3));
 * ```
 */
export function randomVerticalFlip(p = 0.5): Augmentation {
  checkProbability('randomVerticalFlip', p);
  return (image, random) => {
    checkImage('randomVerticalFlip', image);
    return random() < p ? vflip(image) : image;
  };
}

/**
 * Turns the image by a random multiple of 90 degrees: `k` uniform in {0, 1, 2, 3} quarter turns
 * counter-clockwise (`torch.rot90(img, k, dims=[-2, -1])`). Together with the flips it gives
 * the eight symmetries of the square, natural for histology and other orientation-free images.
 *
 * @param options - `ks`: the turns to draw from.
 * @defaultValue `ks`: [0, 1, 2, 3]
 * @throws InvalidArgumentError when `ks` is empty or holds a non-integer.
 * @remarks Since 0.1.0. Not a torchvision transform; exact. Odd turns swap height and width.
 * @example
 * ```ts
 * import { randomRotate90, seededRandom } from 'dvme';
 * const turn = randomRotate90();
 * const out = turn({ data: new Float32Array(6), height: 2, width: 3, channels: 1 }, seededRandom(0));
 * ```
 */
export function randomRotate90(options: { readonly ks?: readonly number[] } = {}): Augmentation {
  const ks = options.ks ?? [0, 1, 2, 3];
  if (!Array.isArray(ks) || ks.length === 0 || !ks.every((k) => Number.isInteger(k))) {
    throw new InvalidArgumentError(
      `randomRotate90: ks must be a non-empty array of integers (quarter turns); received ${describe(ks)}. Pass e.g. { ks: [0, 1, 2, 3] }.`,
    );
  }
  return (image, random) => {
    checkImage('randomRotate90', image);
    return rot90(image, ks[randomInt(random, 0, ks.length)]);
  };
}

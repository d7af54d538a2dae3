import { InvalidArgumentError } from '../errors/index.js';
import { describe } from '../validation/describe.js';
import type { AugmentImage, Augmentation } from './augmentation.js';
import { checkImage } from './image-checks.js';
import { uniformIn } from './seeded-random.js';

/**
 * Options of {@link randomRotation}.
 *
 * @remarks Since 0.1.0.
 * @example
 * ```ts
 * import { randomRotation, type RandomRotationOptions } from 'dvme';
 * const options: RandomRotationOptions = { interpolation: 'bilinear', fill: 0 };
 * const rotate = randomRotation(15, options);
 * ```
 */
export interface RandomRotationOptions {
  /**
   * How to sample between pixels (torchvision's tensor rotation supports these two).
   * @defaultValue 'nearest' (torchvision's default)
   */
  readonly interpolation?: 'nearest' | 'bilinear';
  /**
   * Value of the pixels that come from outside the image: one number, or one per channel.
   * @defaultValue 0
   */
  readonly fill?: number | readonly number[];
}

/**
 * @internal torchvision's `F.rotate(img, angle, interpolation, expand=False, center=None, fill)`
 * on a float tensor: counter-clockwise by `angle` degrees about the image centre, through
 * `grid_sample(align_corners=False, padding_mode='zeros')` with torchvision's mask channel, which
 * blends `fill` in by how much of each output pixel's taps fell inside the image.
 */
export function rotateImage(image: AugmentImage, angle: number, mode: 'nearest' | 'bilinear', fill: readonly number[]): AugmentImage {
  const { data, height: h, width: w, channels: c } = image;
  const rad = (angle * Math.PI) / 180;
  // The inverse affine matrix of _get_inverse_affine_matrix(center=0, -angle, ...), in pixels.
  const m0 = Math.cos(rad);
  const m1 = -Math.sin(rad);
  const m3 = Math.sin(rad);
  const m4 = Math.cos(rad);
  const out = new Float32Array(data.length);
  const acc = new Float64Array(c);
  for (let oy = 0; oy < h; oy++) {
    const y = oy - h * 0.5 + 0.5;
    for (let ox = 0; ox < w; ox++) {
      const x = ox - w * 0.5 + 0.5;
      // grid_sample's unnormalise of (matrix @ [x, y, 1]) / (size / 2) with align_corners=False.
      const ix = m0 * x + m1 * y + w * 0.5 - 0.5;
      const iy = m3 * x + m4 * y + h * 0.5 - 0.5;
      const o = (oy * w + ox) * c;
      acc.fill(0);
      let mask = 0;
      if (mode === 'nearest') {
        const nx = roundHalfEvenInt(ix);
        const ny = roundHalfEvenInt(iy);
        if (nx >= 0 && nx < w && ny >= 0 && ny < h) {
          for (let ch = 0; ch < c; ch++) out[o + ch] = data[(ny * w + nx) * c + ch];
        } else {
          for (let ch = 0; ch < c; ch++) out[o + ch] = fill[ch];
        }
        continue;
      }
      const x0 = Math.floor(ix);
      const y0 = Math.floor(iy);
      const fx = ix - x0;
      const fy = iy - y0;
      for (let t = 0; t < 4; t++) {
        const tx = x0 + (t & 1);
        const ty = y0 + (t >> 1);
        if (tx < 0 || tx >= w || ty < 0 || ty >= h) continue;
        const wt = (t & 1 ? fx : 1 - fx) * (t >> 1 ? fy : 1 - fy);
        mask += wt;
        const src = (ty * w + tx) * c;
        for (let ch = 0; ch < c; ch++) acc[ch] += wt * data[src + ch];
      }
      for (let ch = 0; ch < c; ch++) out[o + ch] = acc[ch] * mask + (1 - mask) * fill[ch];
    }
  }
  return { data: out, height: h, width: w, channels: c };
}

/** `nearbyint` under the default rounding mode, as grid_sample's nearest mode uses. */
function roundHalfEvenInt(x: number): number {
  const f = Math.floor(x);
  const d = x - f;
  if (d > 0.5) return f + 1;
  if (d < 0.5) return f;
  return f % 2 === 0 ? f : f + 1;
}

/**
 * Rotates the image by a random angle, as torchvision's `RandomRotation`: the angle (degrees,
 * counter-clockwise) is uniform in `[-degrees, degrees]` or in `[min, max]`; the output keeps
 * the input's size (no `expand`), corners come from `fill`.
 *
 * @param degrees - Largest angle either way, or `[min, max]`.
 * @param options - Interpolation and fill.
 * @throws InvalidArgumentError for a negative number, an unordered range, an unknown
 *   interpolation, or a fill whose length is neither 1 nor the image's channels.
 * @remarks Since 0.1.0. One draw per call. Equal to torchvision's `F.rotate` on float tensors
 *   within 1e-4 of the value range ('bilinear'; 1e-6 on small images, 2.4e-5 at 256 px, PyTorch's
 *   float32 positions); 'nearest' picks the same pixels except where a
 *   sampling point falls within float rounding of a pixel boundary.
 * @example
 * ```ts
 * import { randomRotation, seededRandom } from 'dvme';
 * const rotate = randomRotation(30, { interpolation: 'bilinear' });
 * const out = rotate({ data: new Float32Array(16), height: 4, width: 4, channels: 1 }, seededRandom(5));
 * ```
 */
export function randomRotation(degrees: number | readonly [number, number], options: RandomRotationOptions = {}): Augmentation {
  const range: readonly number[] = typeof degrees === 'number' ? [-degrees, degrees] : degrees;
  if (!Array.isArray(range) || range.length !== 2 || !range.every(Number.isFinite) || range[0] > range[1]) {
    throw new InvalidArgumentError(
      `randomRotation: degrees must be a non-negative number or [min, max] with min <= max; received ${Array.isArray(degrees) ? JSON.stringify(degrees) : describe(degrees)}. Pass e.g. 15 or [-15, 15].`,
    );
  }
  const mode = options.interpolation ?? 'nearest';
  if (mode !== 'nearest' && mode !== 'bilinear') {
    throw new InvalidArgumentError(`randomRotation: interpolation must be 'nearest' or 'bilinear'; received ${describe(mode)}.`);
  }
  const fill: readonly number[] = typeof options.fill === 'number' ? [options.fill] : (options.fill ?? [0]);
  if (!Array.isArray(fill) || fill.length === 0 || !fill.every(Number.isFinite)) {
    throw new InvalidArgumentError(`randomRotation: fill must be a finite number or an array of them; received ${describe(options.fill)}.`);
  }
  return (image, random) => {
    checkImage('randomRotation', image);
    if (fill.length !== 1 && fill.length !== image.channels) {
      throw new InvalidArgumentError(
        `randomRotation: fill has ${fill.length} values but the image has ${image.channels} channels. Pass one number, or one per channel.`,
      );
    }
    const angle = uniformIn(random, range[0], range[1]);
    const perChannel = fill.length === 1 ? new Array<number>(image.channels).fill(fill[0]) : fill;
    return rotateImage(image, angle, mode, perChannel);
  };
}

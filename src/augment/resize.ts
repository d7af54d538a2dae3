import { InvalidArgumentError } from '../errors/index.js';
import { describe } from '../validation/describe.js';
import type { AugmentImage, Augmentation } from './augmentation.js';
import { checkImage } from './image-checks.js';
import { resampleImage, type AugmentInterpolation } from './resample.js';

/**
 * Options of {@link resize}, {@link randomResizedCrop} and the resampling they do.
 *
 * @remarks Since 0.1.0.
 * @example
 * ```ts
 * import { resize, type ResizeOptions } from 'dvme';
 * const options: ResizeOptions = { interpolation: 'bicubic', antialias: true };
 * const toSmall = resize(64, options);
 * ```
 */
export interface ResizeOptions {
  /**
   * How to sample between pixels.
   * @defaultValue 'bilinear'
   */
  readonly interpolation?: AugmentInterpolation;
  /**
   * Low-pass filter when shrinking, torchvision's `antialias=True` (PIL-like; its bicubic uses
   * a = -0.5). `false` is torchvision's tensor default before 0.17. Not allowed with 'nearest'.
   * @defaultValue true ('nearest': false)
   */
  readonly antialias?: boolean;
}

const MODES: readonly AugmentInterpolation[] = ['nearest', 'bilinear', 'bicubic'];

/** @internal Checks and fills in resize options. */
export function resizeSettings(where: string, options: ResizeOptions = {}): { mode: AugmentInterpolation; antialias: boolean } {
  const mode = options.interpolation ?? 'bilinear';
  if (!MODES.includes(mode)) {
    throw new InvalidArgumentError(`${where}: interpolation must be one of ${MODES.map((m) => `'${m}'`).join(', ')}; received ${describe(mode)}.`);
  }
  const antialias = options.antialias ?? mode !== 'nearest';
  if (typeof antialias !== 'boolean') {
    throw new InvalidArgumentError(`${where}: antialias must be true or false; received ${describe(antialias)}.`);
  }
  if (antialias && mode === 'nearest') {
    throw new InvalidArgumentError(
      `${where}: antialias is only defined for 'bilinear' and 'bicubic' interpolation (as in torchvision); received interpolation 'nearest' with antialias true. Drop antialias or pick 'bilinear'.`,
    );
  }
  return { mode, antialias };
}

/**
 * torchvision's `_compute_resized_output_size`: a number matches the shorter edge (keeping the
 * aspect ratio, the longer edge truncated), then `maxSize` caps the longer edge.
 */
function outputSize(h: number, w: number, size: number | readonly [number, number], maxSize?: number): [number, number] {
  if (typeof size !== 'number') return [size[0], size[1]];
  const [short, long] = w <= h ? [w, h] : [h, w];
  let newShort = size;
  let newLong = Math.trunc((size * long) / short);
  if (maxSize !== undefined && newLong > maxSize) {
    newShort = Math.trunc((maxSize * newShort) / newLong);
    newLong = maxSize;
  }
  return w <= h ? [newLong, newShort] : [newShort, newLong];
}

/**
 * Resizes the image, as torchvision's `Resize` / `F.resize` on a float tensor: a number
 * matches the shorter edge to it (aspect ratio kept), `[height, width]` sets both.
 *
 * @param size - Shorter-edge length, or `[height, width]`.
 * @param options - Interpolation, antialiasing, and `maxSize` (cap on the longer edge when
 *   `size` is a number).
 * @throws InvalidArgumentError for a size that is not a positive integer (pair), an unknown
 *   interpolation, antialias with 'nearest', or `maxSize <= size`.
 * @remarks Since 0.1.0. Not random. Values equal torchvision's within 1e-5 of the value range
 *   on small images and 1e-4 up to a few hundred pixels: PyTorch computes sampling positions in
 *   float32 (dvme in float64), so the gap grows with size and local contrast (2.1e-5 at most
 *   for 256 to 224 px of uniform noise). Bicubic may overshoot the input range, as in torchvision.
 * @example
 * ```ts
 * import { resize, seededRandom } from 'dvme';
 * const toSmall = resize(2, { interpolation: 'bilinear' });
 * const out = toSmall({ data: new Float32Array(16), height: 4, width: 4, channels: 1 }, seededRandom(0));
 * out.height; // 2
 * ```
 */
export function resize(size: number | readonly [number, number], options: ResizeOptions & { readonly maxSize?: number } = {}): Augmentation {
  const ok = (v: unknown): boolean => Number.isInteger(v) && (v as number) >= 1;
  if (!(typeof size === 'number' ? ok(size) : Array.isArray(size) && size.length === 2 && size.every(ok))) {
    throw new InvalidArgumentError(
      `resize: size must be a positive integer (shorter edge) or [height, width]; received ${Array.isArray(size) ? JSON.stringify(size) : describe(size)}. Pass e.g. 224 or [224, 224].`,
    );
  }
  const { maxSize } = options;
  if (maxSize !== undefined && (typeof size !== 'number' || !ok(maxSize) || maxSize <= size)) {
    throw new InvalidArgumentError(
      `resize: maxSize applies to a single-number size and must be an integer above it; received size ${describe(size)}, maxSize ${describe(maxSize)}.`,
    );
  }
  const { mode, antialias } = resizeSettings('resize', options);
  return (image) => {
    checkImage('resize', image);
    const [oh, ow] = outputSize(image.height, image.width, size, maxSize);
    // torchvision returns the image itself when the size does not change.
    if (oh === image.height && ow === image.width) return image;
    return resampleImage(image, oh, ow, mode, antialias);
  };
}


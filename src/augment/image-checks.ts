import { InvalidArgumentError, ShapeError } from '../errors/index.js';
import { describe } from '../validation/describe.js';
import type { AugmentImage } from './augmentation.js';

/** @internal Throws a ShapeError unless `image` is a well-formed HWC image. */
export function checkImage(where: string, image: AugmentImage): void {
  const { data, height, width, channels } = image ?? ({} as AugmentImage);
  if (!(data instanceof Float32Array)) {
    throw new ShapeError(`${where}: image.data must be a Float32Array; received ${describe(data)}. Convert with Float32Array.from(pixels).`);
  }
  for (const [name, v] of [['height', height], ['width', width], ['channels', channels]] as const) {
    if (!Number.isInteger(v) || v < 1) {
      throw new ShapeError(`${where}: image.${name} must be a positive integer; received ${describe(v)}.`);
    }
  }
  if (data.length !== height * width * channels) {
    throw new ShapeError(
      `${where}: image.data has ${data.length} values but height x width x channels = ` +
        `${height} x ${width} x ${channels} = ${height * width * channels}. Pass HWC (channels-last) pixels.`,
    );
  }
}

/** @internal A positive integer size, or a `[height, width]` pair of them. */
export type Size = number | readonly [number, number];

/** @internal `size` as `[height, width]`; a single number means a square. */
export function sizePair(where: string, size: Size): [number, number] {
  const pair: readonly number[] = typeof size === 'number' ? [size, size] : size;
  if (!Array.isArray(pair) || pair.length !== 2 || !pair.every((v) => Number.isInteger(v) && v >= 1)) {
    throw new InvalidArgumentError(
      `${where}: size must be a positive integer or [height, width] of positive integers; received ` +
        `${Array.isArray(size) ? JSON.stringify(size) : describe(size)}. Pass e.g. 224 or [224, 224].`,
    );
  }
  return [pair[0], pair[1]];
}

/** @internal Throws unless `p` is a probability. */
export function checkProbability(where: string, p: number): void {
  if (typeof p !== 'number' || !(p >= 0 && p <= 1)) {
    throw new InvalidArgumentError(`${where}: p must be a probability in [0, 1]; received ${describe(p)}. Pass e.g. 0.5.`);
  }
}

/** @internal Python's `round`: halves go to the even neighbour, as torchvision's crop boxes use. */
export function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

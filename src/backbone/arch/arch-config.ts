import { InvalidArgumentError } from '../../errors/index.js';

/**
 * Throw unless `value` is a positive integer, naming the builder and the option.
 *
 * @internal
 */
export function requirePositiveInteger(owner: string, option: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) {
    throw new InvalidArgumentError(
      `${owner}: ${option} must be a positive integer; received ${JSON.stringify(value)}.`,
    );
  }
  return value;
}

/**
 * The NHWC input shape (without batch) of a builder's `inputSize` option: `null` leaves height
 * and width open, so one model embeds images of any size.
 *
 * @internal
 */
export function imageInputShape(
  owner: string,
  inputSize: readonly [number, number] | null,
): [number | null, number | null, number] {
  if (inputSize === null) return [null, null, 3];
  if (!Array.isArray(inputSize) || inputSize.length !== 2) {
    throw new InvalidArgumentError(
      `${owner}: inputSize must be [height, width] or null; received ${JSON.stringify(inputSize)}.`,
    );
  }
  return [
    requirePositiveInteger(owner, 'inputSize[0]', inputSize[0]),
    requirePositiveInteger(owner, 'inputSize[1]', inputSize[1]),
    3,
  ];
}

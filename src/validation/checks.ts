import { InvalidArgumentError } from '../errors/index.js';

/** @internal Throws unless `value` is one of `allowed`. */
export function checkChoice<T extends string>(owner: string, option: string, value: unknown, allowed: readonly T[]): T {
  if (!allowed.includes(value as T)) {
    throw new InvalidArgumentError(
      `${owner}: ${option} must be one of ${allowed.map((a) => `'${a}'`).join(', ')}; received ${JSON.stringify(value)}.`,
    );
  }
  return value as T;
}

/** @internal Throws unless `value` is an integer >= 1. */
export function checkPositiveInteger(owner: string, option: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) {
    throw new InvalidArgumentError(`${owner}: ${option} must be a positive integer; received ${JSON.stringify(value)}.`);
  }
  return value;
}

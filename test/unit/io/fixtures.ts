import { readFileSync } from 'node:fs';
import { expect } from 'vitest';
import { int64ToFloat64, toFloat32, type RawTensor } from '../../../src/io/raw-tensor.js';
import { CheckpointFormatError } from '../../../src/errors/index.js';

/** Bytes of a file written by scripts/fixtures/io_formats.py. */
export function fixture(name: string): Uint8Array {
  return new Uint8Array(readFileSync(new URL(`../../fixtures/io/${name}`, import.meta.url)));
}

export interface ExpectedTensor {
  dtype: string;
  shape: number[];
  values: (number | string)[];
}

/** expected.json, as the fixture script wrote it. */
export const expected = JSON.parse(new TextDecoder().decode(fixture('expected.json'))) as Record<string, unknown>;

/** JSON cannot hold NaN or infinities; the script writes them as strings. */
export function decodeValues(values: readonly (number | string)[]): number[] {
  return values.map((v) => (v === 'nan' ? NaN : v === 'inf' ? Infinity : v === '-inf' ? -Infinity : (v as number)));
}

/** Exact values of a tensor: int64 through float64 (toFloat32 would round 2^40 + 1, say). */
export function exactValues(t: RawTensor): number[] {
  return Array.from(t.dtype === 'int64' ? int64ToFloat64(t.bytes) : toFloat32(t));
}

/** Asserts equality with Object.is semantics element-wise, so -0 and NaN are checked too. */
export function expectSameValues(actual: ArrayLike<number>, want: readonly (number | string)[], label: string): void {
  const decoded = decodeValues(want);
  expect(actual.length, label).toBe(decoded.length);
  for (let i = 0; i < decoded.length; i++) {
    if (!Object.is(actual[i], decoded[i])) {
      expect.fail(`${label}[${i}]: got ${actual[i]}, expected ${decoded[i]}`);
    }
  }
}

export function expectTensor(t: RawTensor | undefined, want: ExpectedTensor, label: string): void {
  expect(t, label).toBeDefined();
  expect(t!.dtype, label).toBe(want.dtype);
  expect(t!.shape, label).toEqual(want.shape);
  expectSameValues(exactValues(t!), want.values, label);
}

/** Runs `fn`; it may succeed, but any error must be a CheckpointFormatError. */
export async function onlyFormatErrors(fn: () => unknown): Promise<void> {
  try {
    await fn();
  } catch (e) {
    if (!CheckpointFormatError.is(e)) throw e;
  }
}

/** A random corruption of a valid file: truncation, overwritten bytes, or both. */
export interface Mutation {
  truncateAt: number | null;
  edits: [number, number][];
}

/** Applies a {@link Mutation}; positions wrap around the file length. */
export function mutate(bytes: Uint8Array, m: Mutation): Uint8Array {
  const out = new Uint8Array(bytes);
  for (const [pos, value] of m.edits) out[pos % out.length] = value;
  return m.truncateAt === null ? out : out.subarray(0, m.truncateAt % (out.length + 1));
}

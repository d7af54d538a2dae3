import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { sortWithPayload } from '../../../src/metrics/sort.js';

/** Reference: a stable argsort by key. */
function reference(keys: Float64Array): { keys: number[]; payload: number[] } {
  const order = Array.from(keys, (_, i) => i).sort((a, b) => keys[a] - keys[b] || a - b);
  return { keys: order.map((i) => keys[i]), payload: order };
}

function check(keys: Float64Array): void {
  const payload = Uint32Array.from(keys, (_, i) => i);
  const before = keys.slice();
  const out = sortWithPayload(keys, payload);
  const ref = reference(keys);
  expect(Array.from(out.keys)).toEqual(ref.keys);
  expect(Array.from(out.payload)).toEqual(ref.payload);
  expect(keys).toEqual(before); // inputs untouched
}

/** Deterministic keys with many ties, both signs, zeros, subnormals and huge magnitudes. */
function mixedKeys(n: number, seed: number): Float64Array {
  let s = seed >>> 0 || 1;
  const next = (): number => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 2 ** 32;
  };
  const special = [0, 1, -1, 5e-324, -5e-324, 1e308, -1e308, 0.5, 2 ** 53, -(2 ** -1074)];
  const keys = Float64Array.from({ length: n }, () => {
    const r = next();
    if (r < 0.2) return special[Math.floor(next() * special.length)];
    if (r < 0.5) return Math.round((next() - 0.5) * 20); // heavy ties
    return (next() - 0.5) * 10 ** Math.floor(next() * 12 - 6);
  });
  // sortWithPayload's contract: -0 already replaced by 0 (callers do it when copying scores).
  return keys.map((x) => (x === 0 ? 0 : x));
}

describe('sortWithPayload', () => {
  it('sorts small arrays stably (comparator path)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.double({ noNaN: true, noDefaultInfinity: true }), { maxLength: 200 }),
        (xs) => check(Float64Array.from(xs, (x) => (x === 0 ? 0 : x))),
      ),
    );
  });

  it('sorts large arrays stably (radix path), both signs and heavy ties', () => {
    fc.assert(
      fc.property(fc.integer({ min: 2048, max: 6000 }), fc.integer(), (n, seed) => check(mixedKeys(n, seed))),
      { numRuns: 15 },
    );
  });

  it('handles radix inputs whose digits are constant (skipped passes)', () => {
    check(new Float64Array(3000).fill(0.25));
    check(Float64Array.from({ length: 3000 }, (_, i) => (i % 2 === 0 ? -3 : 3)));
    check(Float64Array.from({ length: 3000 }, (_, i) => Math.fround(i / 3000))); // float32 values
    const view = new Float64Array(new ArrayBuffer(8 * 5000), 8 * 1000, 3000);
    view.set(mixedKeys(3000, 7));
    check(view); // a subarray view with a byte offset
  });
});

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Xoshiro128 } from '../../../src/random/xoshiro.js';
import { permutation, stratifiedSplit } from '../../../src/random/shuffle.js';

describe('seeded shuffles and splits', () => {
  it('permutation is a permutation, the same for the same seed', () => {
    const a = permutation(50, new Xoshiro128(1));
    expect([...a].sort((x, y) => x - y)).toEqual(Array.from({ length: 50 }, (_, i) => i));
    expect(permutation(50, new Xoshiro128(1))).toEqual(a);
    expect(permutation(50, new Xoshiro128(2))).not.toEqual(a);
  });

  it('stratifiedSplit partitions the rows and keeps every class with >= 2 rows on both sides (property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 4 }), { minLength: 1, maxLength: 80 }),
        fc.double({ min: 0.05, max: 0.9, noNaN: true }),
        fc.integer(),
        (groups, fraction, seed) => {
          const g = Int32Array.from(groups);
          const { train, heldOut } = stratifiedSplit(g, fraction, new Xoshiro128(seed));
          expect([...train, ...heldOut].sort((a, b) => a - b)).toEqual(groups.map((_, i) => i));
          for (const c of new Set(groups)) {
            const count = groups.filter((v) => v === c).length;
            const held = [...heldOut].filter((i) => g[i] === c).length;
            if (count >= 2) {
              expect(held).toBeGreaterThanOrEqual(1);
              expect(held).toBeLessThanOrEqual(count - 1);
              expect(Math.abs(held - fraction * count)).toBeLessThanOrEqual(Math.max(1, 0.5 + 1e-9));
            } else expect(held).toBe(0);
          }
          expect(stratifiedSplit(g, fraction, new Xoshiro128(seed))).toEqual({ train, heldOut });
        },
      ),
    );
  });
});

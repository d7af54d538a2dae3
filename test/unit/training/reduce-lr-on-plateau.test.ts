import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { InvalidArgumentError } from '../../../src/errors/index.js';
import { ReduceLROnPlateau, type ReduceLROnPlateauOptions } from '../../../src/training/reduce-lr-on-plateau.js';

/** Steps a scheduler through a scripted sequence; returns the rate after every epoch and the drop epochs. */
function run(values: number[], options: ReduceLROnPlateauOptions, lr = 1e-3): { lrs: number[]; drops: readonly number[] } {
  const s = new ReduceLROnPlateau(lr, options);
  const lrs = values.map((v) => s.step(v));
  return { lrs, drops: s.dropEpochs };
}

describe('ReduceLROnPlateau', () => {
  const scripted = [0.5, 0.6, 0.6, 0.6, 0.6, 0.7, 0.7, 0.7, 0.7];

  it('PyTorch rules: drops on the (patience + 1)-th epoch in a row without improvement', () => {
    const { lrs, drops } = run(scripted, { patience: 2, factor: 0.1 });
    expect(drops).toEqual([5, 9]);
    expect(lrs[3]).toBe(1e-3);
    expect(lrs[4]).toBeCloseTo(1e-4, 15);
    expect(lrs[8]).toBeCloseTo(1e-5, 15);
  });

  it('Keras rules: drops on the patience-th epoch in a row without improvement', () => {
    expect(run(scripted, { patience: 2, convention: 'keras' }).drops).toEqual([4, 8]);
  });

  it("the paper's settings (factor 0.1, patience 5) drop at epochs 7, 13, 19 on a flat score", () => {
    const flat = [0.8, ...Array<number>(20).fill(0.8)];
    const { lrs, drops } = run(flat, {});
    expect(drops).toEqual([7, 13, 19]);
    expect(lrs[6]).toBeCloseTo(1e-4, 15);
    expect(lrs[18]).toBeCloseTo(1e-6, 15);
  });

  it('cooldown: PyTorch counts cooldown epochs and forgets them; Keras does not count them', () => {
    const flat = [1, 1, 1, 1, 1, 1, 1];
    expect(run(flat, { patience: 1, cooldown: 2 }).drops).toEqual([3, 7]);
    expect(run(flat, { patience: 1, cooldown: 2, convention: 'keras' }).drops).toEqual([2, 4, 6]);
  });

  it('threshold: relative for PyTorch, absolute (min_delta) for Keras', () => {
    // 0.5 -> 0.50004: +8e-5 relative, +4e-5 absolute: not an improvement either way.
    // 0.5 -> 0.50015: +3e-4 relative, +1.5e-4 absolute: an improvement either way.
    // 0.5 -> 0.50008: +1.6e-4 relative (improvement), +8e-5 absolute (not).
    expect(run([0.5, 0.50004], { patience: 0 }).drops).toEqual([2]);
    expect(run([0.5, 0.50015], { patience: 0 }).drops).toEqual([]);
    expect(run([0.5, 0.50004], { patience: 1, convention: 'keras' }).drops).toEqual([2]);
    expect(run([0.5, 0.50015], { patience: 1, convention: 'keras' }).drops).toEqual([]);
    expect(run([0.5, 0.50008], { patience: 0 }).drops).toEqual([]);
    expect(run([0.5, 0.50008], { patience: 1, convention: 'keras' }).drops).toEqual([2]);
    expect(run([0.5, 0.50008], { patience: 1, convention: 'keras', thresholdMode: 'rel' }).drops).toEqual([]);
  });

  it("mode 'min' watches a loss", () => {
    const { drops } = run([1, 0.9, 0.95, 0.92, 0.91], { mode: 'min', patience: 2 });
    expect(drops).toEqual([5]);
  });

  it('never goes below minLr, and stops dropping there', () => {
    const flat = Array<number>(12).fill(1);
    const { lrs, drops } = run(flat, { patience: 1, minLr: 5e-5 });
    expect(drops).toEqual([3, 5]);
    expect(lrs.at(-1)).toBe(5e-5);
    const keras = run(flat, { patience: 1, minLr: 5e-5, convention: 'keras' });
    expect(keras.drops).toEqual([2, 3]);
    expect(keras.lrs.at(-1)).toBe(5e-5);
  });

  it('NaN never improves', () => {
    expect(run([Number.NaN, Number.NaN, Number.NaN], { patience: 1 }).drops).toEqual([2]);
  });

  it('the rate never increases and only ever changes by the factor or to minLr (property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { maxLength: 60 }),
        fc.integer({ min: 0, max: 6 }),
        fc.integer({ min: 0, max: 3 }),
        fc.constantFrom<'pytorch' | 'keras'>('pytorch', 'keras'),
        (values, patience, cooldown, convention) => {
          const { lrs, drops } = run(values, { patience, cooldown, convention, minLr: 1e-7 });
          let prev = 1e-3;
          for (const lr of lrs) {
            expect(lr).toBeLessThanOrEqual(prev);
            if (lr !== prev) expect(lr === 1e-7 || Math.abs(lr - prev * 0.1) < 1e-18).toBe(true);
            prev = lr;
          }
          // With no cooldown, drops are at least patience (+1 for PyTorch) epochs apart.
          const gap = convention === 'pytorch' ? patience + 1 : Math.max(patience, 1);
          if (cooldown === 0) for (let i = 1; i < drops.length; i++) expect(drops[i] - drops[i - 1]).toBeGreaterThanOrEqual(gap);
        },
      ),
    );
  });

  it('rejects bad options with InvalidArgumentError', () => {
    for (const o of [{ factor: 1 }, { factor: 0 }, { patience: -1 }, { patience: 1.5 }, { minLr: -1 }, { mode: 'up' }, { convention: 'jax' }, { thresholdMode: 'x' }]) {
      expect(() => new ReduceLROnPlateau(1e-3, o as ReduceLROnPlateauOptions)).toThrow(InvalidArgumentError);
    }
    expect(() => new ReduceLROnPlateau(0)).toThrow(InvalidArgumentError);
  });
});

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { confusionMatrix, InvalidArgumentError, ShapeError } from '../../../src/metrics/index.js';

const labelPairs = fc.array(
  fc.tuple(fc.integer({ min: -3, max: 4 }), fc.integer({ min: -3, max: 4 }), fc.integer({ min: 0, max: 8 })),
  { maxLength: 80 },
);

const total = (m: number[][]): number => m.reduce((a, row) => a + row.reduce((b, v) => b + v, 0), 0);

describe('confusionMatrix', () => {
  it('sums to n (or to the weight sum), with one row and column per label seen', () => {
    fc.assert(
      fc.property(labelPairs, (rows) => {
        const y = rows.map((r) => r[0]);
        const p = rows.map((r) => r[1]);
        const w = rows.map((r) => r[2] / 4);
        const cm = confusionMatrix(y, p);
        expect(cm.length).toBe(new Set([...y, ...p]).size);
        expect(total(cm)).toBe(y.length);
        expect(Math.abs(total(confusionMatrix(y, p, { sampleWeight: w })) - w.reduce((a, b) => a + b, 0))).toBeLessThan(1e-9);
        // rows are the true classes: row sums are the class counts of yTrue
        const classes = [...new Set([...y, ...p])].sort((a, b) => a - b);
        classes.forEach((c, i) => expect(cm[i].reduce((a, b) => a + b, 0)).toBe(y.filter((v) => v === c).length));
      }),
    );
  });

  it('normalised rows, columns or total sum to 1 (0 where empty)', () => {
    fc.assert(
      fc.property(labelPairs.filter((r) => r.length > 0), (rows) => {
        const y = rows.map((r) => r[0]);
        const p = rows.map((r) => r[1]);
        const labels = [-3, -2, -1, 0, 1, 2, 3, 4, 99];
        const byRow = confusionMatrix(y, p, { labels, normalize: 'true' });
        const byCol = confusionMatrix(y, p, { labels, normalize: 'pred' });
        for (let i = 0; i < labels.length; i++) {
          const r = byRow[i].reduce((a, b) => a + b, 0);
          const c = byCol.reduce((a, row) => a + row[i], 0);
          expect(r === 0 || Math.abs(r - 1) < 1e-12).toBe(true);
          expect(c === 0 || Math.abs(c - 1) < 1e-12).toBe(true);
        }
        expect(byRow[8].every((v) => v === 0)).toBe(true); // label 99 never occurs: zeros, not NaN
        expect(Math.abs(total(confusionMatrix(y, p, { normalize: 'all' })) - 1)).toBeLessThan(1e-12);
      }),
    );
  });

  it('labels reorder and select; samples outside labels are dropped', () => {
    expect(confusionMatrix([2, 0, 2, 2, 0, 1], [0, 0, 2, 2, 0, 2])).toEqual([
      [2, 0, 0],
      [0, 0, 1],
      [1, 0, 2],
    ]);
    expect(confusionMatrix([2, 0, 2, 2, 0, 1], [0, 0, 2, 2, 0, 2], { labels: [2, 0] })).toEqual([
      [2, 1],
      [0, 2],
    ]);
    expect(confusionMatrix([], [], { labels: [1, 2] })).toEqual([
      [0, 0],
      [0, 0],
    ]);
    expect(confusionMatrix([], [])).toEqual([]);
    expect(confusionMatrix(Int8Array.of(-1, 7), Float32Array.of(-1, -1))).toEqual([
      [1, 0],
      [1, 0],
    ]);
    expect(confusionMatrix([0, 3_000_000], [3_000_000, 3_000_000])).toEqual([
      [0, 1],
      [0, 1],
    ]);
  });

  it('rejects bad inputs with typed, helpful errors', () => {
    expect(() => confusionMatrix([1, 2, 3], [1, 2])).toThrow(ShapeError);
    expect(() => confusionMatrix([1, 2], [1, 2], { labels: [3, 4] })).toThrow(InvalidArgumentError);
    expect(() => confusionMatrix([1, 2], [1, 2], { labels: [3, 4] })).toThrow(/None of labels \{3, 4\} occurs in yTrue/);
    expect(() => confusionMatrix([1, 2], [1, 2], { labels: [] })).toThrow(/at least one label/);
    expect(() => confusionMatrix([1, 2], [1, 2], { normalize: 'rows' as never })).toThrow(
      /normalize must be one of undefined, 'true', 'pred', 'all'; received "rows"/,
    );
    expect(() => confusionMatrix([0.5, 1], [1, 0])).toThrow(/threshold them first/);
    expect(() => confusionMatrix(['a', 'b'] as never, [0, 1])).toThrow(InvalidArgumentError);
  });
});

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { attentionMapSvg, confusionMatrixSvg } from '../../../src/charts/index.js';
import { contrastRatio, relativeLuminance } from '../../../src/charts/colors.js';
import { InvalidArgumentError, NonFiniteError, ShapeError } from '../../../src/errors/index.js';
import { confusionMatrix } from '../../../src/metrics/index.js';
import { allCoordinates, byClass, one, parseXml, rectOf, textOf, type XmlNode } from './parse-svg.js';

interface Cell {
  readonly row: number;
  readonly col: number;
  readonly value: number;
  readonly fill: string;
  readonly text: string[];
  readonly ink: string;
  readonly rect: ReturnType<typeof rectOf>;
}

function cells(svg: string): Cell[] {
  return byClass(parseXml(svg), 'cell').map((g: XmlNode) => {
    const rect = g.children.find((n) => n.name === 'rect')!;
    const texts = g.children.filter((n) => n.name === 'text');
    return {
      row: Number(g.attrs['data-row']),
      col: Number(g.attrs['data-col']),
      value: Number(g.attrs['data-value']),
      fill: rect.attrs['fill']!,
      text: texts.map(textOf),
      ink: texts[0]!.attrs['fill']!,
      rect: rectOf(rect),
    };
  });
}

const counts = [
  [50, 3, 7],
  [4, 31, 0],
  [12, 9, 22],
];

describe('confusionMatrixSvg', () => {
  it('has k x k cells in a grid, row i column j at the right place', () => {
    const cs = cells(confusionMatrixSvg(counts));
    expect(cs).toHaveLength(9);
    const side = cs[0]!.rect.right - cs[0]!.rect.left;
    for (const c of cs) {
      expect(c.rect.left).toBeCloseTo(cs[0]!.rect.left + c.col * side, 1);
      expect(c.rect.top).toBeCloseTo(cs[0]!.rect.top + c.row * side, 1);
      expect(c.value).toBe(counts[c.row]![c.col]);
      expect(c.text).toEqual([String(counts[c.row]![c.col])]);
    }
  });

  it('colours cells so lightness orders as the values, with readable text on every cell', () => {
    for (const normalize of ['none', 'true', 'pred', 'all'] as const) {
      const cs = cells(confusionMatrixSvg(counts, { normalize })).sort((a, b) => a.value - b.value);
      const span = normalize === 'none' ? 50 : 1;
      for (let i = 1; i < cs.length; i++) {
        const [a, b] = [cs[i - 1]!, cs[i]!];
        // 8-bit colour cannot separate values closer than about 1/256 of the scale.
        if (b.value - a.value > span / 100) expect(relativeLuminance(b.fill)).toBeGreaterThan(relativeLuminance(a.fill));
        else expect(relativeLuminance(b.fill)).toBeGreaterThanOrEqual(relativeLuminance(a.fill));
        if (b.value === a.value) expect(b.fill).toBe(a.fill);
      }
      for (const c of cs) expect(contrastRatio(c.fill, c.ink)).toBeGreaterThanOrEqual(4.5);
      // Counts span the whole scale, so dark and light cells, and both text colours, occur.
      if (normalize === 'none') expect(new Set(cs.map((c) => c.ink))).toEqual(new Set(['#000000', '#ffffff']));
    }
  });

  it("normalize 'true' prints rows summing to 1 (within rounding) with the counts beneath", () => {
    const cs = cells(confusionMatrixSvg(counts, { normalize: 'true', digits: 2 }));
    for (let i = 0; i < 3; i++) {
      const row = cs.filter((c) => c.row === i);
      expect(Math.abs(row.reduce((a, c) => a + Number(c.text[0]), 0) - 1)).toBeLessThanOrEqual(3 * 0.005);
      row.forEach((c) => expect(c.text[1]).toBe(`(${counts[i]![c.col]})`));
    }
  });

  it("normalize 'pred' sums columns to 1, 'all' sums everything to 1; showCounts: false prints fractions only", () => {
    const pred = cells(confusionMatrixSvg(counts, { normalize: 'pred', digits: 3 }));
    for (let j = 0; j < 3; j++) {
      const sum = pred.filter((c) => c.col === j).reduce((a, c) => a + Number(c.text[0]), 0);
      expect(Math.abs(sum - 1)).toBeLessThanOrEqual(3 * 0.0005);
    }
    const every = cells(confusionMatrixSvg(counts, { normalize: 'all', showCounts: false }));
    expect(Math.abs(every.reduce((a, c) => a + Number(c.text[0]), 0) - 1)).toBeLessThanOrEqual(9 * 0.005);
    expect(every.every((c) => c.text.length === 1)).toBe(true);
  });

  it('agrees with confusionMatrix(normalize) and prints 0, not NaN, for an empty row', () => {
    const yTrue = [0, 0, 1, 1, 1, 2, 2];
    const yPred = [0, 1, 1, 1, 2, 2, 0];
    const cs = cells(confusionMatrixSvg(confusionMatrix(yTrue, yPred), { normalize: 'true' }));
    const expected = confusionMatrix(yTrue, yPred, { normalize: 'true' });
    for (const c of cs) expect(c.value).toBeCloseTo(expected[c.row]![c.col]!, 12);
    const empty = cells(confusionMatrixSvg([[0, 0], [1, 3]], { normalize: 'true' }));
    expect(empty.filter((c) => c.row === 0).map((c) => c.text[0])).toEqual(['0.00', '0.00']);
  });

  it('labels rows "true" and columns "predicted", with the class names on both axes', () => {
    const root = parseXml(confusionMatrixSvg([[5, 1], [2, 7]], { labels: ['normal', 'pneumonia'] }));
    expect(textOf(one(root, 'row-title'))).toBe('true');
    expect(textOf(one(root, 'col-title'))).toBe('predicted');
    expect(byClass(root, 'row-label').map(textOf)).toEqual(['normal', 'pneumonia']);
    expect(byClass(root, 'col-label').map(textOf)).toEqual(['normal', 'pneumonia']);
    expect(textOf(root.children.find((n) => n.name === 'desc')!)).toContain('Accuracy 80.0%');
  });

  it('throws typed errors that say what to pass', () => {
    expect(() => confusionMatrixSvg([])).toThrow(InvalidArgumentError);
    expect(() => confusionMatrixSvg([])).toThrow(/no rows; pass a k x k matrix/);
    expect(() => confusionMatrixSvg([[1, 2], [3]])).toThrow(ShapeError);
    expect(() => confusionMatrixSvg([[1, 2, 3], [3, 4, 5]])).toThrow(/must be square/);
    expect(() => confusionMatrixSvg([[1, 2], [3, 4]], { labels: ['a'] })).toThrow(ShapeError);
    expect(() => confusionMatrixSvg([[1, 2], [3, 4]], { labels: ['a'] })).toThrow(/1 entries but the matrix is 2 x 2/);
    expect(() => confusionMatrixSvg([[1, NaN], [3, 4]])).toThrow(NonFiniteError);
    expect(() => confusionMatrixSvg([[1, -2], [3, 4]])).toThrow(/matrix\[0\]\[1\] is -2; entries must be >= 0/);
    expect(() => confusionMatrixSvg([[1, 2], [3, 4]], { normalize: 'rows' as never })).toThrow(/'none', 'true', 'pred', 'all'/);
    expect(() => confusionMatrixSvg([[1, 2], [3, 4]], { digits: 9 })).toThrow(/digits must be an integer from 0 to 6/);
  });

  it('any non-negative square matrix gives a well-formed SVG inside its viewBox', () => {
    const matrix = fc.integer({ min: 1, max: 7 }).chain((k) =>
      fc.array(fc.array(fc.nat(10_000), { minLength: k, maxLength: k }), { minLength: k, maxLength: k }),
    );
    fc.assert(
      fc.property(matrix, fc.constantFrom('none', 'true', 'pred', 'all' as const), fc.array(fc.string({ maxLength: 30 }), { minLength: 7, maxLength: 7 }), (m, normalize, names) => {
        const svg = confusionMatrixSvg(m, { normalize, labels: names.slice(0, m.length) });
        const root = parseXml(svg);
        const [, , w, h] = root.attrs['viewBox']!.split(' ').map(Number) as number[];
        expect(byClass(root, 'cell')).toHaveLength(m.length ** 2);
        for (const [x, y] of allCoordinates(root)) {
          expect(x).toBeGreaterThanOrEqual(0);
          expect(x).toBeLessThanOrEqual(w!);
          expect(y).toBeGreaterThanOrEqual(0);
          expect(y).toBeLessThanOrEqual(h!);
        }
      }),
      { numRuns: 60 },
    );
  });
});

describe('attentionMapSvg', () => {
  const map = [
    [0.6, 0.3, 0.1],
    [0.2, 0.5, 0.3],
    [0.25, 0.25, 0.5],
  ];

  it('has one cell per entry of the map, in its shape, with the source names on both axes', () => {
    const svg = attentionMapSvg(map, { labels: ['swav', 'dino', 'simclr'] });
    const cs = cells(svg);
    expect(cs).toHaveLength(9);
    expect(cs.map((c) => [c.row, c.col, c.value])).toEqual(map.flatMap((r, i) => r.map((v, j) => [i, j, v])));
    expect(cs.map((c) => c.text[0])).toEqual(map.flat().map((v) => v.toPrecision(2)));
    const root = parseXml(svg);
    expect(byClass(root, 'row-label').map(textOf)).toEqual(['swav', 'dino', 'simclr']);
    expect(byClass(root, 'col-label').map(textOf)).toEqual(['swav', 'dino', 'simclr']);
    expect(byClass(parseXml(attentionMapSvg([[1]])), 'row-label').map(textOf)).toEqual(['source 1']);
  });

  it('colours by the domain: by default 0 to the largest entry; a given domain clamps', () => {
    const cs = cells(attentionMapSvg(map));
    expect(cs.find((c) => c.value === 0.6)!.fill).toBe('#fde725');
    const fixed = cells(attentionMapSvg(map, { domain: [0.2, 0.4] }));
    expect(fixed.find((c) => c.value === 0.1)!.fill).toBe('#440154');
    expect(fixed.find((c) => c.value === 0.2)!.fill).toBe('#440154');
    expect(fixed.find((c) => c.value === 0.5)!.fill).toBe('#fde725');
  });

  it('throws typed errors for a map that is not S x S, bad labels, or a bad domain', () => {
    expect(() => attentionMapSvg([])).toThrow(InvalidArgumentError);
    expect(() => attentionMapSvg([[0.5, 0.5]])).toThrow(ShapeError);
    expect(() => attentionMapSvg(map, { labels: ['a', 'b'] })).toThrow(/2 entries but the matrix is 3 x 3/);
    expect(() => attentionMapSvg([[NaN]])).toThrow(NonFiniteError);
    expect(() => attentionMapSvg(map, { domain: [1, 0] })).toThrow(/low < high/);
    expect(() => attentionMapSvg(map, { digits: 0 })).toThrow(/digits must be an integer from 1 to 6/);
  });
});

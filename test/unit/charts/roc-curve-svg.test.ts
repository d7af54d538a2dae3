import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { rocBand, rocCurveSvg } from '../../../src/charts/index.js';
import { InvalidArgumentError, NonFiniteError, ShapeError } from '../../../src/errors/index.js';
import { delongCi, rocAucScore, rocCurve } from '../../../src/metrics/index.js';
import { allCoordinates, byClass, one, parseXml, pathRuns, rectOf, textOf } from './parse-svg.js';

const yTrue = [0, 0, 1, 1, 0, 1, 0, 1, 1, 0, 1, 0];
const yScore = [0.1, 0.4, 0.35, 0.8, 0.2, 0.7, 0.5, 0.9, 0.6, 0.3, 0.45, 0.55];

describe('rocCurveSvg geometry', () => {
  const svg = rocCurveSvg([{ ...rocCurve(yTrue, yScore), label: 'probe' }]);
  const root = parseXml(svg);
  const plot = rectOf(one(root, 'plot-area'));

  it('maps (0, 0) to the bottom-left corner of the plot and (1, 1) to the top-right', () => {
    const [points] = pathRuns(one(root, 'roc-curve').attrs['d']!);
    expect(points![0]).toEqual([plot.left, plot.bottom]);
    expect(points![points!.length - 1]).toEqual([plot.right, plot.top]);
  });

  it('draws the curve monotone: x never decreases, y never increases (SVG y grows down)', () => {
    const [points] = pathRuns(one(root, 'roc-curve').attrs['d']!);
    expect(points!.length).toBe(rocCurve(yTrue, yScore).fpr.length);
    for (let i = 1; i < points!.length; i++) {
      expect(points![i]![0]).toBeGreaterThanOrEqual(points![i - 1]![0]);
      expect(points![i]![1]).toBeLessThanOrEqual(points![i - 1]![1]);
    }
  });

  it('draws the chance diagonal from corner to corner', () => {
    expect(pathRuns(one(root, 'chance').attrs['d']!)).toEqual([[[plot.left, plot.bottom], [plot.right, plot.top]]]);
  });

  it('puts each point where its rates say, and a square plot', () => {
    const { fpr, tpr } = rocCurve(yTrue, yScore);
    const [points] = pathRuns(one(root, 'roc-curve').attrs['d']!);
    points!.forEach(([x, y], i) => {
      expect(x).toBeCloseTo(plot.left + fpr[i]! * (plot.right - plot.left), 1);
      expect(y).toBeCloseTo(plot.bottom - tpr[i]! * (plot.bottom - plot.top), 1);
    });
    expect(plot.right - plot.left).toBe(plot.bottom - plot.top);
  });

  it('prints the AUC (equal to rocAucScore) and the DeLong interval in the legend and the description', () => {
    const ci = delongCi(yTrue, yScore);
    const withCi = parseXml(rocCurveSvg([{ ...rocCurve(yTrue, yScore), label: 'probe', ci }]));
    const legend = textOf(one(withCi, 'legend'));
    const auc = rocAucScore(yTrue, yScore).toFixed(3);
    expect(legend).toContain(`probe: AUC ${auc}, 95% CI ${ci.lower.toFixed(3)}-${ci.upper.toFixed(3)}`);
    expect(legend).toContain('chance (AUC 0.5)');
    expect(all(withCi, 'desc')).toContain(`AUC ${auc}`);
    expect(textOf(one(root, 'legend'))).not.toContain('CI');
  });

  it('draws a band as a closed area within the plot, under the curves, and says so in the description', () => {
    const band = rocBand(yTrue, yScore, { nBoot: 200, seed: 3 });
    const r = parseXml(rocCurveSvg([{ ...rocCurve(yTrue, yScore), band }]));
    const area = one(r, 'band');
    expect(area.attrs['d']).toMatch(/ Z$/);
    const [ring] = pathRuns(area.attrs['d']!);
    expect(ring).toHaveLength(2 * band.fpr.length);
    for (const [x, y] of ring!) {
      expect(x).toBeGreaterThanOrEqual(plot.left);
      expect(x).toBeLessThanOrEqual(plot.right);
      expect(y).toBeGreaterThanOrEqual(plot.top);
      expect(y).toBeLessThanOrEqual(plot.bottom);
    }
    const order = r.children.map((n) => n.attrs['class']);
    expect(order.indexOf('band')).toBeLessThan(order.indexOf('roc-curve'));
    expect(all(r, 'desc')).toContain('pointwise confidence band');
  });

  it('draws several curves in distinct colours, in order, labelled', () => {
    const c = rocCurve(yTrue, yScore);
    const r = parseXml(rocCurveSvg([{ ...c, label: 'a' }, { ...c, label: 'b' }, { ...c, label: 'c' }]));
    const curves = byClass(r, 'roc-curve');
    expect(curves.map((n) => n.attrs['data-label'])).toEqual(['a', 'b', 'c']);
    expect(new Set(curves.map((n) => n.attrs['stroke'])).size).toBe(3);
  });

  it('is deterministic', () => {
    const band = rocBand(yTrue, yScore, { nBoot: 50, seed: 1 });
    const make = () => rocCurveSvg([{ ...rocCurve(yTrue, yScore), band, ci: delongCi(yTrue, yScore) }]);
    expect(make()).toBe(make());
  });
});

const all = (root: ReturnType<typeof parseXml>, name: string) =>
  root.children.filter((n) => n.name === name).map(textOf).join('\n');

describe('rocCurveSvg errors', () => {
  const c = rocCurve(yTrue, yScore);
  it('no curves', () => {
    expect(() => rocCurveSvg([])).toThrow(InvalidArgumentError);
    expect(() => rocCurveSvg([])).toThrow(/non-empty array.*Wrap one curve in an array/);
  });
  it('fpr and tpr of different lengths', () => {
    expect(() => rocCurveSvg([{ fpr: [0, 1], tpr: [0, 0.5, 1] }])).toThrow(ShapeError);
    expect(() => rocCurveSvg([{ fpr: [0, 1], tpr: [0, 0.5, 1] }])).toThrow(/2 fpr and 3 tpr/);
  });
  it('NaN rates (rocCurve with onUndefined: nan)', () => {
    const undefinedCurve = rocCurve([1, 1, 1], [0.2, 0.5, 0.9], { onUndefined: 'nan' });
    expect(() => rocCurveSvg([undefinedCurve])).toThrow(NonFiniteError);
    expect(() => rocCurveSvg([undefinedCurve])).toThrow(/curves\[0\]\.fpr\[0\] is NaN/);
  });
  it('empty, decreasing or out-of-range rates, a bad AUC or interval', () => {
    expect(() => rocCurveSvg([{ fpr: [], tpr: [] }])).toThrow(/is empty/);
    expect(() => rocCurveSvg([{ fpr: [0, 0.5, 0.4, 1], tpr: [0, 0.5, 0.6, 1] }])).toThrow(/non-decreasing/);
    expect(() => rocCurveSvg([{ fpr: [0, 1.5], tpr: [0, 1] }])).toThrow(/\[0, 1\]/);
    expect(() => rocCurveSvg([{ ...c, auc: 2 }])).toThrow(InvalidArgumentError);
    expect(() => rocCurveSvg([{ ...c, ci: { lower: 0.9, upper: 0.8 } }])).toThrow(/lower <= upper/);
    expect(() => rocCurveSvg([{ ...c, band: { fpr: [0, 1], lower: [0], upper: [0, 1] } }])).toThrow(ShapeError);
    expect(() => rocCurveSvg([c], { width: -5 })).toThrow(/width must be a finite number of pixels/);
  });
});

describe('rocCurveSvg properties', () => {
  it('any valid curve gives a well-formed SVG whose coordinates all lie within the viewBox', () => {
    const data = fc
      .integer({ min: 2, max: 40 })
      .chain((n) =>
        fc.tuple(
          fc.array(fc.integer({ min: 0, max: 1 }), { minLength: n, maxLength: n }),
          fc.array(fc.double({ min: -5, max: 5, noNaN: true }), { minLength: n, maxLength: n }),
        ),
      )
      .filter(([y]) => y.includes(0) && y.includes(1));
    fc.assert(
      fc.property(data, fc.string(), ([y, s], name) => {
        const root = parseXml(rocCurveSvg([{ ...rocCurve(y, s), label: name }]));
        const [, , w, h] = root.attrs['viewBox']!.split(' ').map(Number) as [number, number, number, number];
        for (const [x, yy] of allCoordinates(root)) {
          expect(x).toBeGreaterThanOrEqual(0);
          expect(x).toBeLessThanOrEqual(w);
          expect(yy).toBeGreaterThanOrEqual(0);
          expect(yy).toBeLessThanOrEqual(h);
        }
        expect(byClass(root, 'roc-curve')[0]!.attrs['data-label']).toBe(name);
      }),
      { numRuns: 60 },
    );
  });
});

import { describe, expect, expectTypeOf, it } from 'vitest';
import { learningCurveSvg } from '../../../src/charts/index.js';
import { InvalidArgumentError } from '../../../src/errors/index.js';
import type { EpochLog } from '../../../src/index.js';
import { byClass, one, parseXml, pathRuns, rectOf, textOf } from './parse-svg.js';

const history: EpochLog[] = [0.69, 0.52, 0.44, 0.4, 0.38, 0.37].map((loss, i) => ({
  epoch: i + 1,
  loss,
  monitor: 'auc',
  value: [0.7, 0.8, 0.86, 0.85, 0.84, 0.83][i]!,
  lr: 1e-3,
  improved: i <= 2,
}));

describe('learningCurveSvg', () => {
  const root = parseXml(learningCurveSvg(history));
  const plot = rectOf(one(root, 'plot-area'));

  it("draws an estimator's history as-is: train loss and the validation metric, one point per epoch", () => {
    const series = byClass(root, 'series');
    expect(series.map((s) => s.attrs['data-label'])).toEqual(['train loss', 'validation auc']);
    for (const s of series) {
      const [points] = pathRuns(s.children.find((n) => n.name === 'path')!.attrs['d']!);
      expect(points).toHaveLength(6);
      expect(points![0]![0]).toBe(plot.left);
      expect(points![5]![0]).toBe(plot.right);
    }
    expect(byClass(root, 'legend').map(textOf).join()).toContain('validation auc');
  });

  it('marks the best epoch (the last improved one) at its x, with a dot on every series there', () => {
    const marker = one(root, 'best-epoch');
    expect(marker.attrs['data-epoch']).toBe('3');
    const x = plot.left + ((3 - 1) / (6 - 1)) * (plot.right - plot.left);
    expect(pathRuns(marker.attrs['d']!.replace(/V([\d.]+)/, (_, y) => `L${x},${y}`))[0]![0]![0]).toBeCloseTo(x, 1);
    expect(marker.attrs['d']).toBe(`M${Math.round(x * 100) / 100},${plot.top} V${plot.bottom}`);
    const dots = byClass(root, 'best-point');
    expect(dots).toHaveLength(2);
    for (const d of dots) expect(Number(d.attrs['cx'])).toBeCloseTo(x, 1);
    expect(textOf(one(root, 'best-epoch-label'))).toBe('best epoch 3');
  });

  it('bestEpoch overrides the default; null draws no marker; no improved field means no marker', () => {
    const at5 = parseXml(learningCurveSvg(history, { bestEpoch: 5 }));
    expect(one(at5, 'best-epoch').attrs['data-epoch']).toBe('5');
    expect(byClass(parseXml(learningCurveSvg(history, { bestEpoch: null })), 'best-epoch')).toEqual([]);
    const plain = history.map(({ epoch, loss }) => ({ epoch, loss }));
    expect(byClass(parseXml(learningCurveSvg(plain)), 'best-epoch')).toEqual([]);
  });

  it('scales y to the values: higher values sit higher', () => {
    const [points] = pathRuns(byClass(root, 'series')[0]!.children[0]!.attrs['d']!);
    for (let i = 1; i < points!.length; i++) expect(points![i]![1]).toBeGreaterThan(points![i - 1]![1]); // loss falls
    for (const [, y] of points!) {
      expect(y).toBeGreaterThanOrEqual(plot.top);
      expect(y).toBeLessThanOrEqual(plot.bottom);
    }
  });

  it('leaves a gap at NaN (an undefined metric) and draws chosen metrics with their labels', () => {
    const gappy = history.map((h, i) => ({ ...h, value: i === 2 ? NaN : h.value }));
    const r = parseXml(learningCurveSvg(gappy, { metrics: [{ key: 'value', label: 'val AUC' }], bestEpoch: 2 }));
    const s = one(r, 'series');
    expect(s.attrs['data-label']).toBe('val AUC');
    expect(pathRuns(s.children[0]!.attrs['d']!).map((run) => run.length)).toEqual([2, 3]);
    expect(learningCurveSvg(gappy, { metrics: ['lr'] })).toContain('data-key="lr"');
  });

  it('type-checks metric keys against the records', () => {
    expectTypeOf(learningCurveSvg<EpochLog>).parameter(1).toMatchTypeOf<{ metrics?: readonly unknown[] } | undefined>();
    // @ts-expect-error monitor is a string, not a series
    expect(() => learningCurveSvg(history, { metrics: ['monitor'] })).toThrow(/history\[0\]\.monitor must be a number/);
  });

  it('throws typed errors that say what to pass', () => {
    expect(() => learningCurveSvg([])).toThrow(InvalidArgumentError);
    expect(() => learningCurveSvg([])).toThrow(/non-empty array.*solver 'paper'/);
    expect(() => learningCurveSvg([{ epoch: 2, loss: 1 }, { epoch: 1, loss: 1 }])).toThrow(/epochs must increase/);
    expect(() => learningCurveSvg([{ epoch: 1, acc: 1 }])).toThrow(/no 'loss' or 'value'.*one or more of: acc/);
    expect(() => learningCurveSvg(history, { bestEpoch: 9 })).toThrow(/bestEpoch 9 is not one of the epochs \(1 to 6\)/);
    expect(() => learningCurveSvg([{ epoch: 1, loss: NaN }])).toThrow(/every value of 'loss' is NaN/);
    expect(() => learningCurveSvg([{ epoch: 1, loss: Infinity }])).toThrow(InvalidArgumentError);
  });

  it('handles a single epoch', () => {
    const r = parseXml(learningCurveSvg([{ epoch: 1, loss: 0.5, improved: true }]));
    expect(Number(one(r, 'best-point').attrs['cx'])).toBeGreaterThan(rectOf(one(r, 'plot-area')).left);
  });
});

import { InvalidArgumentError } from '../errors/index.js';
import { describe } from '../validation/describe.js';
import { label, size } from './check.js';
import { lineStyle } from './colors.js';
import { axes, scalesFor, type PlotArea } from './frame.js';
import { legend, legendHeight, legendWidth } from './legend.js';
import { el, num, pathData, svgDocument, textWidth, txt } from './svg.js';
import { integerTicks, niceTicks } from './ticks.js';

/**
 * The keys of an epoch record whose values are numbers (the series {@link learningCurveSvg} can draw).
 *
 * @remarks Since 0.1.0.
 * @example
 * ```ts
 * import type { NumericKey } from 'dvme';
 * type K = NumericKey<{ epoch: number; loss: number; monitor: string }>; // 'epoch' | 'loss'
 * ```
 */
export type NumericKey<E> = { [K in keyof E]-?: E[K] extends number ? K : never }[keyof E] & string;

/**
 * Options of {@link learningCurveSvg}.
 *
 * @remarks Since 0.1.0.
 * @example
 * ```ts
 * import type { EpochLog, LearningCurveSvgOptions } from 'dvme';
 * const options: LearningCurveSvgOptions<EpochLog> = {
 *   metrics: [{ key: 'loss', label: 'train loss' }, { key: 'value', label: 'validation AUC' }],
 *   bestEpoch: 12,
 * };
 * ```
 */
export interface LearningCurveSvgOptions<E> {
  /**
   * The series to draw, each a numeric key of the records (with an optional legend name).
   * @defaultValue `loss` ("train loss") and `value` ("validation <monitor>") when the records
   * have them, as an estimator's `history` does
   */
  metrics?: readonly (NumericKey<E> | { readonly key: NumericKey<E>; readonly label?: string })[];
  /**
   * The epoch to mark (a vertical line and a dot on every series); `null` for no marker.
   * @defaultValue the last record with `improved: true` (the weights an estimator kept), if any
   */
  bestEpoch?: number | null;
  /** Heading, also the SVG's accessible name. @defaultValue `'Learning curve'` */
  title?: string;
  /** The y axis title. @defaultValue `'value'` */
  yLabel?: string;
  /** Width in pixels. @defaultValue `560` */
  width?: number;
  /** Height of the plot area in pixels (the legend adds to it). @defaultValue `260` */
  plotHeight?: number;
}

// The top margin leaves a line above the plot for the best-epoch label, where no data can hide it.
const MARGIN = { left: 64, right: 20, top: 54 };

interface Series {
  readonly key: string;
  readonly label: string;
  readonly values: Float64Array;
}

function defaultMetrics(first: Record<string, unknown>): { key: string; label?: string }[] {
  const out: { key: string; label?: string }[] = [];
  if (typeof first['loss'] === 'number') out.push({ key: 'loss', label: 'train loss' });
  if (typeof first['value'] === 'number') {
    const monitor = typeof first['monitor'] === 'string' ? first['monitor'] : 'value';
    out.push({ key: 'value', label: `validation ${monitor}` });
  }
  return out;
}

/**
 * Learning curves in an SVG string: one line per metric over epochs (train loss and the
 * validation metric of an estimator's `history`, or any numeric fields of per-epoch records),
 * with the best epoch marked.
 *
 * @remarks
 * Since 0.1.0. All series share one y axis, so draw metrics of similar range together (loss and
 * kappa both lie near 0..1; a loss in the hundreds wants its own chart). NaN values (a metric
 * undefined at that epoch) leave a gap. The marker has `class="best-epoch"` and `data-epoch`;
 * the same input gives the same string.
 *
 * @param history - per-epoch records with a numeric `epoch`, strictly increasing; an
 *   estimator's `history` (`EpochLog[]`) as it is.
 * @param options - see {@link LearningCurveSvgOptions}.
 * @returns an `<svg>` element as a string.
 * @throws {@link InvalidArgumentError} for an empty history, epochs that are not increasing
 *   numbers, a metric key missing or not numeric, a series with no finite value, or a
 *   `bestEpoch` that is not one of the epochs.
 * @example
 * ```ts
 * import { learningCurveSvg } from 'dvme';
 * const history = [
 *   { epoch: 1, loss: 0.62, value: 0.71, improved: true },
 *   { epoch: 2, loss: 0.48, value: 0.78, improved: true },
 *   { epoch: 3, loss: 0.41, value: 0.76, improved: false },
 * ];
 * const svg = learningCurveSvg(history, { metrics: ['loss', 'value'] }); // best epoch 2 marked
 * // with an estimator: learningCurveSvg(probe.history)
 * ```
 */
export function learningCurveSvg<E extends { readonly epoch: number }>(
  history: readonly E[],
  options: LearningCurveSvgOptions<E> = {},
): string {
  const owner = 'learningCurveSvg';
  if (!Array.isArray(history) || history.length === 0) {
    throw new InvalidArgumentError(
      `${owner}: history must be a non-empty array of per-epoch records; received ${describe(history)}. ` +
        "Fit with solver 'paper' (an lbfgs fit keeps no history) or pass your own [{ epoch, loss }, ...].",
    );
  }
  const records = history as readonly Record<string, unknown>[];
  const epochs = Float64Array.from(records, (r, i) => {
    const e = r?.['epoch'];
    if (typeof e !== 'number' || !Number.isFinite(e)) {
      throw new InvalidArgumentError(`${owner}: history[${i}].epoch must be a finite number; received ${describe(e)}.`);
    }
    if (i > 0 && !(e > (records[i - 1]!['epoch'] as number))) {
      throw new InvalidArgumentError(
        `${owner}: epochs must increase; history[${i}].epoch is ${e} after ${describe(records[i - 1]!['epoch'])}. Sort the records by epoch.`,
      );
    }
    return e;
  });
  const first = records[0]!;
  const numericKeys = Object.keys(first).filter((k) => k !== 'epoch' && typeof first[k] === 'number');
  const wanted = (options.metrics ?? defaultMetrics(first)).map((m) => (typeof m === 'string' ? { key: m as string } : m));
  if (wanted.length === 0) {
    throw new InvalidArgumentError(
      `${owner}: no metric to draw; the records have no 'loss' or 'value'. Pass options.metrics, one or more of: ${numericKeys.join(', ') || '(none)'}.`,
    );
  }
  const series: Series[] = wanted.map(({ key, label: name }) => {
    const values = Float64Array.from(records, (r, i) => {
      const v = r[key];
      if (typeof v !== 'number' || v === Infinity || v === -Infinity) {
        throw new InvalidArgumentError(
          `${owner}: history[${i}].${key} must be a number (NaN leaves a gap); received ${describe(v)}. ` +
            `Numeric keys of the first record: ${numericKeys.join(', ') || '(none)'}.`,
        );
      }
      return v;
    });
    if (values.every(Number.isNaN)) {
      throw new InvalidArgumentError(`${owner}: every value of '${key}' is NaN, so there is nothing to draw; leave it out of metrics.`);
    }
    return { key, label: label(owner, `label of ${key}`, name, key), values };
  });
  const best = options.bestEpoch === undefined ? lastImproved(records) : options.bestEpoch;
  if (best !== null && !epochs.includes(best)) {
    throw new InvalidArgumentError(
      `${owner}: bestEpoch ${describe(best)} is not one of the epochs (${epochs[0]} to ${epochs[epochs.length - 1]}); pass one of them, or null for no marker.`,
    );
  }

  const width = size(owner, 'width', options.width, 560, 200);
  const plotHeight = size(owner, 'plotHeight', options.plotHeight, 260, 60);
  const title = label(owner, 'title', options.title, 'Learning curve');
  const area: PlotArea = { left: MARGIN.left, top: MARGIN.top, width: width - MARGIN.left - MARGIN.right, height: plotHeight };
  const lo = epochs[0]!;
  const hi = epochs[epochs.length - 1]!;
  const xTicks = integerTicks(epochs.length === 1 ? lo - 1 : lo, epochs.length === 1 ? hi + 1 : hi, 8);
  const finite = series.flatMap((s) => Array.from(s.values).filter((v) => !Number.isNaN(v)));
  const yTicks = niceTicks(Math.min(...finite), Math.max(...finite), 5);
  const scales = scalesFor(area, xTicks, yTicks);
  const body: string[] = [txt('text', { x: 12, y: 22, 'font-size': 15, 'font-weight': 'bold', fill: '#333333', class: 'heading' }, title)];
  body.push(...axes(area, xTicks, yTicks, scales, { xLabel: 'epoch', yLabel: label(owner, 'yLabel', options.yLabel, 'value') }));
  if (best !== null) {
    const x = scales.x(best);
    const bestText = `best epoch ${best}`;
    // Centred over the marker, but kept inside the chart when the marker is near an edge.
    const half = textWidth(bestText, 12) / 2;
    const labelX = Math.min(Math.max(x, half + 4), area.left + area.width + MARGIN.right - half - 4);
    body.push(
      el('path', { d: `M${num(x)},${num(area.top)} V${num(area.top + area.height)}`, stroke: '#555555', 'stroke-dasharray': '3 3', class: 'best-epoch', 'data-epoch': best }),
      txt('text', { x: labelX, y: area.top - 6, fill: '#333333', 'text-anchor': 'middle', class: 'best-epoch-label' }, bestText),
    );
  }
  series.forEach((s, i) => {
    const { color, dash } = lineStyle(i);
    // NaN splits the line: each finite run is its own subpath.
    const runs: (readonly [number, number])[][] = [[]];
    s.values.forEach((v, k) => (Number.isNaN(v) ? runs.push([]) : runs[runs.length - 1]!.push([scales.x(epochs[k]!), scales.y(v)])));
    const d = runs.filter((r) => r.length > 0).map(pathData).join(' ');
    const dots = Array.from(s.values, (v, k) =>
      Number.isNaN(v) ? '' : el('circle', { cx: scales.x(epochs[k]!), cy: scales.y(v), r: epochs[k] === best ? 4.5 : 2, fill: color, class: epochs[k] === best ? 'best-point' : 'point' }),
    );
    body.push(
      el(
        'g',
        { class: 'series', 'data-series': i, 'data-key': s.key, 'data-label': s.label },
        el('path', { d, stroke: color, 'stroke-width': 2, 'stroke-dasharray': dash, 'stroke-linejoin': 'round', fill: 'none', class: 'line' }),
        ...dots.filter((c) => c !== ''),
      ),
    );
  });
  const entries = series.map((s, i) => ({ text: s.label, ...lineStyle(i) }));
  const legendTop = area.top + area.height + 54;
  body.push(legend(entries, area.left, legendTop));
  const desc =
    `${series.map((s) => s.label).join(', ')} over epochs ${lo} to ${hi}` +
    (best === null ? '.' : `; best epoch ${best} (${series.map((s) => `${s.label} ${formatValue(s.values[epochs.indexOf(best)]!)}`).join(', ')}).`);
  return svgDocument(
    { kind: 'dvme-learning-curve', width: Math.max(width, MARGIN.left + legendWidth(entries) + 12), height: legendTop + legendHeight(entries) + 8, title, desc },
    body,
  );
}

function lastImproved(records: readonly Record<string, unknown>[]): number | null {
  for (let i = records.length - 1; i >= 0; i--) if (records[i]!['improved'] === true) return records[i]!['epoch'] as number;
  return null;
}

function formatValue(v: number): string {
  return Number.isNaN(v) ? 'undefined' : String(Number(v.toPrecision(4)));
}

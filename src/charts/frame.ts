import { el, num, txt } from './svg.js';
import type { Ticks } from './ticks.js';

/** @internal The plotting rectangle of an x-y chart, in SVG pixels. */
export interface PlotArea {
  readonly left: number;
  readonly top: number;
  readonly width: number;
  readonly height: number;
}

/** @internal Maps data values onto the plot: `x(min) = left`, `y(min) = bottom` (SVG's y grows down). */
export interface Scales {
  readonly x: (v: number) => number;
  readonly y: (v: number) => number;
}

/** @internal Linear scales from the tick ranges onto `area`. */
export function scalesFor(area: PlotArea, xTicks: Ticks, yTicks: Ticks): Scales {
  const xSpan = xTicks.max - xTicks.min || 1;
  const ySpan = yTicks.max - yTicks.min || 1;
  return {
    x: (v) => area.left + ((v - xTicks.min) / xSpan) * area.width,
    y: (v) => area.top + area.height - ((v - yTicks.min) / ySpan) * area.height,
  };
}

/** @internal What {@link axes} draws besides the ticks. */
export interface AxesLabels {
  readonly xLabel: string;
  readonly yLabel: string;
}

const GRID = '#e3e3e3';
const INK = '#333333';

/**
 * @internal Grid lines, the plot frame (`class="plot-area"`, which the tests read as the
 * plot's corners), tick labels and axis titles.
 */
export function axes(area: PlotArea, xTicks: Ticks, yTicks: Ticks, scales: Scales, labels: AxesLabels): string[] {
  const bottom = area.top + area.height;
  const right = area.left + area.width;
  const out: string[] = [];
  const grid: string[] = [];
  for (const v of xTicks.values) {
    const x = scales.x(v);
    grid.push(`M${num(x)},${num(area.top)} V${num(bottom)}`);
    out.push(txt('text', { x, y: bottom + 16, 'text-anchor': 'middle', fill: INK, class: 'x-tick' }, v.toFixed(xTicks.decimals)));
  }
  for (const v of yTicks.values) {
    const y = scales.y(v);
    grid.push(`M${num(area.left)},${num(y)} H${num(right)}`);
    out.push(
      txt('text', { x: area.left - 6, y: y + 4, 'text-anchor': 'end', fill: INK, class: 'y-tick' }, v.toFixed(yTicks.decimals)),
    );
  }
  return [
    el('path', { d: grid.join(' '), stroke: GRID, 'stroke-width': 1, fill: 'none', class: 'grid' }),
    el('rect', { x: area.left, y: area.top, width: area.width, height: area.height, fill: 'none', stroke: INK, class: 'plot-area' }),
    ...out,
    txt('text', { x: area.left + area.width / 2, y: bottom + 36, 'text-anchor': 'middle', fill: INK, class: 'x-label' }, labels.xLabel),
    txt(
      'text',
      {
        x: 0,
        y: 0,
        transform: `translate(${num(area.left - 44)},${num(area.top + area.height / 2)}) rotate(-90)`,
        'text-anchor': 'middle',
        fill: INK,
        class: 'y-label',
      },
      labels.yLabel,
    ),
  ];
}

import { el, num, textWidth, txt } from './svg.js';

/** @internal One legend line: a line swatch in the series' style and its text. */
export interface LegendEntry {
  readonly text: string;
  readonly color: string;
  readonly dash: string | undefined;
}

const LINE = 18;
const SWATCH = 24;

/** @internal Height of {@link legend} for `entries`. */
export function legendHeight(entries: readonly LegendEntry[]): number {
  return entries.length * LINE;
}

/** @internal Width of {@link legend} for `entries` (estimated text width). */
export function legendWidth(entries: readonly LegendEntry[]): number {
  return SWATCH + 8 + Math.max(...entries.map((e) => textWidth(e.text, 12)));
}

/**
 * @internal A legend as one line per entry, stacked from (`left`, `top`). Below the plot rather
 * than inside it, so it never hides a curve.
 */
export function legend(entries: readonly LegendEntry[], left: number, top: number): string {
  return el(
    'g',
    { class: 'legend' },
    ...entries.map((e, i) => {
      const y = top + i * LINE + LINE / 2;
      return el(
        'g',
        { class: 'legend-entry' },
        el('path', { d: `M${num(left)},${num(y)} h${SWATCH}`, stroke: e.color, 'stroke-width': 2, 'stroke-dasharray': e.dash, fill: 'none' }),
        txt('text', { x: left + SWATCH + 8, y: y + 4, fill: '#333333' }, e.text),
      );
    }),
  );
}

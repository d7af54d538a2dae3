import { textColorOn, viridis } from './colors.js';
import { el, num, svgDocument, textWidth, txt } from './svg.js';

/** @internal Everything {@link heatmapSvg} draws; validated by the chart that calls it. */
export interface HeatmapSpec {
  readonly kind: string;
  readonly title: string;
  readonly desc: string;
  /** k rows of k values that set each cell's colour. */
  readonly values: readonly Float64Array[];
  /** Values mapped to the two ends of viridis (outside: clamped). */
  readonly domain: readonly [number, number];
  /** The text lines printed in cell (i, j): first line large, the rest small. */
  readonly cellText: (i: number, j: number) => readonly string[];
  readonly rowLabels: readonly string[];
  readonly colLabels: readonly string[];
  readonly rowTitle: string;
  readonly colTitle: string;
  readonly cellSize: number;
}

const INK = '#333333';
const HEADING = 30;
const ROTATE = 40;

/**
 * @internal A k x k grid of coloured cells with their values written in, row labels on the
 * left and column labels below (rotated when they are wider than a cell), as scikit-learn's
 * `ConfusionMatrixDisplay` lays it out.
 */
export function heatmapSvg(spec: HeatmapSpec): string {
  const k = spec.values.length;
  const cell = spec.cellSize;
  const fontSize = Math.max(9, Math.min(15, cell / 4));
  const rowLabelW = Math.max(...spec.rowLabels.map((l) => textWidth(l, 12)));
  const colLabelW = Math.max(...spec.colLabels.map((l) => textWidth(l, 12)));
  const rotate = colLabelW > cell - 6;
  const sin = Math.sin((ROTATE * Math.PI) / 180);
  const colLabelH = rotate ? colLabelW * sin + 16 : 18;
  const gridLeft = 30 + rowLabelW + 8;
  const gridTop = HEADING + 10;
  const gridSize = k * cell;
  // Rotated column labels hang to the left of their column; the first must not cross the row labels.
  const hang = rotate ? Math.max(0, colLabelW * Math.cos((ROTATE * Math.PI) / 180) - cell / 2 - gridLeft + 8) : 0;
  const left = gridLeft + hang;
  const width = Math.max(left + gridSize + 16, textWidth(spec.title, 15) + 24, left + textWidth(spec.colTitle, 12));
  const height = gridTop + gridSize + colLabelH + 34;
  const [lo, hi] = spec.domain;
  const span = hi - lo || 1;

  const body: string[] = [
    txt('text', { x: 12, y: 20, 'font-size': 15, 'font-weight': 'bold', fill: INK, class: 'heading' }, spec.title),
  ];
  const cells: string[] = [];
  for (let i = 0; i < k; i++) {
    const row = spec.values[i] as Float64Array;
    for (let j = 0; j < k; j++) {
      const v = row[j] as number;
      const fill = viridis((v - lo) / span);
      const x = left + j * cell;
      const y = gridTop + i * cell;
      const lines = spec.cellText(i, j);
      const ink = textColorOn(fill);
      const texts = lines.map((line, n) =>
        txt(
          'text',
          {
            x: x + cell / 2,
            y: y + cell / 2 + (n - (lines.length - 1) / 2) * fontSize * 1.15 + fontSize * 0.35,
            'text-anchor': 'middle',
            'font-size': n === 0 ? fontSize : fontSize * 0.8,
            fill: ink,
            class: n === 0 ? 'cell-text' : 'cell-subtext',
          },
          line,
        ),
      );
      cells.push(
        el(
          'g',
          { class: 'cell', 'data-row': i, 'data-col': j, 'data-value': String(v) },
          el('rect', { x, y, width: cell, height: cell, fill, stroke: '#ffffff', 'stroke-width': 1 }),
          ...texts,
        ),
      );
    }
  }
  body.push(el('g', { class: 'cells' }, ...cells));
  spec.rowLabels.forEach((l, i) =>
    body.push(
      txt('text', { x: left - 8, y: gridTop + (i + 0.5) * cell + 4, 'text-anchor': 'end', fill: INK, class: 'row-label' }, l),
    ),
  );
  const labelY = gridTop + gridSize + 16;
  spec.colLabels.forEach((l, j) => {
    const x = left + (j + 0.5) * cell;
    body.push(
      rotate
        ? txt('text', { x, y: labelY, 'text-anchor': 'end', transform: `rotate(-${ROTATE} ${num(x)} ${num(labelY)})`, fill: INK, class: 'col-label' }, l)
        : txt('text', { x, y: labelY, 'text-anchor': 'middle', fill: INK, class: 'col-label' }, l),
    );
  });
  body.push(
    txt('text', { x: left + gridSize / 2, y: gridTop + gridSize + colLabelH + 18, 'text-anchor': 'middle', 'font-weight': 'bold', fill: INK, class: 'col-title' }, spec.colTitle),
    txt(
      'text',
      {
        x: 0,
        y: 0,
        transform: `translate(18,${num(gridTop + gridSize / 2)}) rotate(-90)`,
        'text-anchor': 'middle',
        'font-weight': 'bold',
        fill: INK,
        class: 'row-title',
      },
      spec.rowTitle,
    ),
  );
  return svgDocument({ kind: spec.kind, width, height, title: spec.title, desc: spec.desc }, body);
}

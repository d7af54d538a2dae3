import { InvalidArgumentError } from '../errors/index.js';
import { checkChoice } from '../validation/checks.js';
import { describe } from '../validation/describe.js';
import { axisLabels, label, size, squareMatrix } from './check.js';
import { heatmapSvg } from './heatmap.js';

/**
 * Options of {@link confusionMatrixSvg}.
 *
 * @remarks Since 0.1.0.
 * @example
 * ```ts
 * import type { ConfusionMatrixSvgOptions } from 'dvme';
 * const options: ConfusionMatrixSvgOptions = { labels: ['normal', 'pneumonia'], normalize: 'true' };
 * ```
 */
export interface ConfusionMatrixSvgOptions {
  /**
   * Class names, in the matrix's row (and column) order.
   * @defaultValue `'0'`, `'1'`, ... (the row index)
   */
  labels?: readonly (string | number)[];
  /**
   * What the colour and the large number of each cell show: the count (`'none'`), or the count
   * divided by its row sum (`'true'`: the share of each true class predicted as each class, so
   * the diagonal is per-class recall), its column sum (`'pred'`: per-class precision on the
   * diagonal) or the total (`'all'`). As scikit-learn, an empty row or column gives zeros.
   * Normalised colours span 0 to 1, counts 0 to the largest count.
   * @defaultValue `'none'`
   */
  normalize?: 'none' | 'true' | 'pred' | 'all';
  /**
   * Print the count in small type under each normalised fraction.
   * @defaultValue `true`
   */
  showCounts?: boolean;
  /**
   * Decimals of the printed fractions (0 to 6).
   * @defaultValue `2`
   */
  digits?: number;
  /**
   * Heading, also the SVG's accessible name.
   * @defaultValue `'Confusion matrix'`, plus what it is normalised over
   */
  title?: string;
  /**
   * Side of one cell in pixels.
   * @defaultValue `480 / k` clamped to 40..96
   */
  cellSize?: number;
}

const NORMALIZE = ['none', 'true', 'pred', 'all'] as const;
const OVER: Readonly<Record<(typeof NORMALIZE)[number], string>> = {
  none: '',
  true: ' (normalised over true labels)',
  pred: ' (normalised over predictions)',
  all: ' (normalised over all samples)',
};

function formatCount(v: number): string {
  // Weighted matrices hold non-integer sums; four significant digits say enough of them.
  return Number.isInteger(v) ? String(v) : String(Number(v.toPrecision(4)));
}

/**
 * A confusion matrix as a heat map in an SVG string: rows are true labels, columns predicted
 * labels, each cell coloured by viridis and labelled with its count or fraction (in black or
 * white, whichever reads better on that cell).
 *
 * @remarks
 * Since 0.1.0. Takes the counts from {@link confusionMatrix} (or any k x k non-negative matrix)
 * and normalises them itself, so a normalised chart can still print the counts. The same
 * input gives the same string. Cells carry `data-row`, `data-col` and `data-value` (the plotted
 * value) for scripts and tests.
 *
 * @param matrix - k rows of k non-negative counts: `matrix[i][j]` samples of true class `i`
 *   predicted as class `j`.
 * @param options - see {@link ConfusionMatrixSvgOptions}.
 * @returns an `<svg>` element as a string, ready to inline in HTML or save as `.svg`.
 * @throws {@link ShapeError} when the matrix is not square or `labels` has the wrong length.
 * @throws {@link InvalidArgumentError} for an empty matrix, a negative or non-number entry
 *   ({@link NonFiniteError} for NaN or Infinity), or a bad option.
 * @example
 * ```ts
 * import { confusionMatrix, confusionMatrixSvg } from 'dvme';
 * const counts = confusionMatrix([0, 0, 1, 1, 1], [0, 1, 1, 1, 0]); // [[1, 1], [1, 2]]
 * const svg = confusionMatrixSvg(counts, { labels: ['normal', 'pneumonia'], normalize: 'true' });
 * document.body.insertAdjacentHTML('beforeend', svg); // or writeFileSync('cm.svg', svg)
 * ```
 */
export function confusionMatrixSvg(matrix: ArrayLike<ArrayLike<number>>, options: ConfusionMatrixSvgOptions = {}): string {
  const owner = 'confusionMatrixSvg';
  const counts = squareMatrix(owner, 'matrix', matrix, true);
  const k = counts.length;
  const normalize = checkChoice(owner, 'normalize', options.normalize ?? 'none', NORMALIZE);
  const labels = axisLabels(owner, 'labels', options.labels, k, String);
  const digits = options.digits ?? 2;
  if (!Number.isInteger(digits) || digits < 0 || digits > 6) {
    throw new InvalidArgumentError(`${owner}: digits must be an integer from 0 to 6; received ${describe(digits)}.`);
  }
  const showCounts = options.showCounts ?? true;
  if (typeof showCounts !== 'boolean') {
    throw new InvalidArgumentError(`${owner}: showCounts must be true or false; received ${describe(showCounts)}.`);
  }
  const title = label(owner, 'title', options.title, `Confusion matrix${OVER[normalize]}`);
  const cellSize = size(owner, 'cellSize', options.cellSize, Math.max(40, Math.min(96, 480 / k)), 16);

  const rowSums = counts.map((r) => r.reduce((a, b) => a + b, 0));
  const colSums = counts[0]!.map((_, j) => counts.reduce((a, r) => a + r[j]!, 0));
  const total = rowSums.reduce((a, b) => a + b, 0);
  const divisor = (i: number, j: number) =>
    normalize === 'true' ? rowSums[i]! : normalize === 'pred' ? colSums[j]! : normalize === 'all' ? total : 1;
  const values = counts.map((r, i) => r.map((v, j) => (divisor(i, j) === 0 ? 0 : v / divisor(i, j))));
  const maxCount = Math.max(...counts.map((r) => Math.max(...r)));
  const correct = counts.reduce((a, r, i) => a + r[i]!, 0);
  const accuracy = total > 0 ? ` Accuracy ${((100 * correct) / total).toFixed(1)}%.` : '';

  return heatmapSvg({
    kind: 'dvme-confusion-matrix',
    title,
    desc:
      `Confusion matrix of ${formatCount(total)} samples in ${k} classes (${labels.join(', ')}); ` +
      `rows are true labels, columns predicted labels${normalize === 'none' ? '' : `, values${OVER[normalize]}`}.${accuracy}`,
    values,
    domain: [0, normalize === 'none' ? maxCount || 1 : 1],
    cellText: (i, j) => {
      const count = formatCount(counts[i]![j]!);
      if (normalize === 'none') return [count];
      const fraction = values[i]![j]!.toFixed(digits);
      return showCounts ? [fraction, `(${count})`] : [fraction];
    },
    rowLabels: labels,
    colLabels: labels,
    rowTitle: 'true',
    colTitle: 'predicted',
    cellSize,
  });
}

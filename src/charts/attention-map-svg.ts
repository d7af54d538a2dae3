import { InvalidArgumentError } from '../errors/index.js';
import { describe } from '../validation/describe.js';
import { axisLabels, label, size, squareMatrix } from './check.js';
import { heatmapSvg } from './heatmap.js';

/**
 * Options of {@link attentionMapSvg}.
 *
 * @remarks Since 0.1.0.
 * @example
 * ```ts
 * import type { AttentionMapSvgOptions } from 'dvme';
 * const options: AttentionMapSvgOptions = { labels: ['resnet50.swav', 'densenet121'], domain: [0, 1] };
 * ```
 */
export interface AttentionMapSvgOptions {
  /**
   * Source names, in the map's order (the order of the model's `sources`).
   * @defaultValue `'source 1'`, `'source 2'`, ...
   */
  labels?: readonly (string | number)[];
  /**
   * The values mapped to the dark and the bright end of the colour scale; values outside are
   * drawn in the end colour. Pass `[0, 1]` to compare maps of different models on one scale.
   * @defaultValue `[0, largest entry]`
   */
  domain?: readonly [number, number];
  /**
   * Significant digits of the printed values (1 to 6).
   * @defaultValue `2`
   */
  digits?: number;
  /**
   * Heading, also the SVG's accessible name.
   * @defaultValue `'DVME attention map'`
   */
  title?: string;
  /**
   * Side of one cell in pixels.
   * @defaultValue `480 / S` clamped to 40..96
   */
  cellSize?: number;
}

/**
 * A DVME attention map (source x source) as a heat map in an SVG string: cell `[a][b]`, in row
 * `a` and column `b`, is how much source `a` attends to source `b`, averaged over samples and
 * heads; the value is printed in the cell.
 *
 * @remarks
 * Since 0.1.0. Takes `DynamicVisualMetaEmbedding.attentionMap(x)` as it is. With source tokens
 * each row sums to 1; with feature tokens rows sum to `1 / projectionDim` (multiply by
 * `projectionDim` first to read shares). Rows are queries ("attending"), columns keys
 * ("attended to"). Deterministic: the same map gives the same string.
 *
 * @param map - S rows of S non-negative numbers.
 * @param options - see {@link AttentionMapSvgOptions}.
 * @returns an `<svg>` element as a string.
 * @throws {@link ShapeError} when the map is not square or `labels` has the wrong length.
 * @throws {@link InvalidArgumentError} for an empty map, negative entries ({@link NonFiniteError}
 *   for NaN or Infinity), or a bad option.
 * @example
 * ```ts
 * import { attentionMapSvg } from 'dvme';
 * const map = [[0.7, 0.3], [0.45, 0.55]]; // e.g. dvme.attentionMap(testSources)
 * const svg = attentionMapSvg(map, { labels: ['swav', 'dino'] });
 * ```
 */
export function attentionMapSvg(map: ArrayLike<ArrayLike<number>>, options: AttentionMapSvgOptions = {}): string {
  const owner = 'attentionMapSvg';
  const values = squareMatrix(owner, 'map', map, true);
  const s = values.length;
  const labels = axisLabels(owner, 'labels', options.labels, s, (i) => `source ${i + 1}`);
  const digits = options.digits ?? 2;
  if (!Number.isInteger(digits) || digits < 1 || digits > 6) {
    throw new InvalidArgumentError(`${owner}: digits must be an integer from 1 to 6; received ${describe(digits)}.`);
  }
  const max = Math.max(...values.map((r) => Math.max(...r)));
  const domain = options.domain ?? [0, max || 1];
  if (
    !Array.isArray(domain) ||
    domain.length !== 2 ||
    !domain.every((d) => typeof d === 'number' && Number.isFinite(d)) ||
    !(domain[0] < domain[1])
  ) {
    throw new InvalidArgumentError(
      `${owner}: domain must be two finite numbers [low, high] with low < high; received ${describe(domain)}. ` +
        'Leave it out to span 0 to the largest entry.',
    );
  }
  const title = label(owner, 'title', options.title, 'DVME attention map');
  const cellSize = size(owner, 'cellSize', options.cellSize, Math.max(40, Math.min(96, 480 / s)), 16);
  // toPrecision keeps trailing zeros (0.30 beside 0.33), so a column of values reads evenly.
  const print = (v: number) => v.toPrecision(digits);
  return heatmapSvg({
    kind: 'dvme-attention-map',
    title,
    desc:
      `Self-attention between ${s} sources (${labels.join(', ')}): row a, column b is how much ` +
      `source a attends to source b; colours span ${print(domain[0])} to ${print(domain[1])}.`,
    values,
    domain: [domain[0], domain[1]],
    cellText: (i, j) => [print(values[i]![j]!)],
    rowLabels: labels,
    colLabels: labels,
    rowTitle: 'attending source',
    colTitle: 'attended source',
    cellSize,
  });
}

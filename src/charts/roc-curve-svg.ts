import { InvalidArgumentError, ShapeError } from '../errors/index.js';
import { describe } from '../validation/describe.js';
import { label, size, vector } from './check.js';
import { lineStyle } from './colors.js';
import { axes, scalesFor, type PlotArea } from './frame.js';
import { legend, legendHeight, legendWidth } from './legend.js';
import { el, pathData, svgDocument, txt } from './svg.js';
import { niceTicks } from './ticks.js';

/**
 * One curve of {@link rocCurveSvg}: a {@link RocCurve} (or any `fpr`/`tpr` pair) with a name and
 * what to print about it.
 *
 * @remarks Since 0.1.0.
 * @example
 * ```ts
 * import { delongCi, rocBand, rocCurve, type RocCurveSeries } from 'dvme';
 * const y = [0, 0, 1, 1, 0, 1];
 * const s = [0.1, 0.4, 0.35, 0.8, 0.2, 0.7];
 * const series: RocCurveSeries = { ...rocCurve(y, s), label: 'pixels', ci: delongCi(y, s), band: rocBand(y, s) };
 * ```
 */
export interface RocCurveSeries {
  /** False positive rates, non-decreasing, in [0, 1]. */
  readonly fpr: ArrayLike<number>;
  /** True positive rates, non-decreasing, in [0, 1]; as many as `fpr`. */
  readonly tpr: ArrayLike<number>;
  /** Legend name. @defaultValue `'curve 1'`, `'curve 2'`, ... */
  readonly label?: string;
  /**
   * The AUC printed in the legend. @defaultValue the trapezoidal area under the given points,
   * which equals {@link rocAucScore} for a full curve from {@link rocCurve}
   */
  readonly auc?: number;
  /**
   * A confidence interval of the AUC, printed in the legend as "95% CI lower-upper" (the level
   * from `alpha`, default 0.05); a {@link DelongCiResult} or {@link BootstrapCiResult} fits.
   */
  readonly ci?: { readonly lower: number; readonly upper: number; readonly alpha?: number };
  /**
   * A pointwise band of the true positive rate over a grid of false positive rates, drawn as a
   * shaded area in the curve's colour; {@link rocBand} computes one by bootstrap.
   */
  readonly band?: { readonly fpr: ArrayLike<number>; readonly lower: ArrayLike<number>; readonly upper: ArrayLike<number> };
}

/**
 * Options of {@link rocCurveSvg}.
 *
 * @remarks Since 0.1.0.
 * @example
 * ```ts
 * import type { RocCurveSvgOptions } from 'dvme';
 * const options: RocCurveSvgOptions = { title: 'PneumoniaMNIST test set', width: 520 };
 * ```
 */
export interface RocCurveSvgOptions {
  /** Heading, also the SVG's accessible name. @defaultValue `'ROC curve'` */
  title?: string;
  /** Width in pixels; the plot is square and the legend below it sets the height. @defaultValue `440` */
  width?: number;
  /** Decimals of the AUCs in the legend. @defaultValue `3` */
  digits?: number;
}

const MARGIN = { left: 60, right: 18, top: 40 };

interface Curve {
  readonly fpr: Float64Array;
  readonly tpr: Float64Array;
  readonly label: string;
  readonly auc: number;
  readonly ci: RocCurveSeries['ci'];
  readonly band: { fpr: Float64Array; lower: Float64Array; upper: Float64Array } | undefined;
}

function checkRates(owner: string, name: string, v: Float64Array): void {
  for (let i = 0; i < v.length; i++) {
    if (v[i]! < 0 || v[i]! > 1) {
      throw new InvalidArgumentError(`${owner}: ${name}[${i}] is ${v[i]}; rates must lie in [0, 1]. Pass rocCurve's output.`);
    }
    if (i > 0 && v[i]! < v[i - 1]!) {
      throw new InvalidArgumentError(
        `${owner}: ${name} must be non-decreasing, as rocCurve returns it, but ${name}[${i}] = ${v[i]} < ${name}[${i - 1}] = ${v[i - 1]}.`,
      );
    }
  }
}

function checkCurve(owner: string, c: RocCurveSeries, i: number): Curve {
  if (c === null || typeof c !== 'object') {
    throw new InvalidArgumentError(`${owner}: curves[${i}] must be an object { fpr, tpr, label? }; received ${describe(c)}.`);
  }
  const fpr = vector(owner, `curves[${i}].fpr`, c.fpr);
  const tpr = vector(owner, `curves[${i}].tpr`, c.tpr);
  if (fpr.length !== tpr.length) {
    throw new ShapeError(`${owner}: curves[${i}] has ${fpr.length} fpr and ${tpr.length} tpr values; each point needs both.`);
  }
  checkRates(owner, `curves[${i}].fpr`, fpr);
  checkRates(owner, `curves[${i}].tpr`, tpr);
  let area = 0;
  for (let k = 1; k < fpr.length; k++) area += ((fpr[k]! - fpr[k - 1]!) * (tpr[k]! + tpr[k - 1]!)) / 2;
  const auc = c.auc ?? area;
  if (typeof auc !== 'number' || !(auc >= 0 && auc <= 1)) {
    throw new InvalidArgumentError(`${owner}: curves[${i}].auc must be a number in [0, 1]; received ${describe(auc)}.`);
  }
  if (c.ci !== undefined && !(c.ci.lower <= c.ci.upper && Number.isFinite(c.ci.lower) && Number.isFinite(c.ci.upper))) {
    throw new InvalidArgumentError(
      `${owner}: curves[${i}].ci must have finite lower <= upper; received ${describe(c.ci?.lower)} to ${describe(c.ci?.upper)}.`,
    );
  }
  let band: Curve['band'];
  if (c.band !== undefined) {
    const b = {
      fpr: vector(owner, `curves[${i}].band.fpr`, c.band.fpr),
      lower: vector(owner, `curves[${i}].band.lower`, c.band.lower),
      upper: vector(owner, `curves[${i}].band.upper`, c.band.upper),
    };
    if (b.lower.length !== b.fpr.length || b.upper.length !== b.fpr.length) {
      throw new ShapeError(
        `${owner}: curves[${i}].band has ${b.fpr.length} fpr, ${b.lower.length} lower and ${b.upper.length} upper values; ` +
          'they must match (pass rocBand output).',
      );
    }
    checkRates(owner, `curves[${i}].band.fpr`, b.fpr);
    band = b;
  }
  return { fpr, tpr, label: label(owner, `curves[${i}].label`, c.label, `curve ${i + 1}`), auc, ci: c.ci, band };
}

/**
 * One or more ROC curves in an SVG string: true against false positive rate on a square plot,
 * the chance diagonal, an optional shaded confidence band per curve, and a legend giving each
 * curve's AUC (with its confidence interval when given).
 *
 * @remarks
 * Since 0.1.0. Lines use the Okabe-Ito colours (distinct under colour-vision deficiencies),
 * then dashes. The band is whatever the caller passes; {@link rocBand} makes a pointwise
 * bootstrap band. A DeLong interval ({@link delongCi}) bounds the AUC, not the curve, so it
 * goes in the legend (`ci`) and is never drawn as a band. Curves carry `class="roc-curve"`
 * and `data-series`; the same input gives the same string.
 *
 * @param curves - the curves, drawn in order (the first on the bottom).
 * @param options - see {@link RocCurveSvgOptions}.
 * @returns an `<svg>` element as a string.
 * @throws {@link InvalidArgumentError} for no curves, rates outside [0, 1] or decreasing, an
 *   AUC outside [0, 1] ({@link NonFiniteError} for NaN rates, e.g. from `onUndefined: 'nan'`).
 * @throws {@link ShapeError} when `fpr` and `tpr` (or a band's arrays) differ in length.
 * @example
 * ```ts
 * import { delongCi, rocCurve, rocCurveSvg } from 'dvme';
 * const yTrue = [0, 0, 1, 1, 0, 1];
 * const yScore = [0.1, 0.4, 0.35, 0.8, 0.2, 0.7];
 * const svg = rocCurveSvg([{ ...rocCurve(yTrue, yScore), label: 'probe', ci: delongCi(yTrue, yScore) }]);
 * ```
 */
export function rocCurveSvg(curves: readonly RocCurveSeries[], options: RocCurveSvgOptions = {}): string {
  const owner = 'rocCurveSvg';
  if (!Array.isArray(curves) || curves.length === 0) {
    throw new InvalidArgumentError(
      `${owner}: curves must be a non-empty array of { fpr, tpr, label? }; received ${describe(curves)}. ` +
        'Wrap one curve in an array: rocCurveSvg([rocCurve(yTrue, yScore)]).',
    );
  }
  const checked = curves.map((c, i) => checkCurve(owner, c, i));
  const title = label(owner, 'title', options.title, 'ROC curve');
  const digits = options.digits ?? 3;
  if (!Number.isInteger(digits) || digits < 0 || digits > 6) {
    throw new InvalidArgumentError(`${owner}: digits must be an integer from 0 to 6; received ${describe(digits)}.`);
  }
  const entries = [
    ...checked.map((c, i) => ({ text: legendText(c, digits), ...lineStyle(i) })),
    { text: 'chance (AUC 0.5)', color: '#888888', dash: '4 4' },
  ];
  const requested = size(owner, 'width', options.width, 440, 160);
  const side = requested - MARGIN.left - MARGIN.right;
  // A long legend widens the SVG rather than being clipped; the plot keeps the requested size.
  const width = Math.max(requested, MARGIN.left + legendWidth(entries) + 12);
  const area: PlotArea = { left: MARGIN.left, top: MARGIN.top, width: side, height: side };
  const ticks = niceTicks(0, 1, 5);
  const scales = scalesFor(area, ticks, ticks);
  const body: string[] = [txt('text', { x: 12, y: 22, 'font-size': 15, 'font-weight': 'bold', fill: '#333333', class: 'heading' }, title)];
  body.push(...axes(area, ticks, ticks, scales, { xLabel: 'false positive rate (1 - specificity)', yLabel: 'true positive rate (sensitivity)' }));
  checked.forEach((c, i) => {
    if (c.band === undefined) return;
    const up = Array.from(c.band.fpr, (f, k) => [scales.x(f), scales.y(c.band!.upper[k]!)] as const);
    const down = Array.from(c.band.fpr, (f, k) => [scales.x(f), scales.y(c.band!.lower[k]!)] as const).reverse();
    body.push(
      el('path', { d: `${pathData([...up, ...down])} Z`, fill: lineStyle(i).color, 'fill-opacity': 0.16, stroke: 'none', class: 'band', 'data-series': i }),
    );
  });
  body.push(
    el('path', {
      d: pathData([[scales.x(0), scales.y(0)], [scales.x(1), scales.y(1)]]),
      stroke: '#888888',
      'stroke-dasharray': '4 4',
      fill: 'none',
      class: 'chance',
    }),
  );
  checked.forEach((c, i) => {
    const { color, dash } = lineStyle(i);
    const points = Array.from(c.fpr, (f, k) => [scales.x(f), scales.y(c.tpr[k]!)] as const);
    body.push(
      el('path', {
        d: pathData(points),
        stroke: color,
        'stroke-width': 2,
        'stroke-dasharray': dash,
        'stroke-linejoin': 'round',
        fill: 'none',
        class: 'roc-curve',
        'data-series': i,
        'data-label': c.label,
      }),
    );
  });
  const legendTop = area.top + area.height + 54;
  body.push(legend(entries, area.left, legendTop));
  const banded = checked.some((c) => c.band !== undefined);
  const desc =
    `ROC curves (true against false positive rate) with the chance diagonal: ${checked.map((c) => legendText(c, digits)).join('; ')}.` +
    (banded ? ' Shaded: pointwise confidence band of the true positive rate.' : '');
  return svgDocument({ kind: 'dvme-roc', width, height: legendTop + legendHeight(entries) + 8, title, desc }, body);
}

function legendText(c: Curve, digits: number): string {
  const ci = c.ci === undefined ? '' : `, ${Math.round((1 - (c.ci.alpha ?? 0.05)) * 1000) / 10}% CI ${c.ci.lower.toFixed(digits)}-${c.ci.upper.toFixed(digits)}`;
  return `${c.label}: AUC ${c.auc.toFixed(digits)}${ci}`;
}

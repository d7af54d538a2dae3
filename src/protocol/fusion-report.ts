import type { FusionEvaluationResult } from './fusion-evaluation.js';
import type { LinearEvaluationCell } from './linear-evaluation.js';
import { mean, sampleStd } from './summary.js';

/**
 * Options of {@link formatFusionMarkdown}.
 *
 * @remarks Since 0.1.0.
 * @example
 * ```ts
 * import type { FormatFusionMarkdownOptions } from 'dvme';
 * const o: FormatFusionMarkdownOptions = { digits: 3, title: 'RetinaMNIST' };
 * ```
 */
export interface FormatFusionMarkdownOptions {
  /**
   * Decimals of every value.
   * @defaultValue `4`
   */
  digits?: number;
  /**
   * A heading printed above the tables.
   * @defaultValue none
   */
  title?: string;
  /**
   * Which single sources the fusion models are compared with: `'fused'`, the best of the
   * sources they combine (the paper's "best single backbone"), or `'all'`, the best of every
   * single source evaluated (such as a raw-pixel baseline left out of the fusion).
   * @defaultValue `'fused'`
   */
  against?: 'fused' | 'all';
}

/**
 * The best single source of one size: the highest mean (every reported metric is higher-is-better).
 *
 * @remarks Since 0.1.0.
 * @param among - the candidate sources. @defaultValue the fused sources
 * @example
 * ```ts
 * import { bestSingleSource, type FusionEvaluationResult } from 'dvme';
 * declare const result: FusionEvaluationResult;
 * bestSingleSource(result, 'S'); // e.g. 'dino'
 * ```
 */
export function bestSingleSource(
  result: FusionEvaluationResult,
  sizeName: string,
  among: readonly string[] = result.fusionSources,
): string {
  let best = among[0];
  for (const s of among) {
    const m = result.single.results[s][sizeName].mean;
    if (m > result.single.results[best][sizeName].mean || Number.isNaN(result.single.results[best][sizeName].mean)) best = s;
  }
  return best;
}

/**
 * Paired difference of a fusion model and a single source at one size: per repeat (same draw,
 * same seed) `fusion - single`, then mean ± sample std over repeats.
 *
 * @remarks Since 0.1.0.
 * @example
 * ```ts
 * import { pairedDifference, type FusionEvaluationResult } from 'dvme';
 * declare const result: FusionEvaluationResult;
 * pairedDifference(result, 'dvme', 'dino', 'S').mean; // e.g. 0.05
 * ```
 */
export function pairedDifference(
  result: FusionEvaluationResult,
  model: string,
  source: string,
  sizeName: string,
): { mean: number; std: number; values: number[] } {
  const f = result.fusion[model][sizeName].runs;
  const s = result.single.results[source][sizeName].runs;
  const values = f.map((run, i) => run.value - s[i].value);
  return { mean: mean(values), std: sampleStd(values), values };
}

/**
 * Paired difference of a fusion model and the single source a user would have picked without
 * the test set: in every repeat, the source with the highest validation score of that run
 * (`validationValue`, ties to the earlier source), then `fusion - single` per repeat and
 * mean ± sample std. The honest counterpart of comparing with {@link bestSingleSource}, which
 * picks by the test means (an oracle).
 *
 * @remarks Since 0.1.0. Needs validation rows in the runs (`validation`, or
 * `validationFraction`); without them every difference is `NaN`.
 * @example
 * ```ts
 * import { validatedDifference, type FusionEvaluationResult } from 'dvme';
 * declare const result: FusionEvaluationResult;
 * const d = validatedDifference(result, 'robust', 'S');
 * d.sources; // the source picked in each repeat, e.g. ['dino', 'dino', 'swav']
 * ```
 */
export function validatedDifference(
  result: FusionEvaluationResult,
  model: string,
  sizeName: string,
  among: readonly string[] = result.fusionSources,
): { mean: number; std: number; values: number[]; sources: string[] } {
  const f = result.fusion[model][sizeName].runs;
  const sources: string[] = [];
  const values = f.map((run, i) => {
    let pick: string | undefined;
    let best = Number.NaN;
    for (const s of among) {
      const v = result.single.results[s][sizeName].runs[i].validationValue ?? Number.NaN;
      if (pick === undefined || (!Number.isNaN(v) && (Number.isNaN(best) || v > best))) {
        pick = s;
        best = v;
      }
    }
    sources.push(pick as string);
    return Number.isNaN(best) ? Number.NaN : run.value - result.single.results[pick as string][sizeName].runs[i].value;
  });
  return { mean: mean(values), std: sampleStd(values), values, sources };
}

/**
 * A fusion evaluation as Markdown in the layout of the paper's Table 4: one row per size, the
 * best single source (named) beside every fusion model with mean ± std and its paired
 * difference from that source; then every single source, and the mean wall time per run.
 *
 * @remarks Since 0.1.0. The difference is the mean ± std of the per-repeat differences (the
 * runs are paired: same draw, same seed), not the difference of the means' stds.
 * @example
 * ```ts
 * import { formatFusionMarkdown, type FusionEvaluationResult } from 'dvme';
 * declare const result: FusionEvaluationResult;
 * console.log(formatFusionMarkdown(result, { title: 'RetinaMNIST, quadratic kappa' }));
 * ```
 */
export function formatFusionMarkdown(result: FusionEvaluationResult, options: FormatFusionMarkdownOptions = {}): string {
  const digits = options.digits ?? 4;
  const against = options.against ?? 'fused';
  const num = (v: number): string => (Number.isFinite(v) ? v.toFixed(digits) : 'n/a');
  const signed = (v: number): string => (Number.isFinite(v) ? (v >= 0 ? '+' : '') + v.toFixed(digits) : 'n/a');
  const cell = (c: LinearEvaluationCell): string => `${num(c.mean)} ± ${num(c.std)}`;
  const sizeLabel = (name: string, size: number | 'all'): string => {
    const runs = result.single.results[result.single.sources[0]][name].runs;
    return size === 'all' ? `${name} (all: ${runs[0]?.trainSize ?? '?'})` : `${name} (${size})`;
  };
  const row = (cells: string[]): string => `| ${cells.join(' | ')} |`;
  const lines: string[] = [];
  if (options.title) lines.push(`## ${options.title}`, '');
  lines.push(
    `Metric: ${result.metric}, test set; mean ± sample std over ${result.repeats} paired repeats ` +
      `(every model of one size and repeat trains on the same draw with the same seed). ` +
      `Δ: mean ± std of the per-repeat difference from the best ${against === 'all' ? 'single source' : 'fused source on its own'}. ` +
      `Fusion sources: ${result.fusionSources.join(', ')}.`,
    '',
    row(['size', against === 'all' ? 'best single source' : 'best fused source alone', ...result.models.map((m) => `${m} (Δ)`)]),
    row(Array(2 + result.models.length).fill('---')),
  );
  for (const { name, size } of result.sizes) {
    const best = bestSingleSource(result, name, against === 'all' ? result.single.sources : result.fusionSources);
    const cells = result.models.map((m) => {
      const d = pairedDifference(result, m, best, name);
      return `${cell(result.fusion[m][name])} (${signed(d.mean)} ± ${num(d.std)})`;
    });
    lines.push(row([sizeLabel(name, size), `${best}: ${cell(result.single.results[best][name])}`, ...cells]));
  }
  lines.push('', 'Single sources:', '', row(['size', ...result.single.sources]), row(Array(1 + result.single.sources.length).fill('---')));
  for (const { name, size } of result.sizes) {
    lines.push(row([sizeLabel(name, size), ...result.single.sources.map((s) => cell(result.single.results[s][name]))]));
  }
  const secs = (c: LinearEvaluationCell): string => (mean(c.runs.map((r) => r.wallMs)) / 1000).toFixed(1);
  const columns = [...result.single.sources, ...result.models];
  lines.push('', 'Mean wall time per run (s), fit + test scoring:', '', row(['size', ...columns]), row(Array(1 + columns.length).fill('---')));
  for (const { name } of result.sizes) {
    lines.push(
      row([
        name,
        ...result.single.sources.map((s) => secs(result.single.results[s][name])),
        ...result.models.map((m) => secs(result.fusion[m][name])),
      ]),
    );
  }
  lines.push('', `Total wall time: ${(result.wallMs / 1000).toFixed(1)} s.`);
  return lines.join('\n') + '\n';
}

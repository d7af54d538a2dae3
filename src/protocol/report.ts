import { InvalidArgumentError } from '../errors/index.js';
import { describe } from '../validation/describe.js';
import type { EvaluationMetric } from './evaluation-options.js';
import type { FinetuneEvaluationResult, PairedDifference } from './finetune-evaluation.js';
import type { LinearEvaluationCell, LinearEvaluationResult } from './linear-evaluation.js';
import { mean } from './summary.js';

/**
 * Options of {@link formatMarkdown}.
 *
 * @remarks Since 0.1.0.
 * @example
 * ```ts
 * import type { FormatMarkdownOptions } from 'dvme';
 * const o: FormatMarkdownOptions = { digits: 3, note: false };
 * ```
 */
export interface FormatMarkdownOptions {
  /**
   * Decimals of means and standard deviations.
   * @defaultValue `4` (the paper's)
   */
  readonly digits?: number;
  /**
   * Add a line under the table saying what the numbers are (metric, std, runs, solver, seed).
   * @defaultValue `true`
   */
  readonly note?: boolean;
}

/**
 * Options of {@link toCsv}.
 *
 * @remarks Since 0.1.0.
 * @example
 * ```ts
 * import type { ToCsvOptions } from 'dvme';
 * const perRun: ToCsvOptions = { runs: true };
 * ```
 */
export interface ToCsvOptions {
  /**
   * One line per run (seed, value, sizes, time) instead of one per source and size.
   * @defaultValue `false`
   */
  readonly runs?: boolean;
}

const METRIC_NAMES: Readonly<Record<EvaluationMetric, string>> = {
  quadraticKappa: 'quadratic weighted kappa',
  kappa: "Cohen's kappa",
  auc: 'ROC AUC',
  accuracy: 'accuracy',
};

function checkResult(result: LinearEvaluationResult): void {
  if (typeof result !== 'object' || result === null || result.kind !== 'dvme.linear-evaluation') {
    throw new InvalidArgumentError(`Expected what runLinearEvaluation returns (kind 'dvme.linear-evaluation'); received ${describe(result)}.`);
  }
}

/** Rows a size drew: the requested count, or for `'all'` the count its first run saw. */
function sizeLabel(result: LinearEvaluationResult, name: string, size: number | 'all'): string {
  const first = result.results[result.sources[0]]?.[name]?.runs[0];
  const drawn = first ? first.trainSize + (result.validation === 'split' ? first.validationSize : 0) : undefined;
  const value = size === 'all' ? `all${drawn === undefined ? '' : `: ${drawn}`}` : String(size);
  return name === String(size) ? value : `${name} (${value})`;
}

function cellText(cell: LinearEvaluationCell | undefined, digits: number): string {
  if (!cell) return '';
  const m = Number.isNaN(cell.mean) ? 'NaN' : cell.mean.toFixed(digits);
  return Number.isNaN(cell.std) ? m : `${m} ± ${cell.std.toFixed(digits)}`;
}

const escapeCell = (s: string): string => s.replace(/\|/g, '\\|');

/** Whether a result is what runFinetuneEvaluation returns (it carries the fine-tuner's settings). */
function isFinetune(result: LinearEvaluationResult): result is FinetuneEvaluationResult {
  return (result as Partial<FinetuneEvaluationResult>).training === 'finetune';
}

/** The paired differences of a finetuning evaluation with its probe; `undefined` otherwise. */
function finetuneDifferences(result: LinearEvaluationResult): Readonly<Record<string, PairedDifference>> | undefined {
  return isFinetune(result) && result.sources.includes('probe') && result.sources.includes('finetune') ? result.differences : undefined;
}

function differenceText(d: PairedDifference | undefined, digits: number): string {
  if (!d || d.mean === null || Number.isNaN(d.mean)) return 'NaN';
  const m = `${d.mean >= 0 ? '+' : ''}${d.mean.toFixed(digits)}`;
  return d.std === null || Number.isNaN(d.std) ? m : `${m} ± ${d.std.toFixed(digits)}`;
}

/** What a finetuning evaluation ran, and its wall times. */
function finetuneNote(result: FinetuneEvaluationResult): string {
  const secs = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
  const perRun = result.sources.map((m) => {
    const all = result.sizes.flatMap(({ name }) => result.results[m]?.[name]?.runs.map((r) => r.wallMs) ?? []);
    return `${m} ${secs(mean(all))}`;
  });
  const settings = Object.entries(result.finetuneOptions ?? {}).map(([k, v]) => `${k} ${JSON.stringify(v)}`);
  return (
    `Backbone ${result.backbone} on the tfjs ${result.backend} backend. ` +
    (result.sources.includes('probe') ? `probe: a linear probe (the solver above) on the frozen backbone's embeddings, computed once in ${secs(result.embedMs)}; ` : '') +
    `finetune: FineTuner (${settings.join(', ')}) on a copy of the backbone per run, seeded with each run's seed. ` +
    (result.sources.includes('probe') ? 'finetune − probe: mean ± sample std of the per-repeat difference (same draw, same seed). ' : '') +
    `Mean wall time per run (fit + test scoring): ${perRun.join(', ')}; total ${secs(result.wallMs)}.`
  );
}

/**
 * A linear evaluation as a Markdown table laid out like the paper's: one row per size, one
 * column per source, cells `mean ± std`, and a note saying what they are.
 *
 * @remarks Since 0.1.0. A cell of one run shows the mean alone (its std is undefined).
 * @example
 * ```ts
 * import { formatMarkdown, runLinearEvaluation } from 'dvme';
 * declare const result: Awaited<ReturnType<typeof runLinearEvaluation>>;
 * console.log(formatMarkdown(result));
 * // | size | dino | swav |
 * // | --- | ---: | ---: |
 * // | S (50) | 0.6003 ± 0.0211 | 0.6330 ± 0.0180 |
 * ```
 */
export function formatMarkdown(result: LinearEvaluationResult, options: FormatMarkdownOptions = {}): string {
  checkResult(result);
  const digits = options.digits ?? 4;
  if (!Number.isInteger(digits) || digits < 0 || digits > 17) {
    throw new InvalidArgumentError(`digits must be an integer in [0, 17]; received ${describe(digits)}.`);
  }
  const paired = finetuneDifferences(result);
  const lines = [
    `| size | ${result.sources.map(escapeCell).join(' | ')} |${paired ? ' finetune − probe |' : ''}`,
    `| --- |${result.sources.map(() => ' ---: |').join('')}${paired ? ' ---: |' : ''}`,
    ...result.sizes.map(
      ({ name, size }) =>
        `| ${escapeCell(sizeLabel(result, name, size))} | ${result.sources.map((s) => cellText(result.results[s]?.[name], digits)).join(' | ')} |` +
        (paired ? ` ${differenceText(paired[name], digits)} |` : ''),
    ),
  ];
  if (options.note ?? true) {
    const validation = { given: 'the given validation set', drawn: 'a class-balanced draw from the given validation set per run', split: 'held out of each draw', none: 'none' }[result.validation];
    const extra = Object.entries(result.probeOptions ?? {}).map(([k, v]) => `${k} ${JSON.stringify(v)}`);
    lines.push(
      '',
      `Test-set ${METRIC_NAMES[result.metric]}, mean ± sample std (n - 1) over ${result.repeats} run${result.repeats === 1 ? '' : 's'}; ` +
        `${result.balanced ? 'class-balanced' : 'stratified'} draws; solver '${result.solver}'` +
        `${extra.length > 0 ? ` (${extra.join(', ')})` : ''}; validation: ${validation}; seed ${result.seed}.`,
    );
    if (isFinetune(result)) lines.push('', finetuneNote(result));
  }
  return `${lines.join('\n')}\n`;
}

function csvField(v: string | number): string {
  const s = String(v);
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/**
 * A linear evaluation as CSV (RFC 4180, `\n` line ends, a header line): one line per source
 * and size with mean and std, or with `runs: true` one line per run. Numbers are written in
 * full precision; undefined values as `NaN`.
 *
 * @remarks Since 0.1.0.
 * @example
 * ```ts
 * import { toCsv, runLinearEvaluation } from 'dvme';
 * declare const result: Awaited<ReturnType<typeof runLinearEvaluation>>;
 * toCsv(result).split('\n')[0]; // 'size,size_value,source,metric,mean,std,runs'
 * ```
 */
export function toCsv(result: LinearEvaluationResult, options: ToCsvOptions = {}): string {
  checkResult(result);
  const lines: (string | number)[][] = [];
  if (options.runs) {
    lines.push(['size', 'size_value', 'source', 'metric', 'repeat', 'seed', 'value', 'train_size', 'validation_size', 'wall_ms']);
  } else lines.push(['size', 'size_value', 'source', 'metric', 'mean', 'std', 'runs']);
  for (const { name, size } of result.sizes) {
    for (const source of result.sources) {
      const cell = result.results[source]?.[name];
      if (!cell) continue;
      if (!options.runs) {
        lines.push([name, size, source, result.metric, cell.mean, cell.std, cell.runs.length]);
        continue;
      }
      cell.runs.forEach((r, i) =>
        lines.push([name, size, source, result.metric, i + 1, r.seed, r.value, r.trainSize, r.validationSize, Math.round(r.wallMs)]),
      );
    }
  }
  return `${lines.map((l) => l.map(csvField).join(',')).join('\n')}\n`;
}

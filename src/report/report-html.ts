import { InvalidArgumentError } from '../errors/index.js';
import { describe } from '../validation/describe.js';
import { CSS, esc, section } from './html.js';
import { sizeChartsHtml } from './report-charts.js';
import { fusionOf, metricName, reportModels, singleOf } from './report-model.js';
import { metadataHtml, singleTableHtml, table4Html } from './report-tables.js';
import type { ResultsDocument } from './results-document.js';

/**
 * Options of {@link reportHtml}.
 *
 * @remarks Since 0.1.0.
 * @example
 * ```ts
 * import type { ReportHtmlOptions } from 'dvme';
 * const options: ReportHtmlOptions = { title: 'RetinaMNIST fusion', nBoot: 200 };
 * ```
 */
export interface ReportHtmlOptions {
  /**
   * The page's title and heading.
   * @defaultValue `'<dataset>: fusion evaluation'` (or linear evaluation)
   */
  title?: string;
  /**
   * Bootstrap resamples of each ROC band; `0` draws no bands (faster on large test sets).
   * @defaultValue `500`
   */
  nBoot?: number;
  /**
   * Seed of the bands' resampling.
   * @defaultValue `0`
   */
  seed?: number;
}

/**
 * A results file as one self-contained HTML page: inline CSS and inline SVG only (no script,
 * no font, no image or style sheet from anywhere), so it opens offline and can be mailed or
 * archived as it is. Sections: the paper's Table 4 (fusion models beside the best single
 * source, with paired differences), every single source, then per size: ROC curves per
 * source and per fusion model (DeLong interval of each AUC, bootstrap band), confusion
 * matrices (counts and normalised), per-class metrics, learning curves with the kept epoch
 * marked, DVME attention maps; finally the run's metadata (data, sources and weight hashes,
 * protocol, every run's seed, software, wall times).
 *
 * @remarks
 * Since 0.1.0. Pure: no I/O, deterministic for the same document and options. Curves and
 * matrices need the runs' `details` (an evaluation run with `details: true`, as `dvme fuse`
 * does); without them those sections say so. A chart that cannot be drawn (e.g. one class in
 * the test set) is replaced by a note, so one bad run never loses the report.
 *
 * @param doc - a {@link ResultsDocument} (see {@link parseResultsDocument}).
 * @returns the HTML text, starting with `<!doctype html>`.
 * @throws {@link InvalidArgumentError} for a document that is not one, or a bad option.
 * @example
 * ```ts
 * import { parseResultsDocument, reportHtml } from 'dvme';
 * declare const text: string; // a results.json
 * const html = reportHtml(parseResultsDocument(text), { nBoot: 200 });
 * ```
 */
export function reportHtml(doc: ResultsDocument, options: ReportHtmlOptions = {}): string {
  if (doc?.kind !== 'dvme.results') {
    throw new InvalidArgumentError(`reportHtml needs a ResultsDocument (kind 'dvme.results'); received kind ${describe(doc?.kind)}. Use parseResultsDocument.`);
  }
  const nBoot = options.nBoot ?? 500;
  if (!Number.isInteger(nBoot) || nBoot < 0) throw new InvalidArgumentError(`nBoot must be an integer >= 0; received ${describe(nBoot)}.`);
  const settings = { nBoot, seed: options.seed ?? 0 };
  const single = singleOf(doc);
  const fusion = fusionOf(doc);
  const dataset = doc.run.data.title ?? (doc.run.data.name || 'dvme');
  const finetune = doc.training === 'finetune';
  const title = options.title ?? `${dataset}: ${finetune ? 'fine-tuning' : fusion ? 'fusion' : 'linear'} evaluation`;
  const models = reportModels(doc);
  const subtitle =
    `${metricName(single.metric)} on the test set · ${single.sizes.map((z) => z.name).join(' / ')} · ${single.repeats} repeats · ` +
    `${models.length} models${doc.run.createdAt ? ` · ${doc.run.createdAt}` : ''}`;
  const sizes = single.sizes.map(
    ({ name, size }) =>
      `<details class="size" id="size-${esc(name)}" open><summary>Size ${esc(name)} (${size === 'all' ? 'all training rows' : `${size} training rows`})</summary>\n` +
      `${sizeChartsHtml(doc, models, name, settings)}\n</details>`,
  );
  const nav = [
    ['table4', fusion ? 'Table 4' : 'Results'],
    ['single', finetune ? 'Fine-tuned backbone' : 'Single sources'],
    ['charts', 'Charts by size'],
    ['metadata', 'Run metadata'],
  ]
    .map(([id, text]) => `<a href="#${id}">${text}</a>`)
    .join('');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="dvme ${esc(doc.run.dvmeVersion)}">
<title>${esc(title)}</title>
<style>${CSS}</style>
</head>
<body>
<header><h1>${esc(title)}</h1><p>${esc(subtitle)}</p></header>
<nav>${nav}</nav>
<main>
${section('table4', fusion ? 'Fusion models against the best single source (paper Table 4 layout)' : 'Results', table4Html(doc))}
${section('single', finetune ? 'Fine-tuned backbone' : 'Single sources (linear probes)', singleTableHtml(doc))}
${section('charts', 'Charts by size', sizes.join('\n'))}
${section('metadata', 'Run metadata', metadataHtml(doc))}
</main>
</body>
</html>
`;
}

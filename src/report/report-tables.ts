import { bestSingleSource, pairedDifference } from '../protocol/fusion-report.js';
import { mean } from '../protocol/summary.js';
import { esc, fixed, meanStd, table } from './html.js';
import { fusionOf, metricName, reportModels, singleOf } from './report-model.js';
import type { ResultsDocument } from './results-document.js';

function sizeLabel(doc: ResultsDocument, name: string, size: number | 'all'): string {
  const single = singleOf(doc);
  const n = single.results[single.sources[0]]?.[name]?.runs[0]?.trainSize;
  if (size === 'all') return `${esc(name)} (all: ${n ?? '?'})`;
  return name === String(size) ? esc(name) : `${esc(name)} (${size})`;
}

/**
 * @internal The paper's Table 4: one row per size; the best fused source on its own, then every
 * fusion model with its paired difference from that source; the best value of a row in bold.
 */
export function table4Html(doc: ResultsDocument): string {
  const fusion = fusionOf(doc);
  if (!fusion) return '<p class="note">A linear evaluation: no fusion models, see the single sources below.</p>';
  const rows = fusion.sizes.map(({ name, size }) => {
    const best = bestSingleSource(fusion, name);
    const values = [fusion.single.results[best][name].mean, ...fusion.models.map((m) => fusion.fusion[m][name].mean)];
    const top = Math.max(...values.filter(Number.isFinite));
    const mark = (v: number, html: string) => (v === top ? `<span class="best">${html}</span>` : html);
    const bestCell = fusion.single.results[best][name];
    return [
      sizeLabel(doc, name, size),
      `${esc(best)}: ${mark(bestCell.mean, meanStd(bestCell.mean, bestCell.std))}`,
      ...fusion.models.map((m) => {
        const c = fusion.fusion[m][name];
        const d = pairedDifference(fusion, m, best, name);
        const sign = Number.isFinite(d.mean) && d.mean >= 0 ? '+' : '';
        return `${mark(c.mean, meanStd(c.mean, c.std))}<br><span class="delta">Δ ${sign}${fixed(d.mean)} ± ${fixed(d.std)}</span>`;
      }),
    ];
  });
  return (
    `<p class="note">Test-set ${esc(metricName(fusion.metric))}, mean ± sample std over ${fusion.repeats} paired repeats ` +
    '(every model of one size and repeat trains on the same draw with the same seed). Δ: mean ± std of the per-repeat ' +
    `difference from the best fused source on its own. Fusion sources: ${esc(fusion.fusionSources.join(', '))}. Bold: the best of the row.</p>` +
    table(['size', 'best fused source alone', ...fusion.models.map(esc)], rows, 'numbers table4')
  );
}

/** @internal Every single source, one row per size. */
export function singleTableHtml(doc: ResultsDocument): string {
  const single = singleOf(doc);
  const rows = single.sizes.map(({ name, size }) => {
    const values = single.sources.map((s) => single.results[s][name].mean);
    const top = Math.max(...values.filter(Number.isFinite));
    return [
      sizeLabel(doc, name, size),
      ...single.sources.map((s) => {
        const c = single.results[s][name];
        const html = meanStd(c.mean, c.std);
        return c.mean === top ? `<span class="best">${html}</span>` : html;
      }),
    ];
  });
  return (
    (doc.training === 'finetune'
      ? `<p class="note">Backbone and linear head fine-tuned end to end (FineTuner), test-set ${esc(metricName(single.metric))}, ` +
        `one run (no std).</p>`
      : `<p class="note">Linear probes (solver ${esc(single.solver)}), test-set ${esc(metricName(single.metric))}, ` +
        `mean ± sample std over ${single.repeats} repeats.</p>`) +
    table(['size', ...single.sources.map(esc)], rows, 'numbers')
  );
}

/** @internal Mean wall time per run of every model and size. */
export function wallTableHtml(doc: ResultsDocument): string {
  const models = reportModels(doc);
  const sizes = singleOf(doc).sizes;
  const rows = sizes.map(({ name }) => [esc(name), ...models.map((m) => fixed(mean(m.cells[name].runs.map((r) => r.wallMs)) / 1000, 2))]);
  return table(['size', ...models.map((m) => esc(m.name))], rows, 'numbers');
}

/** @internal Every run: size, repeat, seed, rows, and each model's score. */
export function runsTableHtml(doc: ResultsDocument): string {
  const single = singleOf(doc);
  const models = reportModels(doc);
  const rows: string[][] = [];
  for (const { name } of single.sizes) {
    const first = single.results[single.sources[0]][name].runs;
    first.forEach((run, i) => {
      rows.push([
        esc(name),
        String(i + 1),
        String(run.seed),
        String(run.trainSize),
        String(run.validationSize),
        ...models.map((m) => fixed(m.cells[name].runs[i]?.value)),
      ]);
    });
  }
  return table(['size', 'repeat', 'seed', 'train rows', 'validation rows', ...models.map((m) => esc(m.name))], rows, 'numbers');
}

/** @internal Key-value rows of the run's metadata and the protocol's settings. */
export function metadataHtml(doc: ResultsDocument): string {
  const { run } = doc;
  const single = singleOf(doc);
  const fusion = fusionOf(doc);
  const kv = (rows: [string, string | undefined][]) =>
    table(['', ''], rows.filter(([, v]) => v !== undefined && v !== '').map(([k, v]) => [esc(k), v as string]), 'meta');
  const rowsText = Object.entries(run.data.rows).map(([k, v]) => `${k} ${v}`).join(', ');
  const data = kv([
    ['dataset', esc(run.data.title ?? run.data.name)],
    ['file', run.data.path ? `<code>${esc(run.data.path)}</code>` : undefined],
    ['rows', esc(rowsText)],
    ['licence', run.data.license ? esc(run.data.license) : undefined],
    ['citation', run.data.citation ? esc(run.data.citation) : undefined],
  ]);
  const sources = table(
    ['source', 'kind', 'model / embeddings', 'dim', 'weights SHA-256'],
    run.sources.map((s) => [
      esc(s.name),
      esc(s.kind),
      s.model ? `<code>${esc(s.model)}</code>` : '',
      s.dim !== undefined ? String(s.dim) : '',
      s.weightsSha256 ? `<code>${esc(s.weightsSha256)}</code>` : '',
    ]),
  );
  const protocol = kv([
    ['task', esc(single.task)],
    ['metric', esc(metricName(single.metric))],
    ['sizes', esc(single.sizes.map((z) => `${z.name}=${z.size}`).join(', '))],
    ['repeats', String(single.repeats)],
    ['base seed', String(single.seed)],
    ['class-balanced draws', String(single.balanced)],
    ['validation', esc(single.validation)],
    doc.training === 'finetune' ? ['training', 'fine-tuned end to end (FineTuner)'] : ['probe solver', esc(single.solver)],
    [doc.training === 'finetune' ? 'fine-tuning options' : 'probe options', `<code>${esc(JSON.stringify(single.probeOptions))}</code>`],
    ['fusion sources', fusion ? esc(fusion.fusionSources.join(', ')) : undefined],
    ['fusion training', fusion ? `<code>${esc(JSON.stringify(fusion.training))}</code>` : undefined],
    ['fusion inputs standardised', fusion ? String(fusion.standardize) : undefined],
  ]);
  const walls = Object.entries(run.wallMs).map(([k, v]) => `${k} ${fixed(v / 1000, 1)} s`).join(', ');
  const software = kv([
    ['dvme', esc(run.dvmeVersion)],
    ['tfjs backend', run.backend ? esc(run.backend) : undefined],
    ['runtime', run.runtime ? esc(run.runtime) : undefined],
    ['created', esc(run.createdAt)],
    ['command', run.command ? `<code>${esc(run.command)}</code>` : undefined],
    ['wall times', walls ? esc(walls) : undefined],
    ['evaluation wall time', `${fixed(doc.evaluation.wallMs / 1000, 1)} s`],
  ]);
  const notes = (run.notes ?? []).map((n) => `<p class="note">${esc(n)}</p>`).join('\n');
  return (
    `<h3>Data</h3>${data}<h3>Sources</h3>${sources}<h3>Protocol</h3>${protocol}<h3>Software and time</h3>${software}${notes}` +
    `<h3>Every run</h3><p class="note">Seeds derive from the base seed, the size and the repeat only; every model of one row trained on the same draw.</p>${runsTableHtml(doc)}` +
    `<h3>Mean wall time per run (s), fit + test scoring</h3>${wallTableHtml(doc)}`
  );
}

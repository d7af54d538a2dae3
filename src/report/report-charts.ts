import { attentionMapSvg } from '../charts/attention-map-svg.js';
import { confusionMatrixSvg } from '../charts/confusion-matrix-svg.js';
import { learningCurveSvg } from '../charts/learning-curve-svg.js';
import { rocBand } from '../charts/roc-band.js';
import { rocCurveSvg, type RocCurveSeries } from '../charts/roc-curve-svg.js';
import { confusionMatrix, delongCi, rocCurve } from '../metrics/index.js';
import type { LinearEvaluationRun } from '../protocol/linear-evaluation.js';
import { esc, figure, fixed, table } from './html.js';
import { perClassMetrics, type ClassMetrics } from './per-class-metrics.js';
import { classLabels, className, fusionOf, type ReportModel } from './report-model.js';
import type { ResultsDocument } from './results-document.js';

/** @internal How the charts are drawn. */
export interface ChartSettings {
  /** Bootstrap resamples of each ROC band; 0 for no bands. */
  readonly nBoot: number;
  readonly seed: number;
}

const withDetails = (runs: readonly LinearEvaluationRun[]) => runs.filter((r) => r.details !== undefined);

/** Test labels as numbers (single-label tasks only). */
function labelsOf(doc: ResultsDocument): number[] {
  return doc.test.labels as number[];
}

/** The ROC series of one run: binary, one curve; multiclass, one one-vs-rest curve per class. */
function rocSeries(doc: ResultsDocument, run: LinearEvaluationRun, settings: ChartSettings): RocCurveSeries[] {
  const y = labelsOf(doc);
  const p = run.details!.probabilities;
  const curve = (yBin: number[], score: number[], label: string): RocCurveSeries => {
    const ci = delongCi(yBin, score, { onUndefined: 'nan' });
    return {
      ...rocCurve(yBin, score),
      label,
      ...(Number.isFinite(ci.lower) ? { ci } : {}),
      ...(settings.nBoot > 0 ? { band: rocBand(yBin, score, { nBoot: settings.nBoot, seed: settings.seed }) } : {}),
    };
  };
  if (doc.evaluation.task === 'binary') return [curve(y, p as number[], 'positive class')];
  const labels = run.details!.classes ?? classLabels(doc);
  return labels.map((label, j) => curve(y.map((v) => (v === label ? 1 : 0)), (p as number[][]).map((row) => row[j]), `${className(doc, label)} vs rest`));
}

function rocFigures(doc: ResultsDocument, models: readonly ReportModel[], sizeName: string, settings: ChartSettings): string {
  const out: string[] = [];
  for (const m of models) {
    const run = withDetails(m.cells[sizeName].runs)[0];
    if (!run) continue;
    out.push(
      figure(`${m.name}, repeat 1 (seed ${run.seed}), test ${doc.evaluation.task === 'binary' ? 'AUC' : 'one-vs-rest AUCs'}`, () =>
        rocCurveSvg(rocSeries(doc, run, settings), { title: `ROC: ${m.name} (${sizeName})`, width: 380 }),
      ),
    );
  }
  return out.join('\n');
}

/** Counts summed over the repeats (every repeat scores the same test set). */
function summedConfusion(doc: ResultsDocument, runs: readonly LinearEvaluationRun[], labels: number[]): number[][] {
  const k = labels.length;
  const sum = Array.from({ length: k }, () => new Array<number>(k).fill(0));
  for (const run of runs) {
    const cm = confusionMatrix(labelsOf(doc), run.details!.predictions as number[], { labels });
    for (let i = 0; i < k; i++) for (let j = 0; j < k; j++) sum[i][j] += cm[i][j];
  }
  return sum;
}

function confusionFigures(doc: ResultsDocument, models: readonly ReportModel[], sizeName: string): string {
  const labels = classLabels(doc);
  const names = labels.map((l) => className(doc, l));
  const cellSize = labels.length > 6 ? 36 : 52;
  const out: string[] = [];
  for (const m of models) {
    const runs = withDetails(m.cells[sizeName].runs);
    if (runs.length === 0) continue;
    const cm = summedConfusion(doc, runs, labels);
    const over = `${runs.length} repeat${runs.length > 1 ? 's' : ''}`;
    out.push(
      figure(`${m.name}: counts summed over ${over}`, () => confusionMatrixSvg(cm, { labels: names, title: `${m.name} (${sizeName}), counts`, cellSize })),
      figure(`${m.name}: normalised over true labels (diagonal = recall)`, () =>
        confusionMatrixSvg(cm, { labels: names, normalize: 'true', title: `${m.name} (${sizeName}), normalised`, cellSize, showCounts: false }),
      ),
    );
  }
  return out.join('\n');
}

function perClassHtml(doc: ResultsDocument, models: readonly ReportModel[], sizeName: string): string {
  const labels = classLabels(doc);
  const rows: string[][] = [];
  for (const m of models) {
    const runs = withDetails(m.cells[sizeName].runs);
    if (runs.length === 0) continue;
    const perRun: ClassMetrics[][] = runs.map((r) =>
      perClassMetrics(labelsOf(doc), r.details!.predictions as number[], labels, r.details!.probabilities as number[] | number[][]),
    );
    labels.forEach((label, k) => {
      const avg = (key: 'precision' | 'recall' | 'f1' | 'auc') => perRun.reduce((a, r) => a + r[k][key], 0) / perRun.length;
      rows.push([
        k === 0 ? `<b>${esc(m.name)}</b>` : '',
        esc(className(doc, label)),
        fixed(avg('precision'), 3),
        fixed(avg('recall'), 3),
        fixed(avg('f1'), 3),
        fixed(avg('auc'), 3),
        String(perRun[0][k].support),
      ]);
    });
  }
  if (rows.length === 0) return '';
  return (
    '<p class="note">Mean over the repeats. Precision and F1 are 0 for a class never predicted; AUC is one-vs-rest from the class probability.</p>' +
    table(['model', 'class', 'precision', 'recall', 'F1', 'AUC', 'support'], rows, 'numbers per-class')
  );
}

function learningFigures(models: readonly ReportModel[], sizeName: string): string {
  const out: string[] = [];
  for (const m of models) {
    const run = withDetails(m.cells[sizeName].runs)[0];
    const history = run?.details?.history ?? [];
    if (!run || history.length === 0) continue;
    out.push(
      figure(`${m.name}, repeat 1 (seed ${run.seed}): train loss and validation ${history[0].monitor} per epoch; the dashed line marks the epoch kept`, () =>
        learningCurveSvg(history, { title: `Learning curve: ${m.name} (${sizeName})`, width: 460, plotHeight: 200 }),
      ),
    );
  }
  return out.length > 0 ? out.join('\n') : '';
}

function attentionFigures(doc: ResultsDocument, models: readonly ReportModel[], sizeName: string): string {
  const fusion = fusionOf(doc);
  if (!fusion) return '';
  const out: string[] = [];
  for (const m of models) {
    const maps = withDetails(m.cells[sizeName].runs)
      .map((r) => r.details!.attention)
      .filter((a) => a !== undefined);
    if (maps.length === 0) continue;
    // Feature tokens: rows sum to 1 / projectionDim; scaled so each row reads as shares.
    const scale = m.name === 'dvme' ? (fusion.training.projectionDim ?? 512) : 1;
    const s = maps[0].length;
    const avg = Array.from({ length: s }, (_, a) => Array.from({ length: s }, (_, b) => (maps.reduce((t, map) => t + map[a][b], 0) / maps.length) * scale));
    out.push(
      figure(`${m.name}: test-set attention, mean over ${maps.length} repeat(s); row = attending source, column = attended${scale !== 1 ? ` (× ${scale}: shares)` : ''}`, () =>
        attentionMapSvg(avg, { labels: fusion.fusionSources, title: `Attention: ${m.name} (${sizeName})`, domain: [0, 1] }),
      ),
    );
  }
  return out.join('\n');
}

/** @internal The charts and per-class table of one size, in sub-sections. */
export function sizeChartsHtml(doc: ResultsDocument, models: readonly ReportModel[], sizeName: string, settings: ChartSettings): string {
  const hasDetails = models.some((m) => withDetails(m.cells[sizeName].runs).length > 0);
  if (!hasDetails) {
    return '<p class="note">These runs kept no predictions (run with details: true, as dvme fuse does) so there are no curves or matrices.</p>';
  }
  const multilabel = doc.evaluation.task === 'multilabel';
  const part = (cls: string, title: string, note: string, body: string) =>
    `<div class="${cls}"><h3>${esc(title)}</h3>${note ? `<p class="note">${note}</p>` : ''}<div class="grid">${body || '<p class="note">None.</p>'}</div></div>`;
  const band = settings.nBoot > 0 ? `Shaded: pointwise 95% bootstrap band of the true positive rate (${settings.nBoot} stratified resamples). ` : '';
  return [
    multilabel
      ? '<p class="note">Multilabel task: ROC curves, confusion matrices and per-class metrics are not drawn.</p>'
      : part('roc', 'ROC curves', `${band}Legend: AUC with its DeLong 95% interval.`, rocFigures(doc, models, sizeName, settings)),
    multilabel ? '' : part('confusion', 'Confusion matrices', 'Rows: true class; columns: predicted class.', confusionFigures(doc, models, sizeName)),
    multilabel ? '' : `<div class="per-class"><h3>Per-class metrics</h3>${perClassHtml(doc, models, sizeName)}</div>`,
    part('learning', 'Learning curves', '', learningFigures(models, sizeName)),
    fusionOf(doc) ? part('attention', 'DVME attention maps', 'How much each source attends to each source, on the test set.', attentionFigures(doc, models, sizeName)) : '',
  ].join('\n');
}

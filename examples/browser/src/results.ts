/** Metrics with confidence intervals and the charts, from the test set's probabilities. */
import { attentionMapSvg, confusionMatrixSvg, learningCurveSvg, rocBand, rocCurveSvg } from 'dvme';
import { accuracyScore, bootstrapCi, cohenKappaScore, confusionMatrix, delongCi, rocAucScore, rocCurve } from 'dvme/metrics';
import type { Dataset } from './data.js';
import type { DoneMessage } from './protocol.js';

export interface ModelSummary {
  readonly name: string;
  readonly kappa: { estimate: number; lower: number; upper: number };
  readonly auc: { estimate: number; lower: number; upper: number };
  readonly binaryAuc: { estimate: number; lower: number; upper: number };
  readonly accuracy: number;
}

const argmax = (row: ArrayLike<number>) => {
  let best = 0;
  for (let j = 1; j < row.length; j += 1) if ((row[j] as number) > (row[best] as number)) best = j;
  return best;
};

const RESAMPLES = 1000;

function summarise(name: string, yTest: number[], proba: Float32Array[], data: Dataset): { summary: ModelSummary; score: Float64Array; yBinary: number[]; pred: number[] } {
  const k = data.classes.length;
  const labels = Array.from({ length: k }, (_, i) => i);
  const pred = proba.map(argmax);
  const kappa = bootstrapCi((y, p) => cohenKappaScore(y, p, { weights: k > 2 ? 'quadratic' : null, labels }), yTest, pred, {
    seed: 1,
    nResamples: RESAMPLES,
    stratified: true,
  });
  // Float32 rows sum to 1 within rounding; rocAucScore checks the sums, so renormalise in float64.
  const rows = proba.map((r) => {
    const s = r.reduce((a, b) => a + b, 0);
    return Array.from(r, (v) => v / s);
  });
  const auc =
    k > 2
      ? bootstrapCi((y, p) => rocAucScore(y, p, { multiClass: 'ovr', average: 'macro', labels }), yTest, rows, { seed: 2, nResamples: RESAMPLES, stratified: true })
      : undefined;
  const positive = new Set(data.positive.classes);
  const yBinary = yTest.map((y) => (positive.has(y) ? 1 : 0));
  const score = Float64Array.from(rows, (r) => data.positive.classes.reduce((a, c) => a + (r[c] as number), 0));
  const binary = delongCi(yBinary, score);
  const summary: ModelSummary = {
    name,
    kappa: { estimate: kappa.estimate, lower: kappa.lower, upper: kappa.upper },
    auc: auc ? { estimate: auc.estimate, lower: auc.lower, upper: auc.upper } : { estimate: binary.auc, lower: binary.lower, upper: binary.upper },
    binaryAuc: { estimate: binary.auc, lower: binary.lower, upper: binary.upper },
    accuracy: accuracyScore(yTest, pred),
  };
  return { summary, score, yBinary, pred };
}

const f3 = (v: number) => v.toFixed(3);
const ci = (m: { estimate: number; lower: number; upper: number }) => `${f3(m.estimate)}<span class="ci">${f3(m.lower)}–${f3(m.upper)}</span>`;

/** Renders the results into the page; returns the numbers (the test reads them). */
export function showResults(data: Dataset, done: DoneMessage, backbone: string): ModelSummary[] {
  const yTest = data.labels.filter((_, i) => data.split[i] === 'test');
  const k = data.classes.length;
  const probe = summarise(`Linear probe (${backbone})`, yTest, done.probe.proba, data);
  const dvme = summarise(`DVME (${done.dvme.sources.join(' + ')})`, yTest, done.dvme.proba, data);
  const kappaName = k > 2 ? 'Quadratic κ' : 'Cohen κ';
  const aucName = k > 2 ? 'ROC AUC (macro, one-vs-rest)' : 'ROC AUC';
  const rows = [
    [dvme, done.dvme.seconds],
    [probe, done.probe.seconds],
  ] as const;
  document.querySelector('#metrics')!.innerHTML = `
    <table class="metrics">
      <caption class="hint" style="caption-side: bottom; text-align: left">
        ${yTest.length} test images. 95% intervals: κ and macro AUC by stratified bootstrap (${RESAMPLES} resamples), the
        ${data.positive.name} AUC by DeLong. Trained in a worker on tfjs ${done.backend}.
      </caption>
      <thead><tr><th>Model</th><th>${kappaName} (95% CI)</th><th>${aucName}</th>${k > 2 ? `<th>AUC: ${data.positive.name}</th>` : ''}<th>Accuracy</th><th>Fit time</th></tr></thead>
      <tbody>
        ${rows
          .map(
            ([m, s]) =>
              `<tr><td class="model">${m.summary.name}</td><td>${ci(m.summary.kappa)}</td><td>${ci(m.summary.auc)}</td>${k > 2 ? `<td>${ci(m.summary.binaryAuc)}</td>` : ''}<td>${(100 * m.summary.accuracy).toFixed(1)}%</td><td>${s.toFixed(1)} s</td></tr>`,
          )
          .join('')}
      </tbody>
    </table>`;

  const series = [dvme, probe].map((m) => ({
    ...rocCurve(m.yBinary, m.score),
    label: m.summary.name.replace(/ \(.*/, ''),
    ci: { lower: m.summary.binaryAuc.lower, upper: m.summary.binaryAuc.upper },
    band: rocBand(m.yBinary, m.score, { nBoot: RESAMPLES, seed: 3 }),
  }));
  const short = data.classes.map((c) => c.replace(/ \(.*\)$/, ''));
  figure('#roc', rocCurveSvg(series, { title: `ROC: ${data.positive.name}`, width: 440 }), 'Shaded: 95% pointwise bootstrap band of the true positive rate. Legend: AUC with its DeLong 95% CI.');
  figure(
    '#attention',
    attentionMapSvg(done.dvme.attention, { labels: done.dvme.sources, domain: [0, 1], title: 'DVME attention between sources' }),
    'Row: the attending source; column: the source it attends to (mean over test images and heads; rows sum to 1).',
  );
  figure('#cm-dvme', confusionMatrixSvg(confusionMatrix(yTest, dvme.pred, { labels: Array.from({ length: k }, (_, i) => i) }), { labels: short, normalize: 'true', title: 'DVME: confusion matrix' }), 'Rows: true class; colour: share of the row; numbers: images.');
  figure('#cm-probe', confusionMatrixSvg(confusionMatrix(yTest, probe.pred, { labels: Array.from({ length: k }, (_, i) => i) }), { labels: short, normalize: 'true', title: 'Linear probe: confusion matrix' }), 'Rows: true class; colour: share of the row; numbers: images.');
  figure('#curve', learningCurveSvg(done.dvme.history, { metrics: [{ key: 'loss', label: 'training loss' }], bestEpoch: done.dvme.bestEpoch, title: 'DVME training', yLabel: 'cross-entropy', width: 440 }), `Training loss per epoch; the weights of epoch ${done.dvme.bestEpoch} were kept.`);
  return [dvme.summary, probe.summary];
}

function figure(selector: string, svg: string, caption: string): void {
  document.querySelector(selector)!.innerHTML = `${svg}<figcaption>${caption}</figcaption>`;
}

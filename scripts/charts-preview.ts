/**
 * Renders every chart of src/charts/ from real numbers into one HTML page, to look at:
 * PneumoniaMNIST pixels (784 features) with an lbfgs probe and a 'paper' probe (ROC curves with
 * DeLong intervals and a bootstrap band, confusion matrices, learning curve), a small DVME on
 * three pixel "sources" (attention map, learning curve), and RetinaMNIST's 5-grade confusion
 * matrix. Also a label-escaping check you can see.
 *
 *   npx tsx scripts/charts-preview.ts [data folder] [out.html]
 *   chromium --headless --no-sandbox --disable-gpu --screenshot=/tmp/charts.png \
 *     --window-size=1400,1800 file:///tmp/charts-preview.html
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  attentionMapSvg,
  confusionMatrixSvg,
  learningCurveSvg,
  rocBand,
  rocCurveSvg,
} from '../src/charts/index.js';
import { confusionMatrix, delongCi, rocCurve } from '../src/metrics/index.js';
import {
  DynamicVisualMetaEmbedding,
  type EmbeddingMatrix,
  initBackend,
  loadMedMnist,
  pixelFeatures,
  Probe,
} from '../src/node.js';

const dataDir = process.argv[2] ?? join(import.meta.dirname, '../../../shared/data');
const out = process.argv[3] ?? '/tmp/charts-preview.html';
const started = Date.now();
const log = (what: string) => console.log(`${((Date.now() - started) / 1000).toFixed(1)}s ${what}`);

await initBackend();
const pneumonia = await loadMedMnist('pneumoniamnist', { path: dataDir });
const features = {
  train: pixelFeatures(pneumonia.train.images),
  val: pixelFeatures(pneumonia.val.images),
  test: pixelFeatures(pneumonia.test.images),
};
const yTrain = Array.from(pneumonia.train.labels);
const yVal = Array.from(pneumonia.val.labels);
const yTest = Array.from(pneumonia.test.labels);

const lbfgs = await new Probe({ task: 'binary', solver: 'lbfgs' }).fit(features.train, yTrain);
const lbfgsScores = Array.from(lbfgs.predictProba(features.test));
log('lbfgs probe');
const paper = await new Probe({ task: 'binary', solver: 'paper', monitor: 'auc', minEpochs: 5, maxEpochs: 25 }).fit(
  features.train,
  yTrain,
  { validation: { x: features.val, y: yVal } },
);
const paperScores = Array.from(paper.predictProba(features.test));
log(`paper probe (${paper.history.length} epochs)`);

/** Columns [from, to) of every row: a crude "source" cut from the pixels. */
function columns(m: EmbeddingMatrix, from: number, to: number, rows: number): number[][] {
  const width = m.shape[1];
  return Array.from({ length: rows }, (_, i) => Array.from(m.data.subarray(i * width + from, i * width + to)));
}
const fuseRows = 1200;
const sources = (m: EmbeddingMatrix, rows: number) => ({
  'top half': columns(m, 0, 392, rows),
  'bottom half': columns(m, 392, 784, rows),
  'centre band': columns(m, 280, 504, rows),
});
const dvme = new DynamicVisualMetaEmbedding({
  sources: { 'top half': 392, 'bottom half': 392, 'centre band': 224 },
  task: 'binary',
  tokens: 'source',
  projectionDim: 32,
  minEpochs: 4,
  maxEpochs: 8,
  seed: 1,
});
await dvme.fit(sources(features.train, fuseRows), yTrain.slice(0, fuseRows), {
  validation: { x: sources(features.val, yVal.length), y: yVal },
});
const testSources = sources(features.test, yTest.length);
const dvmeScores = Array.from(dvme.predictProba(testSources));
const attention = dvme.attentionMap(testSources);
log('dvme');

const curve = (label: string, scores: number[], withBand: boolean) => ({
  ...rocCurve(yTest, scores),
  label,
  ci: delongCi(yTest, scores),
  ...(withBand ? { band: rocBand(yTest, scores, { nBoot: 1000, seed: 1 }) } : {}),
});
const predicted = (scores: number[]) => scores.map((p) => (p >= 0.5 ? 1 : 0));
const cm = confusionMatrix(yTest, predicted(lbfgsScores));

const retina = await loadMedMnist('retinamnist', { path: dataDir });
const retinaProbe = await new Probe({ task: 'multiclass', solver: 'lbfgs' }).fit(
  pixelFeatures(retina.train.images),
  Array.from(retina.train.labels),
);
const retinaCm = confusionMatrix(Array.from(retina.test.labels), Array.from(retinaProbe.predict(pixelFeatures(retina.test.images))));
log('retina probe');

const charts: [string, string][] = [
  ['ROC, three models, band on the lbfgs probe', rocCurveSvg([curve('pixels, lbfgs probe', lbfgsScores, true), curve("pixels, 'paper' probe", paperScores, false), curve('DVME on 3 pixel sources', dvmeScores, false)], { title: 'PneumoniaMNIST test set (624 images)' })],
  ['Confusion matrix, counts', confusionMatrixSvg(cm, { labels: ['normal', 'pneumonia'] })],
  ['Confusion matrix, normalised over true labels', confusionMatrixSvg(cm, { labels: ['normal', 'pneumonia'], normalize: 'true' })],
  ['RetinaMNIST, 5 grades, normalised', confusionMatrixSvg(retinaCm, { labels: ['0 no DR', '1 mild', '2 moderate', '3 severe', '4 proliferative'], normalize: 'true' })],
  ["Learning curve, 'paper' probe", learningCurveSvg(paper.history)],
  ['Learning curve, DVME', learningCurveSvg(dvme.history, { title: 'DVME learning curve' })],
  ['DVME attention map', attentionMapSvg(attention, { labels: Object.keys(testSources) })],
  ['Escaping: labels with markup', confusionMatrixSvg([[3, 1], [0, 4]], { labels: ['<script>alert(1)</script>', 'a "quoted" & \'single\''], title: '<b>not bold</b>' })],
];
const html = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>dvme charts preview</title>
<style>body{font-family:system-ui,sans-serif;margin:16px;background:#f4f4f4}
.grid{display:flex;flex-wrap:wrap;gap:16px;align-items:flex-start}
figure{margin:0;background:#fff;padding:8px;border:1px solid #ddd}figcaption{font-size:12px;color:#555}</style></head>
<body><div class="grid">
${charts.map(([caption, svg]) => `<figure>${svg}<figcaption>${caption}</figcaption></figure>`).join('\n')}
</div></body></html>
`;
writeFileSync(out, html);
charts.forEach(([caption, svg], i) => writeFileSync(`/tmp/charts-preview-${i}.svg`, svg));
log(`wrote ${out} (${charts.length} charts)`);
lbfgs.dispose();
paper.dispose();
dvme.dispose();
retinaProbe.dispose();

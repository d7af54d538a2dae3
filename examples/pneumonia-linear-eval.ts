/**
 * The paper's linear-evaluation protocol on PneumoniaMNIST (paediatric chest X-rays, normal vs
 * pneumonia: the small-image analogue of the paper's Kermany pneumonia task), scored by ROC
 * AUC on the 624 test images: MobileNetV2 and InceptionV3 embeddings plus raw pixels,
 * class-balanced training subsets S / M / F = 50 / 500 / all, five seeded runs each, probes
 * trained with the paper's recipe and early stopping on validation AUC.
 *
 *   npx tsx examples/pneumonia-linear-eval.ts [mobilenet model.json or URL] [inception model.json or URL] [--full] [--raw-features]
 *
 * InceptionV3 at 299 px embeds about 4 images/s on tfjs-wasm with dvme/node's 2 threads on a
 * quiet 2-core machine (about 1/s with one thread on a loaded one), so embedding all 5,856
 * images takes 25 minutes or more. By default the example therefore embeds a
 * seeded, class-stratified pool of 1,000 of the 4,708 training images and 200 of the 524
 * validation images (the full 624-image test set always), and says so in its output: F is
 * then 1,000 images, not 4,708. Every source uses the same pool, so columns stay comparable.
 * Pass --full to embed everything. As in retina-linear-eval.ts, features are standardised with
 * each training draw's statistics; --raw-features trains on raw features as the paper does.
 * Embeddings are kept in an EmbeddingCache in examples/out/cache/records; the table goes
 * to stdout and examples/out/pneumonia-linear-eval.md. Data: MedMNIST v2 (CC BY 4.0); cite
 * Yang et al., Scientific Data 2023, and Kermany et al., Cell 2018.
 */
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
// In your project, as here: import { ... } from 'dvme/node'.
import { formatMarkdown, initBackend, loadMedMnist, runLinearEvaluation, toCsv } from 'dvme/node';
// Shared by the examples: embedding with an EmbeddingCache, seeded pools, a progress line.
import { createProgress, drawPool, embedSplits, sharedData, sharedModels, type SourceSpec } from './shared.js';

const here = import.meta.dirname;
const out = join(here, 'out');
const dataFile = join(sharedData, 'pneumoniamnist.npz');
const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { full: { type: 'boolean', default: false }, 'raw-features': { type: 'boolean', default: false } },
});
const { full, 'raw-features': raw } = values;
const [mobilenet, inception] = positionals;
const specs: SourceSpec[] = [
  { name: 'MobileNetV2', kind: 'tfjs', model: mobilenet ?? join(sharedModels, 'mobilenet_v2_nsfwjs/model.json') },
  { name: 'InceptionV3', kind: 'tfjs', model: inception ?? join(sharedModels, 'inception_v3_nsfwjs/model.json') },
  { name: 'pixels', kind: 'pixels' },
];
const POOL_SEED = 2021; // fixed apart from the protocol's seed, so the pool never moves

const t0 = performance.now();
const backend = await initBackend();
console.log(`tfjs backend: ${backend.backend} (${backend.package ?? 'set by the app'})`);
const data = await loadMedMnist('pneumoniamnist', existsSync(dataFile) ? { path: dataFile } : {});
const { info } = data;
const train = drawPool(data.train, full ? 'all' : 1000, POOL_SEED);
const val = drawPool(data.val, full ? 'all' : 200, POOL_SEED);
const test = data.test;
const poolNote = full
  ? 'All 4,708 training, 524 validation and 624 test images embedded (--full).'
  : `Embedded subset: a seeded (seed ${POOL_SEED}), class-stratified pool of ${train.labels.length} of the ` +
    `${data.train.labels.length} training images and ${val.labels.length} of the ${data.val.labels.length} validation ` +
    `images, plus all ${test.labels.length} test images, because InceptionV3 embeds about one image per second here. ` +
    `F is therefore the ${train.labels.length}-image pool, not the full training set; every source uses the same pool.`;
console.log(`${info.title}: ${poolNote}`);

const progress = createProgress(process.stderr);
const embedStart = performance.now();
const embedded = await embedSplits(specs, { train: train.images, val: val.images, test: test.images }, {
  embeddingLayer: 'flatten_1', // nsfwjs models: the pooled features before their 5-class head
  mean: [0, 0, 0],
  std: [1, 1, 1], // pixel / 255; grayscale is repeated to RGB
  batchSize: 16,
  cacheDir: join(out, 'cache'),
  onProgress: (label, done, total) => progress.update(`embed ${label}`, done, total),
});
progress.finish();
const embedMs = performance.now() - embedStart;

const evalStart = performance.now();
const result = await runLinearEvaluation({
  task: 'binary',
  metric: 'auc',
  solver: 'paper', // monitor defaults to the metric: validation AUC
  sources: embedded.train,
  labels: train.labels,
  validation: { sources: embedded.val, labels: val.labels },
  test: { sources: embedded.test, labels: test.labels },
  sizes: { S: 50, M: 500, F: 'all' },
  repeats: 5,
  seed: 0,
  probeOptions: { standardize: !raw },
  onProgress: (done, total) => progress.update('probe runs', done, total),
});
progress.finish();
const evalMs = performance.now() - evalStart;

const seconds = (ms: number) => `${(ms / 1000).toFixed(0)} s`;
const report = [
  '# Linear evaluation on PneumoniaMNIST (28 x 28, ROC AUC)',
  '',
  formatMarkdown(result),
  poolNote,
  '',
  "Sources: MobileNetV2 (1280-d) and InceptionV3 (2048-d) pooled features of nsfwjs' ImageNet-initialised models " +
    '(grayscale repeated to RGB, resized bilinearly to 224 / 299 px, pixel / 255); pixels = the 784 raw pixel values / 255. ' +
    'Every source of one size and run trains on the same draw; early stopping and the learning-rate schedule watch validation AUC.',
  '',
  raw
    ? 'Raw features, as in the paper (--raw-features).'
    : "Features standardised with each training draw's mean and std (the paper trains on raw features: --raw-features).",
  '',
  `Wall time (tfjs ${backend.backend}): embedding ${seconds(embedMs)} (model loading only when cached), ` +
    `${result.sources.length * result.sizes.length * result.repeats} probe runs ${seconds(evalMs)}, total ${seconds(performance.now() - t0)}.`,
  '',
].join('\n');
console.log(`\n${report}`);
await mkdir(out, { recursive: true });
const stem = join(out, raw ? 'pneumonia-linear-eval-raw' : 'pneumonia-linear-eval');
await writeFile(`${stem}.md`, report);
await writeFile(`${stem}.csv`, toCsv(result, { runs: true }));
await writeFile(`${stem}.json`, JSON.stringify(result, null, 1));
console.log(`Wrote ${stem}.md (and .csv with every run, .json).`);

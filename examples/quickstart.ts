/**
 * The README's quick start, runnable: RetinaMNIST, one real tfjs backbone and raw pixels,
 * the paper's sizes and repeats, scored with quadratic kappa (lbfgs probes on standardised
 * features).
 *
 *   npx tsx examples/quickstart.ts [data folder] [model.json path or URL]
 *
 * Defaults: ../shared/data and ../shared/models/mobilenet_v2_nsfwjs/model.json; without a
 * data folder loadMedMnist downloads the file from Zenodo into the dvme cache.
 */
import { join } from 'node:path';
import {
  Backbone,
  type ImageArray,
  formatMarkdown,
  initBackend,
  loadMedMnist,
  pixelFeatures,
  runLinearEvaluation,
} from 'dvme/node';

const shared = join(import.meta.dirname, '../../shared');
const dataDir = process.argv[2] ?? join(shared, 'data');
const modelPath = process.argv[3] ?? join(shared, 'models/mobilenet_v2_nsfwjs/model.json');

const info = await initBackend(); // tfjs-node if installed, else wasm
console.log(`tfjs backend: ${info.backend}`);
const data = await loadMedMnist('retinamnist', { path: dataDir });
const backbone = await Backbone.fromTfjs(modelPath, {
  embeddingLayer: 'flatten_1',
  mean: [0, 0, 0],
  std: [1, 1, 1],
});
const embed = (images: ImageArray) =>
  backbone.embed(images, {
    as: 'array',
    onProgress: (done, total) => process.stderr.write(`\rembedding ${done}/${total}`),
  });
const train = { mobilenet: await embed(data.train.images), pixels: pixelFeatures(data.train.images) };
const test = { mobilenet: await embed(data.test.images), pixels: pixelFeatures(data.test.images) };
process.stderr.write('\n');
backbone.dispose();

const result = await runLinearEvaluation({
  task: 'multiclass',
  metric: 'quadraticKappa',
  solver: 'lbfgs',
  sources: train,
  labels: data.train.labels,
  test: { sources: test, labels: data.test.labels },
  sizes: { S: 50, M: 500, F: 'all' },
  repeats: 5,
});
console.log(formatMarkdown(result)); // mean ± std per source and size, like the paper's tables

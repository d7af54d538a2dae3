/**
 * Finetuning beside linear probing, the paper's two protocols on the same draws: a real
 * pretrained backbone (nsfwjs' ImageNet-initialised MobileNetV2) on RetinaMNIST (grades 0-4,
 * quadratic weighted kappa) or PneumoniaMNIST (ROC AUC), sizes S = 50, M = 500, F = all
 * training images, paired repeats, through `runFinetuneEvaluation`:
 *
 * - probe: the paper's linear evaluation on the frozen backbone's embeddings (Adam 1e-3,
 *   batch 64, ReduceLROnPlateau, 30-50 epochs, early stopping on the validation metric;
 *   features standardised per draw, as examples/retina-linear-eval.ts explains);
 * - finetune: `FineTuner` with the paper's finetuning protocol (every layer and a linear head,
 *   the same settings; `--min-epochs` / `--max-epochs` shorten it, the probe keeps the paper's).
 *
 * Every model of one size and repeat trains on the same class-balanced draw with the same
 * seed, so the table's difference finetune − probe is paired.
 *
 *   npx tsx examples/finetune-evaluation.ts [--dataset retinamnist|pneumoniamnist] [--sizes S,M,F]
 *     [--repeats 5] [--input 64] [--min-epochs 30] [--max-epochs 50] [--patience 10] [--lr 1e-3] [--batch-norm train|frozen] [--pool n]
 *     [--validation full|draw] [--backend wasm|cpu] [--threads auto|n] [--seed 0] [--json out.json]
 *     [--model model.json] [--data file.npz]
 *
 * `--pool n` trains on a seeded stratified pool of n training images (class mix kept, seed
 * 2021, as examples/robust-fusion.ts), which is then F; PneumoniaMNIST defaults to 1,500 of its
 * 4,708. `--backend wasm` is the default (dvme adds the convolution and depthwise gradient
 * kernels tfjs-backend-wasm 4.22 lacks; about 45x faster than `--backend cpu` for MobileNetV2).
 * The backbone runs fully convolutionally at `--input` px (the 28 px images upsampled; 224 is
 * its native size, about 12x the work of 64 px).
 */
import '@tensorflow/tfjs-backend-cpu';
import { writeFile } from 'node:fs/promises';
import { cpus, loadavg } from 'node:os';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import {
  Backbone,
  formatMarkdown,
  initBackend,
  runFinetuneEvaluation,
  selectBackend,
  type MedMnistSplit,
} from 'dvme/node';
import { FAST_BACKBONES, createProgress, drawPool, loadData, openBackbone } from './shared.js';

const { values } = parseArgs({
  options: {
    dataset: { type: 'string', default: 'retinamnist' },
    sizes: { type: 'string', default: 'S,M,F' },
    repeats: { type: 'string', default: '5' },
    input: { type: 'string', default: '64' },
    'min-epochs': { type: 'string', default: '30' },
    'max-epochs': { type: 'string', default: '50' },
    patience: { type: 'string', default: '10' },
    lr: { type: 'string', default: '1e-3' },
    'batch-norm': { type: 'string', default: 'train' },
    threads: { type: 'string', default: 'auto' },
    pool: { type: 'string' },
    validation: { type: 'string', default: 'full' },
    backend: { type: 'string', default: 'wasm' },
    seed: { type: 'string', default: '0' },
    json: { type: 'string' },
    model: { type: 'string' },
    data: { type: 'string' },
  },
});

function count(flag: string, text: string, min = 1): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < min) throw new Error(`--${flag}: expected an integer >= ${min}; received ${JSON.stringify(text)}.`);
  return n;
}
function oneOf<T extends string>(flag: string, text: string, allowed: readonly T[]): T {
  if (!allowed.includes(text as T)) throw new Error(`--${flag}: expected one of ${allowed.join(', ')}; received ${JSON.stringify(text)}.`);
  return text as T;
}

const DATASETS = {
  retinamnist: { task: 'multiclass', metric: 'quadraticKappa', pool: undefined, title: 'RetinaMNIST (grades 0-4), test quadratic weighted kappa' },
  pneumoniamnist: { task: 'binary', metric: 'auc', pool: 1500, title: 'PneumoniaMNIST (pneumonia vs normal), test ROC AUC' },
} as const;
const SIZES: Record<string, number | 'all'> = { S: 50, M: 500, F: 'all' };
const dataset = oneOf('dataset', values.dataset, ['retinamnist', 'pneumoniamnist'] as const);
const spec = DATASETS[dataset];
const sizeNames = values.sizes.split(',').map((s) => oneOf('sizes', s.trim(), ['S', 'M', 'F'] as const));
const repeats = count('repeats', values.repeats);
const input = count('input', values.input, 16);
const minEpochs = count('min-epochs', values['min-epochs']);
const maxEpochs = count('max-epochs', values['max-epochs']);
if (minEpochs > maxEpochs) throw new Error(`--min-epochs (${minEpochs}) must not exceed --max-epochs (${maxEpochs}).`);
const patience = count('patience', values.patience);
const batchNorm = oneOf('batch-norm', values['batch-norm'], ['train', 'frozen'] as const);
const learningRate = Number(values.lr);
if (!(learningRate > 0 && learningRate < 1)) throw new Error(`--lr: expected a learning rate in (0, 1); received ${JSON.stringify(values.lr)}.`);
const threads = values.threads === 'auto' ? 'auto' : count('threads', values.threads);
const pool = values.pool === undefined ? spec.pool : count('pool', values.pool);
const validationMode = oneOf('validation', values.validation, ['full', 'draw'] as const);
const backendName = oneOf('backend', values.backend, ['cpu', 'wasm'] as const);
const seed = count('seed', values.seed, 0);

const t0 = performance.now();
const backend =
  backendName === 'cpu'
    ? // Registered by the import at the top; selectBackend activates it.
      await selectBackend('finetune-evaluation', [{ backend: 'cpu', package: '@tensorflow/tfjs-backend-cpu', load: () => Promise.resolve() }])
    : await initBackend({ wasmThreads: threads });
const progress = createProgress();
console.log(`tfjs backend: ${backend.backend}, ${cpus().length} CPUs (load average ${loadavg()[0].toFixed(2)})`);

const data = await loadData(dataset, values.data, (t) => progress.update(t, 0, 1));
progress.finish();
const fullTrain = data.train as MedMnistSplit<Int32Array>;
const train = pool ? drawPool(fullTrain, pool, 2021) : fullTrain;
const val = data.val as MedMnistSplit<Int32Array>;
const test = data.test as MedMnistSplit<Int32Array>;
const poolNote =
  train === fullTrain ? `all ${fullTrain.labels.length} training images` : `a seeded stratified pool of ${train.labels.length} of the ${fullTrain.labels.length} training images (seed 2021, class mix kept)`;
console.log(`${dataset}: ${poolNote}; ${val.labels.length} validation, ${test.labels.length} test images.`);

const mobilenet = { ...FAST_BACKBONES[0], inputSize: input };
const backbone: Backbone = values.model
  ? await Backbone.fromTfjs(values.model, { embeddingLayer: 'flatten_1', mean: [0, 0, 0], std: [1, 1, 1], inputSize: input, adaptInputSize: input !== 224 })
  : await openBackbone(mobilenet, (t) => progress.update(t, 0, 1));

const sizes = Object.fromEntries(sizeNames.map((s) => [s, SIZES[s]]));
const result = await runFinetuneEvaluation({
  backbone,
  task: spec.task,
  metric: spec.metric,
  train: { images: train.images, labels: train.labels },
  validation: { images: val.images, labels: val.labels },
  validationDraw: validationMode === 'draw',
  test: { images: test.images, labels: test.labels },
  sizes,
  repeats,
  seed,
  solver: 'paper',
  probeOptions: { standardize: true },
  finetune: { minEpochs, maxEpochs, earlyStoppingPatience: patience, learningRate, batchNorm },
  embedOptions: { batchSize: 32 },
  onEpoch: (log, label) => {
    process.stderr.write(`${label} epoch ${log.epoch}: loss ${log.loss.toFixed(3)}, validation ${log.value.toFixed(3)} (${((performance.now() - t0) / 1000).toFixed(0)} s)\n`);
  },
  onProgress: (done, total, label) => {
    console.log(`run ${done}/${total} done: ${label} (${((performance.now() - t0) / 1000).toFixed(0)} s so far)`);
  },
});
backbone.dispose();

const f4 = (v: number) => (Number.isFinite(v) ? v.toFixed(4) : 'n/a');
const signed = (v: number) => (Number.isFinite(v) ? (v >= 0 ? '+' : '') + v.toFixed(4) : 'n/a');
const secs = (ms: number) => (ms / 1000).toFixed(1);
const runRows = result.sizes.flatMap(({ name }) =>
  result.results.finetune[name].runs.map((ft, i) => {
    const probe = result.results.probe[name].runs[i];
    return `| ${name} | ${i + 1} | ${ft.seed} | ${ft.trainSize} / ${ft.validationSize} | ${f4(probe.value)} | ${f4(ft.value)} | ${signed(ft.value - probe.value)} | ${secs(probe.wallMs)} | ${secs(ft.wallMs)} | ${ft.epochs} |`;
  }),
);
const report = [
  `## ${spec.title}: MobileNetV2 (nsfwjs, ImageNet-initialised) at ${input} px, probe vs finetune`,
  '',
  formatMarkdown(result),
  'Every run (wall time: fit + test scoring, in seconds; the probe\'s embeddings were computed once, ' + `${secs(result.embedMs)} s):`,
  '',
  '| size | repeat | seed | train / validation rows | probe | finetune | finetune − probe | probe s | finetune s | finetune epochs |',
  '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
  ...runRows,
  '',
  `Training data: ${poolNote}. Validation: ${validationMode === 'full' ? `the official val split (${val.labels.length} images) for every run` : 'a class-balanced draw from the official val split per run (max(10, 20% of the training rows))'}. ` +
    `Finetuning epochs: ${minEpochs}-${maxEpochs}, early-stopping patience ${patience}, Adam learning rate ${learningRate}${minEpochs === 30 && maxEpochs === 50 && patience === 10 && learningRate === 1e-3 ? ' (the paper\'s)' : ' (the paper: 30-50, patience 10, 1e-3)'}; the probe: the paper's.`,
  `Total wall time ${secs(performance.now() - t0)} s on tfjs ${backend.backend}, ${cpus().length} CPUs shared with other jobs (load average ${loadavg().map((v) => v.toFixed(2)).join(' / ')} at the end).`,
  '',
].join('\n');
console.log(`\n${report}`);
if (values.json) {
  await writeFile(resolve(values.json), `${JSON.stringify(result, null, 1)}\n`);
  console.log(`Wrote ${resolve(values.json)} (every run; formatMarkdown / toCsv read it back).`);
}

/**
 * Finetuning beside linear probing on RetinaMNIST (diabetic retinopathy grades 0-4): the same
 * class-balanced training draws (sampleSubset, seeded per size and repeat), the official
 * validation split for early stopping, quadratic weighted kappa on the 400 test images.
 *
 * - probe: the paper's linear evaluation on frozen MobileNetV2 embeddings (Adam 1e-3, batch 64,
 *   ReduceLROnPlateau, 30-50 epochs, early stopping; features standardised per draw, as
 *   examples/retina-linear-eval.ts explains);
 * - finetune: FineTuner with the paper's finetuning protocol (all layers + linear head, the same
 *   settings) on tfjs-wasm (dvme registers the convolution and depthwise gradient kernels that
 *   tfjs-backend-wasm 4.22 lacks); `--min-epochs`, `--max-epochs`, `--patience` shorten it.
 *
 *   npx tsx examples/finetune-retina.ts [--dataset retinamnist|pneumoniamnist] [--sizes S,M,F] [--repeats 5]
 *     [--input 64] [--min-epochs 30] [--max-epochs 50] [--patience 10] [--pool 1500] [--threads auto] [--model model.json] [--data file.npz]
 *
 * MobileNetV2 is nsfwjs' ImageNet-initialised Keras application from ../shared/models, run
 * fully convolutionally at `--input` px (28 px images upsampled; 224 is its native size and
 * much slower). Sizes: S = 50, M = 500, F = all training images (RetinaMNIST 1,080; for
 * PneumoniaMNIST `--pool N` first draws a seeded, class-balanced pool of N of its 4,708).
 * RetinaMNIST is scored by quadratic weighted kappa, PneumoniaMNIST (binary) by ROC AUC.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Backbone, FineTuner, Probe, initBackend, loadMedMnist, sampleSubset, type ImageArray } from 'dvme/node';
import { sharedData, sharedModels } from './shared.js';

const { values } = parseArgs({
  options: {
    dataset: { type: 'string', default: 'retinamnist' },
    sizes: { type: 'string', default: 'S' },
    repeats: { type: 'string', default: '5' },
    input: { type: 'string', default: '64' },
    'min-epochs': { type: 'string', default: '30' },
    'max-epochs': { type: 'string', default: '50' },
    patience: { type: 'string', default: '10' },
    pool: { type: 'string' },
    threads: { type: 'string', default: 'auto' },
    model: { type: 'string', default: join(sharedModels, 'mobilenet_v2_nsfwjs/model.json') },
    data: { type: 'string' },
  },
});
const dataset = values.dataset as 'retinamnist' | 'pneumoniamnist';
if (dataset !== 'retinamnist' && dataset !== 'pneumoniamnist') throw new Error(`--dataset must be retinamnist or pneumoniamnist; received ${dataset}`);
const binary = dataset === 'pneumoniamnist';
const metricName = binary ? 'AUC' : 'QWK';
const SIZES: Record<string, number | 'all'> = { S: 50, M: 500, F: 'all' };
const sizes = (values.sizes as string).split(',');
const repeats = Number(values.repeats);
const input = Number(values.input);

const t0 = performance.now();
await initBackend({ wasmThreads: values.threads === 'auto' ? 'auto' : Number(values.threads) });
const dataFile = (values.data as string | undefined) ?? join(sharedData, `${dataset}.npz`);
const { train: fullTrain, val, test } = await loadMedMnist(dataset, existsSync(dataFile) ? { path: dataFile } : {});
const backbone = await Backbone.fromTfjs(values.model as string, {
  embeddingLayer: 'flatten_1',
  mean: [0, 0, 0],
  std: [1, 1, 1],
  inputSize: input,
  adaptInputSize: input !== 224,
});

/** Rows of an image array. */
function take(images: ImageArray, idx: Int32Array): ImageArray {
  const [, h, w, c = 1] = images.shape as [number, number, number, number?];
  const per = h * w * c;
  const data = new Uint8Array(idx.length * per);
  idx.forEach((r, i) => data.set((images.data as Uint8Array).subarray(r * per, (r + 1) * per), i * per));
  return { data, shape: [idx.length, h, w, c] };
}

const train = values.pool === undefined
  ? fullTrain
  : (() => {
      const { train: pool } = sampleSubset(Array.from(fullTrain.labels as ArrayLike<number>), { size: Number(values.pool), seed: 7 });
      return { images: take(fullTrain.images, pool), labels: Int32Array.from(pool, (i) => (fullTrain.labels as ArrayLike<number>)[i] as number) };
    })();

const embed = async (images: ImageArray) => (await backbone.embed(images, { as: 'array', batchSize: 32 })).data;
const embedStart = performance.now();
const [zTrain, zVal, zTest] = [await embed(train.images), await embed(val.images), await embed(test.images)];
const dim = backbone.embeddingDim;
const rowsOf = (z: Float32Array, idx?: Int32Array) => {
  const n = idx ? idx.length : z.length / dim;
  return Array.from({ length: n }, (_, i) => Array.from(z.subarray((idx ? (idx[i] as number) : i) * dim, ((idx ? (idx[i] as number) : i) + 1) * dim)));
};
console.log(`embedded ${train.labels.length + val.labels.length + test.labels.length} images at ${input} px in ${((performance.now() - embedStart) / 1000).toFixed(0)} s`);

const trainLabels = Array.from(train.labels as ArrayLike<number>);
const results: { size: string; model: string; kappa: number; seconds: number; epochs: number }[] = [];
for (const size of sizes) {
  for (let repeat = 0; repeat < repeats; repeat++) {
    const seed = 1000 * ['S', 'M', 'F'].indexOf(size) + repeat;
    const { train: idx } = sampleSubset(trainLabels, { size: SIZES[size] as number | 'all', seed });
    const y = Array.from(idx, (i) => trainLabels[i] as number);
    const common = binary
      ? { task: 'binary' as const, monitor: 'auc' as const, seed }
      : { task: 'multiclass' as const, monitor: 'quadraticKappa' as const, seed, classes: [0, 1, 2, 3, 4] };
    const score = (e: { auc: number; quadraticKappa?: number }) => (binary ? e.auc : (e.quadraticKappa as number));
    const epochs = { minEpochs: Number(values['min-epochs']), maxEpochs: Number(values['max-epochs']), earlyStoppingPatience: Number(values.patience) };

    let start = performance.now();
    const probe = await new Probe({ ...common, solver: 'paper', standardize: true }).fit(rowsOf(zTrain, idx), y, {
      validation: { x: rowsOf(zVal), y: Array.from(val.labels as ArrayLike<number>) },
    });
    results.push({ size, model: 'probe', kappa: score(probe.evaluate(rowsOf(zTest), Array.from(test.labels as ArrayLike<number>))), seconds: (performance.now() - start) / 1000, epochs: probe.history.length });
    probe.dispose();

    start = performance.now();
    const ft = await new FineTuner({ ...common, ...epochs, backbone }).fit(take(train.images, idx), y, {
      validation: { images: val.images, labels: Array.from(val.labels as ArrayLike<number>) },
      onEpoch: (log) => void process.stderr.write(`\r${size} #${repeat} finetune epoch ${log.epoch}: loss ${log.loss.toFixed(3)} val ${metricName} ${log.value.toFixed(3)}   `),
    });
    const kappa = score(ft.evaluate(test.images, Array.from(test.labels as ArrayLike<number>)));
    results.push({ size, model: 'finetune', kappa, seconds: (performance.now() - start) / 1000, epochs: ft.history.length });
    process.stderr.write('\n');
    console.log(`${size} #${repeat}: probe ${results.at(-2)?.kappa.toFixed(3)}, finetune ${kappa.toFixed(3)} (${results.at(-1)?.seconds.toFixed(0)} s, ${ft.history.length} epochs)`);
    ft.dispose();
  }
}

const stat = (xs: number[]) => {
  const m = xs.reduce((a, b) => a + b, 0) / xs.length;
  const sd = xs.length > 1 ? Math.sqrt(xs.reduce((a, b) => a + (b - m) ** 2, 0) / (xs.length - 1)) : NaN;
  return `${m.toFixed(3)} ± ${Number.isNaN(sd) ? '-' : sd.toFixed(3)}`;
};
console.log(`\n| ${dataset}, MobileNetV2 (${input} px), test ${metricName} | ${sizes.join(' | ')} |\n|---|${sizes.map(() => '---').join('|')}|`);
for (const model of ['probe', 'finetune']) {
  console.log(`| ${model} | ${sizes.map((s) => stat(results.filter((r) => r.size === s && r.model === model).map((r) => r.kappa))).join(' | ')} |`);
}
const paired = (s: string) => {
  const p = results.filter((r) => r.size === s && r.model === 'probe');
  const f = results.filter((r) => r.size === s && r.model === 'finetune');
  return stat(f.map((r, i) => r.kappa - (p[i] as { kappa: number }).kappa));
};
console.log(`| finetune − probe (paired) | ${sizes.map(paired).join(' | ')} |`);
console.log(`| finetune s per run | ${sizes.map((s) => stat(results.filter((r) => r.size === s && r.model === 'finetune').map((r) => r.seconds))).join(' | ')} |`);
for (const model of ['probe', 'finetune']) {
  const rs = results.filter((r) => r.model === model);
  console.log(`${model}: ${(rs.reduce((a, r) => a + r.seconds, 0) / rs.length).toFixed(1)} s per run, ${(rs.reduce((a, r) => a + r.epochs, 0) / rs.length).toFixed(1)} epochs`);
}
console.log(`total wall time ${((performance.now() - t0) / 1000).toFixed(0)} s (tfjs-wasm, shared 2-core machine)`);
backbone.dispose();

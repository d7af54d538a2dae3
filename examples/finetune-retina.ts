/**
 * Finetuning beside linear probing on RetinaMNIST (diabetic retinopathy grades 0-4): the same
 * class-balanced training draws (sampleSubset, seeded per size and repeat), the official
 * validation split for early stopping, quadratic weighted kappa on the 400 test images.
 *
 * - probe: the paper's linear evaluation on frozen MobileNetV2 embeddings (Adam 1e-3, batch 64,
 *   ReduceLROnPlateau, 30-50 epochs, early stopping; features standardised per draw, as
 *   examples/retina-linear-eval.ts explains);
 * - finetune: FineTuner with the paper's finetuning protocol (all layers + linear head, the same
 *   settings), on the cpu backend (MobileNetV2 is depthwise: tfjs-backend-wasm 4.22 has no depthwise gradient kernels).
 *
 *   npx tsx examples/finetune-retina.ts [--sizes S,M] [--repeats 5] [--input 64] [--model model.json] [--data retinamnist.npz]
 *
 * MobileNetV2 is nsfwjs' ImageNet-initialised Keras application from ../shared/models, run
 * fully convolutionally at `--input` px (28 px images upsampled; 224 is its native size and
 * much slower on the cpu backend). Sizes: S = 50, M = 500, F = all 1,080 training images.
 */
// Training MobileNetV2 needs the cpu backend's depthwise gradient kernels (tfjs-backend-wasm 4.22 has none).
import '@tensorflow/tfjs-backend-cpu';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Backbone, FineTuner, Probe, initBackend, loadMedMnist, sampleSubset, selectBackend, type ImageArray } from 'dvme/node';
import { sharedData, sharedModels } from './shared.js';

const { values } = parseArgs({
  options: {
    sizes: { type: 'string', default: 'S' },
    repeats: { type: 'string', default: '5' },
    input: { type: 'string', default: '64' },
    model: { type: 'string', default: join(sharedModels, 'mobilenet_v2_nsfwjs/model.json') },
    data: { type: 'string', default: join(sharedData, 'retinamnist.npz') },
  },
});
const SIZES: Record<string, number | 'all'> = { S: 50, M: 500, F: 'all' };
const sizes = (values.sizes as string).split(',');
const repeats = Number(values.repeats);
const input = Number(values.input);

const t0 = performance.now();
// Embedding (for the probe) runs on wasm, which is faster; finetuning then switches to cpu.
await initBackend();
const dataFile = values.data as string;
const { train, val, test } = await loadMedMnist('retinamnist', existsSync(dataFile) ? { path: dataFile } : {});
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

const embed = async (images: ImageArray) => (await backbone.embed(images, { as: 'array', batchSize: 32 })).data;
const embedStart = performance.now();
const [zTrain, zVal, zTest] = [await embed(train.images), await embed(val.images), await embed(test.images)];
const dim = backbone.embeddingDim;
const rowsOf = (z: Float32Array, idx?: Int32Array) => {
  const n = idx ? idx.length : z.length / dim;
  return Array.from({ length: n }, (_, i) => Array.from(z.subarray((idx ? (idx[i] as number) : i) * dim, ((idx ? (idx[i] as number) : i) + 1) * dim)));
};
// Already registered by the import above; selectBackend activates it.
await selectBackend('finetune-retina', [{ backend: 'cpu', package: '@tensorflow/tfjs-backend-cpu', load: () => Promise.resolve() }]);
console.log(`embedded ${train.labels.length + val.labels.length + test.labels.length} images at ${input} px in ${((performance.now() - embedStart) / 1000).toFixed(0)} s`);

const trainLabels = Array.from(train.labels as ArrayLike<number>);
const results: { size: string; model: string; kappa: number; seconds: number; epochs: number }[] = [];
for (const size of sizes) {
  for (let repeat = 0; repeat < repeats; repeat++) {
    const seed = 1000 * sizes.indexOf(size) + repeat;
    const { train: idx } = sampleSubset(trainLabels, { size: SIZES[size] as number | 'all', seed });
    const y = Array.from(idx, (i) => trainLabels[i] as number);
    const common = { task: 'multiclass' as const, monitor: 'quadraticKappa' as const, seed, classes: [0, 1, 2, 3, 4] };

    let start = performance.now();
    const probe = await new Probe({ ...common, solver: 'paper', standardize: true }).fit(rowsOf(zTrain, idx), y, {
      validation: { x: rowsOf(zVal), y: Array.from(val.labels as ArrayLike<number>) },
    });
    results.push({ size, model: 'probe', kappa: probe.evaluate(rowsOf(zTest), Array.from(test.labels as ArrayLike<number>)).quadraticKappa, seconds: (performance.now() - start) / 1000, epochs: probe.history.length });
    probe.dispose();

    start = performance.now();
    const ft = await new FineTuner({ ...common, backbone }).fit(take(train.images, idx), y, {
      validation: { images: val.images, labels: Array.from(val.labels as ArrayLike<number>) },
      onEpoch: (log) => void process.stderr.write(`\r${size} #${repeat} finetune epoch ${log.epoch}: loss ${log.loss.toFixed(3)} val qwk ${log.value.toFixed(3)}   `),
    });
    const kappa = ft.evaluate(test.images, Array.from(test.labels as ArrayLike<number>)).quadraticKappa;
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
console.log(`\n| MobileNetV2 (${input} px), test QWK | ${sizes.join(' | ')} |\n|---|${sizes.map(() => '---').join('|')}|`);
for (const model of ['probe', 'finetune']) {
  console.log(`| ${model} | ${sizes.map((s) => stat(results.filter((r) => r.size === s && r.model === model).map((r) => r.kappa))).join(' | ')} |`);
}
for (const model of ['probe', 'finetune']) {
  const rs = results.filter((r) => r.model === model);
  console.log(`${model}: ${(rs.reduce((a, r) => a + r.seconds, 0) / rs.length).toFixed(1)} s per run, ${(rs.reduce((a, r) => a + r.epochs, 0) / rs.length).toFixed(1)} epochs`);
}
console.log(`total wall time ${((performance.now() - t0) / 1000).toFixed(0)} s (tfjs cpu backend, shared 2-core machine under load)`);
backbone.dispose();

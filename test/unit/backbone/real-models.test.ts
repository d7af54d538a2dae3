import '@tensorflow/tfjs-backend-wasm';
import * as tf from '@tensorflow/tfjs-core';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Backbone } from '../../../src/backbone/backbone.js';
import { readNpz } from '../../../src/data/npz.js';
import { bootstrapCi, cohenKappaScore, rocAucScore } from '../../../src/metrics/index.js';
import { Probe } from '../../../src/probe/probe.js';
import { sampleSubset } from '../../../src/protocol/subsets.js';
import { nodePlatform } from '../../../src/platform/node/node-platform.js';
import { registerPlatform } from '../../../src/host/platform.js';

// The shared folder sits next to the repository (see ../shared/models/README.md); it is not
// part of the package, so these tests skip, saying so, where it is absent.
const shared = join(import.meta.dirname, '../../../../shared');
const models = join(shared, 'models');
const retina = join(shared, 'data/retinamnist.npz');
const haveModels = existsSync(models) && existsSync(retina);
const title = (name: string) => (haveModels ? name : `${name} (skipped: ${models} or ${retina} is absent)`);

/** nsfwjs models take pixel / 255 with a bilinear resize: no mean or std of their own. */
const nsfwjs = { embeddingLayer: 'flatten_1', mean: [0, 0, 0], std: [1, 1, 1] } as const;

let images: { data: Uint8Array; shape: number[] };

beforeAll(async () => {
  registerPlatform(nodePlatform);
  await tf.setBackend('wasm');
  if (!haveModels) return;
  const arrays = await readNpz(new Uint8Array(readFileSync(retina)));
  const test = arrays.get('test_images');
  if (!test) throw new Error('retinamnist.npz has no test_images');
  // The first 8 RetinaMNIST test images, (8, 28, 28, 3) uint8.
  const per = 28 * 28 * 3;
  images = { data: (test.data as Uint8Array).slice(0, 8 * per), shape: [8, 28, 28, 3] };
});

describe.skipIf(!haveModels)(title('real tfjs models on the wasm backend'), () => {
  let mobilenet: Backbone;
  let before = 0;

  beforeAll(async () => {
    expect(tf.getBackend()).toBe('wasm');
    before = tf.memory().numTensors;
    mobilenet = await Backbone.fromTfjs(join(models, 'mobilenet_v2_nsfwjs/model.json'), nsfwjs);
  });
  afterAll(() => {
    mobilenet?.dispose();
  });

  it('MobileNetV2 loads with its 224 x 224 input and 1280-d pooled features', () => {
    expect(mobilenet.embeddingDim).toBe(1280);
    expect(mobilenet.config).toMatchObject({ id: 'mobilenet_v2_nsfwjs', inputSize: [224, 224], embedding: 'layer:flatten_1' });
  });

  it('embeds 8 RetinaMNIST images into finite, non-constant [8, 1280] embeddings', async () => {
    const t0 = performance.now();
    const e = await mobilenet.embed(images, { batchSize: 8, as: 'array' });
    const ms = performance.now() - t0;
    console.log(`MobileNetV2 on wasm: 8 images in ${ms.toFixed(0)} ms (${((8 * 1000) / ms).toFixed(1)} images/s)`);
    expect(e.shape).toEqual([8, 1280]);
    expect(e.data.every(Number.isFinite)).toBe(true);
    const mean = e.data.reduce((s, v) => s + v, 0) / e.data.length;
    const variance = e.data.reduce((s, v) => s + (v - mean) ** 2, 0) / e.data.length;
    expect(variance).toBeGreaterThan(1e-6);
    // ReLU6 features after average pooling: non-negative, and different for different images.
    expect(Math.min(...e.data)).toBeGreaterThanOrEqual(0);
    const rows = Array.from({ length: 8 }, (_, i) => e.data.subarray(i * 1280, (i + 1) * 1280));
    expect(rows.some((r) => r.some((v, j) => Math.abs(v - rows[0]![j]!) > 1e-3))).toBe(true);
  });

  it('gives the same embeddings in batches of 3 as in one batch', async () => {
    const [a, b] = await Promise.all([mobilenet.embed(images, { batchSize: 8, as: 'array' }), mobilenet.embed(images, { batchSize: 3, as: 'array' })]);
    let worst = 0;
    a.data.forEach((v, i) => (worst = Math.max(worst, Math.abs(v - b.data[i]!))));
    expect(worst).toBeLessThan(1e-4);
  });

  it('leaves only the model weights behind, and nothing after dispose', async () => {
    const loaded = tf.memory().numTensors;
    const e = await mobilenet.embed(images, { batchSize: 4 });
    e.dispose();
    expect(tf.memory().numTensors).toBe(loaded);
    mobilenet.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('InceptionV3 loads with its 299 x 299 input and 2048-d features, and embeds 2 images', async () => {
    const start = tf.memory().numTensors;
    const inception = await Backbone.fromTfjs(join(models, 'inception_v3_nsfwjs/model.json'), nsfwjs);
    try {
      expect(inception.embeddingDim).toBe(2048);
      expect(inception.config.inputSize).toEqual([299, 299]);
      const two = { data: images.data.subarray(0, 2 * 28 * 28 * 3), shape: [2, 28, 28, 3] };
      const e = await inception.embed(two, { as: 'array' });
      expect(e.shape).toEqual([2, 2048]);
      expect(e.data.every(Number.isFinite)).toBe(true);
      expect(Math.max(...e.data)).toBeGreaterThan(0);
    } finally {
      inception.dispose();
    }
    expect(tf.memory().numTensors).toBe(start);
  });
});

describe.skipIf(!haveModels)(title('a linear probe on real MobileNetV2 embeddings of RetinaMNIST'), () => {
  // 400 class-balanced training images (seeded) and all 400 test images, at 96 px (the demo's
  // input size: the images are 28 px, and 96 px embeds about 8x faster than 224 on wasm).
  it('beats chance on the test split: bootstrap 95% CIs of quadratic kappa above 0 and of macro one-vs-rest AUC above 0.5', async () => {
    const arrays = await readNpz(new Uint8Array(readFileSync(retina)));
    const get = (k: string) => {
      const a = arrays.get(k);
      if (!a) throw new Error(`retinamnist.npz has no ${k}`);
      return a;
    };
    const per = 28 * 28 * 3;
    const trainImages = get('train_images').data as Uint8Array;
    const trainLabels = Array.from(get('train_labels').data as Uint8Array);
    const testImages = get('test_images').data as Uint8Array;
    const testLabels = Array.from(get('test_labels').data as Uint8Array);
    const { train } = sampleSubset(trainLabels, { size: 400, seed: 7, balanced: true, validationFraction: 0 });
    const picked = new Uint8Array(train.length * per);
    train.forEach((r, i) => picked.set(trainImages.subarray(r * per, (r + 1) * per), i * per));
    const yTrain = Array.from(train, (r) => trainLabels[r]!);

    const before = tf.memory().numTensors;
    const backbone = await Backbone.fromTfjs(join(models, 'mobilenet_v2_nsfwjs/model.json'), {
      ...nsfwjs,
      inputSize: 96,
      adaptInputSize: true,
    });
    let xTrain;
    let xTest;
    try {
      xTrain = await backbone.embed({ data: picked, shape: [train.length, 28, 28, 3] }, { batchSize: 32, as: 'array' });
      xTest = await backbone.embed({ data: testImages, shape: [testLabels.length, 28, 28, 3] }, { batchSize: 32, as: 'array' });
    } finally {
      backbone.dispose();
    }
    const probe = await new Probe({ task: 'multiclass', solver: 'lbfgs', standardize: true, seed: 0 }).fit(xTrain, yTrain);
    const predicted = Array.from(probe.predict(xTest));
    const proba = probe.predictProba(xTest) as Float32Array[] | readonly ArrayLike<number>[];
    probe.dispose();
    expect(tf.memory().numTensors).toBe(before);

    // Chance-corrected metrics: the probe is trained on class-balanced draws, so its accuracy on
    // the imbalanced test split (43.5 % grade 0) is no measure of chance.
    const qwk = (t: ArrayLike<number>, p: ArrayLike<number>) => cohenKappaScore(t, p, { weights: 'quadratic' });
    const auc = (t: ArrayLike<number>, p: ArrayLike<number>[]) => rocAucScore(t, p, { multiClass: 'ovr', average: 'macro' });
    const kappa = bootstrapCi(qwk, testLabels, predicted, { nResamples: 1000, seed: 1 });
    const macroAuc = bootstrapCi(auc, testLabels, Array.from(proba), { nResamples: 300, seed: 1, stratified: true });
    console.log(
      `MobileNetV2 (96 px) + L-BFGS probe, 400 balanced train / ${testLabels.length} test: quadratic kappa ` +
        `${kappa.estimate.toFixed(4)} (95% CI ${kappa.lower.toFixed(4)} to ${kappa.upper.toFixed(4)}), macro OvR AUC ` +
        `${macroAuc.estimate.toFixed(4)} (95% CI ${macroAuc.lower.toFixed(4)} to ${macroAuc.upper.toFixed(4)})`,
    );
    expect(kappa.lower).toBeGreaterThan(0);
    expect(macroAuc.lower).toBeGreaterThan(0.5);
  }, 180_000);
});

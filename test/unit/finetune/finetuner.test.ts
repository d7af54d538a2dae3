import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { Backbone, DisposedError, FineTuner, InvalidArgumentError, NonFiniteError, NotFittedError, ShapeError, type Augmentation } from '../../../src/index.js';
import { tinyResNetBackbone, toyImages } from './helpers.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const quick = { minEpochs: 2, maxEpochs: 2, batchSize: 8 } as const;

async function embedArray(b: Backbone, images: Parameters<Backbone['embed']>[0]): Promise<Float32Array> {
  return (await b.embed(images, { as: 'array' })).data;
}

/** Fits, checking that the tensor count is what it was once the fine-tuner is disposed. */
async function leakFree<T>(run: () => Promise<T>): Promise<T> {
  const before = tf.memory().numTensors;
  const out = await run();
  expect(tf.memory().numTensors).toBe(before);
  return out;
}

describe('FineTuner: the estimator contract', () => {
  it('fits, predicts and evaluates a binary task, leaving no tensor behind and the backbone untouched', async () => {
    const backbone = tinyResNetBackbone();
    const { images, labels } = toyImages(16);
    const pretrained = await embedArray(backbone, images);
    const print = await backbone.fingerprint();
    await leakFree(async () => {
      const ft = new FineTuner({ backbone, task: 'binary', ...quick });
      expect(await ft.fit(images, labels, { validation: { images, labels } })).toBe(ft);
      const p = ft.predictProba(images);
      expect(p).toBeInstanceOf(Float32Array);
      expect(p.length).toBe(16);
      expect(ft.predict(images).every((c) => c === 0 || c === 1)).toBe(true);
      expect(ft.history.map((h) => h.epoch)).toEqual([1, 2]);
      expect(ft.provenance?.nTrain).toBe(16);
      expect(ft.provenance?.validation).toBe('given');
      expect(Number.isFinite(ft.evaluate(images, labels).auc)).toBe(true);
      ft.dispose();
      expect(() => ft.predictProba(images)).toThrow(DisposedError);
      await expect(ft.fit(images, labels)).rejects.toThrow(DisposedError);
    });
    expect(await embedArray(backbone, images)).toEqual(pretrained);
    expect(await backbone.fingerprint()).toBe(print);
    backbone.dispose();
  });

  it('throws NotFittedError before fit', () => {
    const backbone = tinyResNetBackbone();
    const ft = new FineTuner({ backbone, task: 'binary' });
    expect(() => ft.predictProba(toyImages(2).images)).toThrow(NotFittedError);
    ft.dispose();
    backbone.dispose();
  });

  it('is deterministic for a seed and differs across seeds', async () => {
    const backbone = tinyResNetBackbone();
    const { images, labels } = toyImages(8);
    const run = async (seed: number) => {
      const ft = await new FineTuner({ backbone, task: 'binary', ...quick, batchSize: 4, seed }).fit(images, labels);
      const p = ft.predictProba(images);
      ft.dispose();
      return p;
    };
    const a = await run(3);
    expect(await run(3)).toEqual(a);
    expect(await run(4)).not.toEqual(a);
    backbone.dispose();
  });

  it('trains multiclass and multilabel heads on mixed image sizes', async () => {
    const backbone = tinyResNetBackbone();
    const mixed = Array.from({ length: 6 }, (_, i) => {
      const size = i % 2 ? 8 : 12;
      return { data: new Uint8Array(size * size * 3).map((_, j) => (j * (i + 3)) % 256), width: size, height: size, channels: 3 as const };
    });
    await leakFree(async () => {
      const mc = await new FineTuner({ backbone, task: 'multiclass', minEpochs: 1, maxEpochs: 1, batchSize: 6 }).fit(mixed, [0, 1, 2, 0, 1, 2]);
      const rows = mc.predictProba(mixed);
      expect(rows.length).toBe(6);
      for (const r of rows) expect(r.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
      expect(mc.predict(mixed).every((c) => [0, 1, 2].includes(c))).toBe(true);
      mc.dispose();
      const ml = await new FineTuner({ backbone, task: 'multilabel', minEpochs: 1, maxEpochs: 1, batchSize: 6 }).fit(mixed, [
        [1, 0], [0, 1], [1, 1], [0, 0], [1, 0], [0, 1],
      ]);
      expect(ml.predict(mixed).map((r) => r.length)).toEqual([2, 2, 2, 2, 2, 2]);
      ml.dispose();
    });
    backbone.dispose();
  });
});

describe('FineTuner: options', () => {
  it("trainable: 'head' keeps the backbone's features (toBackbone embeds as the pretrained one)", async () => {
    const backbone = tinyResNetBackbone();
    const { images, labels } = toyImages(8);
    const ft = await new FineTuner({ backbone, task: 'binary', ...quick, trainable: 'head' }).fit(images, labels);
    const trained = await ft.toBackbone();
    expect(await embedArray(trained, images)).toEqual(await embedArray(backbone, images));
    ft.dispose();
    trained.dispose();
    backbone.dispose();
  });

  it("toBackbone gives a frozen Backbone with new weights and an honest fingerprint; 'all' changes the features", async () => {
    const backbone = tinyResNetBackbone();
    const { images, labels } = toyImages(8);
    await leakFree(async () => {
      const ft = await new FineTuner({ backbone, task: 'binary', ...quick }).fit(images, labels);
      const trained = await ft.toBackbone();
      expect(trained).toBeInstanceOf(Backbone);
      expect(trained.embeddingDim).toBe(backbone.embeddingDim);
      expect(trained.config.id).toBe('tiny-resnet+finetuned');
      expect(trained.config.mean).toEqual(backbone.config.mean);
      expect(await embedArray(trained, images)).not.toEqual(await embedArray(backbone, images));
      expect(await trained.fingerprint()).not.toBe(await backbone.fingerprint());
      ft.dispose();
      // The trained backbone owns its own weights: it still embeds after the fine-tuner is gone.
      expect((await embedArray(trained, images)).every(Number.isFinite)).toBe(true);
      trained.dispose();
    });
    backbone.dispose();
  });

  it('LP-FT runs the head-only epochs first, and validationSplit holds rows out', async () => {
    const backbone = tinyResNetBackbone();
    const { images, labels } = toyImages(12);
    const ft = await new FineTuner({ backbone, task: 'binary', ...quick, linearProbeEpochs: 1, validationSplit: 0.34, monitor: 'loss' }).fit(images, labels);
    expect(ft.history.map((h) => h.epoch)).toEqual([1, 2, 3]);
    expect(ft.provenance?.validation).toBe('split');
    expect((ft.provenance?.nTrain ?? 0) + (ft.provenance?.nValidation ?? 0)).toBe(12);
    expect(ft.provenance?.nValidation).toBeGreaterThan(0);
    ft.dispose();
    backbone.dispose();
  });

  it('augments training images only, from its own seeded stream (identity changes nothing)', async () => {
    const backbone = tinyResNetBackbone();
    const { images, labels } = toyImages(8);
    const seen: number[] = [];
    const identity: Augmentation = (image, random) => {
      const r = random();
      seen.push(r);
      expect(image.channels).toBe(3);
      expect(image.height).toBe(8);
      expect(Math.max(...image.data)).toBeLessThanOrEqual(255);
      return image;
    };
    const options = { backbone, task: 'binary' as const, ...quick, seed: 5 };
    const plain = await new FineTuner(options).fit(images, labels);
    const augmented = await new FineTuner({ ...options, augment: identity }).fit(images, labels);
    // 8 images x 2 epochs, each drawing once; uniform in [0, 1).
    expect(seen.length).toBe(16);
    expect(seen.every((r) => r >= 0 && r < 1)).toBe(true);
    expect(augmented.predictProba(images)).toEqual(plain.predictProba(images));
    // A horizontal flip changes what is learnt.
    const flip: Augmentation = (image) => {
      const { height: h, width: w, channels: c } = image;
      const data = new Float32Array(image.data.length);
      for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) for (let k = 0; k < c; k++) data[(y * w + x) * c + k] = image.data[(y * w + (w - 1 - x)) * c + k] as number;
      return { data, height: h, width: w, channels: c };
    };
    const flipped = await new FineTuner({ ...options, augment: flip }).fit(images, labels);
    expect(flipped.predictProba(images)).not.toEqual(plain.predictProba(images));
    for (const f of [plain, augmented, flipped]) f.dispose();
    backbone.dispose();
  });

  it('{ fromStage } with frozen batch norms trains only the later stages; every other option runs leak-free', async () => {
    const backbone = tinyResNetBackbone();
    const { images, labels } = toyImages(8);
    type Internal = { current: { model: { getLayer(name: string): { getWeights(): { dataSync(): Float32Array }[] } } } };
    const weightOf = (ft: FineTuner, layer: string) => Array.from((ft as unknown as Internal).current.model.getLayer(layer).getWeights()[0]?.dataSync() ?? []);
    const original = (await backbone.embed(images, { as: 'array' })).data;
    await leakFree(async () => {
      const ft = await new FineTuner({
        backbone, task: 'binary', ...quick, batchSize: 2, trainable: { fromStage: 4 }, batchNorm: 'frozen', layerDecay: 0.5, weightDecay: 0.01,
        accumulate: 2, schedule: 'cosine', warmupEpochs: 1, labelSmoothing: 0.1, classWeight: 'balanced',
      }).fit(images, labels);
      const pretrained = await ft.toBackbone();
      // Read the pretrained weights through a fresh copy: the stem and layer3 are as loaded, layer4 moved.
      const head = new FineTuner({ backbone, task: 'binary', ...quick, trainable: 'head' });
      await head.fit(images, labels);
      expect(weightOf(ft, 'conv1')).toEqual(weightOf(head, 'conv1'));
      expect(weightOf(ft, 'layer3.0.conv1')).toEqual(weightOf(head, 'layer3.0.conv1'));
      expect(weightOf(ft, 'layer4.0.conv1')).not.toEqual(weightOf(head, 'layer4.0.conv1'));
      expect((await pretrained.embed(images, { as: 'array' })).data).not.toEqual(original);
      for (const x of [ft, head, pretrained]) x.dispose();
    });
    backbone.dispose();
  });

  it('rejects bad options with the allowed values', () => {
    const backbone = tinyResNetBackbone();
    expect(() => new FineTuner({ backbone, task: 'binary', trainable: 'some' as never })).toThrow(/'all', 'head' or \{ fromStage/);
    expect(() => new FineTuner({ backbone, task: 'binary', labelSmoothing: 1 })).toThrow(InvalidArgumentError);
    expect(() => new FineTuner({ backbone, task: 'binary', accumulate: 0 })).toThrow(InvalidArgumentError);
    expect(() => new FineTuner({ backbone, task: 'binary', lr: 1 } as never)).toThrow(/unknown option 'lr'/);
    expect(new FineTuner({ backbone, task: 'binary' }).hyperparameters.paper).toMatchObject({ learningRate: 1e-3, batchSize: 64, minEpochs: 30, maxEpochs: 50 });
    backbone.dispose();
  });
});

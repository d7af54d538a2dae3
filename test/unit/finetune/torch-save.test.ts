import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { Backbone, CheckpointFormatError, FineTuner, InvalidArgumentError, NotFittedError } from '../../../src/index.js';
import { toFloat32 } from '../../../src/io/raw-tensor.js';
import { parseSafetensors } from '../../../src/io/safetensors.js';
import { readFileSync } from 'node:fs';
import { checkpointBytes, customArch, sizeOptions, testImages, type Family } from '../backbone/from-checkpoint-fixtures.js';
import { tinyResNetBackbone, toyImages } from './helpers.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const FILES: Record<Family, string> = { resnet: 'resnet-fp16.safetensors', vit: 'vit-timm.safetensors' };
// timm's ViT head takes the CLS token: the embedding a ViT must have to be saved for PyTorch.
const EMBEDDING = { resnet: {}, vit: { embedding: 'cls' } } as const;
const SIZE: Record<Family, number> = { resnet: 32, vit: 16 };

function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  expect(a.length).toBe(b.length);
  return a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i])), 0);
}

async function embed(b: Backbone, images: Parameters<Backbone['embed']>[0]): Promise<Float32Array> {
  return (await b.embed(images, { as: 'array' })).data;
}

describe.each(['resnet', 'vit'] as Family[])('FineTuner.toSafetensors (tiny %s from Backbone.fromCheckpoint)', (family) => {
  it('writes torch key names and a head that Backbone.fromCheckpoint reads back to the same embeddings and probabilities within 1e-5, nothing leaked', async () => {
    const arch = customArch(family);
    const options = { ...sizeOptions(family), ...EMBEDDING[family], engine: 'tfjs', foldBatchNorm: false } as const;
    const backbone = await Backbone.fromCheckpoint(arch, checkpointBytes(FILES[family]), options);
    const { images, labels } = toyImages(8, SIZE[family]);
    const before = tf.memory().numTensors;
    const ft = await new FineTuner({ backbone, task: 'binary', minEpochs: 2, maxEpochs: 2, batchSize: 4 }).fit(images, labels);
    const atFit = tf.memory().numTensors;
    const bytes = ft.toSafetensors();
    expect(tf.memory().numTensors).toBe(atFit);

    const { tensors, metadata } = parseSafetensors(bytes);
    expect(metadata).toMatchObject({ format: 'pt', task: 'binary', classes: '[0,1]' });
    const prefix = family === 'resnet' ? 'fc' : 'head';
    const w = tensors.get(`${prefix}.weight`)!;
    const b = tensors.get(`${prefix}.bias`)!;
    expect(w.shape).toEqual([1, backbone.embeddingDim]);
    expect(b.shape).toEqual([1]);
    if (family === 'resnet') {
      expect(tensors.get('conv1.weight')?.shape.slice(1)).toEqual([3, 7, 7]); // OIHW
      expect(tensors.get('layer4.0.bn3.num_batches_tracked')?.dtype).toBe('int64');
    } else {
      expect(tensors.get('blocks.3.attn.qkv.weight')?.shape).toEqual([24, 8]);
    }

    const trained = await ft.toBackbone();
    // Training moved the weights, so equal embeddings below mean the trained ones were saved.
    expect(maxAbsDiff(await embed(trained, images), await embed(backbone, images))).toBeGreaterThan(1e-4);
    for (const foldBatchNorm of [false, true]) {
      const loaded = await Backbone.fromCheckpoint(arch, bytes, { ...sizeOptions(family), ...EMBEDDING[family], engine: 'tfjs', foldBatchNorm });
      expect(loaded.loadReport?.ignored).toEqual(expect.arrayContaining([`${prefix}.weight`, `${prefix}.bias`]));
      const e = await embed(loaded, images);
      expect(maxAbsDiff(e, await embed(trained, images))).toBeLessThan(1e-5);
      // The saved head on the reloaded embeddings, by hand: sigmoid(e . w + b) is predictProba.
      const wv = toFloat32(w);
      const bv = toFloat32(b)[0];
      const dim = backbone.embeddingDim;
      const proba = Float32Array.from({ length: 8 }, (_, i) => {
        let z = bv;
        for (let j = 0; j < dim; j++) z += e[i * dim + j] * wv[j];
        return 1 / (1 + Math.exp(-z));
      });
      expect(maxAbsDiff(proba, ft.predictProba(images))).toBeLessThan(1e-5);
      loaded.dispose();
    }
    trained.dispose();
    ft.dispose();
    expect(tf.memory().numTensors).toBe(before);
    backbone.dispose();
  });
});

describe('FineTuner.toSafetensors errors', () => {
  it('throws NotFittedError before fit', () => {
    const backbone = tinyResNetBackbone();
    expect(() => new FineTuner({ backbone, task: 'binary' }).toSafetensors()).toThrow(NotFittedError);
    backbone.dispose();
  });

  it('refuses a backbone not built by fromCheckpoint (fromModel / fromTfjs) with an InvalidArgumentError naming what works, nothing leaked', async () => {
    const backbone = tinyResNetBackbone();
    const { images, labels } = toyImages(4);
    const ft = await new FineTuner({ backbone, task: 'binary', minEpochs: 1, maxEpochs: 1, batchSize: 4 }).fit(images, labels);
    const before = tf.memory().numTensors;
    const error = (() => {
      try {
        ft.toSafetensors();
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(InvalidArgumentError);
    expect((error as Error).message).toMatch(/'tiny-resnet' was not built by Backbone\.fromCheckpoint.*ResNets and ViTs.*foldBatchNorm: false.*toBackbone/);
    expect(tf.memory().numTensors).toBe(before);
    ft.dispose();
    backbone.dispose();
  });

  it('refuses a ViT whose embedding is not the CLS token timm\'s head takes (lastBlocksCls), naming embedding: \'cls\'', async () => {
    const backbone = await Backbone.fromCheckpoint(customArch('vit'), checkpointBytes(FILES.vit), {
      ...sizeOptions('vit'),
      engine: 'tfjs',
      embedding: 'lastBlocksCls',
      lastBlocks: 2,
    });
    const { images, labels } = toyImages(4, 16);
    const ft = await new FineTuner({ backbone, task: 'binary', minEpochs: 1, maxEpochs: 1, batchSize: 4 }).fit(images, labels);
    const before = tf.memory().numTensors;
    expect(() => ft.toSafetensors()).toThrow(/16-d embedding.*takes 8 features.*embedding: 'cls'/);
    expect(tf.memory().numTensors).toBe(before);
    ft.dispose();
    backbone.dispose();
  });
});

describe.each(['resnet', 'vit'] as Family[])('FineTuner.fromSafetensors of its own file (tiny %s)', (family) => {
  it('gives back the fine-tuner: the same probabilities within 1e-5, classes, the same file; fit resumes from the saved head; nothing leaked', async () => {
    const arch = customArch(family);
    const options = { ...sizeOptions(family), ...EMBEDDING[family], engine: 'tfjs', foldBatchNorm: false } as const;
    const pretrained = await Backbone.fromCheckpoint(arch, checkpointBytes(FILES[family]), options);
    const { images, labels } = toyImages(8, SIZE[family]);
    const ft = await new FineTuner({ backbone: pretrained, task: 'binary', classes: [3, 7], minEpochs: 2, maxEpochs: 2, batchSize: 4 }).fit(
      images,
      labels.map((l) => (l ? 7 : 3)),
    );
    const bytes = ft.toSafetensors();
    const backbone = await Backbone.fromCheckpoint(arch, bytes, options);
    const before = tf.memory().numTensors;
    const loaded = await FineTuner.fromSafetensors(bytes, { backbone, task: 'binary' });
    expect(loaded.isFitted).toBe(true);
    expect(loaded.classes).toEqual([3, 7]); // from the file's metadata
    expect(loaded.provenance).toMatchObject({ loadedFrom: 'dvme 0.1.0', epochs: 0, validation: 'none' });
    expect(maxAbsDiff(loaded.predictProba(images), ft.predictProba(images))).toBeLessThan(1e-5);
    expect(loaded.predict(images)).toEqual(ft.predict(images));
    expect(Buffer.from(loaded.toSafetensors()).equals(Buffer.from(bytes))).toBe(true);

    // fit resumes: at a negligible rate with frozen batch norms it keeps the saved model's
    // probabilities; a new fine-tuner on the same backbone starts from a fresh head instead.
    const resume = { learningRate: 1e-9, batchNorm: 'frozen', minEpochs: 1, maxEpochs: 1, batchSize: 4 } as const;
    const again = await FineTuner.fromSafetensors(bytes, { backbone, task: 'binary', ...resume });
    await again.fit(images, labels.map((l) => (l ? 7 : 3)));
    expect(again.provenance?.loadedFrom).toBeUndefined();
    expect(maxAbsDiff(again.predictProba(images), ft.predictProba(images))).toBeLessThan(1e-5);
    const fresh = await new FineTuner({ backbone, task: 'binary', ...resume }).fit(images, labels.map((l) => (l ? 7 : 3)));
    expect(maxAbsDiff(fresh.predictProba(images), ft.predictProba(images))).toBeGreaterThan(1e-3);
    for (const f of [loaded, again, fresh]) f.dispose();
    expect(tf.memory().numTensors).toBe(before);
    ft.dispose();
    backbone.dispose();
    pretrained.dispose();
  });
});

// Files PyTorch trained and wrote (scripts/fixtures/finetune_export.py), and its eval logits.
const TORCH = JSON.parse(readFileSync(new URL('../../fixtures/finetune/export-logits.json', import.meta.url), 'utf8')) as Record<string, { logits: number[][] }>;
const TORCH_ARCH = {
  resnet: { family: 'resnet', layers: [1, 1, 1, 1], width: 2, widthPerGroup: 64 },
  vit: { family: 'vit', imgSize: 16, patchSize: 8, dim: 8, depth: 2, numHeads: 2, mlpRatio: 4 },
} as const;

function torchFile(family: Family): Uint8Array {
  return new Uint8Array(readFileSync(new URL(`../../fixtures/finetune/torch-${family}-tiny.safetensors`, import.meta.url)));
}

describe.each(['resnet', 'vit'] as Family[])('FineTuner.fromSafetensors of a file PyTorch wrote (tiny %s, 3 classes)', (family) => {
  it("gives PyTorch's logits (embeddings @ head) and softmax probabilities within 1e-4 relative, nothing leaked", async () => {
    const bytes = torchFile(family);
    const backbone = await Backbone.fromCheckpoint(TORCH_ARCH[family], bytes, { ...sizeOptions(family), ...EMBEDDING[family], engine: 'tfjs', foldBatchNorm: false });
    const before = tf.memory().numTensors;
    const ft = await FineTuner.fromSafetensors(bytes, { backbone, task: 'multiclass' });
    expect(ft.classes).toEqual([0, 1, 2]);
    expect(ft.provenance?.loadedFrom).toBe('unknown');
    const images = testImages(family);
    const ref = TORCH[`torch-${family}-tiny`].logits;
    const scale = Math.max(...ref.flat().map(Math.abs));
    // Logits: the fine-tuner's backbone, then the file's head by hand.
    const trained = await ft.toBackbone();
    const e = await embed(trained, images);
    const { tensors } = parseSafetensors(bytes);
    const prefix = family === 'resnet' ? 'fc' : 'head';
    const w = toFloat32(tensors.get(`${prefix}.weight`)!);
    const b = toFloat32(tensors.get(`${prefix}.bias`)!);
    const dim = backbone.embeddingDim;
    const logits = ref.map((_, i) => [0, 1, 2].map((c) => e.slice(i * dim, (i + 1) * dim).reduce((z, v, j) => z + v * w[c * dim + j], b[c])));
    expect(maxAbsDiff(Float32Array.from(logits.flat()), Float32Array.from(ref.flat())) / scale).toBeLessThan(1e-4);
    // Probabilities: the fine-tuner's own head.
    const softmax = ref.flatMap((row) => {
      const m = Math.max(...row);
      const z = row.reduce((a, v) => a + Math.exp(v - m), 0);
      return row.map((v) => Math.exp(v - m) / z);
    });
    const proba = (ft.predictProba(images) as Float32Array[]).flatMap((r) => Array.from(r));
    expect(maxAbsDiff(Float32Array.from(proba), Float32Array.from(softmax)) / Math.max(...softmax)).toBeLessThan(1e-4);
    trained.dispose();
    ft.dispose();
    expect(tf.memory().numTensors).toBe(before);
    backbone.dispose();
  });
});

describe('FineTuner.fromSafetensors errors (typed, naming the fix, nothing leaked)', () => {
  async function expectThrows(run: () => Promise<unknown>, type: new (...a: never[]) => Error, message: RegExp): Promise<void> {
    const before = tf.memory().numTensors;
    await expect(run()).rejects.toThrow(type);
    await expect(run()).rejects.toThrow(message);
    expect(tf.memory().numTensors).toBe(before);
  }
  const options = { ...sizeOptions('resnet'), engine: 'tfjs', foldBatchNorm: false } as const;

  it('a backbone holding other weights than the file (the pretrained one)', async () => {
    const bytes = torchFile('resnet');
    const other = await Backbone.fromCheckpoint(TORCH_ARCH.resnet, checkpointBytes(FILES.resnet), options);
    await expectThrows(() => FineTuner.fromSafetensors(bytes, { backbone: other, task: 'multiclass' }), InvalidArgumentError, /other weights than the file \(first: 'conv1\.weight'\).*Backbone\.fromCheckpoint\(arch, file/);
    other.dispose();
  });

  it('a task or classes the head does not fit, a backbone-only file, a backbone not from fromCheckpoint, a ViT without its CLS embedding', async () => {
    const bytes = torchFile('resnet');
    const backbone = await Backbone.fromCheckpoint(TORCH_ARCH.resnet, bytes, options);
    await expectThrows(() => FineTuner.fromSafetensors(bytes, { backbone, task: 'binary' }), InvalidArgumentError, /3 outputs; a binary head over classes \[0, 1\] has 1/);
    await expectThrows(() => FineTuner.fromSafetensors(bytes, { backbone, task: 'multiclass', classes: [0, 1] }), InvalidArgumentError, /3 outputs.*Pass the classes the head was trained on/);
    backbone.dispose();

    const plain = await Backbone.fromCheckpoint(customArch('resnet'), checkpointBytes(FILES.resnet), options);
    await expectThrows(() => FineTuner.fromSafetensors(checkpointBytes(FILES.resnet), { backbone: plain, task: 'binary' }), CheckpointFormatError, /no 'fc\.weight' and 'fc\.bias' classifier/);
    plain.dispose();

    const tiny = tinyResNetBackbone();
    await expectThrows(() => FineTuner.fromSafetensors(bytes, { backbone: tiny, task: 'multiclass' }), InvalidArgumentError, /not built by Backbone\.fromCheckpoint/);
    tiny.dispose();

    const vitBytes = torchFile('vit');
    const vit = await Backbone.fromCheckpoint(TORCH_ARCH.vit, vitBytes, { ...sizeOptions('vit'), engine: 'tfjs', embedding: 'lastBlocksCls', lastBlocks: 2 });
    await expectThrows(() => FineTuner.fromSafetensors(vitBytes, { backbone: vit, task: 'multiclass' }), InvalidArgumentError, /head takes 8 features.*embeds to 16.*embedding: 'cls'/);
    vit.dispose();
  });

  it('a dvme file read with another task than it was saved with', async () => {
    const arch = customArch('resnet');
    const pretrained = await Backbone.fromCheckpoint(arch, checkpointBytes(FILES.resnet), options);
    const { images, labels } = toyImages(4, 32);
    const ft = await new FineTuner({ backbone: pretrained, task: 'binary', minEpochs: 1, maxEpochs: 1, batchSize: 4 }).fit(images, labels);
    const bytes = ft.toSafetensors();
    const backbone = await Backbone.fromCheckpoint(arch, bytes, options);
    await expectThrows(() => FineTuner.fromSafetensors(bytes, { backbone, task: 'multiclass' }), InvalidArgumentError, /saved by a 'binary' FineTuner, but task is 'multiclass'\. Pass task: 'binary'/);
    for (const x of [ft, backbone, pretrained]) x.dispose();
  });
});

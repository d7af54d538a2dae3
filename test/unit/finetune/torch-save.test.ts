import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { Backbone, FineTuner, InvalidArgumentError, NotFittedError } from '../../../src/index.js';
import { toFloat32 } from '../../../src/io/raw-tensor.js';
import { parseSafetensors } from '../../../src/io/safetensors.js';
import { checkpointBytes, customArch, sizeOptions, type Family } from '../backbone/from-checkpoint-fixtures.js';
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

import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { Backbone } from '../../../src/backbone/backbone.js';
import { EmbeddingCache } from '../../../src/embedding-cache/embedding-cache.js';
import { registerEngineProbes } from '../../../src/backbone/engines/engine-select.js';
import { registerOnnxRuntime } from '../../../src/backbone/engines/onnx-runtime.js';
import { nodePlatform } from '../../../src/platform/node/node-platform.js';
import { registerPlatform } from '../../../src/host/platform.js';
import { ORT_MISSING, ort, provider } from '../backbone/engines/ort.js';
import { checkpointBytes, customArch, sizeOptions, testImages } from '../backbone/from-checkpoint-fixtures.js';
import { artifactsOf, tinyGraphArtifacts, tinyLayersModel, writeModelFolder } from '../backbone/tfjs-fixtures.js';

const bits = (a: Float32Array) => Array.from(new Uint32Array(a.buffer, a.byteOffset, a.length));
const resnet = { ...sizeOptions('resnet'), engine: 'tfjs' } as const;

beforeAll(async () => {
  await tf.setBackend('cpu');
  registerPlatform(nodePlatform);
  if (ort) {
    registerOnnxRuntime(provider);
    registerEngineProbes({ tfjsNative: async () => false, onnx: provider });
  }
});

describe('weights keys of the loaders', () => {
  it('fromCheckpoint hashes the loaded weights: the same weights in another file format share records', async () => {
    const zip = await Backbone.fromCheckpoint(customArch('resnet'), checkpointBytes('resnet-torchvision.pth'), resnet);
    const legacy = await Backbone.fromCheckpoint(customArch('resnet'), checkpointBytes('resnet-torchvision-legacy.pth'), resnet);
    const half = await Backbone.fromCheckpoint(customArch('resnet'), checkpointBytes('resnet-fp16.safetensors'), resnet);
    expect(await zip.fingerprint()).toBe(await legacy.fingerprint());
    expect(await zip.fingerprint()).not.toBe(await half.fingerprint());
    const images = testImages('resnet');
    const cache = EmbeddingCache.inMemory();
    const plain = await zip.embed(images, { as: 'array' });
    const before = tf.memory().numTensors;
    const first = await zip.embed(images, { as: 'array', cache });
    const second = await legacy.embed(images, { as: 'array', cache });
    expect(tf.memory().numTensors).toBe(before);
    expect(cache.stats).toMatchObject({ hits: 2, computed: 2 });
    expect(bits(first.data)).toEqual(bits(plain.data));
    expect(bits(second.data)).toEqual(bits(plain.data));
    await half.embed(images, { as: 'array', cache });
    expect(cache.stats.computed).toBe(4);
    for (const b of [zip, legacy, half]) b.dispose();
  });

  it('fromTfjs hashes LayersModel and GraphModel weights; loading the same files twice gives the same key', async () => {
    const layersDir = writeModelFolder(await artifactsOf(tinyLayersModel()));
    const graphDir = writeModelFolder(tinyGraphArtifacts(), 1);
    const options = { mean: [0, 0, 0], std: [1, 1, 1] } as const;
    const keys = [];
    for (const dir of [layersDir, layersDir, graphDir, graphDir]) {
      const b = await Backbone.fromTfjs(`${dir}/model.json`, dir === graphDir ? { ...options, embeddingNode: 'pooled' } : { ...options, embeddingLayer: 'pool' });
      keys.push(await b.fingerprint());
      b.dispose();
    }
    expect(keys[0]).toBe(keys[1]);
    expect(keys[2]).toBe(keys[3]);
    expect(keys[0]).not.toBe(keys[2]);
  });
});

describe.skipIf(!ort)(`the embedding cache with the ONNX engine${ORT_MISSING}`, () => {
  it('keeps engines and session settings apart, and returns the engine\'s own bits', async () => {
    const bytes = checkpointBytes('resnet-torchvision.pth');
    const tfjs = await Backbone.fromCheckpoint(customArch('resnet'), bytes, resnet);
    const onnx = await Backbone.fromCheckpoint(customArch('resnet'), bytes, { ...resnet, engine: 'onnx', onnx: { cache: false } });
    const threads = await Backbone.fromCheckpoint(customArch('resnet'), bytes, { ...resnet, engine: 'onnx', onnx: { cache: false, threads: 1 } });
    const keys = new Set([await tfjs.fingerprint(), await onnx.fingerprint(), await threads.fingerprint()]);
    expect(keys.size).toBe(3);
    const images = testImages('resnet');
    const cache = EmbeddingCache.inMemory();
    const plain = await onnx.embed(images, { as: 'array', batchSize: 1 });
    await onnx.embed(images, { as: 'array', batchSize: 1, cache });
    const hit = await onnx.embed(images, { as: 'array', cache });
    expect(cache.stats).toMatchObject({ hits: 2, computed: 2 });
    expect(bits(hit.data)).toEqual(bits(plain.data));
    for (const b of [tfjs, onnx, threads]) b.dispose();
  });

  it('fromOnnx keys by the model bytes', async () => {
    const file = readFileSync(fileURLToPath(new URL('../../fixtures/engine/resnet-tiny.onnx', import.meta.url)));
    const options = { mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225], resize: 'shorter-then-crop' } as const;
    const a = await Backbone.fromOnnx(file, { ...options, output: '/layer3/layer3.0/relu_2/Relu_output_0' });
    const b = await Backbone.fromOnnx(file, { ...options, output: '/layer3/layer3.0/relu_2/Relu_output_0' });
    const c = await Backbone.fromOnnx(file, options);
    expect(await a.fingerprint()).toBe(await b.fingerprint());
    expect(await a.fingerprint()).not.toBe(await c.fingerprint());
    for (const x of [a, b, c]) x.dispose();
  });
});

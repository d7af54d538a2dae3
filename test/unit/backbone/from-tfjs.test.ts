import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { createServer, type Server } from 'node:http';
import { readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Backbone } from '../../../src/backbone/backbone.js';
import { BackendUnavailableError, CheckpointFormatError, InvalidArgumentError, ShapeError } from '../../../src/errors/index.js';
import { nodePlatform } from '../../../src/platform/node/node-platform.js';
import { registerPlatform } from '../../../src/host/platform.js';
import { GRAPH_CONV, GRAPH_HEAD, artifactsOf, tinyGraphArtifacts, tinyLayersModel, tokenModel, writeModelFolder } from './tfjs-fixtures.js';

const norm = { mean: [0, 0, 0], std: [1, 1, 1] } as const;
const pixels = (n: number, side: number) => ({
  data: Uint8Array.from({ length: n * side * side * 3 }, (_, i) => (i * 53) % 256),
  shape: [n, side, side, 3],
});

let layers: tf.io.ModelArtifacts;
let folder: string;
const folders: string[] = [];

beforeAll(async () => {
  await tf.setBackend('cpu');
  registerPlatform(nodePlatform);
  const model = tinyLayersModel();
  layers = await artifactsOf(model);
  model.dispose();
  folder = writeModelFolder(layers);
  folders.push(folder);
});
afterAll(() => {
  for (const f of folders) rmSync(f, { recursive: true, force: true });
});

describe('Backbone.fromTfjs with a LayersModel', () => {
  it('cuts the model at embeddingLayer and reads the dim and input size from it', async () => {
    const before = tf.memory().numTensors;
    const b = await Backbone.fromTfjs(tf.io.fromMemory(layers), { embeddingLayer: 'pool', ...norm });
    expect(b.embeddingDim).toBe(6);
    expect(b.config).toMatchObject({ id: 'tfjs-model', inputSize: [8, 8], embedding: 'layer:pool', resize: 'direct' });
    const e = await b.embed(pixels(3, 8));
    expect(e.shape).toEqual([3, 6]);
    e.dispose();
    b.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('global-average-pools a 4-D layer: conv + pool equals the pool layer', async () => {
    const conv = await Backbone.fromTfjs(tf.io.fromMemory(layers), { embeddingLayer: 'conv', ...norm });
    const pool = await Backbone.fromTfjs(tf.io.fromMemory(layers), { embeddingLayer: 'pool', ...norm });
    expect(conv.config.embedding).toBe('layer:conv+avgpool');
    const a = await conv.embed(pixels(2, 8), { as: 'array' });
    const b = await pool.embed(pixels(2, 8), { as: 'array' });
    a.data.forEach((v, i) => expect(v).toBeCloseTo(b.data[i]!, 6));
    conv.dispose();
    pool.dispose();
  });

  it('uses the single model output when no layer is named', async () => {
    const b = await Backbone.fromTfjs(tf.io.fromMemory(layers), { ...norm, id: 'tiny' });
    expect(b.embeddingDim).toBe(5);
    expect(b.config.id).toBe('tiny');
    expect(b.config.embedding).toBe('output');
    b.dispose();
  });

  it('names close layers when the layer is unknown, and leaks nothing', async () => {
    const before = tf.memory().numTensors;
    const error = await Backbone.fromTfjs(tf.io.fromMemory(layers), { embeddingLayer: 'pol', ...norm }).catch((e: unknown) => e);
    expect(InvalidArgumentError.is(error)).toBe(true);
    expect((error as Error).message).toMatch(/has no layer "pol"\. Close names: 'pool'/);
    await expect(Backbone.fromTfjs(tf.io.fromMemory(layers), { embeddingNode: 'pool', ...norm })).rejects.toThrow(/use embeddingLayer|not embeddingNode/);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('refuses a token layer, naming the pooled layers instead', async () => {
    const tokens = await artifactsOf(tokenModel());
    await expect(Backbone.fromTfjs(tf.io.fromMemory(tokens), { embeddingLayer: 'tokens', ...norm })).rejects.toThrow(ShapeError);
    await expect(Backbone.fromTfjs(tf.io.fromMemory(tokens), { embeddingLayer: 'tokens', ...norm })).rejects.toThrow(/'gap1d'/);
  });

  it('checks inputSize against the fixed input', async () => {
    await expect(Backbone.fromTfjs(tf.io.fromMemory(layers), { inputSize: 224, ...norm })).rejects.toThrow(/does not match .* fixed input \[8, 8\]/);
    const b = await Backbone.fromTfjs(tf.io.fromMemory(layers), { inputSize: [8, 8], ...norm });
    expect(b.config.inputSize).toEqual([8, 8]);
    b.dispose();
  });

  it('requires mean and std', async () => {
    await expect(Backbone.fromTfjs(tf.io.fromMemory(layers), { mean: [0, 0, 0] } as never)).rejects.toThrow(/std must be three finite positive numbers/);
  });
});

describe('Backbone.fromTfjs sources', () => {
  it('reads model.json and several shards from a local path and a file:// URL', async () => {
    const fractions: number[] = [];
    const fromPath = await Backbone.fromTfjs(join(folder, 'model.json'), { embeddingLayer: 'pool', ...norm, onProgress: (f) => fractions.push(f) });
    expect(fractions).toEqual([1 / 3, 2 / 3, 1]);
    expect(fromPath.config.id).toBe(folder.split('/').pop());
    const fromUrl = await Backbone.fromTfjs(pathToFileURL(join(folder, 'model.json')).href, { embeddingLayer: 'pool', ...norm });
    const reference = await Backbone.fromTfjs(tf.io.fromMemory(layers), { embeddingLayer: 'pool', ...norm });
    const [a, b, c] = await Promise.all([fromPath, fromUrl, reference].map((m) => m.embed(pixels(2, 8), { as: 'array' })));
    expect(Array.from(a!.data)).toEqual(Array.from(c!.data));
    expect(Array.from(b!.data)).toEqual(Array.from(c!.data));
    [fromPath, fromUrl, reference].forEach((m) => m.dispose());
  });

  it('loads over http with tfjs\' own loader and a custom fetch', async () => {
    const server: Server = createServer((req, res) => {
      try {
        res.end(readFileSync(join(folder, (req.url ?? '/').slice(1))));
      } catch {
        res.statusCode = 404;
        res.end();
      }
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    try {
      const urls: string[] = [];
      const counting: typeof fetch = (input, init) => (urls.push(String(input)), fetch(input, init));
      const b = await Backbone.fromTfjs(`http://127.0.0.1:${port}/model.json`, { embeddingLayer: 'pool', ...norm, fetch: counting });
      expect(b.embeddingDim).toBe(6);
      expect(urls.map((u) => u.split('/').pop())).toEqual(['model.json', 'group1-shard1of2.bin', 'group1-shard2of2.bin']);
      b.dispose();
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('rejects files that are not tfjs models with CheckpointFormatError', async () => {
    const broken = writeModelFolder(layers, 1);
    folders.push(broken);
    truncateSync(join(broken, 'group1-shard1of1.bin'), 10);
    await expect(Backbone.fromTfjs(join(broken, 'model.json'), norm)).rejects.toThrow(/shards of .* hold 10 bytes but its weightsManifest describes \d+/);
    writeFileSync(join(broken, 'model.json'), 'not json');
    await expect(Backbone.fromTfjs(join(broken, 'model.json'), norm)).rejects.toThrow(CheckpointFormatError);
    writeFileSync(join(broken, 'model.json'), '{"weights": []}');
    await expect(Backbone.fromTfjs(join(broken, 'model.json'), norm)).rejects.toThrow(/not a tfjs model\.json/);
    await expect(Backbone.fromTfjs(tf.io.fromMemory({ modelTopology: { foo: 1 }, weightSpecs: [], weightData: new ArrayBuffer(0) }), norm)).rejects.toThrow(
      /cannot tell whether/,
    );
    await expect(Backbone.fromTfjs(42 as never, norm)).rejects.toThrow(InvalidArgumentError);
  });

  it('fetches other strings relative to the page under a platform without files (the browser)', async () => {
    const urls: string[] = [];
    const served: typeof fetch = async (input) => {
      urls.push(String(input));
      return new Response(readFileSync(join(folder, String(input).split('/').pop()!)));
    };
    registerPlatform({ name: 'browser' });
    try {
      const b = await Backbone.fromTfjs('/models/tiny/model.json', { embeddingLayer: 'pool', ...norm, fetch: served });
      expect(b.config.id).toBe('tiny');
      expect(urls).toEqual(['/models/tiny/model.json', '/models/tiny/group1-shard1of2.bin', '/models/tiny/group1-shard2of2.bin']);
      b.dispose();
    } finally {
      registerPlatform(nodePlatform);
    }
  });

  it("tells the user to import 'dvme/node' when no platform is registered", async () => {
    // What a Node app that imported 'dvme' instead of 'dvme/node' has.
    registerPlatform(undefined as never);
    try {
      const error = await Backbone.fromTfjs(join(folder, 'model.json'), norm).catch((e: unknown) => e);
      expect(BackendUnavailableError.is(error)).toBe(true);
      expect((error as Error).message).toMatch(/dvme\/node/);
    } finally {
      registerPlatform(nodePlatform);
    }
  });
});

describe('Backbone.fromTfjs with a GraphModel', () => {
  /** Expected outputs, computed here by hand from the graph's weights. */
  function expected(data: Uint8Array, n: number): { pooled: number[][]; logits: number[][] } {
    const pooled: number[][] = [];
    for (let i = 0; i < n; i++) {
      const acc = [0, 0];
      for (let p = 0; p < 16; p++) {
        for (let c = 0; c < 3; c++) {
          const v = data[(i * 16 + p) * 3 + c]! / 255;
          acc[0] += (v * GRAPH_CONV[c * 2]!) / 16;
          acc[1] += (v * GRAPH_CONV[c * 2 + 1]!) / 16;
        }
      }
      pooled.push(acc);
    }
    const logits = pooled.map(([a, b]) => [0, 1, 2].map((j) => a! * GRAPH_HEAD[j]! + b! * GRAPH_HEAD[3 + j]!));
    return { pooled, logits };
  }

  it('takes embeddingNode, pools a 4-D node, and defaults to the output node', async () => {
    const images = pixels(3, 4);
    const want = expected(images.data, 3);
    const before = tf.memory().numTensors;
    for (const [node, dim, rows, embedding] of [
      ['pooled', 2, want.pooled, 'node:pooled'],
      ['features', 2, want.pooled, 'node:features+avgpool'],
      [undefined, 3, want.logits, 'node:logits'],
    ] as const) {
      const b = await Backbone.fromTfjs(tf.io.fromMemory(tinyGraphArtifacts()), { embeddingNode: node, ...norm });
      expect(b.embeddingDim).toBe(dim);
      expect(b.config.embedding).toBe(embedding);
      expect(b.config.inputSize).toEqual([4, 4]);
      const got = await b.embed(images, { as: 'array', batchSize: 2 });
      got.data.forEach((v, i) => expect(v).toBeCloseTo(rows[Math.floor(i / dim)]![i % dim]!, 5));
      b.dispose();
    }
    expect(tf.memory().numTensors).toBe(before);
  });

  it('names close nodes when the node is unknown, and leaks nothing', async () => {
    const before = tf.memory().numTensors;
    const error = await Backbone.fromTfjs(tf.io.fromMemory(tinyGraphArtifacts()), { embeddingNode: 'poold', ...norm }).catch((e: unknown) => e);
    expect(InvalidArgumentError.is(error)).toBe(true);
    expect((error as Error).message).toMatch(/no node "poold"\. Close names: 'pooled'/);
    await expect(Backbone.fromTfjs(tf.io.fromMemory(tinyGraphArtifacts()), { embeddingLayer: 'pooled', ...norm })).rejects.toThrow(/not embeddingLayer/);
    expect(tf.memory().numTensors).toBe(before);
  });
});

import '@tensorflow/tfjs-backend-wasm';
import * as tf from '@tensorflow/tfjs-core';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Backbone } from '../../../src/backbone/backbone.js';
import { EmbeddingCache } from '../../../src/embedding-cache/embedding-cache.js';
import { nodePlatform } from '../../../src/platform/node/node-platform.js';
import { registerPlatform } from '../../../src/host/platform.js';

// The shared folder sits next to the repository (see ../shared/models/README.md); the test
// skips, saying so, where it is absent.
const model = join(import.meta.dirname, '../../../../shared/models/mobilenet_v2_nsfwjs/model.json');
const haveModel = existsSync(model);
const options = { embeddingLayer: 'flatten_1', mean: [0, 0, 0], std: [1, 1, 1], inputSize: 96, adaptInputSize: true } as const;
const bits = (a: Float32Array) => Array.from(new Uint32Array(a.buffer, a.byteOffset, a.length));

let tmp: string;
beforeAll(async () => {
  registerPlatform(nodePlatform);
  await tf.setBackend('wasm');
  tmp = mkdtempSync(join(tmpdir(), 'dvme-embedding-cache-real-'));
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe.skipIf(!haveModel)(`the embedding cache with a real MobileNetV2${haveModel ? '' : ` (skipped: ${model} is absent)`}`, () => {
  it('a rerun in a new process (a reloaded model, a new cache object) returns at once, bit for bit', async () => {
    const images = { data: Uint8Array.from({ length: 12 * 28 * 28 * 3 }, (_, i) => (i * 7919 + (i >> 9)) % 256), shape: [12, 28, 28, 3] };
    const first = await Backbone.fromTfjs(model, options);
    const plain = await first.embed(images, { as: 'array', batchSize: 4 });
    let t0 = performance.now();
    const computed = await first.embed(images, { as: 'array', batchSize: 4, cache: EmbeddingCache.open({ dir: tmp }) });
    const coldMs = performance.now() - t0;
    first.dispose();
    const again = await Backbone.fromTfjs(model, options);
    const cache = EmbeddingCache.open({ dir: tmp });
    t0 = performance.now();
    const cached = await again.embed(images, { as: 'array', batchSize: 4, cache });
    const warmMs = performance.now() - t0;
    expect(cache.stats).toMatchObject({ hits: 12, misses: 0, computed: 0 });
    expect(bits(computed.data)).toEqual(bits(plain.data));
    expect(bits(cached.data)).toEqual(bits(plain.data));
    // The warm call hashes the weights (14 MB) and reads the records; it runs no image.
    expect(warmMs).toBeLessThan(coldMs);
    again.dispose();
  });
});

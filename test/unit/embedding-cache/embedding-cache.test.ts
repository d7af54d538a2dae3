import { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import fc from 'fast-check';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, expectTypeOf, it } from 'vitest';
import { Backbone, type EmbeddingModel } from '../../../src/backbone/backbone.js';
import type { EmbeddingMatrix } from '../../../src/data/embedding-matrix.js';
import { EmbeddingCache, type EmbeddingCacheLookup } from '../../../src/embedding-cache/embedding-cache.js';
import type { DecodedImage } from '../../../src/image/images.js';
import { AbortError, BackendUnavailableError, InvalidArgumentError } from '../../../src/errors/index.js';
import { nodePlatform } from '../../../src/platform/node/node-platform.js';
import { registerPlatform } from '../../../src/host/platform.js';

const norm = { mean: [0.5, 0.4, 0.3], std: [0.2, 0.3, 0.4] } as const;
const SIZE = 6;
const PER = SIZE * SIZE * 3;

/** A deterministic model that counts the images it sees: per-channel mean, max and min (9-d). */
function counting(weightsKey: string | null) {
  const seen = { images: 0, batches: 0 };
  const model: EmbeddingModel = {
    forward: (x) => {
      seen.images += x.shape[0];
      seen.batches += 1;
      return tf.concat([tf.mean(x, [1, 2]), tf.max(x, [1, 2]), tf.mul(tf.min(x, [1, 2]), 1.5)], 1);
    },
    ...(weightsKey === null ? {} : { weightsKey }),
  };
  return { model, seen };
}

/** `weightsKey` null: a model dvme cannot key. */
function makeBackbone(weightsKey: string | null = 'stats@1', config: Record<string, unknown> = {}) {
  const { model, seen } = counting(weightsKey);
  const backbone = Backbone.fromModel(model, { id: 'stats', inputSize: 4, embeddingDim: 9, ...norm, ...config });
  return { backbone, seen };
}

/** `n` distinct 6 x 6 RGB images; image `i` depends on `i` and `salt` only. */
function pool(n: number, salt = 0): { data: Uint8Array; shape: number[] } {
  const data = Uint8Array.from({ length: n * PER }, (_, j) => (Math.floor(j / PER) * 53 + (j % PER) * 31 + salt * 97 + ((j * j) % 13)) % 256);
  return { data, shape: [n, SIZE, SIZE, 3] };
}

/** Rows `idx` of a pool, as a new array input. */
function pick(images: { data: Uint8Array }, idx: readonly number[]): { data: Uint8Array; shape: number[] } {
  const data = new Uint8Array(idx.length * PER);
  idx.forEach((r, i) => data.set(images.data.subarray(r * PER, (r + 1) * PER), i * PER));
  return { data, shape: [idx.length, SIZE, SIZE, 3] };
}

const bits = (a: Float32Array) => Array.from(new Uint32Array(a.buffer, a.byteOffset, a.length));

let tmp: string;
beforeAll(async () => {
  await tf.setBackend('cpu');
  registerPlatform(nodePlatform);
  tmp = mkdtempSync(join(tmpdir(), 'dvme-embedding-cache-'));
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
afterEach(() => tf.disposeVariables());

describe('Backbone.embed with an EmbeddingCache', () => {
  it('a repeated call returns bit-identical embeddings without running the model', async () => {
    const { backbone, seen } = makeBackbone();
    const images = pool(7);
    const plain = await backbone.embed(images, { as: 'array', batchSize: 3 });
    seen.images = 0;
    const cache = EmbeddingCache.inMemory();
    const lookups: EmbeddingCacheLookup[] = [];
    const first = await backbone.embed(images, { as: 'array', batchSize: 3, cache, onCacheLookup: (l) => lookups.push(l) });
    expect(seen.images).toBe(7);
    const before = tf.memory().numTensors;
    const progress: Array<[number, number]> = [];
    const second = await backbone.embed(images, { as: 'array', batchSize: 3, cache, onCacheLookup: (l) => lookups.push(l), onProgress: (d, t) => progress.push([d, t]) });
    expect(seen.images).toBe(7);
    expect(tf.memory().numTensors).toBe(before);
    expect(bits(first.data)).toEqual(bits(plain.data));
    expect(bits(second.data)).toEqual(bits(plain.data));
    expect(second.shape).toEqual([7, 9]);
    expect(progress).toEqual([[7, 7]]);
    expect(lookups.map(({ hits, misses, toCompute, images: n }) => ({ hits, misses, toCompute, n }))).toEqual([
      { hits: 0, misses: 7, toCompute: 7, n: 7 },
      { hits: 7, misses: 0, toCompute: 0, n: 7 },
    ]);
    expect(lookups[0]?.fingerprint).toBe(await backbone.fingerprint());
    expect(cache.stats).toEqual({ hits: 7, misses: 7, computed: 7, skipped: 0 });
    // The default output form, a tensor, holds the same values.
    const t = await backbone.embed(images, { cache });
    expect(bits(t.dataSync() as Float32Array)).toEqual(bits(plain.data));
    t.dispose();
    backbone.dispose();
  });

  it('embeds each distinct image once, and serves duplicates and other orders from the same records', async () => {
    const { backbone, seen } = makeBackbone();
    const images = pool(5);
    const cache = EmbeddingCache.inMemory();
    const order = [3, 1, 3, 0, 1, 1];
    const got = await backbone.embed(pick(images, order), { as: 'array', batchSize: 2, cache });
    expect(seen.images).toBe(3);
    const plain = await backbone.embed(pick(images, order), { as: 'array', batchSize: 2 });
    expect(bits(got.data)).toEqual(bits(plain.data));
    seen.images = 0;
    const reversed = [...order].reverse();
    const again = await backbone.embed(pick(images, reversed), { as: 'array', cache });
    expect(seen.images).toBe(0);
    expect(bits(again.data)).toEqual(bits((await backbone.embed(pick(images, reversed), { as: 'array' })).data));
    // An overlapping set embeds only what is new.
    seen.images = 0;
    await backbone.embed(pick(images, [0, 1, 2, 3, 4]), { as: 'array', cache });
    expect(seen.images).toBe(2);
    backbone.dispose();
  });

  it('an aborted call keeps the batches it finished; the rerun embeds only the rest', async () => {
    const { backbone, seen } = makeBackbone();
    const images = pool(10);
    const cache = EmbeddingCache.open({ dir: join(tmp, 'abort') });
    const controller = new AbortController();
    const before = tf.memory().numTensors;
    const call = backbone.embed(images, {
      as: 'tensor',
      batchSize: 3,
      cache,
      signal: controller.signal,
      onProgress: (done) => (done >= 6 ? controller.abort() : undefined),
    });
    await expect(call).rejects.toThrow(AbortError);
    await expect(call).rejects.toThrow(/aborted after 6 of 10 images/);
    expect(seen.images).toBe(6);
    expect(tf.memory().numTensors).toBe(before);
    // A new process: a fresh cache object over the same folder.
    seen.images = 0;
    const resumed = await backbone.embed(images, { as: 'array', batchSize: 3, cache: EmbeddingCache.open({ dir: join(tmp, 'abort') }) });
    expect(seen.images).toBe(4);
    expect(bits(resumed.data)).toEqual(bits((await backbone.embed(images, { as: 'array' })).data));
    backbone.dispose();
  });

  it('misses when the weights, preprocessing, mode or pixel range differ', async () => {
    const images = pool(3);
    const cache = EmbeddingCache.inMemory();
    const variants: Array<[string, Record<string, unknown>, Record<string, unknown>]> = [
      ['stats@1', {}, {}],
      ['stats@2', {}, {}],
      ['stats@1', { mean: [0.5, 0.4, 0.31] }, {}],
      ['stats@1', { std: [0.2, 0.3, 0.41] }, {}],
      ['stats@1', { interpolation: 'bicubic' }, {}],
      ['stats@1', { resize: 'shorter-then-crop', cropFraction: 0.6 }, {}],
      ['stats@1', { resize: 'shorter-then-crop', cropFraction: 0.5 }, {}],
      ['stats@1', {}, { resize: 'shorter-then-crop' }],
      ['stats@1', { inputSize: 5 }, {}],
      ['stats@1', { embedding: 'other' }, {}],
      ['stats@1', { id: 'renamed' }, {}],
    ];
    const fingerprints = new Set<string>();
    for (const [key, config, call] of variants) {
      const { backbone, seen } = makeBackbone(key, config);
      fingerprints.add(await backbone.fingerprint(call));
      await backbone.embed(images, { as: 'array', cache, ...call });
      expect(seen.images, JSON.stringify([key, config, call])).toBe(3);
      backbone.dispose();
    }
    expect(fingerprints.size).toBe(variants.length);
    // The same pixels as floats, read as 0-255 or as 0-1, are different images.
    const { backbone, seen } = makeBackbone();
    const floats = { data: Float32Array.from(images.data, (v) => v / 255), shape: images.shape };
    await backbone.embed(floats, { as: 'array', cache });
    await backbone.embed({ data: Float32Array.from(images.data), shape: images.shape }, { as: 'array', cache, range: '0-255' });
    expect(seen.images).toBe(6);
    await backbone.embed(floats, { as: 'array', cache, range: '0-1' });
    expect(seen.images).toBe(6);
    backbone.dispose();
  });

  it('keys LayersModels by their weights: equal weights share records, other weights do not', async () => {
    const tiny = (seed: number) => {
      const input = tfl.input({ shape: [4, 4, 3] });
      const conv = tfl.layers.conv2d({ filters: 5, kernelSize: 3, kernelInitializer: tfl.initializers.glorotUniform({ seed }) });
      return tfl.model({ inputs: input, outputs: tfl.layers.globalAveragePooling2d({}).apply(conv.apply(input)) as tfl.SymbolicTensor });
    };
    const config = { id: 'tiny', inputSize: 4, ...norm };
    const [a, b, c] = [1, 1, 2].map((seed) => Backbone.fromModel(tiny(seed), config)) as [Backbone, Backbone, Backbone];
    expect(await a.fingerprint()).toBe(await b.fingerprint());
    expect(await a.fingerprint()).not.toBe(await c.fingerprint());
    const cache = EmbeddingCache.inMemory();
    const images = pool(4);
    const ea = await a.embed(images, { as: 'array', cache });
    const eb = await b.embed(images, { as: 'array', cache });
    expect(cache.stats).toMatchObject({ hits: 4, computed: 4 });
    expect(bits(eb.data)).toEqual(bits(ea.data));
    await c.embed(images, { as: 'array', cache });
    expect(cache.stats.computed).toBe(8);
    for (const x of [a, b, c]) x.dispose();
  });

  it('rehashes a LayersModel whose weights changed (setWeights): no stale embeddings', async () => {
    const input = tfl.input({ shape: [4, 4, 3] });
    const conv = tfl.layers.conv2d({ filters: 2, kernelSize: 3, kernelInitializer: tfl.initializers.glorotUniform({ seed: 5 }) });
    const model = tfl.model({ inputs: input, outputs: tfl.layers.globalAveragePooling2d({}).apply(conv.apply(input)) as tfl.SymbolicTensor });
    const backbone = Backbone.fromModel(model, { id: 'tiny', inputSize: 4, ...norm });
    const images = pool(3);
    const cache = EmbeddingCache.inMemory();
    const before = await backbone.fingerprint();
    const first = await backbone.embed(images, { as: 'array', cache });
    expect(await backbone.fingerprint()).toBe(before); // unchanged weights: the same key
    const doubled = model.getWeights().map((w) => tf.mul(w, 2));
    model.setWeights(doubled);
    doubled.forEach((t) => t.dispose());
    expect(await backbone.fingerprint()).not.toBe(before);
    const fresh = await backbone.embed(images, { as: 'array' });
    const cached = await backbone.embed(images, { as: 'array', cache });
    expect(bits(cached.data)).toEqual(bits(fresh.data));
    expect(bits(cached.data)).not.toEqual(bits(first.data));
    expect(cache.stats).toMatchObject({ hits: 0, computed: 6 });
    // Back to the first weights (new tensors, the same values): the first records again.
    const halved = model.getWeights().map((w) => tf.div(w, 2));
    model.setWeights(halved);
    halved.forEach((t) => t.dispose());
    expect(await backbone.fingerprint()).toBe(before);
    expect(bits((await backbone.embed(images, { as: 'array', cache })).data)).toEqual(bits(first.data));
    expect(cache.stats.hits).toBe(3);
    backbone.dispose();
  });

  it('calls a weightsKey function on every cached call', async () => {
    let version = 1;
    let calls = 0;
    const { model, seen } = counting(null);
    const weightsKey = async () => {
      calls += 1;
      return `stats@${version}`;
    };
    const backbone = Backbone.fromModel({ ...model, weightsKey }, { id: 'stats', inputSize: 4, embeddingDim: 9, ...norm });
    const cache = EmbeddingCache.inMemory();
    const images = pool(2);
    await backbone.embed(images, { as: 'array', cache });
    await backbone.embed(images, { as: 'array', cache });
    expect([calls, seen.images]).toEqual([2, 2]);
    version = 2;
    await backbone.embed(images, { as: 'array', cache });
    expect([calls, seen.images]).toEqual([3, 4]);
    backbone.dispose();
  });

  it('misses when the tfjs backend or its numeric flags differ', async () => {
    const { backbone } = makeBackbone();
    const onCpu = await backbone.fingerprint();
    // Stand-ins: fingerprint() runs no kernel, so a backend needs only a name and its flags.
    tf.registerBackend('webgl', () => new MathBackendCPU());
    tf.env().registerFlag('WEBGL_PACK', () => true); // tfjs-backend-webgl is not imported here
    try {
      await tf.setBackend('webgl');
      const packed = await backbone.fingerprint();
      tf.env().set('WEBGL_PACK', false);
      const unpacked = await backbone.fingerprint();
      expect(new Set([onCpu, packed, unpacked]).size).toBe(3);
    } finally {
      await tf.setBackend('cpu');
      tf.removeBackend('webgl');
    }
    expect(await backbone.fingerprint()).toBe(onCpu);
    backbone.dispose();
  });

  it('concurrent calls on one cache are safe and leave every image cached', async () => {
    const { backbone, seen } = makeBackbone();
    const images = pool(9);
    const cache = EmbeddingCache.open({ dir: join(tmp, 'concurrent') });
    const [x, y] = await Promise.all([
      backbone.embed(pick(images, [0, 1, 2, 3, 4, 5]), { as: 'array', batchSize: 2, cache }),
      backbone.embed(pick(images, [4, 5, 6, 7, 8]), { as: 'array', batchSize: 2, cache }),
    ]);
    const plain = await backbone.embed(images, { as: 'array' });
    const rows = (m: Float32Array, idx: number[]) => idx.flatMap((i) => bits(m.subarray(i * 9, (i + 1) * 9)));
    expect(bits(x.data)).toEqual(rows(plain.data, [0, 1, 2, 3, 4, 5]));
    expect(bits(y.data)).toEqual(rows(plain.data, [4, 5, 6, 7, 8]));
    seen.images = 0;
    await backbone.embed(images, { as: 'array', cache: EmbeddingCache.open({ dir: join(tmp, 'concurrent') }) });
    expect(seen.images).toBe(0);
    backbone.dispose();
  });

  it('ignores a torn last record and damaged records, and recomputes what they held', async () => {
    const { backbone, seen } = makeBackbone();
    const images = pool(9);
    const dir = join(tmp, 'torn');
    const plain = await backbone.embed(images, { as: 'array' });
    await backbone.embed(images, { as: 'array', batchSize: 3, cache: EmbeddingCache.open({ dir }) });
    const [group] = readdirSync(dir);
    const [segment] = readdirSync(join(dir, group as string));
    const file = join(dir, group as string, segment as string);
    const whole = readFileSync(file);
    const recordLength = 16 + 8 + 3 * 32 + 3 * 9 * 4;
    // kill -9 in the middle of the last write: a prefix of the record.
    writeFileSync(file, whole.subarray(0, whole.length - recordLength / 2));
    seen.images = 0;
    const cache = EmbeddingCache.open({ dir });
    expect(bits((await backbone.embed(images, { as: 'array', cache })).data)).toEqual(bits(plain.data));
    expect(seen.images).toBe(3);
    // A flipped bit inside the middle batch: its checksum fails, it is skipped, the rest is read.
    const damaged = Buffer.from(whole);
    const middle = whole.length - recordLength - recordLength / 2;
    damaged[middle] = (damaged[middle] as number) ^ 0x10;
    writeFileSync(file, damaged);
    seen.images = 0;
    const fresh = EmbeddingCache.open({ dir });
    expect(bits((await backbone.embed(images, { as: 'array', cache: fresh })).data)).toEqual(bits(plain.data));
    expect(fresh.stats.skipped).toBe(1);
    expect(seen.images).toBe(3);
    // Garbage after the end is never data either.
    writeFileSync(file, Buffer.concat([whole, Buffer.from('dvec\u0002garbage that is no record')]));
    seen.images = 0;
    expect(bits((await backbone.embed(images, { as: 'array', cache: EmbeddingCache.open({ dir }) })).data)).toEqual(bits(plain.data));
    expect(seen.images).toBe(0);
    backbone.dispose();
  });

  it('takes a folder or true for the platform store, and clear() removes only its own files', async () => {
    const { backbone, seen } = makeBackbone();
    const images = pool(3);
    const dir = join(tmp, 'by-path');
    await backbone.embed(images, { as: 'array', cache: dir });
    await backbone.embed(images, { as: 'array', cache: dir });
    expect(seen.images).toBe(3);
    writeFileSync(join(tmp, 'by-path', 'notes.txt'), 'mine');
    const cache = EmbeddingCache.open({ dir });
    expect(cache.location).toBe(dir);
    await cache.clear();
    expect(readdirSync(dir)).toEqual(['notes.txt']);
    await backbone.embed(images, { as: 'array', cache });
    expect(seen.images).toBe(6);
    const old = process.env.DVME_CACHE_DIR;
    process.env.DVME_CACHE_DIR = join(tmp, 'default');
    try {
      await backbone.embed(images, { as: 'array', cache: true });
      expect(readdirSync(join(tmp, 'default', 'embeddings'))).toHaveLength(1);
    } finally {
      if (old === undefined) delete process.env.DVME_CACHE_DIR;
      else process.env.DVME_CACHE_DIR = old;
    }
    backbone.dispose();
  });

  it('embeds lists of decoded images of several sizes through the cache', async () => {
    const { backbone, seen } = makeBackbone();
    const image = (w: number, h: number, salt: number): DecodedImage => ({
      data: Uint8Array.from({ length: w * h * 3 }, (_, i) => (i * 29 + salt * 71) % 256),
      width: w,
      height: h,
      channels: 3,
    });
    const [a, b, c] = [image(6, 5, 1), image(9, 7, 2), image(6, 5, 3)] as [DecodedImage, DecodedImage, DecodedImage];
    const cache = EmbeddingCache.inMemory();
    const got = await backbone.embed([a, b, a, c], { as: 'array', cache, batchSize: 2 });
    expect(seen.images).toBe(3);
    expect(bits(got.data)).toEqual(bits((await backbone.embed([a, b, a, c], { as: 'array' })).data));
    seen.images = 0;
    const again = await backbone.embed([c, b], { as: 'array', cache });
    expect(seen.images).toBe(0);
    expect(bits(again.data)).toEqual(bits((await backbone.embed([c, b], { as: 'array' })).data));
    backbone.dispose();
  });

  it('embeds the pixels it hashed from a platform image that changes between reads (a <video>)', async () => {
    const { backbone, seen } = makeBackbone();
    const frame = (salt: number): DecodedImage => ({ data: Uint8Array.from({ length: 7 * 5 * 4 }, (_, i) => (i * 13 + salt * 71) % 256), width: 7, height: 5, channels: 4 });
    const frames = [frame(1), frame(2), frame(3), frame(4)];
    class Video {
      reads = 0;
    }
    // Each read shows the next frame, in a buffer the "player" reuses.
    const buffer = new Uint8Array(7 * 5 * 4);
    registerPlatform({
      ...nodePlatform,
      openImage: (x) =>
        x instanceof Video ? { width: 7, height: 5, read: () => (buffer.set(frames[x.reads++ % frames.length]!.data), buffer) } : undefined,
    });
    try {
      const cache = EmbeddingCache.inMemory();
      const alone = async (f: DecodedImage) => bits((await backbone.embed(f, { as: 'array' })).data);
      // Frame 0 is hashed; it must be frame 0 that is embedded and stored under its key.
      expect(bits((await backbone.embed(new Video() as never, { as: 'array', cache })).data)).toEqual(await alone(frames[0]!));
      // A list: each video read once, for its hash; a repeated frame is a hit.
      const [v, w] = [new Video(), new Video()];
      w.reads = 1;
      const list = await backbone.embed([v, w, frames[2]!] as never, { as: 'array', cache, batchSize: 1 });
      expect(bits(list.data)).toEqual([...(await alone(frames[0]!)), ...(await alone(frames[1]!)), ...(await alone(frames[2]!))]);
      expect([v.reads, w.reads]).toEqual([1, 2]);
      seen.images = 0;
      const hits = await backbone.embed([frames[0]!, frames[1]!], { as: 'array', cache });
      expect(seen.images).toBe(0);
      expect(bits(hits.data)).toEqual([...(await alone(frames[0]!)), ...(await alone(frames[1]!))]);
    } finally {
      registerPlatform(nodePlatform);
    }
    backbone.dispose();
  });

  it('caches tensor inputs without leaking tensors, keyed apart from arrays of the same values', async () => {
    const { backbone, seen } = makeBackbone();
    const images = pool(5);
    const x = tf.tensor4d(Int32Array.from(images.data), [5, SIZE, SIZE, 3], 'int32');
    const cache = EmbeddingCache.inMemory();
    const before = tf.memory().numTensors;
    const first = await backbone.embed(x, { as: 'array', cache, batchSize: 2 });
    await backbone.embed(tf.tidy(() => tf.gather(x, [4, 0])), { as: 'array', cache }).then((m) => expect(m.shape).toEqual([2, 9]));
    expect(seen.images).toBe(5);
    const t = await backbone.embed(x, { cache });
    expect(bits(t.dataSync() as Float32Array)).toEqual(bits(first.data));
    t.dispose();
    // The gathered tensor above is the test's; everything else was freed.
    expect(tf.memory().numTensors).toBe(before + 1);
    await backbone.embed(images, { as: 'array', cache });
    expect(seen.images).toBe(10);
    x.dispose();
    backbone.dispose();
  });

  it('refuses a function without a weightsKey, with the fix, and leaks nothing on any throw', async () => {
    const { backbone, seen } = makeBackbone(null);
    const before = tf.memory().numTensors;
    const call = backbone.embed(pool(2), { cache: EmbeddingCache.inMemory() });
    await expect(call).rejects.toThrow(InvalidArgumentError);
    await expect(call).rejects.toThrow(/weightsKey: 'my-model@v3'/);
    await expect(backbone.embed({ data: new Uint8Array(5), shape: [1, 2, 2, 3] }, { cache: EmbeddingCache.inMemory() })).rejects.toThrow(/needs 12 values/);
    await expect(backbone.embed(pool(2), { cache: 42 as unknown as boolean })).rejects.toThrow(/cache must be an EmbeddingCache/);
    expect(seen.images).toBe(0);
    expect(tf.memory().numTensors).toBe(before);
    // Without a cache the same backbone embeds as before.
    expect((await backbone.embed(pool(2), { as: 'array', cache: false })).shape).toEqual([2, 9]);
    backbone.dispose();
    await expect(backbone.embed(pool(2), { cache: EmbeddingCache.inMemory() })).rejects.toThrow(/disposed/);
  });

  it('reports a failing store through onError and goes on without it', async () => {
    const { backbone } = makeBackbone();
    const errors: unknown[] = [];
    const broken = {
      location: 'broken',
      list: async () => {
        throw new Error('EACCES: list');
      },
      read: async () => new Uint8Array(0),
      append: async () => {
        throw new Error('ENOSPC: append');
      },
      clear: async () => undefined,
    };
    const images = pool(4);
    const m = await backbone.embed(images, { as: 'array', batchSize: 2, cache: new EmbeddingCache(broken, { onError: (e) => errors.push(e) }) });
    expect(bits(m.data)).toEqual(bits((await backbone.embed(images, { as: 'array' })).data));
    expect(errors.map((e) => (e as Error).message)).toEqual(['EACCES: list', 'ENOSPC: append', 'ENOSPC: append']);
    await expect(backbone.embed(images, { cache: new EmbeddingCache(broken) })).rejects.toThrow(/EACCES/);
    expect(() => new EmbeddingCache({} as never)).toThrow(InvalidArgumentError);
    backbone.dispose();
  });

  it('property: any draw of images, with repeats, in any order, equals the uncached embedding', async () => {
    const { backbone } = makeBackbone();
    const images = pool(8, 3);
    const cache = EmbeddingCache.inMemory();
    await fc.assert(
      fc.asyncProperty(fc.array(fc.integer({ min: 0, max: 7 }), { maxLength: 12 }), fc.integer({ min: 1, max: 4 }), async (idx, batchSize) => {
        const input = pick(images, idx);
        const cached = await backbone.embed(input, { as: 'array', batchSize, cache });
        const plain = await backbone.embed(input, { as: 'array', batchSize });
        expect(cached.shape).toEqual([idx.length, 9]);
        expect(bits(cached.data)).toEqual(bits(plain.data));
      }),
      { numRuns: 60 },
    );
    expect(cache.stats.computed).toBeLessThanOrEqual(8);
    backbone.dispose();
  });
});

describe('EmbeddingCache types', () => {
  it('embed keeps its output types with a cache, and takes a cache, a folder or a boolean', async () => {
    const { backbone } = makeBackbone();
    const cache = EmbeddingCache.inMemory();
    expectTypeOf(backbone.embed).toBeCallableWith(pool(1), { cache: 'folder' });
    expectTypeOf(backbone.embed).toBeCallableWith(pool(1), { cache: true });
    // @ts-expect-error: a number is no cache
    expectTypeOf(backbone.embed).toBeCallableWith(pool(1), { cache: 3 });
    const m = await backbone.embed(pool(1), { cache, as: 'array' });
    expectTypeOf(m).toEqualTypeOf<EmbeddingMatrix>();
    const t = await backbone.embed(pool(1), { cache });
    expectTypeOf(t).toEqualTypeOf<tf.Tensor2D>();
    t.dispose();
    backbone.dispose();
  });
});

describe('EmbeddingCache.open', () => {
  it('needs a platform with a store', async () => {
    registerPlatform({ name: 'bare' });
    try {
      expect(() => EmbeddingCache.open()).toThrow(BackendUnavailableError);
      expect(() => EmbeddingCache.open()).toThrow(/platform 'bare' has no persistent store.*EmbeddingCache\.inMemory/);
    } finally {
      registerPlatform(nodePlatform);
    }
    expect(EmbeddingCache.is(EmbeddingCache.inMemory())).toBe(true);
    expect(EmbeddingCache.is({})).toBe(false);
  });
});

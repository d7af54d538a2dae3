import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { Backbone } from '../../../src/backbone/backbone.js';
import { EmbeddingCache } from '../../../src/embedding-cache/embedding-cache.js';
import { MemoryEmbeddingStore, type EmbeddingStore } from '../../../src/embedding-cache/embedding-store.js';
import { BrowserEmbeddingStore } from '../../../src/platform/browser/browser-embedding-store.js';
import { browserPlatform } from '../../../src/platform/browser/browser-cache.js';
import { NodeEmbeddingStore, openNodeEmbeddingStore } from '../../../src/platform/node/node-embedding-store.js';
import { nodePlatform } from '../../../src/platform/node/node-platform.js';
import { registerPlatform } from '../../../src/host/platform.js';

/** The part of Cache Storage the embedding store uses, over Maps, counting what is read. */
function fakeCacheStorage() {
  const stores = new Map<string, Map<string, Uint8Array>>();
  const counts = { keys: 0, matches: 0, bytesRead: 0 };
  const urlOf = (x: string | Request) => (typeof x === 'string' ? x : x.url);
  const open = async (name: string) => {
    const store = stores.get(name) ?? new Map<string, Uint8Array>();
    stores.set(name, store);
    return {
      keys: async () => {
        counts.keys += 1;
        return [...store.keys()].map((u) => new Request(u));
      },
      match: async (x: string | Request) => {
        counts.matches += 1;
        const hit = store.get(urlOf(x));
        if (hit) counts.bytesRead += hit.length;
        return hit ? new Response(hit as Uint8Array<ArrayBuffer>) : undefined;
      },
      put: async (x: string | Request, response: Response) => void store.set(urlOf(x), new Uint8Array(await response.arrayBuffer())),
      delete: async (x: string | Request) => store.delete(urlOf(x)),
    };
  };
  return { storage: { open } as unknown as CacheStorage, stores, counts };
}

const tmp = mkdtempSync(join(tmpdir(), 'dvme-embedding-store-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
afterEach(() => {
  vi.unstubAllGlobals();
  registerPlatform(nodePlatform);
});

const stores: Array<[string, () => EmbeddingStore]> = [
  ['memory', () => new MemoryEmbeddingStore()],
  ['node files', () => new NodeEmbeddingStore(mkdtempSync(join(tmp, 'store-')))],
  ['browser Cache Storage', () => new BrowserEmbeddingStore(fakeCacheStorage().storage, 'project')],
];

describe.each(stores)('EmbeddingStore contract: %s', (_name, make) => {
  it('appends to segments, reads from an offset, lists and clears by group', async () => {
    const store = make();
    expect(await store.list('g1')).toEqual([]);
    expect(await store.read('g1', 's1', 0)).toEqual(new Uint8Array(0));
    const chunk = new Uint8Array([1, 2, 3]);
    await store.append('g1', 's1', chunk);
    chunk[0] = 9; // the store kept its own copy
    await store.append('g1', 's1', new Uint8Array([4, 5]));
    await store.append('g1', 's2', new Uint8Array([6]));
    await store.append('g2', 's1', new Uint8Array([7]));
    expect((await store.list('g1')).sort()).toEqual(['s1', 's2']);
    expect([...(await store.read('g1', 's1', 0))]).toEqual([1, 2, 3, 4, 5]);
    expect([...(await store.read('g1', 's1', 2))]).toEqual([3, 4, 5]);
    expect([...(await store.read('g1', 's1', 5))]).toEqual([]);
    await store.clear('g1');
    expect(await store.list('g1')).toEqual([]);
    expect(await store.list('g2')).toEqual(['s1']);
    await store.clear();
    expect(await store.list('g2')).toEqual([]);
    await store.clear();
  });
});

describe('platform embedding stores', () => {
  it("dvme/node keeps records under <cache dir>/embeddings unless given a folder", () => {
    const old = process.env.DVME_CACHE_DIR;
    process.env.DVME_CACHE_DIR = join(tmp, 'root');
    try {
      expect(openNodeEmbeddingStore(undefined).location).toBe(join(tmp, 'root', 'embeddings'));
      expect(openNodeEmbeddingStore(join(tmp, 'x')).location).toBe(join(tmp, 'x'));
      expect(EmbeddingCache.open().location).toBe(join(tmp, 'root', 'embeddings'));
    } finally {
      if (old === undefined) delete process.env.DVME_CACHE_DIR;
      else process.env.DVME_CACHE_DIR = old;
    }
  });

  it('dvme/node: clear() removes the cache\'s own files and folders, not the user\'s empty folders', async () => {
    const dir = mkdtempSync(join(tmp, 'clear-'));
    for (const name of ['my-empty-output-folder', 'src', 'resnet50-0123456789abcdef0123456789abcdef']) mkdirSync(join(dir, name));
    writeFileSync(join(dir, 'notes.txt'), 'mine');
    const store = new NodeEmbeddingStore(dir);
    await store.append('g', 's', new Uint8Array([1]));
    await store.clear();
    // 'g' held segments; the hex-named folder is an empty group (a crash before its first write).
    expect(readdirSync(dir).sort()).toEqual(['my-empty-output-folder', 'notes.txt', 'src']);
    await store.append('g', 's', new Uint8Array([1]));
    writeFileSync(join(dir, 'g', 'mine.txt'), 'kept');
    await store.clear('g');
    expect(readdirSync(join(dir, 'g'))).toEqual(['mine.txt']);
  });

  it("dvme/browser keeps records in Cache Storage 'dvme-embeddings', one namespace per dir", async () => {
    const { storage, stores: caches } = fakeCacheStorage();
    vi.stubGlobal('caches', storage);
    registerPlatform(browserPlatform());
    const a = EmbeddingCache.open({ dir: 'a' });
    expect(a.location).toBe("Cache Storage 'dvme-embeddings' (a)");
    const store = new BrowserEmbeddingStore(storage, 'a');
    await store.append('g', 's', new Uint8Array([1]));
    expect([...(caches.get('dvme-embeddings')?.keys() ?? [])]).toEqual(['https://dvme-cache.invalid/embeddings/a/g/s/0']);
    await store.append('g', 's', new Uint8Array([2, 3]));
    // Entries are named by the byte offset they start at.
    expect([...(caches.get('dvme-embeddings')?.keys() ?? [])]).toEqual(['https://dvme-cache.invalid/embeddings/a/g/s/0', 'https://dvme-cache.invalid/embeddings/a/g/s/1']);
    expect(await new BrowserEmbeddingStore(storage, 'b').list('g')).toEqual([]);
  });

  it('Cache Storage: a read from an offset fetches only the entries from there on, without listing keys', async () => {
    const { storage, counts } = fakeCacheStorage();
    const writer = new BrowserEmbeddingStore(storage, 'p');
    const chunk = (k: number) => Uint8Array.from({ length: 100 }, (_, i) => (k * 7 + i) % 256);
    for (let k = 0; k < 5; k++) await writer.append('g', 's', chunk(k));
    const reader = new BrowserEmbeddingStore(storage, 'p');
    const all = await reader.read('g', 's', 0);
    expect(all.length).toBe(500);
    expect(counts).toMatchObject({ keys: 0, bytesRead: 500 });
    // Where the last read ended: only what was appended since is fetched.
    Object.assign(counts, { keys: 0, matches: 0, bytesRead: 0 });
    expect((await reader.read('g', 's', 500)).length).toBe(0);
    await writer.append('g', 's', chunk(5));
    expect([...(await reader.read('g', 's', 500))]).toEqual([...chunk(5)]);
    expect(counts).toMatchObject({ keys: 0, bytesRead: 100 });
    // Inside an entry seen before: that entry and the rest.
    Object.assign(counts, { keys: 0, matches: 0, bytesRead: 0 });
    expect([...(await reader.read('g', 's', 450))]).toEqual([...chunk(4).subarray(50), ...chunk(5)]);
    expect(counts).toMatchObject({ keys: 0, bytesRead: 200 });
    // An offset this reader never saw: one listing finds the entry that holds it.
    const other = new BrowserEmbeddingStore(storage, 'p');
    Object.assign(counts, { keys: 0, matches: 0, bytesRead: 0 });
    expect([...(await other.read('g', 's', 250))]).toEqual([...chunk(2).subarray(50), ...chunk(3), ...chunk(4), ...chunk(5)]);
    expect(counts).toMatchObject({ keys: 1, bytesRead: 400 });
    expect((await other.read('g', 's', 9999)).length).toBe(0);
  });

  it('a cache over Cache Storage serves a later page load without running the model', async () => {
    await tf.setBackend('cpu');
    const { storage, counts } = fakeCacheStorage();
    let seen = 0;
    const forward = (x: tf.Tensor4D) => {
      seen += x.shape[0];
      return tf.mean(x, [1, 2]);
    };
    const backbone = Backbone.fromModel({ forward, weightsKey: 'mean@1' }, { inputSize: 4, embeddingDim: 3, mean: [0, 0, 0], std: [1, 1, 1] });
    const images = { data: Uint8Array.from({ length: 5 * 4 * 4 * 3 }, (_, i) => (i * 37) % 256), shape: [5, 4, 4, 3] };
    const first = await backbone.embed(images, { as: 'array', batchSize: 2, cache: new EmbeddingCache(new BrowserEmbeddingStore(storage)) });
    const later = new EmbeddingCache(new BrowserEmbeddingStore(storage));
    const second = await backbone.embed(images, { as: 'array', cache: later });
    expect(seen).toBe(5);
    expect(Array.from(second.data)).toEqual(Array.from(first.data));
    // A repeated lookup lists the keys once and reads no record again.
    Object.assign(counts, { keys: 0, matches: 0, bytesRead: 0 });
    await backbone.embed(images, { as: 'array', cache: later });
    expect(counts).toMatchObject({ keys: 1, bytesRead: 0 });
    backbone.dispose();
  });
});

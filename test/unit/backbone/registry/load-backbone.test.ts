import '@tensorflow/tfjs-backend-wasm';
import * as tf from '@tensorflow/tfjs-core';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { Backbone } from '../../../../src/backbone/backbone.js';
import { loadBackbone } from '../../../../src/backbone/registry/load-backbone.js';
import { getBackboneEntry } from '../../../../src/backbone/registry/registry.js';
import { CheckpointFormatError, IntegrityError, OfflineError, UnknownBackboneError } from '../../../../src/errors/index.js';
import { nodePlatform } from '../../../../src/platform/node/node-platform.js';
import { registerPlatform } from '../../../../src/host/platform.js';
import { startServer, type Route, type TestServer } from '../../io/download-server.js';

// The shared folder sits next to the repository (see ../shared/models/README.md).
const models = join(import.meta.dirname, '../../../../../shared/models');
const haveModels = existsSync(join(models, 'mobilenet_v2_nsfwjs/model.json'));
const GITHUB = 'https://raw.githubusercontent.com/infinitered/nsfwjs/master/models/';

let server: TestServer;
let dir: string;
const FAKE_CHECKPOINT = new Uint8Array(4096).fill(7);

/** Serves `path` of the shared model folder, or a corrupted copy of it. */
function sharedRoute(path: string, corrupt = false): Route {
  const body = new Uint8Array(readFileSync(join(models, path)));
  if (corrupt) body[body.length - 1] ^= 0xff;
  return { body };
}

/** A fetch that sends the registry's real URLs to the local server instead. */
function redirectingFetch(map: (url: string) => string): typeof fetch {
  return ((input: string | URL | Request, init?: RequestInit) => fetch(map(String(input)), init)) as typeof fetch;
}

const toLocal = (url: string) =>
  url
    .replace(`${GITHUB}mobilenet_v2/`, server.url('/mobilenet_v2_nsfwjs/'))
    .replace('https://dl.fbaipublicfiles.com/', server.url('/fb/'))
    .replace('https://download.pytorch.org/', server.url('/pt/'));

beforeAll(async () => {
  registerPlatform(nodePlatform);
  await tf.setBackend('wasm');
  const routes: Record<string, Route> = {
    '/fb/deepcluster/swav_800ep_pretrain.pth.tar': { body: FAKE_CHECKPOINT },
    '/pt/models/resnet50-0676ba61.pth': { body: FAKE_CHECKPOINT },
    '/mine/weights.pth': { body: FAKE_CHECKPOINT },
  };
  if (haveModels) {
    routes['/mobilenet_v2_nsfwjs/model.json'] = sharedRoute('mobilenet_v2_nsfwjs/model.json');
    routes['/mobilenet_v2_nsfwjs/group1-shard1of1.bin'] = sharedRoute('mobilenet_v2_nsfwjs/group1-shard1of1.bin');
    routes['/bad/model.json'] = sharedRoute('mobilenet_v2_nsfwjs/model.json');
    routes['/bad/group1-shard1of1.bin'] = sharedRoute('mobilenet_v2_nsfwjs/group1-shard1of1.bin', true);
  }
  server = await startServer(routes);
});

afterAll(() => server.close());

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'dvme-registry-'));
  server.requests.length = 0;
});

afterEach(() => {
  vi.restoreAllMocks();
  rmSync(dir, { recursive: true, force: true });
});

describe('loadBackbone (checkpoint entries)', () => {
  it('downloads into backbones/<name>/ and calls fromCheckpoint with the pretrained config', async () => {
    const fake = {} as Backbone;
    const spy = vi.spyOn(Backbone, 'fromCheckpoint').mockResolvedValue(fake);
    const progress: number[] = [];
    const b = await loadBackbone('resnet50.swav_800ep', {
      cacheDir: dir,
      fetch: redirectingFetch(toLocal),
      onProgress: (loaded) => progress.push(loaded),
    });
    expect(b).toBe(fake);
    expect(progress.at(-1)).toBe(FAKE_CHECKPOINT.length);
    expect(readdirSync(join(dir, 'backbones', 'resnet50.swav_800ep'))).toEqual(['swav_800ep_pretrain.pth.tar']);
    const [arch, source, options] = spy.mock.calls[0]!;
    expect(arch).toBe('resnet50');
    expect(Buffer.from(source as Uint8Array).equals(Buffer.from(FAKE_CHECKPOINT))).toBe(true);
    expect(options).toEqual({
      id: 'resnet50.swav_800ep',
      inputSize: [224, 224],
      mean: [0.485, 0.456, 0.406],
      std: [0.229, 0.224, 0.225],
      resize: 'shorter-then-crop',
      cropFraction: 0.875,
      interpolation: 'bilinear',
      embedding: 'avgpool',
    });
    // Cached: offline works and makes no request.
    server.requests.length = 0;
    await loadBackbone('resnet50.swav_800ep', { cacheDir: dir, offline: true });
    expect(server.requests).toEqual([]);
  });

  it('passes overrides and the ViT embedding settings on', async () => {
    const spy = vi.spyOn(Backbone, 'fromCheckpoint').mockResolvedValue({} as Backbone);
    await loadBackbone('vit_small_patch8_224.dino', { source: FAKE_CHECKPOINT, resize: 'direct', id: 'dino', lastBlocks: 2 });
    expect(spy.mock.calls[0]![0]).toBe('vit_small_patch8');
    expect(spy.mock.calls[0]![1]).toBe(FAKE_CHECKPOINT); // own bytes: passed through, not checked
    expect(spy.mock.calls[0]![2]).toMatchObject({
      id: 'dino',
      resize: 'direct',
      interpolation: 'bicubic',
      embedding: 'lastBlocksCls',
      lastBlocks: 2,
    });
    await loadBackbone('vit_base_patch16_224.dino', { source: FAKE_CHECKPOINT, embedding: 'lastBlocksCls' });
    expect(spy.mock.calls[1]![2]).toMatchObject({ embedding: 'lastBlocksCls' });
    expect(spy.mock.calls[1]![2]).not.toHaveProperty('engine');
    // A trainable load (dvme finetune --backbone): the tfjs engine, batch norms left unfolded.
    await loadBackbone('resnet50.tv_in1k', { source: FAKE_CHECKPOINT, engine: 'tfjs', foldBatchNorm: false });
    expect(spy.mock.calls[2]![2]).toMatchObject({ engine: 'tfjs', foldBatchNorm: false });
  });

  it('downloads a source URL through the cache without the registry checksum', async () => {
    const spy = vi.spyOn(Backbone, 'fromCheckpoint').mockResolvedValue({} as Backbone);
    await loadBackbone('resnet50.tv_in1k', { source: server.url('/mine/weights.pth'), cacheDir: dir });
    expect((spy.mock.calls[0]![1] as Uint8Array).length).toBe(FAKE_CHECKPOINT.length);
    expect(server.requests.map((r) => r.path)).toEqual(['/mine/weights.pth']);
  });

  it('rejects a file that does not match the recorded size / SHA-256 and keeps nothing', async () => {
    const spy = vi.spyOn(Backbone, 'fromCheckpoint');
    const err = await loadBackbone('resnet50.tv_in1k', { cacheDir: dir, fetch: redirectingFetch(toLocal) }).catch((e: unknown) => e);
    expect(IntegrityError.is(err)).toBe(true);
    expect(err).toMatchObject({ check: 'size', expected: 102530333 });
    expect(spy).not.toHaveBeenCalled();
    expect(readdirSync(join(dir, 'backbones', 'resnet50.tv_in1k'))).toEqual([]);
  });

  it('offline without a cached copy throws OfflineError; unknown names throw UnknownBackboneError', async () => {
    await expect(loadBackbone('vit_small_patch8_224.dino', { cacheDir: dir, offline: true })).rejects.toSatisfy((e) => OfflineError.is(e));
    await expect(loadBackbone('vit_small_patch8.dino')).rejects.toSatisfy((e) => UnknownBackboneError.is(e));
    expect(server.requests).toEqual([]);
  });
});

describe.skipIf(!haveModels)('loadBackbone (tfjs entries, served from the shared copy)', () => {
  it('downloads model.json and verified shards, caches them, and builds the backbone', async () => {
    const entry = getBackboneEntry('mobilenet_v2.nsfwjs');
    const progress: [number, number | undefined][] = [];
    const b = await loadBackbone('mobilenet_v2.nsfwjs', {
      cacheDir: dir,
      fetch: redirectingFetch(toLocal),
      resize: 'direct',
      onProgress: (l, t) => progress.push([l, t]),
    });
    try {
      expect(b.embeddingDim).toBe(entry.pretrained.embeddingDim);
      expect(b.config).toMatchObject({ id: 'mobilenet_v2.nsfwjs', embedding: 'layer:flatten_1', inputSize: [224, 224] });
      const e = await b.embed({ data: new Uint8Array(28 * 28 * 3).fill(128), shape: [1, 28, 28, 3] }, { as: 'array' });
      expect(e.shape).toEqual([1, 1280]);
      expect(progress.at(-1)).toEqual([2619461, 2619461]);
    } finally {
      b.dispose();
    }
    const cached = readdirSync(join(dir, 'backbones', 'mobilenet_v2.nsfwjs')).sort();
    expect(cached).toEqual(['group1-shard1of1.bin', 'model.json']);
    const shard = readFileSync(join(dir, 'backbones', 'mobilenet_v2.nsfwjs', 'group1-shard1of1.bin'));
    expect(createHash('sha256').update(shard).digest('hex')).toBe(entry.format === 'tfjs' && entry.shards[0]!.sha256);
    server.requests.length = 0;
    const again = await loadBackbone('mobilenet_v2.nsfwjs', { cacheDir: dir, offline: true });
    again.dispose();
    expect(server.requests).toEqual([]);
  });

  it('refuses a shard whose checksum differs from the registry', async () => {
    const toBad = (url: string) => url.replace(`${GITHUB}mobilenet_v2/`, server.url('/bad/'));
    const err = await loadBackbone('mobilenet_v2.nsfwjs', { cacheDir: dir, fetch: redirectingFetch(toBad) }).catch((e: unknown) => e);
    expect(IntegrityError.is(err)).toBe(true);
    expect(err).toMatchObject({ check: 'sha256' });
  });

  it('refuses a model.json that lists another number of shards', async () => {
    const err = await loadBackbone('inception_v3.nsfwjs', {
      cacheDir: dir,
      fetch: redirectingFetch((u) => u.replace(`${GITHUB}inception_v3/`, server.url('/mobilenet_v2_nsfwjs/'))),
    }).catch((e: unknown) => e);
    expect(CheckpointFormatError.is(err)).toBe(true);
    expect((err as Error).message).toMatch(/lists 1 weight shards where the registry records 6/);
  });

  it('loads a local copy given as source', async () => {
    const fractions: number[] = [];
    const b = await loadBackbone('mobilenet_v2.nsfwjs', {
      source: join(models, 'mobilenet_v2_nsfwjs/model.json'),
      onProgress: (f, total) => {
        expect(total).toBe(1);
        fractions.push(f);
      },
    });
    expect(b.embeddingDim).toBe(1280);
    expect(fractions.at(-1)).toBe(1);
    b.dispose();
    expect(server.requests).toEqual([]);
  });
});

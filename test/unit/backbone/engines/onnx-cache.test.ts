import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { resolvePreprocessSpec } from '../../../../src/image/preprocess-spec.js';
import { createOnnxBackboneEngine } from '../../../../src/backbone/engines/backbone-engine.js';
import { cachedOnnxBuild, onnxCacheKey, stateDictDigest } from '../../../../src/backbone/engines/onnx-cache.js';
import { nodePlatform } from '../../../../src/platform/node/node-platform.js';
import { registerPlatform, type CacheWriter, type DownloadCache } from '../../../../src/host/platform.js';
import { loadParityFixture } from '../arch/fixture.js';
import { ORT_MISSING, ort, provider } from './ort.js';

function memoryCache(): DownloadCache & { files: Map<string, Uint8Array> } {
  const files = new Map<string, Uint8Array>();
  return {
    files,
    location: 'memory',
    read: async (key) => files.get(key),
    delete: async (key) => void files.delete(key),
    begin: async (key): Promise<CacheWriter> => ({
      partial: new Uint8Array(0),
      append: async () => {},
      restart: async () => {},
      commit: async (bytes) => void files.set(key, bytes.slice()),
      close: async () => {},
    }),
  };
}

describe('ONNX build cache', () => {
  it('builds once, then serves the bytes from the cache', async () => {
    const cache = memoryCache();
    let builds = 0;
    const build = () => (builds++, new Uint8Array([1, 2, 3]));
    const first = await cachedOnnxBuild('onnx/a.onnx', { cache }, build);
    const second = await cachedOnnxBuild('onnx/a.onnx', { cache }, build);
    expect([first.hit, second.hit, builds]).toEqual([false, true, 1]);
    expect(second.bytes).toEqual(new Uint8Array([1, 2, 3]));
    expect(second.location).toBe('memory');
    await cachedOnnxBuild('onnx/a.onnx', { cache: false }, build);
    expect(builds).toBe(2);
  });

  it('reports a failing cache and builds anyway: a cache must never stop a load', async () => {
    const errors: unknown[] = [];
    const broken: DownloadCache = { ...memoryCache(), read: () => Promise.reject(new Error('EACCES')), begin: () => Promise.reject(new Error('EROFS')) };
    const r = await cachedOnnxBuild('onnx/a.onnx', { cache: broken }, () => new Uint8Array([9]), (e) => errors.push(e));
    expect(r.bytes).toEqual(new Uint8Array([9]));
    expect(errors.map((e) => (e as Error).message)).toEqual(['EACCES', 'EROFS']);
  });

  it('keys on every weight value, key and shape', async () => {
    const state = (v: number, key = 'w', shape = [2]) => new Map([[key, { shape, data: new Float32Array([1, v]) }]]);
    const d = await stateDictDigest(state(2));
    expect(d).toMatch(/^[0-9a-f]{64}$/);
    expect(await stateDictDigest(state(2))).toBe(d);
    expect(await stateDictDigest(state(3))).not.toBe(d);
    expect(await stateDictDigest(state(2, 'v'))).not.toBe(d);
    expect(await stateDictDigest(state(2, 'w', [1, 2]))).not.toBe(d);
    expect(onnxCacheKey(['resnet50', '224x224', 'avg pool'], d)).toBe(`onnx/resnet50-224x224-avg_pool-${d.slice(0, 16)}.onnx`);
  });
});

describe.skipIf(!ort)(`createOnnxBackboneEngine with dvme/node's file cache${ORT_MISSING}`, () => {
  it('writes <cacheDir>/onnx/<key>.onnx on the first load and reads it on the next, with equal embeddings', async () => {
    registerPlatform(nodePlatform);
    const dir = mkdtempSync(join(tmpdir(), 'dvme-onnx-cache-'));
    try {
      const fixture = loadParityFixture('resnet-tiny');
      const spec = resolvePreprocessSpec('test', { inputSize: 32, mean: [0.5, 0.5, 0.5], std: [0.25, 0.25, 0.25] });
      const load = () => createOnnxBackboneEngine('test_resnet_tiny', fixture.state(), { family: 'resnet', config: fixture.config, inputSize: [32, 32], preprocess: spec }, { runtime: provider, cacheDir: dir });
      const images = { data: Uint8Array.from({ length: 2 * 32 * 32 * 3 }, (_, i) => i % 256), shape: [2, 32, 32, 3] };
      const first = await load();
      const second = await load();
      expect([first.report.cacheHit, second.report.cacheHit]).toEqual([false, true]);
      expect(first.report.cacheKey).toMatch(/^onnx\/test_resnet_tiny-32x32-avgpool-g\d+-[0-9a-f]{16}\.onnx$/);
      expect(readdirSync(join(dir, 'onnx'))).toEqual([first.report.cacheKey.slice('onnx/'.length)]);
      expect(await second.engine.embed('test', images, spec)).toEqual(await first.engine.embed('test', images, spec));
      first.engine.dispose();
      second.engine.dispose();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

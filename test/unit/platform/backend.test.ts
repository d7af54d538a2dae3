import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { BackendUnavailableError } from '../../../src/errors/index.js';
import { backendInfo, selectBackend } from '../../../src/platform/backend.js';

const missing = () =>
  Promise.reject(Object.assign(new Error("Cannot find package 'x'"), { code: 'ERR_MODULE_NOT_FOUND' }));

describe('selectBackend', () => {
  it('takes the first candidate that loads and initialises, recording the others', async () => {
    const info = await selectBackend('browser', [
      { backend: 'webgpu', package: '@tensorflow/tfjs-backend-webgpu', load: missing },
      { backend: 'no-such-backend', package: 'pkg-broken', load: () => Promise.reject(new Error('boom')) },
      { backend: 'cpu', package: '@tensorflow/tfjs-backend-cpu', load: () => Promise.resolve() },
    ]);
    expect(info.backend).toBe('cpu');
    expect(tf.getBackend()).toBe('cpu');
    expect(info.skipped.map((s) => s.reason)).toEqual([
      'not installed (npm install @tensorflow/tfjs-backend-webgpu)',
      'installed but failed to load: boom',
    ]);
    expect(backendInfo()).toBe(info);
  });

  it("records the version the package exports (version_cpu, or tfjs-node's version object)", async () => {
    const manifest = createRequire(import.meta.url).resolve('@tensorflow/tfjs-backend-cpu/package.json');
    const { version } = JSON.parse(readFileSync(manifest, 'utf8')) as { version: string };
    const cpu = await selectBackend('node', [{ backend: 'cpu', package: '@tensorflow/tfjs-backend-cpu', load: () => import('@tensorflow/tfjs-backend-cpu') }]);
    expect(cpu.version).toBe(version);
    const node = await selectBackend('node', [{ backend: 'cpu', package: '@tensorflow/tfjs-node', load: async () => ({ version: { 'tfjs-node': '9.8.7', 'tfjs-core': '1.0.0' } }) }]);
    expect(node.version).toBe('9.8.7');
    const bare = await selectBackend('node', [{ backend: 'cpu', package: 'pkg', load: () => Promise.resolve() }]);
    expect(bare.version).toBeUndefined();
  });

  it('skips a package that loads but whose backend is not registered', async () => {
    const info = await selectBackend('browser', [
      { backend: 'not-registered', package: 'pkg-a', load: () => Promise.resolve() },
      { backend: 'cpu', package: '@tensorflow/tfjs-backend-cpu', load: () => Promise.resolve() },
    ]);
    expect(info.backend).toBe('cpu');
    expect(info.skipped[0]?.package).toBe('pkg-a');
  });

  it('throws BackendUnavailableError listing every failure when nothing works', async () => {
    const err = await selectBackend('browser', [
      { backend: 'webgpu', package: '@tensorflow/tfjs-backend-webgpu', load: missing },
      { backend: 'wasm', package: '@tensorflow/tfjs-backend-wasm', load: missing },
    ]).catch((e: unknown) => e);
    expect(BackendUnavailableError.is(err)).toBe(true);
    const msg = (err as Error).message;
    expect(msg).toContain('@tensorflow/tfjs-backend-webgpu');
    expect(msg).toContain('npm install @tensorflow/tfjs-backend-wasm');
  });
});

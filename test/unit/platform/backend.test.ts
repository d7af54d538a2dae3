import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
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

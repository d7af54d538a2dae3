import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { BackendUnavailableError } from '../../../src/errors/index.js';
import { backendInfo, selectBackend } from '../../../src/host/backend.js';

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

  it('prepare / finish: a failed start may ask for one plain retry, and a throwing prepare skips the candidate', async () => {
    // A backend whose first start fails, as wasm's threaded start can.
    let starts = 0;
    tf.registerBackend('dvme_flaky', async () => {
      starts += 1;
      if (starts === 1) throw new Error('first start fails');
      return tf.findBackendFactory('cpu')!() as tf.KernelBackend;
    });
    const calls: boolean[] = [];
    const warn = console.warn;
    console.warn = () => undefined; // tfjs logs the failed start
    try {
      const info = await selectBackend('node', [
        { backend: 'cpu', package: 'pkg-prepare-throws', load: () => Promise.resolve(), prepare: () => { throw new Error('cannot prepare'); } },
        {
          backend: 'dvme_flaky',
          package: 'pkg-flaky',
          load: () => Promise.resolve(),
          prepare: () => ({
            finish: (started) => {
              calls.push(started);
              return started ? { threads: 1, notes: ['retried'] } : { retry: true };
            },
          }),
        },
      ]);
      expect(calls).toEqual([false, true]);
      expect(info).toMatchObject({ backend: 'dvme_flaky', package: 'pkg-flaky', threads: 1, notes: ['retried'] });
      expect(info.skipped).toEqual([{ backend: 'cpu', package: 'pkg-prepare-throws', reason: 'could not prepare it: cannot prepare' }]);
    } finally {
      console.warn = warn;
      await tf.setBackend('cpu');
      tf.removeBackend('dvme_flaky');
    }
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

  it('never says to install a package that is installed: an installed one that failed keeps its own reason', async () => {
    const err = await selectBackend('browser', [
      { backend: 'webgpu', package: 'pkg-gpu', load: missing },
      { backend: 'no-such-backend', package: 'pkg-wasm', load: () => Promise.resolve() },
    ]).catch((e: unknown) => e);
    const msg = (err as Error).message;
    expect(msg).toContain("pkg-wasm (backend 'no-such-backend'): ");
    expect(msg).toContain('Or install another one: npm install pkg-gpu.');
    expect(msg).not.toContain('npm install pkg-wasm');
    const none = await selectBackend('browser', [{ backend: 'no-such-backend', package: 'pkg-wasm', load: () => Promise.resolve() }]).catch(
      (e: unknown) => e,
    );
    expect((none as Error).message).not.toMatch(/install/i);
  });

  it("a loader or prepare throwing BackendUnavailableError gives the reason in its words; an async prepare is awaited; finish may replace tfjs's reason", async () => {
    const err = await selectBackend('browser', [
      { backend: 'webgpu', package: 'pkg-a', load: () => Promise.reject(new BackendUnavailableError('this browser exposes no WebGPU')) },
      { backend: 'wasm', package: 'pkg-b', load: () => Promise.resolve(), prepare: async () => { throw new BackendUnavailableError('GET /x.wasm: 404'); } },
      { backend: 'no-such-backend', package: 'pkg-c', load: () => Promise.resolve(), prepare: async () => ({ finish: () => ({ reason: 'see /y.wasm' }) }) },
    ]).catch((e: unknown) => e);
    const msg = (err as Error).message;
    expect(msg).toContain("pkg-a (backend 'webgpu'): this browser exposes no WebGPU\n");
    expect(msg).toContain("pkg-b (backend 'wasm'): GET /x.wasm: 404\n");
    expect(msg).toContain("pkg-c (backend 'no-such-backend'): see /y.wasm");
    expect(msg).not.toMatch(/install/i);
  });
});

import * as tf from '@tensorflow/tfjs-core';
import { availableParallelism } from 'node:os';
import { describe, expect, it } from 'vitest';
import { BackendUnavailableError } from '../../../src/errors/index.js';

// tfjs-node and tfjs-node-gpu cannot be installed on the machines that run this suite (their
// install downloads libtensorflow), so these tests exercise the real missing-backend paths.
const hasTfjsNode = await import('@tensorflow/tfjs-node').then(() => true, () => false);

describe('dvme/node', () => {
  it.runIf(!hasTfjsNode)('falls back to wasm and says why tfjs-node was skipped', async () => {
    const { initBackend, backendInfo } = await import('../../../src/node.js');
    const info = await initBackend();
    expect(info.backend).toBe('wasm');
    expect(tf.getBackend()).toBe('wasm');
    expect(info.package).toBe('@tensorflow/tfjs-backend-wasm');
    expect(info.entrypoint).toBe('node');
    expect(info.skipped).toEqual([
      {
        backend: 'tensorflow',
        package: '@tensorflow/tfjs-node',
        reason: 'not installed (npm install @tensorflow/tfjs-node)',
      },
    ]);
    // One wasm thread per usable core (tfjs alone would run one: tensorflow/tfjs#3830).
    expect(info.threads).toBe(Math.min(availableParallelism(), 8));
    expect(info.notes).toBeUndefined();
    expect(backendInfo()).toBe(info);
    expect(await initBackend()).toBe(info);
    expect(tf.add(tf.scalar(2), tf.scalar(3)).dataSync()[0]).toBe(5);
  });

  it.runIf(hasTfjsNode)('uses tfjs-node when it is installed', async () => {
    const { initBackend } = await import('../../../src/node.js');
    expect((await initBackend()).backend).toBe('tensorflow');
  });
});

describe('dvme/node-gpu', () => {
  it.runIf(!hasTfjsNode)('throws BackendUnavailableError with the install command', async () => {
    const { initBackend } = await import('../../../src/node-gpu.js');
    const err = await initBackend().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(BackendUnavailableError.is(err)).toBe(true);
    expect((err as Error).message).toContain('npm install @tensorflow/tfjs-node-gpu');
    expect((err as Error).message).toContain('not installed');
    // A failed attempt is not cached: a later call tries again.
    await expect(initBackend()).rejects.toThrow(BackendUnavailableError);
  });
});

describe('Node entrypoints', () => {
  it('dvme/node and dvme/node-gpu export exactly the same names', async () => {
    const node = await import('../../../src/node.js');
    const gpu = await import('../../../src/node-gpu.js');
    expect(Object.keys(gpu).sort()).toEqual(Object.keys(node).sort());
  });

  it('the platform entrypoints re-export the whole core', async () => {
    const core = await import('../../../src/index.js');
    for (const entry of [
      await import('../../../src/node.js'),
      await import('../../../src/node-gpu.js'),
      await import('../../../src/browser.js'),
    ]) {
      for (const name of Object.keys(core)) expect(entry).toHaveProperty(name);
      expect(entry).toHaveProperty('initBackend');
    }
  });
});

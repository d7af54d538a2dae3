import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Backbone } from '../../../src/backbone/backbone.js';
import { loadBackbone } from '../../../src/backbone/registry/load-backbone.js';
import { DownloadError } from '../../../src/errors/index.js';
import { registerPlatform } from '../../../src/host/platform.js';
import { nodePlatform } from '../../../src/platform/node/node-platform.js';
import { startServer, testBytes, type TestServer } from '../io/download-server.js';

// The download limits reach the loaders that take a URL: an endless body and a stalled server
// end with a DownloadError instead of filling memory or waiting for the HTTP client's 300 s.
let server: TestServer;

beforeAll(async () => {
  await tf.setBackend('cpu');
  registerPlatform(nodePlatform);
  server = await startServer({
    '/endless.pth': { body: testBytes(64 * 1024, 3), endless: true },
    '/stall.pth': { body: testBytes(100_000, 5), stallAfter: 10_000 },
  });
});

afterAll(async () => {
  await server.close();
});

describe('download limits through the checkpoint loaders', () => {
  it('Backbone.fromCheckpoint(arch, url, { maxBytes }) stops an endless body', async () => {
    const before = tf.memory().numTensors;
    const error = await Backbone.fromCheckpoint('resnet50', server.url("/endless.pth"), { maxBytes: 1_000_000 }).catch((e: unknown) => e);
    expect(DownloadError.is(error)).toBe(true);
    expect(String((error as Error).message)).toMatch(/1000000|1,000,000|maxBytes/);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('Backbone.fromCheckpoint(arch, url, { idleTimeoutMs }) gives up on a stalled server', async () => {
    const t0 = performance.now();
    const error = await Backbone.fromCheckpoint('resnet50', server.url("/stall.pth"), { idleTimeoutMs: 300 }).catch((e: unknown) => e);
    expect(DownloadError.is(error)).toBe(true);
    expect(performance.now() - t0).toBeLessThan(10_000);
  });

  it('loadBackbone({ source: url, maxBytes }) stops an endless body', async () => {
    const error = await loadBackbone('resnet50.tv_in1k', { source: server.url("/endless.pth"), maxBytes: 1_000_000, cache: false }).catch(
      (e: unknown) => e,
    );
    expect(DownloadError.is(error)).toBe(true);
  });
});

import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { runCli } from '../../../src/cli/run.js';
import { registerPlatform } from '../../../src/host/platform.js';
import { nodePlatform } from '../../../src/platform/node/node-platform.js';

// The CLI's messages name its own flags (--data, --offline), not the library's options.
function io() {
  const err: string[] = [];
  return {
    err,
    io: {
      stdout: { write: () => undefined },
      stderr: { isTTY: false, write: (s: string) => err.push(s) },
      initBackend: async () => {
        await tf.setBackend('cpu');
        return { backend: 'cpu', package: undefined };
      },
    },
  };
}
const base = ['linear-eval', '--dataset', 'retinamnist', '--sources', 'pixels'];
const url = 'https://zenodo.org/records/10519652/files/retinamnist.npz';

let tmp: string;
beforeAll(() => {
  registerPlatform(nodePlatform);
  tmp = mkdtempSync(join(tmpdir(), 'dvme-cli-data-'));
  // An empty download cache of the test's own.
  vi.stubEnv('DVME_CACHE_DIR', join(tmp, 'cache'));
});
afterEach(() => vi.unstubAllGlobals());
afterAll(() => {
  vi.unstubAllEnvs();
  rmSync(tmp, { recursive: true, force: true });
});

describe('dvme linear-eval data errors', () => {
  it('a wrong --data path exits 2 naming the path tried, what is wrong and the fix', async () => {
    const a = io();
    const missing = join(tmp, 'nowhere');
    expect(await runCli([...base, '--data', missing], a.io)).toBe(2);
    expect(a.err.join('')).toContain(
      `\ndvme linear-eval: --data ${JSON.stringify(missing)}: ${JSON.stringify(join(missing, 'retinamnist.npz'))} cannot be read: ` +
        'there is no such file or folder (ENOENT). Pass --data <path> to retinamnist.npz or to the folder holding it, or leave --data out to download it.\n',
    );
    expect(a.err.join('')).not.toMatch(/ENOENT: no such file|leave path out/);
  });

  it('--offline without a cached copy says to run without --offline or to pass --data', async () => {
    const a = io();
    expect(await runCli([...base, '--offline'], a.io)).toBe(4);
    expect(a.err.join('')).toContain(
      `\ndvme linear-eval: retinamnist (28 px) is not in the download cache and --offline was given. ` +
        `Run once without --offline to download it from ${url}, or pass --data <path> to a retinamnist.npz you have.\n`,
    );
    expect(a.err.join('')).not.toMatch(/offline: true|offline is true/);
  });

  it('no network says --offline and --data, not the library option offline: true', async () => {
    vi.stubGlobal('fetch', () => Promise.reject(new TypeError('fetch failed')));
    const a = io();
    expect(await runCli(base, a.io)).toBe(4);
    expect(a.err.join('')).toContain(
      `\ndvme linear-eval: could not download retinamnist (28 px) from ${url} (fetch failed). ` +
        'Check the network, pass --data <path> to a retinamnist.npz you have, or --offline to use the download cache only.\n',
    );
    expect(a.err.join('')).not.toMatch(/offline: true/);
  });
});

import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { io } from './cli-io.js';
import { embedSources } from '../../../src/cli/embed-sources.js';
import { LINEAR_EVAL_HELP, MAIN_HELP } from '../../../src/cli/help.js';
import { runCli } from '../../../src/cli/run.js';
import { nodePlatform } from '../../../src/platform/node/node-platform.js';
import { registerPlatform } from '../../../src/host/platform.js';
import { artifactsOf, tinyLayersModel, writeModelFolder } from '../backbone/tfjs-fixtures.js';

const dataDir = join(import.meta.dirname, '../../../../shared/data');
const haveData = existsSync(join(dataDir, 'pneumoniamnist.npz'));


let tmp: string;
beforeAll(async () => {
  registerPlatform(nodePlatform);
  await tf.setBackend('cpu');
  tmp = mkdtempSync(join(tmpdir(), 'dvme-cli-'));
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('dvme CLI', () => {
  it('--help prints the commands; linear-eval --help every option', async () => {
    const a = io();
    expect(await runCli(['--help'], a.io)).toBe(0);
    expect(a.out.join('')).toBe(MAIN_HELP);
    expect(MAIN_HELP).toMatch(/linear-eval/);
    const b = io();
    expect(await runCli(['linear-eval', '--help'], b.io)).toBe(0);
    expect(b.out.join('')).toBe(LINEAR_EVAL_HELP);
    for (const flag of ['--data', '--dataset', '--sources', '--sizes', '--repeats', '--metric', '--solver', '--out', '--pool', '--cache-dir']) {
      expect(LINEAR_EVAL_HELP).toContain(flag);
    }
    const v = io();
    expect(await runCli(['--version'], v.io)).toBe(0);
    expect(v.out.join('')).toMatch(/^\d+\.\d+\.\d+\n$/);
  });

  it('exits 2 with one line for a usage mistake', async () => {
    const a = io();
    expect(await runCli(['linear-eval', '--dataset', 'retinamnist'], a.io)).toBe(2);
    expect(a.err.join('')).toMatch(/^dvme: --sources is required/);
    const b = io();
    expect(await runCli(['linear-eval', '--dataset', 'retinamnist', '--sources', 'pixels', '--out', 'x.txt'], b.io)).toBe(2);
    expect(b.err.join('')).toMatch(/--out must end in .md, .csv or .json/);
  });

  it.skipIf(!haveData)(`runs end to end on PneumoniaMNIST pixels and writes .md, .csv and .json${haveData ? '' : ` (skipped: ${dataDir} lacks pneumoniamnist.npz)`}`, async () => {
    // Raw pixels and the exact solver on a 150-image pool: seconds, not minutes.
    const base = ['linear-eval', '--dataset', 'pneumoniamnist', '--data', dataDir, '--sources', 'pixels', '--pool', '150', '--sizes', '20,all', '--repeats', '2', '--solver', 'lbfgs'];
    const before = tf.memory().numTensors;
    const a = io();
    expect(await runCli([...base, '--out', join(tmp, 'r', 'results.md')], a.io)).toBe(0);
    expect(tf.memory().numTensors).toBe(before);
    const table = a.out.join('');
    expect(table).toMatch(/^\| size \| pixels \|\n\| --- \| ---: \|\n\| 20 \| 0\.\d{4} ± 0\.\d{4} \|\n\| all: 150 \| 0\.\d{4} ± 0\.0000 \|\n/);
    const md = readFileSync(join(tmp, 'r', 'results.md'), 'utf8');
    expect(md).toContain('# Linear evaluation: PneumoniaMNIST (28 px)');
    expect(md).toContain('class-stratified subset of 150 of the 4708 training images');
    expect(md).toMatch(/CC BY 4.0.*MedMNIST v2/);
    const err = a.err.join('');
    expect(err).toMatch(/^tfjs backend: cpu\n/);
    expect(err).toMatch(/probe runs \[#{20}\] 100% 4\/4/);
    const b = io();
    expect(await runCli([...base, '--out', join(tmp, 'r.csv')], b.io)).toBe(0);
    expect(readFileSync(join(tmp, 'r.csv'), 'utf8').split('\n')).toHaveLength(2 * 2 + 2);
    const c = io();
    expect(await runCli([...base, '--out', join(tmp, 'r.json')], c.io)).toBe(0);
    const json = JSON.parse(readFileSync(join(tmp, 'r.json'), 'utf8'));
    expect(json).toMatchObject({ kind: 'dvme.results', evaluation: { kind: 'dvme.linear-evaluation', metric: 'auc', sources: ['pixels'] } });
    // Same seed, same numbers, whatever the output format.
    expect(c.out.join('')).toBe(table);
  });

  it('embedSources caches model embeddings as .npy keyed by model and images', async () => {
    const model = writeModelFolder(await artifactsOf(tinyLayersModel()));
    const images = { data: Uint8Array.from({ length: 3 * 8 * 8 * 3 }, (_, i) => (i * 7) % 256), shape: [3, 8, 8, 3] };
    const options = { embeddingLayer: 'pool', mean: [0, 0, 0] as const, std: [1, 1, 1] as const, batchSize: 2, cacheDir: join(tmp, 'cache'), prefix: 'toy' };
    const specs = [{ name: 'tiny', kind: 'tfjs' as const, model: join(model, 'model.json') }, { name: 'pixels', kind: 'pixels' as const }];
    const before = tf.memory().numTensors;
    const first = await embedSources(specs, { test: images }, options);
    expect(first.test.tiny.shape).toEqual([3, 6]);
    expect(first.test.pixels.shape).toEqual([3, 192]);
    expect(tf.memory().numTensors).toBe(before);
    expect(readdirSync(join(tmp, 'cache')).filter((f) => f.endsWith('.npy'))).toEqual([expect.stringMatching(/^toy_test_tiny_[0-9a-f]{8}\.npy$/)]);
    // With the model gone, the cache must answer; other images get their own entry (and need the model).
    rmSync(model, { recursive: true, force: true });
    const labels: string[] = [];
    const second = await embedSources(specs, { test: images }, { ...options, onProgress: (l) => labels.push(l) });
    expect(Array.from(second.test.tiny.data)).toEqual(Array.from(first.test.tiny.data));
    expect(labels).toEqual(['tiny test (cached)']);
    const other = { ...images, data: images.data.map((v) => 255 - v) };
    await expect(embedSources(specs, { test: other }, options)).rejects.toThrow();
  });

  it('embedSources keeps every batch in <cacheDir>/records, so a rerun without the .npy embeds nothing', async () => {
    const model = writeModelFolder(await artifactsOf(tinyLayersModel()));
    const images = { data: Uint8Array.from({ length: 5 * 8 * 8 * 3 }, (_, i) => (i * 11) % 256), shape: [5, 8, 8, 3] };
    const cacheDir = join(tmp, 'records-cache');
    const options = { embeddingLayer: 'pool', mean: [0, 0, 0] as const, std: [1, 1, 1] as const, batchSize: 2, cacheDir };
    const specs = [{ name: 'tiny', kind: 'tfjs' as const, model: join(model, 'model.json') }];
    const first = await embedSources(specs, { test: images }, options);
    expect(readdirSync(join(cacheDir, 'records'))).toHaveLength(1);
    for (const f of readdirSync(cacheDir).filter((f) => f.endsWith('.npy'))) rmSync(join(cacheDir, f));
    const progress: Array<[number, number]> = [];
    const second = await embedSources(specs, { test: images }, { ...options, onProgress: (_l, d, t) => progress.push([d, t]) });
    // One report, all five at once: nothing was embedded.
    expect(progress).toEqual([[5, 5]]);
    expect(Array.from(second.test.tiny.data)).toEqual(Array.from(first.test.tiny.data));
  });
});

import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { io } from './cli-io.js';
import { runCli } from '../../../src/cli/run.js';
import { EMBED_HELP, MERGE_HELP } from '../../../src/cli/help.js';
import { loadMedMnist } from '../../../src/data/medmnist.js';
import { nodePlatform } from '../../../src/platform/node/node-platform.js';
import { registerPlatform } from '../../../src/host/platform.js';
import { readEmbeddingSet } from '../../../src/platform/node/embedding-set-files.js';
import { artifactsOf, tinyLayersModel, writeModelFolder } from '../backbone/tfjs-fixtures.js';
import { pngWith } from '../platform/png-builder.js';

// The shared data folder sits next to the repository; DVME_TEST_DATA points elsewhere (a worktree).
const dataDir = process.env.DVME_TEST_DATA ?? join(import.meta.dirname, '../../../../shared/data');
const haveData = existsSync(join(dataDir, 'retinamnist.npz'));
const N = 30;


/** An 8-bit RGB PNG of one 28 x 28 x 3 image (filter 0 on every row). */
function rgbPng(pixels: Uint8Array, side: number): Uint8Array {
  const raw = new Uint8Array(side * (1 + side * 3));
  for (let y = 0; y < side; y++) raw.set(pixels.subarray(y * side * 3, (y + 1) * side * 3), y * (1 + side * 3) + 1);
  return pngWith({ width: side, height: side, colour: 2, raw });
}

let tmp: string;
let model: string;
let folder: string;
const env = { SOURCE_DATE_EPOCH: '1700000000' };

beforeAll(async () => {
  registerPlatform(nodePlatform);
  await tf.setBackend('cpu');
  tmp = mkdtempSync(join(tmpdir(), 'dvme-embed-'));
  model = join(writeModelFolder(await artifactsOf(tinyLayersModel())), 'model.json');
  if (!haveData) return;
  // The first N RetinaMNIST training images as <grade>/<index>.png, and a CSV of the same.
  const retina = await loadMedMnist('retinamnist', { path: dataDir });
  folder = join(tmp, 'retina');
  const csv = ['path,label,split'];
  for (let i = 0; i < N; i++) {
    const grade = retina.train.labels[i] as number;
    mkdirSync(join(folder, String(grade)), { recursive: true });
    const name = `${grade}/${String(i).padStart(4, '0')}.png`;
    writeFileSync(join(folder, name), rgbPng(retina.train.images.data.subarray(i * 28 * 28 * 3, (i + 1) * 28 * 28 * 3), 28));
    csv.push(`${name},${grade},${i % 5 === 0 ? 'test' : 'train'}`);
  }
  writeFileSync(join(folder, 'labels.csv'), `${csv.join('\n')}\n`);
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('dvme embed and dvme merge', () => {
  it('--help documents every flag; usage mistakes exit 2', async () => {
    const a = io();
    expect(await runCli(['embed', '--help'], a.io, {})).toBe(0);
    expect(a.out.join('')).toBe(EMBED_HELP);
    for (const flag of ['--data', '--model', '--backbone', '--out', '--shard', '--shards', '--shard-from-env', '--cache-dir', '--json', '--on-error', '--window']) {
      expect(EMBED_HELP).toContain(flag);
    }
    const b = io();
    expect(await runCli(['merge', '--help'], b.io, {})).toBe(0);
    expect(b.out.join('')).toBe(MERGE_HELP);
    const c = io();
    expect(await runCli(['embed', '--data', 'x', '--model', 'm.json', '--out', 'o', '--shard', '4/4'], c.io, {})).toBe(2);
    expect(c.err.join('')).toMatch(/index must be below the count/);
    const d = io();
    expect(await runCli(['embed', '--data', 'x', '--model', 'm.json', '--out', 'o', '--shards', '4'], d.io, {})).toBe(2);
    expect(d.err.join('')).toMatch(/JOB_COMPLETION_INDEX and SLURM_ARRAY_TASK_ID are not set/);
    const e = io();
    expect(await runCli(['embed', '--data', 'x', '--model', 'm.json', '--out', 'o', '--window', 'bright', '--json'], e.io, {})).toBe(2);
    expect(JSON.parse(e.out.join(''))).toMatchObject({ error: { code: 'INVALID_ARGUMENT', exitCode: 2, message: expect.stringMatching(/--window must be/) } });
  });

  it.skipIf(!haveData)('n shard processes merged equal one unsharded run, byte for byte (RetinaMNIST image folder)', async () => {
    const base = ['embed', '--data', folder, '--model', model, '--batch-size', '4', '--chunk', '7'];
    const whole = join(tmp, 'whole');
    const a = io();
    expect(await runCli([...base, '--out', whole, '--cache-dir', join(tmp, 'cache-whole'), '--json'], a.io, env)).toBe(0);
    const summary = JSON.parse(a.out.join(''));
    expect(summary).toMatchObject({ status: 'written', rows: N, dim: 5, shard: null, skipped: [] });

    // Three shards, the index from three different places; their own cache, so nothing is shared.
    const sharded = join(tmp, 'sharded');
    const runs: [string[], Record<string, string>][] = [
      [['--shard', '0/3'], {}],
      [['--shards', '3'], { JOB_COMPLETION_INDEX: '1' }],
      [['--shards', '3'], { SLURM_ARRAY_TASK_ID: '3', SLURM_ARRAY_TASK_MIN: '1' }],
    ];
    for (const [flags, vars] of runs) {
      const r = io();
      expect(await runCli([...base, ...flags, '--out', sharded, '--cache-dir', join(tmp, 'cache-shards')], r.io, { ...env, ...vars }), r.err.join('')).toBe(0);
    }
    const merged = join(tmp, 'merged');
    const m = io();
    expect(await runCli(['merge', sharded, '--out', merged, '--json'], m.io, {})).toBe(0);
    expect(JSON.parse(m.out.join(''))).toMatchObject({ shards: 3, rows: N, dim: 5 });
    for (const f of ['embeddings.npy', 'manifest.json']) {
      expect(readFileSync(join(merged, f)).equals(readFileSync(join(whole, f))), f).toBe(true);
    }
    // The rows are the folder's images in sorted order, labels from the folder names.
    const set = await readEmbeddingSet(whole);
    expect(set.manifest.rows[0]!.id).toMatch(/^0\/\d{4}\.png$/);
    expect(set.manifest.dataset.classes).toEqual(['0', '1', '2', '3', '4'].slice(0, set.manifest.dataset.classes!.length));
    expect(set.manifest.created).toBe('2023-11-14T22:13:20.000Z');

    // A rerun finds the set and does nothing; dropping a shard or mixing backbones is refused.
    const again = io();
    expect(await runCli([...base, '--out', whole, '--json'], again.io, env)).toBe(0);
    expect(JSON.parse(again.out.join('')).status).toBe('up-to-date');
    rmSync(join(sharded, 'shard-00001-of-00003'), { recursive: true });
    const missing = io();
    expect(await runCli(['merge', sharded, '--out', join(tmp, 'bad'), '--json'], missing.io, {})).toBe(3);
    expect(JSON.parse(missing.out.join('')).error.code).toBe('PROVENANCE_MISMATCH');
    expect(missing.err.join('')).toMatch(/shard 1 of 3 is missing/);
  });

  it.skipIf(!haveData)('embeds from a CSV manifest, resumes from the embedding cache, and skips (or fails on) a broken image', async () => {
    const csv = join(folder, 'labels.csv');
    const cache = join(tmp, 'cache-csv');
    const tensors = tf.memory().numTensors;
    const first = io();
    expect(await runCli(['embed', '--data', csv, '--model', model, '--out', join(tmp, 'csv1'), '--cache-dir', cache, '--json'], first.io, env)).toBe(0);
    const second = io();
    expect(await runCli(['embed', '--data', csv, '--model', model, '--out', join(tmp, 'csv2'), '--cache-dir', cache, '--json'], second.io, env)).toBe(0);
    expect(JSON.parse(second.out.join('')).cache).toEqual({ hits: N, misses: 0 });
    expect(readFileSync(join(tmp, 'csv2', 'embeddings.npy')).equals(readFileSync(join(tmp, 'csv1', 'embeddings.npy')))).toBe(true);
    const set = await readEmbeddingSet(join(tmp, 'csv1'));
    expect(set.manifest.rows.filter((r) => r.split === 'test')).toHaveLength(N / 5);

    const broken = join(tmp, 'broken');
    mkdirSync(join(broken, 'a'), { recursive: true });
    mkdirSync(join(broken, 'b'), { recursive: true });
    writeFileSync(join(broken, 'a', 'ok.png'), readFileSync(join(folder, set.manifest.rows[0]!.id)));
    writeFileSync(join(broken, 'b', 'ok.png'), readFileSync(join(folder, set.manifest.rows[1]!.id)));
    writeFileSync(join(broken, 'b', 'bad.png'), 'not a png');
    const fail = io();
    expect(await runCli(['embed', '--data', broken, '--model', model, '--out', join(tmp, 'b1'), '--no-cache'], fail.io, env)).toBe(3);
    expect(fail.err.join('')).toMatch(/b\/bad\.png/);
    const skip = io();
    expect(await runCli(['embed', '--data', broken, '--model', model, '--out', join(tmp, 'b2'), '--no-cache', '--on-error', 'skip', '--json'], skip.io, env)).toBe(0);
    const s = JSON.parse(skip.out.join(''));
    expect(s.rows).toBe(2);
    expect(s.skipped.map((x: { id: string }) => x.id)).toEqual(['b/bad.png']);
    expect((await readEmbeddingSet(join(tmp, 'b2'))).manifest.skipped?.[0]?.id).toBe('b/bad.png');
    // Every run, the failed one included, disposed its backbone and tensors.
    expect(tf.memory().numTensors).toBe(tensors);
  });

  it.skipIf(!haveData)('embed -> fuse -> report, and linear-eval, on the RetinaMNIST image folder + CSV', async () => {
    const csv = join(folder, 'labels.csv');
    // Two sources from one model: its pooled features and its 5-unit output.
    const a = io();
    expect(await runCli(['embed', '--data', csv, '--model', model, '--embedding-layer', 'pool', '--out', join(tmp, 'src-pool'), '--no-cache'], a.io, env)).toBe(0);
    const b = io();
    expect(await runCli(['embed', '--data', csv, '--model', model, '--out', join(tmp, 'src-head'), '--no-cache'], b.io, env)).toBe(0);
    const sources = `pool=${join(tmp, 'src-pool')},head=${join(tmp, 'src-head')}`;
    const results = join(tmp, 'fused.json');
    const before = tf.memory().numTensors;
    const f = io();
    const fuse = ['fuse', '--embeddings', sources, '--metric', 'quadraticKappa', '--sizes', 'all', '--repeats', '1', '--models', 'concat,dvme',
      '--solver', 'lbfgs', '--validation', '0.25', '--projection-dim', '4', '--min-epochs', '2', '--max-epochs', '3', '--out', results];
    expect(await runCli(fuse, f.io)).toBe(0);
    expect(tf.memory().numTensors).toBe(before);
    const saved = JSON.parse(readFileSync(results, 'utf8'));
    expect(saved.evaluation).toMatchObject({ kind: 'dvme.fusion-evaluation', models: ['concat', 'dvme'], fusionSources: ['pool', 'head'] });
    // The test rows are the CSV's: every fifth image, with its grade.
    const retina = await loadMedMnist('retinamnist', { path: dataDir });
    expect(saved.test.labels).toEqual(Array.from({ length: N / 5 }, (_, i) => retina.train.labels[i * 5]));
    const r = io();
    const html = join(tmp, 'fused.html');
    expect(await runCli(['report', results, '-o', html, '--bootstrap', '10'], r.io)).toBe(0);
    const page = readFileSync(html, 'utf8');
    expect(page).toContain('id="table4"');
    expect(page).not.toContain('<script');
    const l = io();
    expect(await runCli(['linear-eval', '--embeddings', `pool=${join(tmp, 'src-pool')}`, '--sizes', 'all', '--repeats', '1', '--solver', 'lbfgs', '--metric', 'accuracy'], l.io)).toBe(0);
    expect(l.out.join('')).toMatch(/\| all: 24 \| [01]\.\d{4} \|/);
  }, 120_000);

  it.skipIf(!haveData)('embeds a shard of the MedMNIST .npz itself, ids <split>/<index>', async () => {
    const r = io();
    const npz = join(dataDir, 'retinamnist.npz');
    expect(await runCli(['embed', '--data', npz, '--model', model, '--out', join(tmp, 'npz'), '--shard', '0/100', '--no-cache', '--json'], r.io, env)).toBe(0);
    const set = await readEmbeddingSet(join(tmp, 'npz', 'shard-00000-of-00100'));
    // 1600 images over 100 shards: 16 each; shard 0 is the first 16 training images.
    expect(set.manifest.rows.map((x) => x.id)).toEqual(Array.from({ length: 16 }, (_, i) => `train/${i}`));
    const retina = await loadMedMnist('retinamnist', { path: dataDir });
    expect(set.manifest.rows.map((x) => x.label)).toEqual([...retina.train.labels.subarray(0, 16)]);
    expect(set.manifest.shard).toEqual({ index: 0, count: 100, start: 0, total: 1600 });
  });
});

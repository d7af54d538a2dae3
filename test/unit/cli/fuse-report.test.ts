import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { io } from './cli-io.js';
import { FUSE_HELP, MAIN_HELP, REPORT_HELP } from '../../../src/cli/help.js';
import { runCli } from '../../../src/cli/run.js';
import type { EmbeddingSetManifest } from '../../../src/data/embedding-set.js';
import { writeEmbeddingSet } from '../../../src/platform/node/embedding-set-files.js';
import { gaussian, rng } from '../probe/synthetic.js';


/** An embedding set of 90 rows (60 train, 30 test), 3 classes round robin; `shuffle` reverses the row order. */
async function writeSet(dir: string, dim: number, separation: number, seed: number, reverse = false): Promise<void> {
  const noise = gaussian(rng(seed));
  let rows = Array.from({ length: 90 }, (_, i) => ({ id: `img${i}.png`, split: (i < 60 ? 'train' : 'test') as 'train' | 'test', label: i % 3 }));
  let x = rows.map((r) => Array.from({ length: dim }, (_, j) => (j === r.label % dim ? separation : 0) + noise()));
  if (reverse) {
    rows = rows.reverse();
    x = x.reverse();
  }
  const manifest: EmbeddingSetManifest = {
    kind: 'dvme-embedding-set',
    version: 1,
    dvme: '0.1.0',
    backbone: { id: `toy${dim}`, fingerprint: `fp${dim}`, weightsSha256: 'cd'.repeat(32), dim, preprocessing: {} },
    dataset: { source: 'toy', task: 'multiclass', classes: ['a', 'b', 'c'] },
    rows,
    created: '2026-01-01T00:00:00.000Z',
  };
  await writeEmbeddingSet(dir, { manifest, embeddings: { data: Float32Array.from(x.flat()), shape: [90, dim] } });
}

let tmp: string;
beforeAll(async () => {
  await tf.setBackend('cpu');
  tmp = mkdtempSync(join(tmpdir(), 'dvme-fuse-'));
  await writeSet(join(tmp, 'good'), 3, 3, 1);
  await writeSet(join(tmp, 'weak'), 2, 0.5, 2, true);
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const fuseArgs = (out: string) => [
  'fuse', '--embeddings', `good=${join(tmp, 'good')},weak=${join(tmp, 'weak')}`, '--metric', 'quadraticKappa',
  '--sizes', '24,all', '--repeats', '2', '--models', 'concat,dvme-source', '--solver', 'lbfgs', '--validation', '0.25',
  '--projection-dim', '4', '--source-heads', '2', '--min-epochs', '2', '--max-epochs', '3', '--out', out,
];

describe('dvme fuse and dvme report', () => {
  it('fuse on saved embedding sets writes a results document; --json prints it; report draws it', async () => {
    const json = join(tmp, 'out/results.json');
    const a = io();
    const before = tf.memory().numTensors;
    expect(await runCli([...fuseArgs(json), '--json', '--markdown', join(tmp, 'out/results.md')], a.io)).toBe(0);
    expect(tf.memory().numTensors).toBe(before);
    const printed = JSON.parse(a.out.join(''));
    const saved = JSON.parse(readFileSync(json, 'utf8'));
    expect(printed).toEqual(saved);
    expect(saved).toMatchObject({ kind: 'dvme.results', version: 1, test: { classNames: ['a', 'b', 'c'] } });
    expect(saved.evaluation).toMatchObject({ kind: 'dvme.fusion-evaluation', models: ['concat', 'dvme-source'], fusionSources: ['good', 'weak'] });
    // The sets list their rows in opposite orders: rows are lined up by image id, so the sources
    // agree on the labels and the separable source scores far above chance.
    expect(saved.evaluation.single.results.good.all.mean).toBeGreaterThan(0.8);
    expect(saved.test.labels).toEqual(Array.from({ length: 30 }, (_, i) => (60 + i) % 3));
    expect(saved.run.sources[0]).toMatchObject({ name: 'good', kind: 'embedding-set', dim: 3, weightsSha256: 'cd'.repeat(32) });
    expect(saved.run.command).toContain('dvme fuse --embeddings');
    expect(readFileSync(join(tmp, 'out/results.md'), 'utf8')).toMatch(/\| size \| best fused source alone \| concat \(Δ\) \| dvme-source \(Δ\) \|/);
    expect(a.err.join('')).toMatch(/runs \[#+\] 100% 16\/16/);

    const b = io();
    const html = join(tmp, 'out/report.html');
    expect(await runCli(['report', json, '-o', html, '--bootstrap', '20', '--json'], b.io)).toBe(0);
    expect(JSON.parse(b.out.join(''))).toMatchObject({ out: html });
    const page = readFileSync(html, 'utf8');
    expect(page).toContain('id="table4"');
    expect(page).not.toContain('<script');
  }, 120_000);

  it('linear-eval also runs on saved embedding sets', async () => {
    const a = io();
    const args = ['linear-eval', '--embeddings', `good=${join(tmp, 'good')}`, '--sizes', 'all', '--repeats', '1', '--solver', 'lbfgs', '--metric', 'accuracy'];
    expect(await runCli(args, a.io)).toBe(0);
    expect(a.out.join('')).toMatch(/\| all: 60 \| 0\.\d{4} \|/);
  });

  it('exit codes: 2 for usage (with a JSON error under --json), 3 for mismatched data', async () => {
    const a = io();
    expect(await runCli(['fuse', '--embeddings', 'x=a', '--models', 'dvme,nope', '--json'], a.io)).toBe(2);
    expect(JSON.parse(a.out.join(''))).toMatchObject({ error: { name: 'InvalidArgumentError', code: 'INVALID_ARGUMENT', exitCode: 2 } });
    expect(a.err.join('')).toContain('--models: unknown model "nope"');
    const b = io();
    expect(await runCli(['report', join(tmp, 'missing.json')], b.io)).toBe(2);
    expect(b.err.join('')).toContain('cannot read the results file');
    const c = io();
    writeFileSync(join(tmp, 'not-results.json'), '{"kind":"something"}');
    expect(await runCli(['report', join(tmp, 'not-results.json')], c.io)).toBe(2);
    await writeSet(join(tmp, 'short'), 2, 1, 3);
    const manifest = JSON.parse(readFileSync(join(tmp, 'short/manifest.json'), 'utf8'));
    manifest.rows[0].label = 2;
    writeFileSync(join(tmp, 'short/manifest.json'), JSON.stringify(manifest));
    const d = io();
    expect(await runCli(['fuse', '--embeddings', `good=${join(tmp, 'good')},short=${join(tmp, 'short')}`, '--sizes', 'all'], d.io)).toBe(3);
    expect(d.err.join('')).toMatch(/image "img0.png" has split train \/ label 2 in short but train \/ 0 in good/);
    const e = io();
    expect(await runCli(['fuse', '--embeddings', `good=${join(tmp, 'nothing-here')}`], e.io)).toBe(3);
  });

  it('--help of every command, and the exit codes in dvme --help', async () => {
    for (const [argv, text] of [[['fuse', '--help'], FUSE_HELP], [['report', '-h'], REPORT_HELP], [['--help'], MAIN_HELP]] as const) {
      const a = io();
      expect(await runCli([...argv], a.io)).toBe(0);
      expect(a.out.join('')).toBe(text);
    }
    expect(MAIN_HELP).toMatch(/Exit codes:\n {2}0 {4}success[\s\S]*130 {2}interrupted/);
    for (const flag of ['--models', '--fusion-sources', '--projection-dim', '--min-epochs', '--max-epochs', '--source-heads']) expect(FUSE_HELP).toContain(flag);
    expect(existsSync(tmp)).toBe(true);
  });
});

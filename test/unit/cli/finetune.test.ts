import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { io } from './cli-io.js';
import { runCli } from '../../../src/cli/run.js';
import { FINETUNE_HELP } from '../../../src/cli/finetune-help.js';
import { MAIN_HELP } from '../../../src/cli/help.js';
import { loadMedMnist } from '../../../src/data/medmnist.js';
import { nodePlatform } from '../../../src/platform/node/node-platform.js';
import { registerPlatform } from '../../../src/host/platform.js';
import { parseResultsDocument } from '../../../src/report/results-document.js';
import { artifactsOf, tinyLayersModel, writeModelFolder } from '../backbone/tfjs-fixtures.js';
import { pngWith } from '../platform/png-builder.js';

// The shared data folder sits next to the repository; DVME_TEST_DATA points elsewhere (a worktree).
const dataDir = process.env.DVME_TEST_DATA ?? join(import.meta.dirname, '../../../../shared/data');
const haveData = existsSync(join(dataDir, 'retinamnist.npz'));
const N = 40;


function rgbPng(pixels: Uint8Array, side: number): Uint8Array {
  const raw = new Uint8Array(side * (1 + side * 3));
  for (let y = 0; y < side; y++) raw.set(pixels.subarray(y * side * 3, (y + 1) * side * 3), y * (1 + side * 3) + 1);
  return pngWith({ width: side, height: side, colour: 2, raw });
}

/** Mann-Whitney AUC by counting pairs (ties count half): the hand reference. */
function pairAuc(p: readonly number[], y: readonly number[]): number {
  let wins = 0;
  let pairs = 0;
  for (let i = 0; i < p.length; i++) {
    for (let j = 0; j < p.length; j++) {
      if (y[i] !== 1 || y[j] !== 0) continue;
      pairs++;
      wins += p[i]! > p[j]! ? 1 : p[i] === p[j] ? 0.5 : 0;
    }
  }
  return wins / pairs;
}

let tmp: string;
let model: string;
let folder: string;

beforeAll(async () => {
  registerPlatform(nodePlatform);
  await tf.setBackend('cpu');
  tmp = mkdtempSync(join(tmpdir(), 'dvme-finetune-'));
  model = join(writeModelFolder(await artifactsOf(tinyLayersModel())), 'model.json');
  if (!haveData) return;
  // The first N RetinaMNIST training images as <normal|dr>/<index>.png (grade 0 against any
  // retinopathy), and a CSV of the same with every fifth image in the test split.
  const retina = await loadMedMnist('retinamnist', { path: dataDir });
  folder = join(tmp, 'retina');
  const csv = ['path,label,split'];
  for (let i = 0; i < N; i++) {
    const cls = retina.train.labels[i] === 0 ? 'normal' : 'dr';
    mkdirSync(join(folder, cls), { recursive: true });
    const name = `${cls}/${String(i).padStart(4, '0')}.png`;
    writeFileSync(join(folder, name), rgbPng(retina.train.images.data.subarray(i * 28 * 28 * 3, (i + 1) * 28 * 28 * 3), 28));
    csv.push(`${name},${cls},${i % 5 === 0 ? 'test' : 'train'}`);
  }
  writeFileSync(join(folder, 'labels.csv'), `${csv.join('\n')}\n`);
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('dvme finetune', () => {
  it('--help documents the flags; the main help lists the command; usage mistakes exit 2 with the JSON error', async () => {
    const a = io();
    expect(await runCli(['finetune', '--help'], a.io, {})).toBe(0);
    expect(a.out.join('')).toBe(FINETUNE_HELP);
    for (const flag of ['--data', '--model', '--backbone', '--task', '--epochs', '--lr', '--batch-size', '--trainable', '--weight-decay', '--label-smoothing', '--seed', '--backend', '--out', '--json']) {
      expect(FINETUNE_HELP).toContain(flag);
    }
    expect(MAIN_HELP).toMatch(/\n {2}finetune {6}Fine-tune/);
    const cases: [string[], RegExp][] = [
      [['finetune', '--data', 'x', '--model', 'm.json', '--epochs', '5/3'], /--epochs must be <n> or <min>\/<max>/],
      [['finetune', '--data', 'x', '--model', 'm.json', '--trainable', 'some'], /--trainable must be all, head or a stage number/],
      [['finetune', '--data', 'x', '--model', 'm.json', '--backend', 'webgl'], /--backend must be one of auto, cpu, wasm/],
      [['finetune', '--data', 'x', '--model', 'm.json', '--out', 'r.html'], /--out must end in \.json/],
      [['finetune', '--data', 'x', '--model', 'm.json', '--shard', '0/2'], /Unknown option '--shard'.*dvme finetune --help/],
      [['finetune', '--model', 'm.json'], /--data is required/],
      [['finetune', '--data', 'x'], /exactly one of --model/],
    ];
    for (const [argv, message] of cases) {
      const b = io();
      expect(await runCli([...argv, '--json'], b.io, {}), argv.join(' ')).toBe(2);
      expect(JSON.parse(b.out.join('')), argv.join(' ')).toMatchObject({ error: { code: 'INVALID_ARGUMENT', exitCode: 2, message: expect.stringMatching(message) } });
    }
  });

  it.skipIf(!haveData)('fine-tunes a tiny model on a RetinaMNIST CSV, scores the test split, and dvme report draws the learning curve', async () => {
    const out = join(tmp, 'out', 'ft.json');
    const tensors = tf.memory().numTensors;
    const a = io();
    const argv = ['finetune', '--data', join(folder, 'labels.csv'), '--model', model, '--epochs', '3', '--batch-size', '8', '--lr', '0.01',
      '--validation-split', '0.25', '--weight-decay', '0.01', '--label-smoothing', '0.1', '--seed', '3', '--backend', 'cpu', '--out', out, '--json'];
    expect(await runCli(argv, a.io, {}), a.err.join('')).toBe(0);
    expect(tf.memory().numTensors).toBe(tensors);
    const doc = JSON.parse(a.out.join(''));
    expect(readFileSync(out, 'utf8')).toBe(a.out.join(''));
    expect(doc).toMatchObject({ kind: 'dvme.results', training: 'finetune', test: { classNames: ['dr', 'normal'] } });
    expect(doc.evaluation).toMatchObject({ kind: 'dvme.linear-evaluation', task: 'binary', metric: 'auc', repeats: 1, sizes: [{ name: 'all', size: 'all' }] });
    expect(doc.evaluation.probeOptions).toMatchObject({ weightDecay: 0.01, labelSmoothing: 0.1, seed: 3, minEpochs: 3, maxEpochs: 3, learningRate: 0.01, batchSize: 8 });
    const [name] = doc.evaluation.sources;
    const run = doc.evaluation.results[name].all.runs[0];
    // 32 training rows of the CSV: a quarter held out (stratified) for validation; 8 test rows.
    expect(run.trainSize + run.validationSize).toBe(32);
    expect(run.validationSize).toBeGreaterThanOrEqual(7);
    expect(run.details.history.map((h: { epoch: number }) => h.epoch)).toEqual([1, 2, 3]);
    const truth = doc.test.labels as number[];
    expect(truth).toHaveLength(8);
    // Test labels are the CSV's, in row order: rows 0, 5, 10, ... with 'normal' = 1.
    const retina = await loadMedMnist('retinamnist', { path: dataDir });
    expect(truth).toEqual(Array.from({ length: 8 }, (_, k) => (retina.train.labels[5 * k] === 0 ? 1 : 0)));
    expect(run.value).toBeCloseTo(pairAuc(run.details.probabilities, truth), 5);
    // Progress: one line per epoch and the ETA bar on stderr.
    const err = a.err.join('');
    expect(err).toMatch(/epoch 1: train loss \d\.\d{4}, validation auc/);
    expect(err).toMatch(/epoch 3: /);
    expect(err).toMatch(/finetune \S+ \[#+-*\]\s+\d+% 1\/3 eta \d+s|finetune \S+ \[#{20}\] 100% 3\/3/);

    const html = join(tmp, 'out', 'ft.html');
    const r = io();
    expect(await runCli(['report', out, '-o', html, '--bootstrap', '20'], r.io, {}), r.err.join('')).toBe(0);
    const page = readFileSync(html, 'utf8');
    expect(page).toContain('fine-tuning evaluation');
    expect(page).toContain('Fine-tuned backbone');
    expect(page).toContain(`Learning curve: ${name} (all)`);
    expect(page).toContain('ROC curves');
    expect(page).toContain('Confusion matrices');
    expect(parseResultsDocument(readFileSync(out, 'utf8')).training).toBe('finetune');
  });

  it.skipIf(!haveData)('fine-tunes from the image folder with a seeded --test split; no test split is a usage error', async () => {
    const none = io();
    expect(await runCli(['finetune', '--data', folder, '--model', model, '--epochs', '1', '--json'], none.io, {})).toBe(2);
    expect(JSON.parse(none.out.join('')).error.message).toMatch(/has no test images.*--test 0\.2/);
    const a = io();
    const argv = ['finetune', '--data', folder, '--model', model, '--embedding-layer', 'pool', '--test', '0.25', '--epochs', '2', '--batch-size', '8', '--trainable', 'head', '--backend', 'cpu'];
    expect(await runCli(argv, a.io, {}), a.err.join('')).toBe(0);
    expect(a.out.join('')).toMatch(/\(fine-tuned\): test auc (\d\.\d{4}|NaN) \(10 images\)\n$/);
  });
});

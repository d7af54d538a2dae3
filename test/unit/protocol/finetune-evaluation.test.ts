import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  AbortError,
  Backbone,
  InvalidArgumentError,
  ShapeError,
  formatMarkdown,
  runFinetuneEvaluation,
  runLinearEvaluation,
  sampleSubset,
  toCsv,
  type Augmentation,
  type FinetuneEvaluationOptions,
  type FinetuneEvaluationResult,
} from '../../../src/index.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

/** A tiny trainable backbone: one 3x3 convolution and global average pooling, fixed weights. */
function tinyBackbone(): Backbone {
  const net = tfl.sequential({
    layers: [tfl.layers.conv2d({ inputShape: [8, 8, 3], filters: 4, kernelSize: 3, name: 'conv' }), tfl.layers.globalAveragePooling2d({})],
  });
  net.weights.forEach((w, i) => {
    tf.tidy(() => {
      w.write(tf.randomUniform(w.shape as number[], -0.3, 0.3, 'float32', 7 + i));
    });
  });
  return Backbone.fromModel(net, { id: 'tiny-conv', inputSize: 8, mean: [0.5, 0.5, 0.5], std: [0.25, 0.25, 0.25] });
}

/**
 * n 8 x 8 RGB images, label i % 2 (dark / bright); the first value of image i is `first + i`,
 * so an augmentation that sees an image's raw pixels knows which row it is.
 */
function images(n: number, first = 0) {
  const per = 8 * 8 * 3;
  const data = new Uint8Array(n * per);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < per; j++) data[i * per + j] = (i % 2 ? 170 : 60) + ((i * 7 + j * 3) % 23);
    data[i * per] = first + i;
  }
  return { images: { data, shape: [n, 8, 8, 3] }, labels: Array.from({ length: n }, (_, i) => i % 2) };
}

const train = images(24);
const validation = images(12, 100);
const test = images(10, 200);
const quick = { minEpochs: 1, maxEpochs: 1, batchSize: 4 } as const;

function options(backbone: Backbone, extra: Partial<FinetuneEvaluationOptions<'binary'>> = {}): FinetuneEvaluationOptions<'binary'> {
  return { backbone, task: 'binary', metric: 'auc', train, test, sizes: { S: 8, F: 'all' }, repeats: 2, seed: 3, finetune: quick, ...extra };
}

const embed = async (b: Backbone, x: { images: { data: Uint8Array; shape: number[] } }) => b.embed(x.images, { as: 'array' });

describe('runFinetuneEvaluation', () => {
  it('takes the draws of runLinearEvaluation, and its probe runs are runLinearEvaluation\'s', async () => {
    const backbone = tinyBackbone();
    const pretrained = (await embed(backbone, train)).data;
    const print = await backbone.fingerprint();
    // The rows every finetuning run trained on, read off the raw pixels its augmentation sees.
    const seen: number[][] = [];
    let current = new Set<number>();
    const spy: Augmentation = (image) => {
      current.add(image.data[0] as number);
      return image;
    };
    const progress: string[] = [];
    const before = tf.memory().numTensors;
    const r = await runFinetuneEvaluation(
      options(backbone, {
        validation,
        validationDraw: true,
        finetune: { ...quick, augment: spy },
        probeOptions: { standardize: true },
        onProgress: (_d, _t, label) => {
          progress.push(label);
          if (label.startsWith('finetune')) {
            seen.push([...current].sort((a, b) => a - b));
            current = new Set();
          }
        },
      }),
    );
    expect(tf.memory().numTensors).toBe(before);
    const linear = await runLinearEvaluation({
      task: 'binary', metric: 'auc', sizes: { S: 8, F: 'all' }, repeats: 2, seed: 3, validationDraw: true, probeOptions: { standardize: true },
      sources: { probe: await embed(backbone, train) }, labels: train.labels,
      validation: { sources: { probe: await embed(backbone, validation) }, labels: validation.labels },
      test: { sources: { probe: await embed(backbone, test) }, labels: test.labels },
    });
    expect(progress).toEqual(['probe S 1/2', 'finetune S 1/2', 'probe S 2/2', 'finetune S 2/2', 'probe F 1/2', 'finetune F 1/2', 'probe F 2/2', 'finetune F 2/2']);
    let k = 0;
    for (const size of ['S', 'F']) {
      const lin = linear.results.probe[size].runs;
      const probe = r.results.probe[size].runs;
      const ft = r.results.finetune[size].runs;
      // The probe column is runLinearEvaluation's, run for run.
      expect(probe.map((x) => [x.seed, x.value, x.trainSize, x.validationSize])).toEqual(lin.map((x) => [x.seed, x.value, x.trainSize, x.validationSize]));
      // The fine-tuner trained on exactly the rows of that run's draw, and validated on as many rows.
      for (const [i, run] of ft.entries()) {
        expect(run.seed).toBe(lin[i].seed);
        expect(run.validationSize).toBe(lin[i].validationSize);
        const drawn = sampleSubset(train.labels, { size: size === 'S' ? 8 : 'all', seed: lin[i].seed }).train;
        expect(seen[k++]).toEqual(Array.from(drawn));
        expect(run.trainSize).toBe(drawn.length);
        expect(run.epochs).toBe(1);
        expect(run.wallMs).toBeGreaterThan(0);
      }
    }
    // The backbone is untouched: same embeddings, same weights' fingerprint.
    expect((await embed(backbone, train)).data).toEqual(pretrained);
    expect(await backbone.fingerprint()).toBe(print);
    backbone.dispose();
  });

  it('lays the models out side by side with their paired difference, for formatMarkdown and toCsv', async () => {
    const backbone = tinyBackbone();
    const r: FinetuneEvaluationResult = await runFinetuneEvaluation(options(backbone, { validation }));
    expect(r).toMatchObject({ kind: 'dvme.linear-evaluation', training: 'finetune', sources: ['probe', 'finetune'], backbone: 'tiny-conv', backend: 'cpu', validation: 'given', repeats: 2 });
    expect(r.finetuneOptions).toMatchObject({ minEpochs: 1, maxEpochs: 1, batchSize: 4, monitor: 'auc', trainable: 'all' });
    expect(r.embedMs).toBeGreaterThan(0);
    for (const size of ['S', 'F']) {
      const f = r.results.finetune[size].runs.map((x) => x.value);
      const p = r.results.probe[size].runs.map((x) => x.value);
      // By hand: two repeats, so the sample std of the differences is |d1 - d2| / sqrt(2).
      const d = [f[0] - p[0], f[1] - p[1]];
      expect(r.differences[size].values).toEqual(d);
      expect(r.differences[size].mean).toBeCloseTo((d[0] + d[1]) / 2, 12);
      expect(r.differences[size].std).toBeCloseTo(Math.abs(d[0] - d[1]) / Math.SQRT2, 12);
    }
    const md = formatMarkdown(r);
    const lines = md.split('\n');
    expect(lines[0]).toBe('| size | probe | finetune | finetune − probe |');
    expect(lines[2]).toMatch(/^\| S \(8\) \| [\d.]+ ± [\d.]+ \| [\d.]+ ± [\d.]+ \| [+-][\d.]+ ± [\d.]+ \|$/);
    expect(lines[3]).toMatch(/^\| F \(all: 24\) \| /);
    expect(md).toContain('Backbone tiny-conv on the tfjs cpu backend');
    expect(md).toMatch(/Mean wall time per run \(fit \+ test scoring\): probe [\d.]+ s, finetune [\d.]+ s; total [\d.]+ s\./);
    // Read back from JSON (NaN as null) it prints the same table.
    expect(formatMarkdown(JSON.parse(JSON.stringify(r)))).toBe(md);
    const csv = toCsv(r, { runs: true }).trim().split('\n');
    expect(csv).toHaveLength(1 + 2 * 2 * 2);
    expect(csv.filter((l) => l.split(',')[2] === 'finetune')).toHaveLength(4);
    backbone.dispose();
  });

  it('runs the fine-tuner alone with probe: false, and a validationFraction split is shared by the fine-tuner', async () => {
    const backbone = tinyBackbone();
    const r = await runFinetuneEvaluation(options(backbone, { probe: false, sizes: { F: 'all' }, repeats: 1, validationFraction: 0.25 }));
    expect(r.sources).toEqual(['finetune']);
    expect(r.differences).toEqual({});
    expect(r.embedMs).toBe(0);
    expect(r.validation).toBe('split');
    expect(r.results.finetune.F.runs[0]).toMatchObject({ trainSize: 18, validationSize: 6 });
    expect(formatMarkdown(r).split('\n')[0]).toBe('| size | finetune |');
    backbone.dispose();
  });

  it('stops with an AbortError between runs and inside a fit, leaving no tensor behind', async () => {
    const backbone = tinyBackbone();
    const before = tf.memory().numTensors;
    const between = new AbortController();
    await expect(runFinetuneEvaluation(options(backbone, { signal: between.signal, onProgress: () => between.abort() }))).rejects.toThrow(AbortError);
    expect(tf.memory().numTensors).toBe(before);
    const inside = new AbortController();
    const run = runFinetuneEvaluation(options(backbone, { probe: false, finetune: { minEpochs: 3, maxEpochs: 3, batchSize: 4 }, signal: inside.signal, onEpoch: () => inside.abort() }));
    await expect(run).rejects.toThrow(AbortError);
    await expect(run).rejects.toThrow(/aborted after 0 of 4 runs/);
    expect(tf.memory().numTensors).toBe(before);
    backbone.dispose();
  });

  it('refuses bad input with typed errors before any work, leaving no tensor behind', async () => {
    const backbone = tinyBackbone();
    const before = tf.memory().numTensors;
    const bad: [Partial<FinetuneEvaluationOptions<'binary'>>, new (...a: never[]) => Error, RegExp][] = [
      [{ train: { images: train.images, labels: train.labels.slice(1) } }, ShapeError, /train has 24 images but 23 labels/],
      [{ test: { images: test.images } as never }, InvalidArgumentError, /test must be \{ images, labels \}/],
      [{ finetune: { seed: 1 } as never }, InvalidArgumentError, /finetune\.seed is set by the protocol/],
      [{ finetune: { validationSplit: 0.2 } as never }, InvalidArgumentError, /validationFraction/],
      [{ finetune: { epochs: 3 } as never }, InvalidArgumentError, /unknown option 'epochs'/],
      [{ sizes: { S: 25 } }, InvalidArgumentError, /sizes\.S is 25, but the training pool has 24 rows/],
      [{ probe: 'yes' as never }, InvalidArgumentError, /probe must be true or false/],
      [{ sources: {} } as never, InvalidArgumentError, /takes images, not embeddings/],
      [{ metric: 'kappa', task: 'multilabel' as never }, InvalidArgumentError, /needs one label per row/],
    ];
    for (const [extra, type, message] of bad) {
      const run = runFinetuneEvaluation(options(backbone, extra));
      await expect(run).rejects.toThrow(type);
      await expect(run).rejects.toThrow(message);
    }
    const frozen = Backbone.fromModel((x) => tf.mean(x, [1, 2]), { inputSize: 8, mean: [0, 0, 0], std: [1, 1, 1] });
    await expect(runFinetuneEvaluation(options(frozen))).rejects.toThrow(/cannot train/);
    expect(tf.memory().numTensors).toBe(before);
    frozen.dispose();
    backbone.dispose();
  });
});

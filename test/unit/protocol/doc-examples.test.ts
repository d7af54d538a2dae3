import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { beforeAll, describe, expect, it } from 'vitest';
import { medMnistUrl, MEDMNIST_INFO } from '../../../src/data/medmnist.js';
import * as tfl from '@tensorflow/tfjs-layers';
import { Backbone } from '../../../src/index.js';
import { formatMarkdown, pixelFeatures, runFinetuneEvaluation, runLinearEvaluation, sampleSubset, toCsv } from '../../../src/protocol/index.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

// The values the TSDoc @example blocks of src/protocol and src/data/medmnist.ts promise.
describe('TSDoc examples of the evaluation protocol', () => {
  it('sampleSubset', () => {
    const labels = [0, 0, 0, 0, 0, 0, 1, 1, 2, 2];
    const { train } = sampleSubset(labels, { size: 6, seed: 1 });
    expect(Array.from(train, (i) => labels[i]).sort()).toEqual([0, 0, 1, 1, 2, 2]);
    const patients = ['a', 'a', 'b', 'b', 'c', 'c', 'd', 'd', 'e', 'e'];
    const s = sampleSubset(labels, { size: 'all', groups: patients, validationFraction: 0.2, seed: 1 });
    const inTrain = new Set(Array.from(s.train, (i) => patients[i]));
    expect(Array.from(s.validation, (i) => patients[i]).some((p) => inTrain.has(p))).toBe(false);
  });

  it('runLinearEvaluation, formatMarkdown, toCsv', async () => {
    const rows = (n: number, shift: number) => ({
      data: Float32Array.from({ length: n * 2 }, (_, i) => ((i >> 1) % 2) * shift + (i % 3) * 0.1),
      shape: [n, 2] as const,
    });
    const labels = Array.from({ length: 40 }, (_, i) => i % 2);
    const result = await runLinearEvaluation({
      task: 'binary', metric: 'auc', solver: 'lbfgs', repeats: 2, sizes: { S: 10, F: 'all' },
      sources: { good: rows(40, 3), weak: rows(40, 0.1) }, labels,
      test: { sources: { good: rows(20, 3), weak: rows(20, 0.1) }, labels: labels.slice(0, 20) },
    });
    expect(formatMarkdown(result).split('\n').slice(0, 2)).toEqual(['| size | good | weak |', '| --- | ---: | ---: |']);
    expect(result.results.good.S.mean).toBe(1);
    expect(toCsv(result).split('\n')[0]).toBe('size,size_value,source,metric,mean,std,runs');
  });

  it('runFinetuneEvaluation', async () => {
    const net = tfl.sequential({ layers: [
      tfl.layers.conv2d({ inputShape: [8, 8, 3], filters: 4, kernelSize: 3 }),
      tfl.layers.globalAveragePooling2d({}),
    ] });
    const backbone = Backbone.fromModel(net, { inputSize: 8, mean: [0.5, 0.5, 0.5], std: [0.25, 0.25, 0.25] });
    const set = (n: number) => ({
      images: { data: Uint8Array.from({ length: n * 192 }, (_, i) => (Math.floor(i / 192) % 2 ? 200 : 40) + (i % 17)), shape: [n, 8, 8, 3] },
      labels: Array.from({ length: n }, (_, i) => i % 2),
    });
    const result = await runFinetuneEvaluation({
      backbone, task: 'binary', metric: 'auc', train: set(24), test: set(10),
      sizes: { S: 8, F: 'all' }, repeats: 2, finetune: { minEpochs: 1, maxEpochs: 1 },
    });
    expect(formatMarkdown(result).split('\n')[0]).toBe('| size | probe | finetune | finetune − probe |');
    backbone.dispose();
  });

  it('pixelFeatures', () => {
    const m = pixelFeatures({ data: Uint8Array.of(0, 255, 51, 102), shape: [2, 1, 2] });
    expect(m.shape).toEqual([2, 2]);
    expect(Array.from(m.data, (v) => Number(v.toFixed(6)))).toEqual([0, 1, 0.2, 0.4]);
  });

  it('medMnistUrl and MEDMNIST_INFO', () => {
    expect(medMnistUrl('retinamnist', 224)).toBe('https://zenodo.org/records/10519652/files/retinamnist_224.npz');
    const { task, ordinal, classes } = MEDMNIST_INFO.retinamnist;
    expect([task, ordinal, classes]).toEqual(['multiclass', true, ['0', '1', '2', '3', '4']]);
    expect(MEDMNIST_INFO.pneumoniamnist.samples).toEqual({ train: 4708, val: 524, test: 624 });
  });
});

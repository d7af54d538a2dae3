import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import type { EmbeddingMatrix } from '../../../src/data/embedding-matrix.js';
import { runFusionEvaluation } from '../../../src/protocol/index.js';
import { createResultsDocument, type ResultsDocument } from '../../../src/report/results-document.js';
import { gaussian, rng } from '../probe/synthetic.js';

const matrix = (rows: number[][]): EmbeddingMatrix => ({ data: Float32Array.from(rows.flat()), shape: [rows.length, rows[0].length] });

/** Class-centred rows of round-robin labels (k classes), split at 60 train / 30 test. */
function problem(d: number, k: number, seed: number, separation: number) {
  const noise = gaussian(rng(seed));
  const y = Array.from({ length: 90 }, (_, i) => i % k);
  const x = y.map((c) => Array.from({ length: d }, (_, j) => (j === c % d ? separation : 0) + noise()));
  return { train: matrix(x.slice(0, 60)), test: matrix(x.slice(60)), yTrain: y.slice(0, 60), yTest: y.slice(60) };
}

/**
 * A small real fusion evaluation (3 classes, sources 'good' and a hostile name, sizes S and F,
 * 2 repeats, concat + dvme-source + dvme-noattn) with details, as a results document.
 */
export async function smallResults(sourceName = 'weak <b>&</b>'): Promise<ResultsDocument> {
  await tf.setBackend('cpu');
  const good = problem(3, 3, 1, 3);
  const weak = problem(2, 3, 2, 0.5);
  const result = await runFusionEvaluation({
    task: 'multiclass',
    metric: 'quadraticKappa',
    singleSolver: 'paper',
    sources: { good: good.train, [sourceName]: weak.train },
    labels: good.yTrain,
    test: { sources: { good: good.test, [sourceName]: weak.test }, labels: good.yTest },
    validationFraction: 0.25,
    sizes: { S: 24, F: 'all' },
    repeats: 2,
    seed: 3,
    models: ['concat', 'dvme-source', 'dvme-noattn'],
    training: { minEpochs: 3, maxEpochs: 4, batchSize: 8, learningRate: 0.02, projectionDim: 4, sourceHeads: 2 },
    probeOptions: { minEpochs: 3, maxEpochs: 4 },
    details: true,
  });
  return createResultsDocument(result, { labels: good.yTest, classNames: ['none', 'mild', 'severe'] }, {
    createdAt: '2026-12-06T00:00:00.000Z',
    dvmeVersion: '0.1.0',
    command: 'dvme fuse --embeddings good=a,weak=b',
    backend: 'cpu',
    runtime: 'node test',
    data: { name: 'synthetic', title: 'Synthetic <3 classes>', rows: { train: 60, test: 30 }, license: 'CC0', citation: 'see https://example.org/cite' },
    sources: [
      { name: 'good', kind: 'embedding-set', model: 'emb/good', dim: 3, weightsSha256: 'ab'.repeat(32) },
      { name: sourceName, kind: 'embedding-set', model: 'emb/weak', dim: 2 },
    ],
    wallMs: { inputs: 10, evaluate: 2000, total: 2010 },
    notes: ['A note <i>escaped</i>.'],
  });
}

import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { ConcatProbe, DynamicMetaEmbedding, DynamicVisualMetaEmbedding } from '../../../src/index.js';
import { MetaEmbeddingGate } from '../../../src/fusion/meta-embedding-gate.js';
import { SeededDropout } from '../../../src/fusion/seeded-dropout.js';
import { TokenSelfAttention } from '../../../src/fusion/token-self-attention.js';
import { buildConcatModel } from '../../../src/fusion/concat-model.js';
import { buildDmeModel } from '../../../src/fusion/dme-model.js';
import { buildDvmeModel } from '../../../src/fusion/dvme-model.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

// The values the TSDoc @example blocks of src/fusion promise.
describe('TSDoc examples of the fusion module', () => {
  it('model builders: parameter counts at the paper size', () => {
    for (const [build, count] of [
      [() => buildDvmeModel({ sourceDims: [2048, 2048, 1536], numOutputs: 5 }), 3677709],
      [() => buildDmeModel({ sourceDims: [2048, 2048, 1536], numOutputs: 5 }), 2888198],
      [() => buildConcatModel({ sourceDims: [2048, 2048, 1536], numOutputs: 5 }), 28165],
    ] as const) {
      const model = build();
      expect(model.countParams()).toBe(count);
      model.dispose();
    }
  });

  it('layers', () => {
    const attention = new TokenSelfAttention({ tokenDim: 4, numHeads: 2, seed: 0 });
    const y = attention.apply(tf.ones([2, 12])) as tf.Tensor;
    expect(y.shape).toEqual([2, 12]);
    const gate = new MetaEmbeddingGate({ seed: 0 });
    const mixed = gate.apply([tf.ones([2, 4]), tf.zeros([2, 4])]) as tf.Tensor;
    expect(mixed.shape).toEqual([2, 4]);
    const drop = new SeededDropout({ rate: 0.5, seed: 1 });
    const d = drop.apply(tf.ones([2, 4]), { training: true }) as tf.Tensor;
    expect(new Set(d.dataSync()).size).toBeLessThanOrEqual(2);
    d.dataSync().forEach((v) => expect([0, 2]).toContain(v));
    tf.dispose([y, mixed, d]);
    [attention, gate, drop].forEach((l) => l.dispose());
  });

  it('DynamicVisualMetaEmbedding', async () => {
    const dvme = new DynamicVisualMetaEmbedding({
      sources: { a: 3, b: 2 }, task: 'binary', projectionDim: 4, minEpochs: 2, maxEpochs: 2,
    });
    expect(new DynamicVisualMetaEmbedding({ sources: { a: 8 }, task: 'binary' }).hyperparameters.tokens).toBe('feature');
    const x = { a: [[0, 1, 0], [1, 0, 0], [0, 1, 1], [1, 0, 1]], b: [[0, 1], [1, 0], [0, 1], [1, 0]] };
    await dvme.fit(x, [0, 1, 0, 1]);
    expect(dvme.predictProba(x)).toHaveLength(4);
    const map = dvme.attentionMap(x);
    expect(map.map((r) => r.length)).toEqual([2, 2]);
    const restored = DynamicVisualMetaEmbedding.fromJSON<'binary'>(JSON.stringify(dvme));
    expect(Array.from(restored.predictProba(x))).toEqual(Array.from(dvme.predictProba(x)));
    dvme.dispose();
    restored.dispose();
  });

  it('DynamicMetaEmbedding', async () => {
    expect(new DynamicMetaEmbedding({ sources: { a: 8 }, task: 'binary' }).hyperparameters.gating).toBe('softmax');
    const dme = new DynamicMetaEmbedding({ sources: { a: 2, b: 2 }, task: 'binary', projectionDim: 4, minEpochs: 2, maxEpochs: 2 });
    const x = { a: [[0, 1], [1, 0], [0, 2], [2, 0]], b: [[1, 1], [1, 1], [1, 1], [1, 1]] };
    await dme.fit(x, [0, 1, 0, 1]);
    const w = dme.sourceWeights(x);
    expect(w.a + w.b).toBeCloseTo(1, 6);
    expect(w.a).toBeGreaterThan(0.2);
    expect(w.a).toBeLessThan(0.8);
    dme.dispose();
  });

  it('ConcatProbe', async () => {
    expect(new ConcatProbe({ sources: { a: 4 }, task: 'binary' }).hyperparameters.batchSize).toBe(64);
    const probe = new ConcatProbe({ sources: { a: 2, b: 1 }, task: 'binary', minEpochs: 2, maxEpochs: 2 });
    const x = { a: [[0, 1], [1, 0], [0, 2], [2, 0]], b: [[1], [0], [1], [0]] };
    await probe.fit(x, [0, 1, 0, 1]);
    const pred = probe.predict(x);
    expect(pred).toHaveLength(4);
    pred.forEach((c) => expect([0, 1]).toContain(c));
    probe.dispose();
  });
});

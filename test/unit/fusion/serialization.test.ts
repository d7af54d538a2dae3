import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { beforeAll, describe, expect, it } from 'vitest';
import { InvalidArgumentError, ShapeError } from '../../../src/errors/index.js';
import { MetaEmbeddingGate } from '../../../src/fusion/meta-embedding-gate.js';
import { SeededDropout } from '../../../src/fusion/seeded-dropout.js';
import { TokenSelfAttention } from '../../../src/fusion/token-self-attention.js';
import { buildConcatModel } from '../../../src/fusion/concat-model.js';
import { buildDmeModel } from '../../../src/fusion/dme-model.js';
import { buildDvmeModel } from '../../../src/fusion/dvme-model.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

/** Saves through tfjs-layers' own IO (weights and topology) and loads it back. */
async function roundTrip(model: tfl.LayersModel): Promise<tfl.LayersModel> {
  let artifacts: tf.io.ModelArtifacts | undefined;
  await model.save(
    tf.io.withSaveHandler(async (a) => {
      artifacts = a;
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }),
  );
  return tfl.loadLayersModel(tf.io.fromMemory(artifacts as tf.io.ModelArtifacts));
}

const dims = [6, 5, 3];
const builders: [string, () => tfl.LayersModel][] = [
  ['DVME feature tokens', () => buildDvmeModel({ sourceDims: dims, numOutputs: 3, projectionDim: 4, seed: 1 })],
  ['DVME source tokens', () => buildDvmeModel({ sourceDims: dims, numOutputs: 3, projectionDim: 4, tokens: 'source', heads: 2, seed: 1 })],
  ['DVME w/o attention', () => buildDvmeModel({ sourceDims: dims, numOutputs: 3, projectionDim: 4, attention: false, seed: 1 })],
  ['DME softmax', () => buildDmeModel({ sourceDims: dims, numOutputs: 3, projectionDim: 4, seed: 1 })],
  ['DME sigmoid', () => buildDmeModel({ sourceDims: dims, numOutputs: 3, projectionDim: 4, gating: 'sigmoid', seed: 1 })],
  ['concat', () => buildConcatModel({ sourceDims: dims, numOutputs: 3, seed: 1 })],
];

describe('fusion models save and load with tfjs-layers IO', () => {
  it.each(builders)('%s: identical logits after model.save / tf.loadLayersModel', async (_, build) => {
    const model = build();
    const xs = dims.map((d, j) => tf.randomNormal([4, d], 0, 1, 'float32', j));
    const loaded = await roundTrip(model);
    const a = tf.tidy(() => (model.predict(xs) as tf.Tensor).dataSync());
    const b = tf.tidy(() => (loaded.predict(xs) as tf.Tensor).dataSync());
    expect(Array.from(b)).toEqual(Array.from(a));
    expect(loaded.countParams()).toBe(model.countParams());
    tf.dispose(xs);
    model.dispose();
    loaded.dispose();
  });

  it('dropout acts in training only', () => {
    const model = buildDvmeModel({ sourceDims: dims, numOutputs: 3, projectionDim: 4, seed: 1, dropout: 0.5 });
    const xs = dims.map((d, j) => tf.randomNormal([4, d], 0, 1, 'float32', j));
    const run = (training: boolean) => tf.tidy(() => Array.from((model.apply(xs, { training }) as tf.Tensor).dataSync()));
    expect(run(false)).toEqual(run(false));
    expect(run(true)).not.toEqual(run(true));
    expect(run(true)).not.toEqual(run(false));
    tf.dispose(xs);
    model.dispose();
  });

  it('the same seed builds the same weights', () => {
    const [a, b] = [0, 1].map(() => buildDvmeModel({ sourceDims: dims, numOutputs: 2, projectionDim: 4, seed: 9 }));
    a.weights.forEach((w, i) => expect(Array.from(b.weights[i].read().dataSync())).toEqual(Array.from(w.read().dataSync())));
    a.dispose();
    b.dispose();
  });

  it('initial weights are PyTorch nn.Linear defaults: uniform within 1/sqrt(fan_in)', () => {
    const model = buildDvmeModel({ sourceDims: [400], numOutputs: 2, projectionDim: 64, seed: 2 });
    const kernel = model.getLayer('proj_0').getWeights()[0].dataSync();
    const bound = 1 / Math.sqrt(400);
    expect(Math.max(...Array.from(kernel, Math.abs))).toBeLessThanOrEqual(bound);
    expect(Math.max(...Array.from(kernel, Math.abs))).toBeGreaterThan(0.99 * bound);
    model.dispose();
  });
});

describe('custom layers', () => {
  it('TokenSelfAttention rejects heads that do not divide the token width, and widths not made of tokens', () => {
    expect(() => new TokenSelfAttention({ tokenDim: 1, numHeads: 2 })).toThrow(InvalidArgumentError);
    expect(() => new TokenSelfAttention({ tokenDim: 0 })).toThrow(InvalidArgumentError);
    const layer = new TokenSelfAttention({ tokenDim: 4 });
    expect(() => layer.apply(tfl.input({ shape: [10] }))).toThrow(ShapeError);
  });

  it('buildDvmeModel explains that feature tokens allow one head', () => {
    expect(() => buildDvmeModel({ sourceDims: [4], numOutputs: 2, heads: 8 })).toThrow(/one-dimensional/);
    expect(() => buildDvmeModel({ sourceDims: [], numOutputs: 2 })).toThrow(InvalidArgumentError);
    expect(() => buildDvmeModel({ sourceDims: [4], numOutputs: 2, dropout: 1 })).toThrow(InvalidArgumentError);
  });

  it('TokenSelfAttention with one token per source equals timm Attention written out', () => {
    const layer = new TokenSelfAttention({ tokenDim: 4, numHeads: 2, seed: 5 });
    const x = tf.randomNormal([3, 12], 0, 1, 'float32', 4) as tf.Tensor2D;
    const got = tf.tidy(() => (layer.apply(x) as tf.Tensor).dataSync());
    const [wqkv, bqkv, wp, bp] = layer.getWeights();
    const want = tf.tidy(() => {
      const t = tf.reshape(x, [3, 3, 4]);
      const qkv = tf.add(tf.matMul(tf.reshape(t, [9, 4]), wqkv), bqkv); // [9, 12]
      const split = tf.transpose(tf.reshape(qkv, [3, 3, 3, 2, 2]), [2, 0, 3, 1, 4]); // [3, B, H, N, hd]
      const [q, k, v] = tf.unstack(split);
      const attn = tf.softmax(tf.mul(tf.matMul(q, k, false, true), 2 ** -0.5));
      const o = tf.reshape(tf.transpose(tf.matMul(attn, v), [0, 2, 1, 3]), [9, 4]);
      return tf.reshape(tf.add(tf.matMul(o, wp), bp), [3, 12]).dataSync();
    });
    Array.from(got).forEach((g, i) => expect(g).toBeCloseTo(want[i], 5));
    x.dispose();
    layer.dispose();
  });

  it('MetaEmbeddingGate mixes sources with softmax (or sigmoid) weights of a . w + b', () => {
    const a = [tf.tensor2d([[1, 2]]), tf.tensor2d([[3, -1]])];
    for (const gating of ['softmax', 'sigmoid'] as const) {
      const gate = new MetaEmbeddingGate({ gating, seed: 1 });
      const out = tf.tidy(() => (gate.apply(a) as tf.Tensor).dataSync());
      const [w, b] = gate.getWeights().map((t) => t.dataSync());
      const scores = [1 * w[0] + 2 * w[1] + b[0], 3 * w[0] - 1 * w[1] + b[0]];
      const alpha =
        gating === 'softmax'
          ? scores.map((s) => Math.exp(s) / (Math.exp(scores[0]) + Math.exp(scores[1])))
          : scores.map((s) => 1 / (1 + Math.exp(-s)));
      expect(out[0]).toBeCloseTo(alpha[0] * 1 + alpha[1] * 3, 5);
      expect(out[1]).toBeCloseTo(alpha[0] * 2 + alpha[1] * -1, 5);
      gate.dispose();
    }
    tf.dispose(a);
  });

  it('SeededDropout: identity in inference; fresh, reproducible, inverted masks in training', () => {
    const x = tf.ones([1, 2000]);
    const [d1, d2] = [0, 1].map(() => new SeededDropout({ rate: 0.25, seed: 3 }));
    expect(Array.from(tf.tidy(() => (d1.apply(x) as tf.Tensor).dataSync()))).toEqual(Array(2000).fill(1));
    const m1 = tf.tidy(() => (d1.apply(x, { training: true }) as tf.Tensor).dataSync());
    const m2 = tf.tidy(() => (d1.apply(x, { training: true }) as tf.Tensor).dataSync());
    const m1b = tf.tidy(() => (d2.apply(x, { training: true }) as tf.Tensor).dataSync());
    expect(Array.from(m1b)).toEqual(Array.from(m1)); // same seed, same first mask
    expect(Array.from(m2)).not.toEqual(Array.from(m1)); // next call, next mask
    expect(new Set(Array.from(m1).map((v) => Math.round(v * 1e4) / 1e4))).toEqual(new Set([0, 1.3333]));
    const kept = Array.from(m1).filter((v) => v > 0).length / 2000;
    expect(kept).toBeGreaterThan(0.7);
    expect(kept).toBeLessThan(0.8);
    expect(() => new SeededDropout({ rate: 1 })).toThrow(InvalidArgumentError);
    x.dispose();
  });
});

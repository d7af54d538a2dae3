import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  VIT_SMALL_CONFIG,
  buildVisionTransformer,
  loadTorchStateDict,
  torchStateDictSpec,
  vitEmbeddingDim,
  type ViTConfig,
  type ViTEmbedding,
} from '../../../../src/backbone/arch/index.js';
import { InvalidArgumentError } from '../../../../src/errors/index.js';
import { loadParityFixture, relativeMaxError } from './fixture.js';

const fixture = loadParityFixture('vit-tiny');
const config = fixture.config as unknown as Partial<ViTConfig>;

/** Fixture mode names ('lastBlocksCls4') -> builder options. */
function modeConfig(mode: string): Partial<ViTConfig> {
  const m = /^lastBlocksCls(\d+)$/.exec(mode);
  if (m) return { ...config, embedding: 'lastBlocksCls', nLastBlocks: Number(m[1]) };
  return { ...config, embedding: mode as ViTEmbedding };
}

function predict(model: tfl.LayersModel, name: string): Float32Array {
  const x = fixture.get(name);
  return tf.tidy(() => (model.predict(tf.tensor(x.data, [...x.shape])) as tf.Tensor).dataSync() as Float32Array);
}

function trainableParams(model: tfl.LayersModel): number {
  return model.trainableWeights.reduce((n, w) => n + w.shape.reduce((a, b) => a! * b!, 1)!, 0);
}

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe.each(fixture.modes)('buildVisionTransformer (tiny, embedding %s, against DINO)', (mode) => {
  let model: tfl.LayersModel;

  beforeAll(() => {
    model = buildVisionTransformer(modeConfig(mode));
    loadTorchStateDict(model, fixture.state());
  });
  afterAll(() => model.dispose());

  it.each(fixture.cases)('embeds the %s case as PyTorch does, without leaking', (c) => {
    const expected = fixture.get(`output/${c}/${mode}`);
    const before = tf.memory().numTensors;
    const y = predict(model, `input/${c}`);
    expect(tf.memory().numTensors).toBe(before);
    expect(y.length).toBe(expected.data.length);
    expect(relativeMaxError(y, expected.data)).toBeLessThan(1e-5);
  });

  it('declares the dimension vitEmbeddingDim gives', () => {
    expect(model.outputs[0].shape).toEqual([null, vitEmbeddingDim(modeConfig(mode))]);
  });
});

describe('buildVisionTransformer (tiny, model contract)', () => {
  it('expects exactly the keys and shapes of the PyTorch state dict', () => {
    const model = buildVisionTransformer(config);
    const byKey = (e: { key: string }[]) => e.map((x) => JSON.stringify(x)).sort();
    const torch = [...fixture.state()].map(([key, t]) => ({ key, shape: [...t.shape] }));
    expect(byKey(torchStateDictSpec(model))).toEqual(byKey(torch));
    model.dispose();
  });

  it.each(['cls', 'cls+avgpool', 'lastBlocksCls1', 'lastBlocksCls4'])(
    'model.dispose() frees every weight (%s)',
    (mode) => {
      const before = tf.memory().numTensors;
      const model = buildVisionTransformer(modeConfig(mode));
      expect(tf.memory().numTensors).toBeGreaterThan(before);
      model.dispose();
      expect(tf.memory().numTensors).toBe(before);
    },
  );

  it('serialises: save and reload through tfjs-layers gives the same embeddings', async () => {
    const model = buildVisionTransformer(modeConfig('cls+avgpool'));
    loadTorchStateDict(model, fixture.state());
    let artifacts: tf.io.ModelArtifacts | undefined;
    await model.save(
      tf.io.withSaveHandler(async (a) => {
        artifacts = a;
        return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
      }),
    );
    const reloaded = await tfl.loadLayersModel(tf.io.fromMemory(artifacts!));
    const a = predict(model, 'input/resized');
    const b = predict(reloaded, 'input/resized');
    expect(relativeMaxError(b, a)).toBe(0);
    model.dispose();
    reloaded.dispose();
  });

  it('is trainable: gradients reach cls_token and the resampled pos_embed', () => {
    const model = buildVisionTransformer(config);
    loadTorchStateDict(model, fixture.state());
    const x = fixture.get('input/resized');
    const before = tf.memory().numTensors;
    const norms = tf.tidy(() => {
      const input = tf.tensor(x.data, [...x.shape]);
      const { grads } = tf.variableGrads(() =>
        tf.sum(tf.square(model.apply(input, { training: true }) as tf.Tensor)) as tf.Scalar,
      );
      return Object.fromEntries(
        Object.entries(grads).map(([name, g]) => [name, tf.norm(g).dataSync()[0]]),
      );
    });
    expect(tf.memory().numTensors).toBe(before);
    const of = (suffix: string) => Object.entries(norms).find(([n]) => n.includes(suffix))![1];
    expect(of('embed/pos_embed')).toBeGreaterThan(0);
    expect(of('embed/cls_token')).toBeGreaterThan(0);
    expect(of('blocks.0.attn.qkv/kernel')).toBeGreaterThan(0);
    expect(Object.values(norms).every(Number.isFinite)).toBe(true);
    model.dispose();
  });

  it('rejects malformed configs with InvalidArgumentError', () => {
    expect(() => buildVisionTransformer({ ...config, numHeads: 3 })).toThrow(/numHeads/);
    expect(() => buildVisionTransformer({ ...config, embedding: 'lastBlocksCls', nLastBlocks: 5 })).toThrow(
      InvalidArgumentError,
    );
    expect(() => buildVisionTransformer({ ...config, embedding: 'mean' as never })).toThrow(/embedding/);
    expect(() => buildVisionTransformer({ ...config, patchSize: 64 })).toThrow(InvalidArgumentError);
    expect(() => buildVisionTransformer({ ...config, mlpRatio: 0 })).toThrow(InvalidArgumentError);
  });
});

describe('buildVisionTransformer (DINO ViT-S)', () => {
  const url = new URL('../../../fixtures/backbone/full-size-keys.json', import.meta.url);
  const specs = JSON.parse(readFileSync(url, 'utf8')) as Record<string, [string, number[]][]>;
  const sorted = (e: { key: string; shape: number[] }[]) => e.map((x) => JSON.stringify(x)).sort();

  it.each([
    ['cls', 16, 384, 21_665_664, 'vit_small_patch16_224'],
    ['lastBlocksCls', 8, 1536, 21_670_272, 'vit_small_patch8_224'],
  ] as const)('%s at patch %i: %i-d output, %i parameters, DINO state dict', (embedding, patchSize, dim, params, key) => {
    const model = buildVisionTransformer({ ...VIT_SMALL_CONFIG, patchSize, embedding });
    try {
      expect(model.outputs[0].shape).toEqual([null, dim]);
      expect(trainableParams(model)).toBe(params);
      const torch = specs[key].map(([k, shape]) => ({ key: k, shape }));
      expect(sorted(torchStateDictSpec(model))).toEqual(sorted(torch));
    } finally {
      model.dispose();
    }
  });
});

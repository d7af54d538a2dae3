import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  buildResNet,
  buildVisionTransformer,
  loadTorchStateDict,
  type ResNetConfig,
  type TorchTensor,
  type ViTConfig,
} from '../../../../src/backbone/arch/index.js';
import { CheckpointFormatError } from '../../../../src/errors/index.js';
import { loadParityFixture } from './fixture.js';

const resnet = loadParityFixture('resnet-tiny');
const vit = loadParityFixture('vit-tiny');

function snapshot(model: tfl.LayersModel): Float32Array[] {
  return model.getWeights().map((w) => w.dataSync() as Float32Array);
}

/** Expect `fn` to throw a CheckpointFormatError, leak nothing and leave the model as it was. */
function expectRejected(model: tfl.LayersModel, fn: () => unknown, ...patterns: RegExp[]): void {
  const weights = snapshot(model);
  const before = tf.memory().numTensors;
  let error: unknown;
  try {
    fn();
  } catch (e) {
    error = e;
  }
  expect(CheckpointFormatError.is(error)).toBe(true);
  for (const p of patterns) expect((error as Error).message).toMatch(p);
  expect(tf.memory().numTensors).toBe(before);
  expect(snapshot(model)).toEqual(weights);
}

describe('loadTorchStateDict', () => {
  let model: tfl.LayersModel;

  beforeAll(async () => {
    await tf.setBackend('cpu');
    model = buildResNet(resnet.config as unknown as Partial<ResNetConfig>);
  });
  afterAll(() => model.dispose());

  it('loads a full state dict without leaking and reports nothing', () => {
    const before = tf.memory().numTensors;
    expect(loadTorchStateDict(model, resnet.state())).toEqual({ missing: [], unexpected: [] });
    expect(tf.memory().numTensors).toBe(before);
  });

  it('transposes OIHW convolutions to HWIO', () => {
    const state = resnet.state();
    const t = state.get('conv1.weight')!;
    const [o, i, kh, kw] = t.shape;
    t.data.forEach((_, n) => (t.data[n] = n));
    loadTorchStateDict(model, state);
    const kernel = model.getLayer('conv1').getWeights()[0];
    const k = kernel.arraySync() as number[][][][];
    expect(kernel.shape).toEqual([kh, kw, i, o]);
    expect(k[2][5][1][3]).toBe(((3 * i + 1) * kh + 2) * kw + 5);
  });

  it('transposes (out, in) linears to (in, out)', async () => {
    const vitModel = buildVisionTransformer(vit.config as unknown as Partial<ViTConfig>);
    const state = vit.state();
    const t = state.get('blocks.1.mlp.fc1.weight')!;
    const [out, inDim] = t.shape;
    t.data.forEach((_, n) => (t.data[n] = n));
    loadTorchStateDict(vitModel, state);
    const kernel = vitModel.getLayer('blocks.1.mlp.fc1').getWeights()[0];
    expect(kernel.shape).toEqual([inDim, out]);
    expect((kernel.arraySync() as number[][])[7][3]).toBe(3 * inDim + 7);
    vitModel.dispose();
  });

  it('copies the data: later changes to the state dict do not reach the model', () => {
    const state = resnet.state();
    loadTorchStateDict(model, state);
    const mean = model.getLayer('bn1').getWeights()[2].dataSync().slice();
    state.get('bn1.running_mean')!.data.fill(42);
    expect(model.getLayer('bn1').getWeights()[2].dataSync()).toEqual(mean);
  });

  it('ignores num_batches_tracked and the fc / head classifiers', () => {
    const state = resnet.state();
    state.set('fc.weight', { shape: [10, 128], data: new Float32Array(1280) });
    state.set('fc.bias', { shape: [10], data: new Float32Array(10) });
    state.set('head.weight', { shape: [10, 128], data: new Float32Array(1280) });
    expect([...state.keys()].some((k) => k.endsWith('num_batches_tracked'))).toBe(true);
    expect(loadTorchStateDict(model, state)).toEqual({ missing: [], unexpected: [] });
  });

  it('under strict, throws naming missing keys, and changes nothing', () => {
    const state = resnet.state();
    state.delete('layer2.0.bn2.running_var');
    state.delete('conv1.weight');
    expectRejected(
      model,
      () => loadTorchStateDict(model, state),
      /missing keys .*'conv1\.weight'/,
      /'layer2\.0\.bn2\.running_var'/,
    );
  });

  it('under strict, throws naming unexpected keys, and suggests stripping prefixes', () => {
    const state = new Map<string, TorchTensor>([...resnet.state()].map(([k, t]) => [`module.${k}`, t]));
    expectRejected(model, () => loadTorchStateDict(model, state), /unexpected keys 'module\.conv1\.weight'/, /module\./);
  });

  it('without strict, loads what matches and reports the rest', () => {
    const state = resnet.state();
    state.delete('layer4.0.conv3.weight');
    state.set('projector.0.weight', { shape: [2], data: new Float32Array(2) });
    const before = tf.memory().numTensors;
    expect(loadTorchStateDict(model, state, { strict: false })).toEqual({
      missing: ['layer4.0.conv3.weight'],
      unexpected: ['projector.0.weight'],
    });
    expect(tf.memory().numTensors).toBe(before);
  });

  it('takes a custom ignore list', () => {
    const state = resnet.state();
    state.set('projector.0.weight', { shape: [2], data: new Float32Array(2) });
    expect(loadTorchStateDict(model, state, { ignore: [/^projector\./, /num_batches_tracked$/] })).toEqual({
      missing: [],
      unexpected: [],
    });
  });

  it('always throws on a wrong shape, naming key, expected and received shapes', () => {
    const state = resnet.state();
    state.set('layer1.0.conv2.weight', { shape: [6, 6, 1, 3], data: new Float32Array(108) });
    expectRejected(
      model,
      () => loadTorchStateDict(model, state, { strict: false }),
      /'layer1\.0\.conv2\.weight': expected \[6, 6, 3, 3\], received \[6, 6, 1, 3\]/,
    );
  });

  it('throws when the data length does not match the shape', () => {
    const state = resnet.state();
    state.set('bn1.bias', { shape: [4], data: new Float32Array(3) });
    expectRejected(model, () => loadTorchStateDict(model, state), /'bn1\.bias'.*needs 4 float32 values, received 3/);
  });

  it('rejects a ViT checkpoint of another patch grid by its pos_embed shape', () => {
    const vitModel = buildVisionTransformer({ ...(vit.config as unknown as Partial<ViTConfig>), imgSize: 48 });
    expectRejected(vitModel, () => loadTorchStateDict(vitModel, vit.state()), /'pos_embed': expected \[1, 37, 32\], received \[1, 17, 32\]/);
    vitModel.dispose();
  });
});

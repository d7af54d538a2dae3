import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadTorchStateDict } from '../../../../src/backbone/arch/load-weights.js';
import { buildResNet } from '../../../../src/backbone/arch/resnet.js';
import { buildVisionTransformer } from '../../../../src/backbone/arch/vit.js';
import { Backbone } from '../../../../src/backbone/backbone.js';
import { resolvePreprocessSpec, type Interpolation, type ResizeMode } from '../../../../src/image/preprocess-spec.js';
import type { ImageInput } from '../../../../src/image/images.js';
import { createOnnxBackboneEngine } from '../../../../src/backbone/engines/backbone-engine.js';
import { loadOnnxBackboneModel } from '../../../../src/backbone/engines/from-onnx.js';
import { GraphBuilder } from '../../../../src/backbone/engines/onnx/graph-builder.js';
import { encodeOnnxModel } from '../../../../src/backbone/engines/onnx/onnx-model.js';
import { AbortError, CheckpointFormatError, DisposedError, InvalidArgumentError, ShapeError } from '../../../../src/errors/index.js';
import { loadParityFixture, relativeMaxError } from '../arch/fixture.js';
import { ORT_MISSING, ort, provider } from './ort.js';

const DIR = fileURLToPath(new URL('../../../fixtures/engine/', import.meta.url));
const IMAGENET = { mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] } as const;
const resnet = loadParityFixture('resnet-tiny');
const vit = loadParityFixture('vit-tiny');
const VIT_CLS = { ...vit.config, embedding: 'cls', nLastBlocks: 1 } as const;

interface Reference {
  layer3: string;
  cases: { name: string; model: 'resnet' | 'vit'; resize: ResizeMode; interpolation: Interpolation; outputs: string[] }[];
  tensors: { name: string; shape: number[]; offset: number }[];
}
const reference = JSON.parse(readFileSync(`${DIR}engine-reference.json`, 'utf8')) as Reference;
const referenceData = new Float32Array(readFileSync(`${DIR}engine-reference.bin`).buffer.slice(0));
function fixtureTensor(name: string): { shape: number[]; data: Float32Array } {
  const t = reference.tensors.find((x) => x.name === name)!;
  return { shape: t.shape, data: referenceData.subarray(t.offset, t.offset + t.shape.reduce((a, b) => a * b, 1)) };
}
const u8Images = (name: string) => {
  const t = fixtureTensor(`input/${name}`);
  return { data: Uint8Array.from(t.data), shape: t.shape };
};

function spec(interpolation: Interpolation, resize: ResizeMode) {
  return resolvePreprocessSpec('test', { inputSize: 32, ...IMAGENET, interpolation, resize });
}

async function engineFor(model: 'resnet' | 'vit', interpolation: Interpolation) {
  const s = spec(interpolation, 'direct');
  const graph = model === 'resnet' ? ({ family: 'resnet', config: resnet.config } as const) : ({ family: 'vit', config: VIT_CLS } as const);
  return (await createOnnxBackboneEngine(`test_${model}`, model === 'resnet' ? resnet.state() : vit.state(), { ...graph, inputSize: [32, 32], preprocess: s }, { runtime: provider, cache: false })).engine;
}

describe.skipIf(!ort)(`ONNX engine from raw uint8 pixels${ORT_MISSING}`, () => {
  beforeAll(async () => {
    await tf.setBackend('cpu');
  });

  it.each(reference.cases)('built from the state dict, case $name: equals PyTorch (torchvision preprocessing + model) within 1e-4', async (c) => {
    const engine = await engineFor(c.model, c.interpolation);
    const y = await engine.embed('test', u8Images(c.name), spec(c.interpolation, c.resize), { batchSize: 2 });
    expect(relativeMaxError(y, fixtureTensor(`output/${c.name}/embedding`).data)).toBeLessThan(1e-4);
    engine.dispose();
  });

  it.each(reference.cases)('torch.onnx.export file through Backbone.fromOnnx, case $name: within 1e-4 (intermediate outputs too)', async (c) => {
    for (const output of c.outputs) {
      const file = readFileSync(`${DIR}${c.model}-tiny.onnx`);
      const name = output === 'layer3' ? reference.layer3 : undefined;
      const { engine, config } = await loadOnnxBackboneModel('test', file, { ...IMAGENET, interpolation: c.interpolation, resize: c.resize, output: name, runtime: provider });
      expect(config.inputSize).toEqual([32, 32]); // read from the model
      const y = await engine.embed('test', u8Images(c.name), config, { batchSize: 2 });
      expect(relativeMaxError(y, fixtureTensor(`output/${c.name}/${output}`).data)).toBeLessThan(1e-4);
      engine.dispose();
    }
  });

  it('runs an NHWC model with a fixed batch of 1 (layout read from the input shape)', async () => {
    const c = reference.cases.find((x) => x.name === 'resnet-rgb-crop')!;
    const { engine, config } = await loadOnnxBackboneModel('test', readFileSync(`${DIR}resnet-tiny-nhwc-b1.onnx`), { ...IMAGENET, resize: c.resize, runtime: provider });
    const y = await engine.embed('test', u8Images(c.name), config, { batchSize: 3 });
    expect(relativeMaxError(y, fixtureTensor(`output/${c.name}/embedding`).data)).toBeLessThan(1e-4);
    engine.dispose();
  });

  it('pads the short batches of a model with a fixed batch of 3, and drops the padding', async () => {
    // Global pooling and a 3 x 3 MatMul; the fixed model's Reshape also hard-codes the batch.
    const model = (batch: number | 'batch') => {
      const g = new GraphBuilder('pool');
      const x = g.input('image', 'float32', [batch, 3, 8, 8]);
      const flat = g.op('Reshape', [g.op('GlobalAveragePool', [x]), 'rows_by_3']);
      const y = g.op('MatMul', [flat, g.weight('w', Float32Array.from([1, 0.5, -1, 2, 0, 1, 0.25, -0.5, 3]), [3, 3])]);
      g.output(y, 'float32', [batch, 3]);
      const graph = g.build();
      const shape = { name: 'rows_by_3', type: 'int64', dims: [2], data: BigInt64Array.from([BigInt(batch === 'batch' ? -1 : batch), 3n]) } as const;
      return encodeOnnxModel({ irVersion: 8, opsets: [{ domain: '', version: 13 }], producer: 'test', graph: { ...graph, initializers: [...graph.initializers, shape] } });
    };
    const options = { ...IMAGENET, resize: 'direct', runtime: provider } as const;
    const fixed = await Backbone.fromOnnx(model(3), options);
    const free = await Backbone.fromOnnx(model('batch'), options);
    const image = (w: number, h: number, seed: number) => ({ data: Uint8Array.from({ length: w * h * 3 }, (_, i) => (i * 31 + seed * 17) % 256), width: w, height: h, channels: 3 as const });
    // Runs of 2, 1 and 1 images of one size, and a last batch of 1 (5 images in batches of 3).
    const list = [image(8, 8, 1), image(8, 8, 2), image(9, 7, 3), image(8, 8, 4), image(8, 8, 5)];
    const want = await free.embed(list, { as: 'array' });
    const got = await fixed.embed(list, { as: 'array', batchSize: 16 });
    expect(got.shape).toEqual([5, 3]);
    expect(relativeMaxError(got.data, want.data)).toBeLessThan(1e-6);
    const one = await fixed.embed(list[2]!, { as: 'array' });
    expect(relativeMaxError(one.data, want.data.subarray(6, 9))).toBeLessThan(1e-6);
    fixed.dispose();
    free.dispose();
  });

  it('agrees with the tfjs engine on every kind of input (gray, RGBA, clamped, float, tensors)', async () => {
    const tfjs = buildVisionTransformer({ ...VIT_CLS, inputSize: null });
    loadTorchStateDict(tfjs, vit.state());
    const s = spec('bicubic', 'shorter-then-crop');
    const backbone = Backbone.fromModel(tfjs, { ...s, embeddingDim: 32 });
    const engine = await engineFor('vit', 'bicubic');
    const pixels = (n: number, c: number) => Uint8Array.from({ length: n * 30 * 26 * c }, (_, i) => (i * 7919) % 251);
    const inputs: [string, ImageInput][] = [
      ['gray [n, h, w]', { data: pixels(3, 1), shape: [3, 30, 26] }],
      ['RGBA', { data: pixels(2, 4), shape: [2, 30, 26, 4] }],
      ['Uint8ClampedArray', { data: new Uint8ClampedArray(pixels(2, 3)), shape: [2, 30, 26, 3] }],
      ['Float32Array 0-1', { data: Float32Array.from(pixels(2, 3), (v) => v / 255), shape: [2, 30, 26, 3] }],
      ['Float32Array 0-255', { data: Float32Array.from(pixels(2, 3)), shape: [2, 30, 26, 3] }],
      ['Uint16Array 0-255', { data: Uint16Array.from(pixels(2, 3)), shape: [2, 30, 26, 3] }],
      ['int32 tensor', tf.tensor4d(Int32Array.from(pixels(2, 3)), [2, 30, 26, 3], 'int32')],
      ['float32 tensor', tf.tensor3d(Float32Array.from(pixels(1, 3), (v) => v / 255), [30, 26, 3])],
    ];
    for (const [label, images] of inputs) {
      const range = label.endsWith('0-255') ? ({ range: '0-255' } as const) : {};
      // The tfjs path cannot take Uint16Array pixels (tfjs has no such tensor type): compare with the same values as floats.
      const tfjsImages = label.startsWith('Uint16') ? { data: Float32Array.from(pixels(2, 3)), shape: [2, 30, 26, 3] } : images;
      const expected = (await backbone.embed(tfjsImages, { as: 'array', ...range })).data;
      const y = await engine.embed('test', images, s, { batchSize: 2, ...range });
      expect(relativeMaxError(y, expected), label).toBeLessThan(1e-4);
    }
    tf.dispose(inputs.map(([, x]) => x).filter((x): x is tf.Tensor => x instanceof tf.Tensor));
    backbone.dispose();
    engine.dispose();
  });

  it('gives the same embeddings for any batch size, reports progress, aborts between batches, and refuses after dispose', async () => {
    const engine = await engineFor('resnet', 'bilinear');
    const images = { data: Uint8Array.from({ length: 5 * 28 * 28 }, (_, i) => i % 256), shape: [5, 28, 28] };
    const s = spec('bilinear', 'direct');
    const progress: number[] = [];
    const one = await engine.embed('test', images, s, { batchSize: 1, onProgress: (done) => progress.push(done) });
    const all = await engine.embed('test', images, s, { batchSize: 16 });
    expect(progress).toEqual([1, 2, 3, 4, 5]);
    expect(relativeMaxError(one, all)).toBeLessThan(1e-6);
    expect(engine.embeddingDim).toBe(128);
    const controller = new AbortController();
    const aborted = engine.embed('test', images, s, { batchSize: 2, signal: controller.signal, onProgress: () => controller.abort() });
    await expect(aborted).rejects.toThrow(AbortError);
    await expect(aborted).rejects.toThrow(/aborted after 2 of 5 images/);
    await expect(engine.embed('test', { data: new Float32Array(28 * 28).fill(3), shape: [1, 28, 28] }, s)).rejects.toThrow(/look like 0-255 pixel values/);
    await expect(engine.embed('test', images, spec('bilinear', 'none'))).rejects.toThrow(ShapeError);
    engine.dispose();
    engine.dispose();
    expect(engine.isDisposed).toBe(true);
    await expect(engine.embed('test', images, s)).rejects.toThrow(DisposedError);
  });
});

describe.skipIf(!ort)(`Backbone.fromOnnx's loader: errors name what the model has${ORT_MISSING}`, () => {
  const file = () => readFileSync(`${DIR}resnet-tiny.onnx`);
  const load = (options: object, bytes: Uint8Array = file()) => loadOnnxBackboneModel('Backbone.fromOnnx', bytes, { ...IMAGENET, runtime: provider, ...options });

  it('rejects an unknown output, listing the outputs', async () => {
    await expect(load({ output: 'nope' })).rejects.toThrow(InvalidArgumentError);
    await expect(load({ output: 'nope' })).rejects.toThrow(/no value named 'nope'\. Its outputs are 'embedding'/);
  });

  it('rejects an input size the model does not take, and a missing mean', async () => {
    await expect(load({ inputSize: 64 })).rejects.toThrow(/inputSize \[64, 64\] does not match the model's input \[32, 32\]/);
    await expect(load({ mean: undefined })).rejects.toThrow(/mean must be three finite numbers/);
  });

  it('rejects bytes that are not ONNX', async () => {
    await expect(load({}, new Uint8Array([0x0a, 0xff]))).rejects.toThrow(CheckpointFormatError);
  });
});

import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { Backbone } from '../../../../src/backbone/backbone.js';
import { registerEngineProbes } from '../../../../src/backbone/engines/engine-select.js';
import { registerOnnxRuntime } from '../../../../src/backbone/engines/onnx-runtime.js';
import { loadParityFixture, relativeMaxError } from '../arch/fixture.js';
import { ORT_MISSING, ort, provider } from './ort.js';

/** A safetensors file of a state dict (the format is an 8-byte length, a JSON header, the data). */
function safetensors(state: Map<string, { shape: readonly number[]; data: Float32Array }>): Uint8Array {
  const header: Record<string, unknown> = {};
  let offset = 0;
  for (const [k, t] of state) {
    header[k] = { dtype: 'F32', shape: t.shape, data_offsets: [offset, offset + t.data.byteLength] };
    offset += t.data.byteLength;
  }
  const json = new TextEncoder().encode(JSON.stringify(header));
  const out = new Uint8Array(8 + json.length + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  let at = 8 + json.length;
  for (const t of state.values()) {
    out.set(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength), at);
    at += t.data.byteLength;
  }
  return out;
}

const IMAGENET = { mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] } as const;
const images = { data: Uint8Array.from({ length: 3 * 40 * 36 * 3 }, (_, i) => (i * 7919) % 256), shape: [3, 40, 36, 3] };

describe.skipIf(!ort)(`Backbone with the ONNX engine${ORT_MISSING}`, () => {
  beforeAll(async () => {
    await tf.setBackend('cpu');
    registerOnnxRuntime(provider);
    registerEngineProbes({ tfjsNative: async () => false, onnx: provider });
  });

  it.each([
    ['test_resnet_tiny', 'resnet-tiny'],
    ['test_vit_tiny_patch8', 'vit-tiny'],
  ] as const)("fromCheckpoint('%s', bytes, { engine: 'onnx' }) embeds as the tfjs engine does", async (arch, fixture) => {
    const bytes = safetensors(loadParityFixture(fixture).state());
    const tfjs = await Backbone.fromCheckpoint(arch, bytes, { engine: 'tfjs' });
    expect(tfjs.loadReport?.engine).toEqual({ engine: 'tfjs', reason: "engine: 'tfjs' was requested" });
    const onnx = await Backbone.fromCheckpoint(arch, bytes, { engine: 'onnx', onnx: { cache: false } });
    expect(tfjs.engine).toBeUndefined();
    expect(onnx.engine?.runtime).toMatch(/^onnxruntime-node /);
    expect(onnx.config).toEqual(tfjs.config);
    const a = await tfjs.embed(images, { as: 'array' });
    const b = await onnx.embed(images, { as: 'array', batchSize: 2 });
    expect(b.shape).toEqual(a.shape);
    expect(relativeMaxError(b.data, a.data)).toBeLessThan(1e-4);
    const t = await onnx.embed(images);
    expect(t.shape).toEqual(a.shape);
    t.dispose();
    // The default is 'auto'; with the probes above (no tfjs-node, onnxruntime present) it picks onnxruntime.
    const auto = await Backbone.fromCheckpoint(arch, bytes, { onnx: { cache: false } });
    expect(auto.engine).toBeDefined();
    expect(auto.loadReport?.engine).toEqual({ engine: 'onnx', reason: 'onnxruntime is installed and tfjs-node is not' });
    for (const b2 of [tfjs, onnx, auto]) b2.dispose();
    await expect(onnx.embed(images)).rejects.toThrow(/disposed/);
  });

  it("uses the onnxruntime given in options.onnx.runtime when no probes are registered", async () => {
    registerEngineProbes({});
    try {
      const bytes = safetensors(loadParityFixture('resnet-tiny').state());
      const plain = await Backbone.fromCheckpoint('test_resnet_tiny', bytes, { onnx: { cache: false } });
      expect(plain.loadReport?.engine.engine).toBe('tfjs'); // 'auto' with nothing registered
      const given = await Backbone.fromCheckpoint('test_resnet_tiny', bytes, { engine: 'onnx', onnx: { runtime: provider, cache: false } });
      expect(given.engine?.runtime).toMatch(/^onnxruntime-node /);
      for (const b of [plain, given]) b.dispose();
    } finally {
      registerEngineProbes({ tfjsNative: async () => false, onnx: provider });
    }
  });

  it('fromOnnx loads a torch.onnx.export file and takes an intermediate value by name', async () => {
    const file = readFileSync(fileURLToPath(new URL('../../../fixtures/engine/resnet-tiny.onnx', import.meta.url)));
    const backbone = await Backbone.fromOnnx(file, { ...IMAGENET, output: '/layer3/layer3.0/relu_2/Relu_output_0', resize: 'shorter-then-crop' });
    expect(backbone.embeddingDim).toBe(64);
    expect(backbone.config.inputSize).toEqual([32, 32]);
    expect((await backbone.embed(images, { as: 'array' })).shape).toEqual([3, 64]);
    backbone.dispose();
  });
});

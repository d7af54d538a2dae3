/**
 * What `dvme/browser` registers for the ONNX engine, and one embedding through it on
 * onnxruntime-web's wasm provider in Node (Node has no `navigator.gpu`, so the registered
 * provider asks for wasm alone). A browser's WebGPU is not tested.
 */
import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import '../../../src/browser.js';
import { Backbone } from '../../../src/backbone/backbone.js';
import { registeredEngineProbes } from '../../../src/backbone/engines/engine-select.js';
import { registeredOnnxRuntime } from '../../../src/backbone/engines/onnx-runtime.js';
import { browserOnnxRuntime } from '../../../src/platform/browser/browser-engines.js';
import { loadParityFixture, relativeMaxError } from '../backbone/arch/fixture.js';
import { writeSafetensors } from '../backbone/from-checkpoint-fixtures.js';
import { WEB_MISSING, webOrt } from '../backbone/engines/ort-web.js';

describe('dvme/browser: the ONNX engine runs on onnxruntime-web', () => {
  it("asks for ['webgpu', 'wasm'] where navigator.gpu exists and ['wasm'] elsewhere", () => {
    expect(browserOnnxRuntime({ gpu: {} }).executionProviders).toEqual(['webgpu', 'wasm']);
    expect(browserOnnxRuntime({}).executionProviders).toEqual(['wasm']);
    expect(browserOnnxRuntime(undefined).executionProviders).toEqual(['wasm']);
    expect(browserOnnxRuntime({ gpu: {} }).threads).toBeUndefined(); // onnxruntime-web's own choice
  });

  it('registers onnxruntime-web for the engine and for the probes of engine: auto', () => {
    const registered = registeredOnnxRuntime();
    expect(registered?.package).toBe('onnxruntime-web');
    expect(registered?.executionProviders).toEqual(['wasm']); // Node: no navigator.gpu
    expect(registeredEngineProbes().onnx).toBe(registered);
  });

  it.skipIf(!webOrt)(`fromCheckpoint(..., { engine: 'onnx' }) embeds through the registered provider as tfjs does${WEB_MISSING}`, async () => {
    await tf.setBackend('cpu');
    const bytes = writeSafetensors(loadParityFixture('resnet-tiny').state());
    const images = { data: Uint8Array.from({ length: 2 * 40 * 36 * 3 }, (_, i) => (i * 7919) % 256), shape: [2, 40, 36, 3] };
    const onnx = await Backbone.fromCheckpoint('test_resnet_tiny', bytes, { engine: 'onnx', onnx: { cache: false } });
    const tfjs = await Backbone.fromCheckpoint('test_resnet_tiny', bytes, { engine: 'tfjs' });
    expect(onnx.engine?.runtime).toMatch(/^onnxruntime-web /);
    expect(onnx.engine?.cacheSettings.executionProviders).toEqual(['wasm']);
    const a = await onnx.embed(images, { as: 'array' });
    const b = await tfjs.embed(images, { as: 'array' });
    expect(relativeMaxError(a.data, b.data)).toBeLessThan(1e-4);
    onnx.dispose();
    tfjs.dispose();
  });
});

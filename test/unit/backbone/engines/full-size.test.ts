import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { Backbone } from '../../../../src/backbone/backbone.js';
import { createOnnxBackboneEngine } from '../../../../src/backbone/engines/backbone-engine.js';
import { relativeMaxError } from '../arch/fixture.js';
import { fullSizeGraphSpec, fullSizePreprocess, fullSizeState, fullSizeTfjsModel, seededImages, type FullSizeModel } from './full-size.js';
import { ORT_MISSING, ort, provider } from './ort.js';

const wasm = await import('@tensorflow/tfjs-backend-wasm').then(() => true).catch(() => false);

/**
 * Full-size ResNet-50 and ViT-S/16 (seeded random weights): the ONNX engine against dvme's tfjs
 * path on tfjs-wasm (about 0.5-5 images/s here, so two images), from the same uint8 images.
 */
describe.skipIf(!ort || !wasm)(`full-size backbones: ONNX engine = tfjs-wasm engine${ORT_MISSING}${wasm ? '' : ' [skipped: @tensorflow/tfjs-backend-wasm missing]'}`, () => {
  beforeAll(async () => {
    await tf.setBackend('wasm');
  });

  it.each(['resnet50', 'vit_small_patch16'] as FullSizeModel[])('%s: two 224 px images and two 28 px images resized agree within 1e-4 relative', async (model) => {
    const state = fullSizeState(model);
    const { engine } = await createOnnxBackboneEngine(model, state, fullSizeGraphSpec(model, true), { runtime: provider, cache: false });
    const backbone = Backbone.fromModel(fullSizeTfjsModel(model, state), { ...fullSizePreprocess(model), id: model });
    for (const [size, resize] of [[224, 'none'], [28, 'direct']] as const) {
      const images = { data: seededImages(2, size, size, 3, size), shape: [2, size, size, 3] };
      const onnx = await engine.embed('test', images, fullSizePreprocess(model, resize));
      const tfjs = await backbone.embed(images, { as: 'array', resize });
      expect(onnx.length).toBe(2 * (model === 'resnet50' ? 2048 : 1536));
      expect(relativeMaxError(onnx, tfjs.data), `${model} ${size} px`).toBeLessThan(1e-4);
    }
    engine.dispose();
    backbone.dispose();
  }, 600_000);
});

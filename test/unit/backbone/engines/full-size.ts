/**
 * Full-size backbones with seeded random weights, shared by the engine tests and
 * bench/backbone.bench.ts: ResNet-50 (torchvision) and ViT-S/16 (DINO, CLS of the last 4
 * blocks), their preprocessing, seeded images, and the tfjs model of each.
 */
import type * as tfl from '@tensorflow/tfjs-layers';
import { loadTorchStateDict, type TorchTensor } from '../../../../src/backbone/arch/load-weights.js';
import { buildResNet, RESNET50_CONFIG } from '../../../../src/backbone/arch/resnet.js';
import { buildVisionTransformer, VIT_SMALL_CONFIG } from '../../../../src/backbone/arch/vit.js';
import { IMAGENET_MEAN, IMAGENET_STD, resolvePreprocessSpec, type PreprocessSpec, type ResizeMode } from '../../../../src/image/preprocess-spec.js';
import { Xoshiro128 } from '../../../../src/random/xoshiro.js';
import type { BackboneGraphSpec } from '../../../../src/backbone/engines/onnx/backbone-graph.js';
import { randomStateDict } from './random-weights.js';

export type FullSizeModel = 'resnet50' | 'vit_small_patch16';

const VIT = { ...VIT_SMALL_CONFIG, embedding: 'lastBlocksCls', nLastBlocks: 4 } as const;

export function fullSizeState(model: FullSizeModel): Map<string, TorchTensor> {
  return randomStateDict(model === 'resnet50' ? 'resnet50' : 'vit_small_patch16_224');
}

export function fullSizePreprocess(model: FullSizeModel, resize: ResizeMode = 'none'): PreprocessSpec {
  const interpolation = model === 'resnet50' ? 'bilinear' : 'bicubic';
  return resolvePreprocessSpec('full-size', { inputSize: 224, mean: IMAGENET_MEAN, std: IMAGENET_STD, interpolation, resize });
}

export function fullSizeGraphSpec(model: FullSizeModel, withFront: boolean): BackboneGraphSpec {
  const preprocess = withFront ? fullSizePreprocess(model) : null;
  return model === 'resnet50'
    ? { family: 'resnet', config: {}, inputSize: [224, 224], preprocess }
    : { family: 'vit', config: VIT, inputSize: [224, 224], preprocess };
}

export function fullSizeTfjsModel(model: FullSizeModel, state: Map<string, TorchTensor>): tfl.LayersModel {
  const m = model === 'resnet50' ? buildResNet({ ...RESNET50_CONFIG, inputSize: [224, 224] }) : buildVisionTransformer({ ...VIT, inputSize: [224, 224] });
  loadTorchStateDict(m, state);
  return m;
}

/** `count` seeded uint8 NHWC images. */
export function seededImages(count: number, h: number, w: number, c: number, seed = 7): Uint8Array {
  const rng = new Xoshiro128(seed);
  const out = new Uint8Array(count * h * w * c);
  for (let i = 0; i < out.length; i++) out[i] = rng.nextUint32() >>> 24;
  return out;
}

/** What the bare model gets: `(x / 255 - mean) / std`, NCHW float32, computed as torchvision does. */
export function normalizedNchw(u8: Uint8Array, count: number, h: number, w: number): Float32Array {
  const out = new Float32Array(count * 3 * h * w);
  for (let i = 0; i < count; i++) {
    for (let k = 0; k < 3; k++) {
      const mean = Math.fround(IMAGENET_MEAN[k]);
      const std = Math.fround(IMAGENET_STD[k]);
      for (let p = 0; p < h * w; p++) out[(i * 3 + k) * h * w + p] = Math.fround(Math.fround(Math.fround(u8[(i * h * w + p) * 3 + k] / 255) - mean) / std);
    }
  }
  return out;
}

/**
 * The tiny ResNet and ViT (with a 3-class head) whose `.safetensors` export is committed under
 * test/fixtures/finetune/ (written by scripts/fixtures/finetune_export.ts, read by PyTorch in
 * scripts/fixtures/finetune_export.py), with formula weights (formula-weights.ts).
 */
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { loadTorchStateDict } from '../../../src/backbone/arch/load-weights.js';
import { buildResNet, type ResNetConfig } from '../../../src/backbone/arch/resnet.js';
import { resnetStateDictSpec, vitStateDictSpec } from '../../../src/backbone/arch/state-dict-spec.js';
import { transpose2d } from '../../../src/backbone/arch/torch-weights.js';
import { buildVisionTransformer, type ViTConfig } from '../../../src/backbone/arch/vit.js';
import { formulaState, formulaTensor, nchwToNhwc } from './formula-weights.js';

export type ExportModel = 'resnet-tiny' | 'vit-tiny';
export const EXPORT_CLASSES = 3;
export const EXPORT_INPUT = [2, 3, 32, 32] as const;
export const RESNET_TINY: Partial<ResNetConfig> = { layers: [1, 1, 1, 1], width: 8 };
export const VIT_TINY: Partial<ViTConfig> = { imgSize: 32, patchSize: 8, dim: 32, depth: 2, numHeads: 2, embedding: 'cls' };

/** The model (formula weights, BatchNorm running stats included) and its head (tfjs layout). */
export function exportModel(which: ExportModel): { model: tfl.LayersModel; head: { kernel: tf.Tensor2D; bias: tf.Tensor1D }; dim: number } {
  const resnet = which === 'resnet-tiny';
  const model = resnet ? buildResNet(RESNET_TINY) : buildVisionTransformer(VIT_TINY);
  loadTorchStateDict(model, formulaState(resnet ? resnetStateDictSpec(RESNET_TINY) : vitStateDictSpec(VIT_TINY)));
  const dim = resnet ? 256 : 32;
  const prefix = resnet ? 'fc' : 'head';
  const w = formulaTensor(`${prefix}.weight`, [EXPORT_CLASSES, dim]);
  const head = {
    kernel: tf.tensor2d(transpose2d(w.data, EXPORT_CLASSES, dim), [dim, EXPORT_CLASSES]),
    bias: tf.tensor1d(formulaTensor(`${prefix}.bias`, [EXPORT_CLASSES]).data),
  };
  return { model, head, dim };
}

/** The NHWC input the logits fixture is computed on. */
export function exportInput(): tf.Tensor4D {
  const [b, , h, w] = EXPORT_INPUT;
  return tf.tensor4d(nchwToNhwc(formulaTensor('input.export', EXPORT_INPUT).data, EXPORT_INPUT), [b, h, w, 3]);
}

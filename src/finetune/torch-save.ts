import type * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { InvalidArgumentError } from '../errors/index.js';
import type { Backbone } from '../backbone/backbone.js';
import { saveTorchStateDict, torchExportState, torchHeadPrefix } from '../backbone/arch/torch-export.js';

/** @internal What {@link torchSafetensorsOf} needs of a fitted fine-tuner. */
export interface TorchSaveInput {
  readonly backbone: Backbone;
  readonly model: tfl.LayersModel;
  readonly head: { readonly kernel: tf.Tensor; readonly bias: tf.Tensor };
  readonly task: string;
  readonly classes: readonly number[] | undefined;
  readonly numLabels: number | undefined;
}

/**
 * @internal The fine-tuned backbone and head as a `.safetensors` state dict with torchvision
 * (ResNet: `fc.*`) or timm (ViT: `head.*`) key names, or a typed error naming what can be saved:
 * only ResNets / ViTs built by `Backbone.fromCheckpoint` have PyTorch names, and the head must
 * take the features PyTorch's classifier takes (a ViT's `embedding: 'cls'`, a ResNet's pooled
 * features).
 */
export function torchSafetensorsOf(owner: string, f: TorchSaveInput): Uint8Array {
  const id = f.backbone.config.id;
  if (f.backbone.loadReport === undefined) {
    throw new InvalidArgumentError(
      `${owner}: the backbone '${id}' was not built by Backbone.fromCheckpoint, so its layers have no torchvision / timm names to save under. ` +
        "Only ResNets and ViTs loaded with Backbone.fromCheckpoint(arch, source, { engine: 'tfjs', foldBatchNorm: false }) can be saved for PyTorch; " +
        'for any other backbone keep the trained one in tfjs with toBackbone().',
    );
  }
  const prefix = torchHeadPrefix(f.model);
  const state = torchExportState(f.model);
  const dim = f.head.kernel.shape[0];
  const features = prefix === 'head' ? state.get('cls_token')?.shape[2] : [...state].filter(([k]) => k.endsWith('.running_var')).pop()?.[1].shape[0];
  if (features !== dim) {
    throw new InvalidArgumentError(
      `${owner}: the head takes the ${dim}-d embedding of '${id}', but PyTorch's ${prefix === 'head' ? 'timm ViT head' : 'torchvision fc'} takes ` +
        `${String(features)} features, so the file would not load into the PyTorch model. ` +
        (prefix === 'head' ? "Finetune a ViT loaded with { embedding: 'cls' } to save it for PyTorch." : 'Finetune a ResNet with its pooled (avgpool) embedding.'),
    );
  }
  const metadata: Record<string, string> = { task: f.task, backbone: id };
  if (f.classes !== undefined) metadata.classes = JSON.stringify(f.classes);
  if (f.numLabels !== undefined) metadata.numLabels = String(f.numLabels);
  return saveTorchStateDict(f.model, { head: f.head, metadata });
}

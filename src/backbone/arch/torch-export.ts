import type * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { CheckpointFormatError, InvalidArgumentError } from '../../errors/index.js';
import { toFloat32, type RawTensor } from '../../io/raw-tensor.js';
import { parseSafetensors } from '../../io/safetensors.js';
import { encodeSafetensors } from '../../io/safetensors-writer.js';
import { DVME_VERSION } from '../../version.js';
import { loadTorchStateDict, torchStateDictOf, type LoadTorchStateDictResult, type TorchTensor } from './load-weights.js';
import { transpose2d } from './torch-weights.js';

/** @internal A linear classifier on the embedding: `logits = embedding @ kernel + bias`. */
export interface TorchExportHead {
  /** `[embeddingDim, classes]` (tfjs' Dense layout; PyTorch's `weight` is its transpose). */
  readonly kernel: tf.Tensor;
  /** `[classes]`. */
  readonly bias: tf.Tensor;
}

/** @internal Options of {@link saveTorchStateDict}. */
export interface TorchExportOptions {
  /** The classifier, saved as torchvision's `fc.*` (ResNet) or timm's `head.*` (ViT). */
  readonly head?: TorchExportHead;
  /**
   * Value of every BatchNorm's `num_batches_tracked` (an int64 buffer torchvision's strict
   * `load_state_dict` requires; PyTorch only reads it when `momentum=None`).
   * @defaultValue `0`
   */
  readonly numBatchesTracked?: number;
  /** Extra `__metadata__` strings (`format: 'pt'` and `producer` are always written). */
  readonly metadata?: Readonly<Record<string, string>>;
}

/** @internal `'fc'` for a torchvision ResNet, `'head'` for a timm / DINO ViT: where the classifier goes. */
export function torchHeadPrefix(model: tfl.LayersModel): 'fc' | 'head' {
  return model.layers.some((l) => l.name === 'patch_embed.proj') ? 'head' : 'fc';
}

const f32 = (shape: readonly number[], data: Float32Array): RawTensor => ({
  dtype: 'float32',
  shape: [...shape],
  bytes: new Uint8Array(data.buffer, data.byteOffset, data.byteLength),
});

/**
 * @internal The model (and head) as a PyTorch state dict with torchvision / timm key names and
 * layouts, BatchNorm's `num_batches_tracked` buffers included: what `torch.load_state_dict`
 * (strict) accepts for `torchvision.models.resnet50(num_classes=k)` or a timm ViT with a head.
 */
export function torchExportState(model: tfl.LayersModel, options: TorchExportOptions = {}): Map<string, RawTensor> {
  const tracked = options.numBatchesTracked ?? 0;
  if (!Number.isSafeInteger(tracked) || tracked < 0) {
    throw new InvalidArgumentError(`saveTorchStateDict: numBatchesTracked must be a non-negative integer; received ${String(tracked)}.`);
  }
  const out = new Map<string, RawTensor>();
  for (const [key, t] of torchStateDictOf(model)) {
    out.set(key, f32(t.shape, t.data));
    if (key.endsWith('.running_var')) {
      const counter = new BigInt64Array([BigInt(tracked)]);
      out.set(`${key.slice(0, -'running_var'.length)}num_batches_tracked`, { dtype: 'int64', shape: [], bytes: new Uint8Array(counter.buffer) });
    }
  }
  const { head } = options;
  if (head !== undefined) {
    const [dim, classes] = head.kernel.shape;
    if (head.kernel.rank !== 2 || head.bias.rank !== 1 || head.bias.shape[0] !== classes) {
      throw new InvalidArgumentError(
        `saveTorchStateDict: the head needs kernel [dim, classes] and bias [classes]; received kernel ` +
          `[${head.kernel.shape.join(', ')}] and bias [${head.bias.shape.join(', ')}].`,
      );
    }
    const prefix = torchHeadPrefix(model);
    const weight = transpose2d(head.kernel.dataSync() as Float32Array, dim, classes);
    out.set(`${prefix}.weight`, f32([classes, dim], weight));
    out.set(`${prefix}.bias`, f32([classes], (head.bias.dataSync() as Float32Array).slice()));
  }
  return out;
}

/**
 * @internal The model's weights (and head) as the bytes of a `.safetensors` file with
 * torchvision (ResNet) or timm / DINO (ViT) key names, in PyTorch's layouts: the file
 * `FineTuner#toSafetensors` writes. In Python:
 * `model.load_state_dict(safetensors.torch.load_file(path))`, or without the package,
 * `scripts/fixtures/finetune_export.py`'s `load_safetensors`.
 */
export function saveTorchStateDict(model: tfl.LayersModel, options: TorchExportOptions = {}): Uint8Array {
  const metadata = { ...options.metadata, format: 'pt', producer: `dvme ${DVME_VERSION}` };
  return encodeSafetensors(torchExportState(model, options), metadata);
}

/** @internal What {@link loadTorchSafetensors} read besides the model's weights. */
export interface TorchSafetensorsLoad extends LoadTorchStateDictResult {
  /** The classifier under `fc.*` / `head.*` in tfjs' layout, if the file has one. */
  readonly head?: { readonly kernel: TorchTensor; readonly bias: TorchTensor };
  readonly metadata: Record<string, string>;
}

/**
 * @internal Loads a `.safetensors` state dict with torchvision / timm key names (as
 * {@link saveTorchStateDict} writes, or PyTorch's `save_file`) into a model built by
 * `buildResNet` / `buildVisionTransformer`, and hands back the classifier head if present.
 * Strict by default: every model weight must be in the file.
 */
export function loadTorchSafetensors(model: tfl.LayersModel, bytes: Uint8Array, options: { readonly strict?: boolean } = {}): TorchSafetensorsLoad {
  const { tensors, metadata } = parseSafetensors(bytes);
  const state = new Map<string, TorchTensor>();
  for (const [key, t] of tensors) {
    if (key.endsWith('num_batches_tracked')) continue;
    if (t.dtype !== 'float32' && t.dtype !== 'float16' && t.dtype !== 'bfloat16' && t.dtype !== 'float64') {
      throw new CheckpointFormatError(`loadTorchSafetensors: tensor '${key}' has dtype ${t.dtype}; weights must be floating point. Export the state dict with float tensors.`);
    }
    state.set(key, { shape: t.shape, data: toFloat32(t) });
  }
  const result = loadTorchStateDict(model, state, { strict: options.strict ?? true });
  const prefix = torchHeadPrefix(model);
  const w = state.get(`${prefix}.weight`);
  const b = state.get(`${prefix}.bias`);
  if (w === undefined || b === undefined) return { ...result, metadata };
  if (w.shape.length !== 2 || b.shape.length !== 1 || b.shape[0] !== w.shape[0]) {
    throw new CheckpointFormatError(
      `loadTorchSafetensors: '${prefix}.weight' [${w.shape.join(', ')}] and '${prefix}.bias' [${b.shape.join(', ')}] do not form a linear head [classes, dim] + [classes].`,
    );
  }
  const kernel = { shape: [w.shape[1], w.shape[0]], data: transpose2d(w.data, w.shape[0], w.shape[1]) };
  return { ...result, metadata, head: { kernel, bias: { shape: [...b.shape], data: b.data.slice() } } };
}

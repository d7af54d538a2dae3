import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { BackendUnavailableError, DisposedError, InvalidArgumentError } from '../errors/index.js';
import { backboneEngine, type Backbone } from '../backbone/backbone.js';
import { trainableSourceOf } from '../backbone/engines/tfjs/trainable-source.js';
import type { TfjsEmbeddingEngine } from '../backbone/engines/tfjs/tfjs-engine.js';
import { registerWasmTrainingKernels } from '../wasm/training-kernels.js';

/**
 * @internal The LayersModel inside a backbone (its output is the embedding), or a typed error
 * that says why this backbone cannot train and how to load one that can.
 */
export function layersModelOf(owner: string, backbone: Backbone): tfl.LayersModel {
  const id = backbone.config.id;
  if (backbone.isDisposed) {
    throw new DisposedError(`${owner}: the backbone '${id}' was disposed; load it again (and keep it alive until fit resolves).`);
  }
  const engine = backboneEngine(backbone);
  if (engine === undefined || engine.kind !== 'tfjs') {
    throw new InvalidArgumentError(
      `${owner}: the backbone '${id}' runs on the ${engine?.kind ?? 'unknown'} engine, which only runs inference. ` +
        "Load it on tfjs to finetune it: Backbone.fromCheckpoint(arch, source, { engine: 'tfjs', foldBatchNorm: false }).",
    );
  }
  const source = trainableSourceOf((engine as TfjsEmbeddingEngine).model);
  if (source === undefined) {
    throw new InvalidArgumentError(
      `${owner}: the backbone '${id}' wraps a function or { forward } whose weights dvme cannot see, so it cannot train. ` +
        "Wrap a tfjs LayersModel instead (Backbone.fromModel(layersModel, config)), or load one with Backbone.fromTfjs / Backbone.fromCheckpoint (engine: 'tfjs').",
    );
  }
  if ('unavailable' in source) throw new InvalidArgumentError(`${owner}: the backbone '${id}' cannot train: ${source.unavailable}.`);
  return source.model;
}

/** Sets `momentum` (Keras' sense: the running statistics' weight) on every BatchNormalization layer of a topology, nested models included. */
function setBatchNormMomentum(node: unknown, momentum: number): void {
  if (Array.isArray(node)) {
    for (const n of node) setBatchNormMomentum(n, momentum);
  } else if (node !== null && typeof node === 'object') {
    const o = node as { class_name?: unknown; config?: { momentum?: number } };
    if (o.class_name === 'BatchNormalization' && o.config) o.config.momentum = momentum;
    for (const v of Object.values(o)) setBatchNormMomentum(v, momentum);
  }
}

/**
 * @internal A trainable copy of a LayersModel: the same topology rebuilt from its JSON, with
 * the same weights (shared until the first update replaces them: tfjs never writes a tensor
 * in place, so the original's weights are never modified). `batchNormMomentum` (PyTorch's
 * sense) replaces every batch norm's momentum.
 */
export async function copyLayersModel(model: tfl.LayersModel, options: { readonly batchNormMomentum?: number | 'model' } = {}): Promise<tfl.LayersModel> {
  const topology = model.toJSON(null, false) as tf.io.ModelJSON['modelTopology'];
  const m = options.batchNormMomentum;
  if (typeof m === 'number') setBatchNormMomentum(topology, 1 - m);
  const copy = await tfl.models.modelFromJSON({ modelTopology: topology } as tf.io.ModelJSON);
  try {
    // Layer by layer and by name: a model's weight order depends on which layers are frozen.
    copy.trainable = true;
    copy.layers.forEach((layer, i) => {
      const from = new Map((model.layers[i] as tfl.layers.Layer).weights.map((w) => [w.originalName, w]));
      for (const w of layer.weights) {
        const src = from.get(w.originalName);
        if (!src) throw new InvalidArgumentError(`copying the backbone: layer '${layer.name}' has no weight '${w.originalName}' in the original.`);
        w.write(src.read());
      }
    });
    return copy;
  } catch (e) {
    copy.dispose();
    throw e;
  }
}

/** @internal Which stage every trainable weight of a model belongs to, and how many stages there are. */
export interface ModelStages {
  /** One per `model.trainableWeights` entry. */
  readonly stage: readonly number[];
  readonly count: number;
}

/**
 * @internal Stages of a model from its layer names: a ResNet (`layer1.*` .. `layer4.*`; the
 * stem is 0), a ViT (`blocks.i.*` is i + 1; embeddings 0, the final norm last), any other
 * model: each layer with trainable weights, in order.
 */
export function modelStages(model: tfl.LayersModel): ModelStages {
  const layers = model.layers.filter((l) => l.trainableWeights.length > 0);
  const names = layers.map((l) => l.name);
  let of: (name: string, i: number) => number;
  let count: number;
  if (names.some((n) => /^layer\d+\./.test(n))) {
    of = (n) => Number(/^layer(\d+)\./.exec(n)?.[1] ?? 0);
    count = 1 + Math.max(...names.map((n) => of(n, 0)));
  } else if (names.some((n) => /^blocks\.\d+\./.test(n))) {
    const depth = 1 + Math.max(...names.map((n) => Number(/^blocks\.(\d+)\./.exec(n)?.[1] ?? -1)));
    of = (n) => {
      const m = /^blocks\.(\d+)\./.exec(n);
      if (m) return Number(m[1]) + 1;
      return /^(patch_embed|embed|pos_embed|cls_token)/.test(n) ? 0 : depth + 1;
    };
    count = depth + 2;
  } else {
    of = (_n, i) => i;
    count = layers.length;
  }
  const stage: number[] = [];
  layers.forEach((l, i) => {
    for (const _w of l.trainableWeights) stage.push(of(l.name, i));
  });
  return { stage, count };
}

/** Gradient kernels that layers of these classes need, beyond the element-wise ones every backend has. */
const GRADIENT_KERNELS: Readonly<Record<string, readonly string[]>> = {
  Conv2D: ['Conv2DBackpropFilter', 'Conv2DBackpropInput'],
  DepthwiseConv2D: ['DepthwiseConv2dNativeBackpropFilter', 'DepthwiseConv2dNativeBackpropInput'],
  SeparableConv2D: ['DepthwiseConv2dNativeBackpropFilter', 'DepthwiseConv2dNativeBackpropInput', 'Conv2DBackpropFilter'],
  MaxPooling2D: ['MaxPoolGrad'],
  AveragePooling2D: ['AvgPoolGrad'],
};

/**
 * @internal Throws a {@link BackendUnavailableError} with the fix, before any work, when the
 * active backend lacks a gradient kernel the model's layers need: a kernel missing halfway
 * through a backward pass would leave the gradient tape's saved tensors behind. On wasm it
 * first registers dvme's training kernels (`Conv2DBackpropFilter` and the depthwise gradients,
 * which tfjs-backend-wasm 4.22 ships none of, and XNNPACK routes for the input gradient and
 * transposed products; src/wasm/training-kernels.ts), so ResNets, ViTs and MobileNets train
 * there; dilated depthwise convolutions are refused.
 */
export function checkTrainingKernels(owner: string, model: tfl.LayersModel): void {
  const backend = tf.getBackend();
  if (backend === 'wasm') {
    registerWasmTrainingKernels('wasm');
    // dvme's wasm depthwise gradients cover dilation 1 (MobileNet, EfficientNet); refuse others up front.
    const dilated = model.layers.find((l) => {
      const c = l.getClassName();
      const rate = (l.getConfig() as { dilationRate?: number | number[] }).dilationRate;
      return (c === 'DepthwiseConv2D' || c === 'SeparableConv2D') && [rate ?? 1].flat().some((r) => r !== 1);
    });
    if (dilated) {
      throw new BackendUnavailableError(
        `${owner}: the tfjs backend 'wasm' cannot train the dilated depthwise convolution '${dilated.name}' (dvme's wasm depthwise gradient kernels cover dilation 1). ` +
          "Train on the cpu backend (package tfjs-backend-cpu, then await tf.setBackend('cpu')), on webgl in a browser, or with tfjs-node; see docs/finetuning.md.",
      );
    }
  }
  const classes = new Set(model.layers.map((l) => l.getClassName()));
  for (const c of classes) {
    const missing = (GRADIENT_KERNELS[c] ?? []).find((k) => tf.getKernel(k, backend) === undefined);
    if (missing) {
      throw new BackendUnavailableError(
        `${owner}: the tfjs backend '${backend}' has no '${missing}' kernel, which training this backbone's ${c} layers needs ` +
          `Train on the cpu backend (package tfjs-backend-cpu, then ` +
          "await tf.setBackend('cpu')), on webgl in a browser, or with tfjs-node; see docs/finetuning.md.",
      );
    }
  }
}

import type * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { CheckpointFormatError } from '../../../errors/index.js';
import { loadTorchStateDict, torchStateDictOf } from '../../arch/load-weights.js';
import { foldResNet } from '../../arch/resnet-folded.js';
import { buildResNet, type ResNetConfig } from '../../arch/resnet.js';
import type { TorchStateDict } from '../../arch/torch-weights.js';
import { buildVisionTransformer, type ViTConfig } from '../../arch/vit.js';
import { CHECKPOINT_HEAD_KEYS } from '../../key-layouts.js';
import type { EmbeddingModel } from './embedding-model.js';
import { tfjsWeightsKey } from './weights-key.js';
import { withTrainableSource } from './trainable-source.js';

/** @internal An architecture and its config, as `Backbone.fromCheckpoint` resolved them. */
export type CheckpointArchitecture =
  | { readonly family: 'resnet'; readonly config: Partial<ResNetConfig> }
  | { readonly family: 'vit'; readonly config: Partial<ViTConfig> };

/** @internal What the tfjs engine needs to run a checkpoint. */
export interface TfjsCheckpointInit {
  readonly owner: string;
  readonly arch: CheckpointArchitecture;
  /** Matched, shape-checked weights under PyTorch names. */
  readonly state: TorchStateDict;
  /** Weights the checkpoint lacks: they keep the layers model's initial values. */
  readonly missing: readonly string[];
  /** Fold ResNet batch norms (see `FromCheckpointOptions.foldBatchNorm`). */
  readonly foldBatchNorm: boolean;
  /** How the checkpoint was read, for messages. */
  readonly description: string;
}

/** A tfjs-layers model filled from the state dict; disposed if filling fails. */
function filledLayersModel(init: TfjsCheckpointInit): tfl.LayersModel {
  const { arch } = init;
  const model = arch.family === 'resnet' ? buildResNet(arch.config) : buildVisionTransformer(arch.config);
  try {
    loadTorchStateDict(model, init.state, { strict: false, ignore: CHECKPOINT_HEAD_KEYS });
  } catch (e) {
    model.dispose();
    if (!CheckpointFormatError.is(e)) throw e;
    throw new CheckpointFormatError(`${init.owner}: ${e.message} (read as ${init.description})`, { cause: e });
  }
  model.trainable = false;
  return model;
}

/**
 * @internal The tfjs engine's model of a checkpoint. A ResNet with `foldBatchNorm` is built
 * straight from the weights with every batch norm folded into its convolution (one fused kernel
 * each, about 15 % faster on tfjs-wasm); only when weights are missing is the layers model built
 * first, for their initial values. Otherwise the tfjs-layers model runs as built, frozen.
 */
export function tfjsCheckpointModel(init: TfjsCheckpointInit): EmbeddingModel & { readonly dispose: () => void } {
  const { arch } = init;
  if (arch.family === 'resnet' && init.foldBatchNorm) {
    let state = init.state;
    if (init.missing.length > 0) {
      const model = filledLayersModel(init);
      try {
        state = torchStateDictOf(model);
      } finally {
        model.dispose();
      }
    }
    const folded = foldResNet(state, arch.config, init.owner);
    // The folded weights in forward order after the config: the embedding cache's key.
    const topology = `resnet-folded:${JSON.stringify(arch.config)}`;
    const weightsKey = tfjsWeightsKey({ weights: folded.weights.map((t) => ({ read: () => t })), layers: [] }, topology);
    return withTrainableSource(
      { forward: folded.forward, dispose: folded.dispose, ...(weightsKey ? { weightsKey } : {}) },
      {
        unavailable:
          'its batch norms were folded into the convolutions (foldBatchNorm, the default for ResNets), so they cannot train; ' +
          'load it with Backbone.fromCheckpoint(arch, source, { foldBatchNorm: false, engine: \'tfjs\' })',
      },
    );
  }
  const model = filledLayersModel(init);
  return withTrainableSource(
    {
      forward: (x: tf.Tensor4D) => model.predict(x, { batchSize: x.shape[0] }) as tf.Tensor,
      dispose: () => model.dispose(),
      weightsKey: tfjsWeightsKey(model),
    },
    { model },
  );
}

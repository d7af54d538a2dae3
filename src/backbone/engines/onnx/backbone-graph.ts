import type { ResNetConfig } from '../../arch/resnet.js';
import type { ViTConfig } from '../../arch/vit.js';
import type { PreprocessSpec } from '../../../image/preprocess-spec.js';
import { InvalidArgumentError } from '../../../errors/index.js';
// Named in the TSDoc below.
import type { CheckpointFormatError } from '../../../errors/index.js';
import type { OnnxEmbeddingEngine } from '../onnx-engine.js';
import { GraphBuilder } from './graph-builder.js';
import { imageFrontGraph } from './image-front.js';
import { encodeOnnxModel } from './onnx-model.js';
import { resnetGraph } from './resnet-graph.js';
import type { TorchTensor } from '../../arch/load-weights.js';
import { vitGraph } from './vit-graph.js';

/**
 * Version of the graphs dvme builds; part of every cache key, so that a dvme release that
 * changes a graph never loads a stale cached file.
 *
 * @internal
 */
export const GRAPH_VERSION = 2;

/** Opset 20 brings `Gelu` and `Resize` with `axes`; onnxruntime supports it since 1.17. */
const OPSET = 20;
const IR_VERSION = 9;

/**
 * What {@link buildBackboneOnnx} builds: a ResNet or ViT config (as `Backbone.fromCheckpoint`'s
 * architectures hold them), the model input size, and the preprocessing to put in front.
 *
 * @remarks Since 0.1.0.
 * @internal
 */
export type BackboneGraphSpec = {
  /** `[height, width]` of the model input (after resize and crop). */
  readonly inputSize: readonly [number, number];
  /**
   * Preprocessing put in front of the model, which then takes raw pixels (see the remarks of
   * {@link buildBackboneOnnx}); `null` builds the bare model, whose input `image` is the
   * normalised float32 NCHW batch `[b, 3, h, w]`.
   */
  readonly preprocess: Pick<PreprocessSpec, 'mean' | 'std' | 'interpolation'> | null;
  /**
   * Use onnxruntime's fused attention kernels (`com.microsoft` `Attention` and
   * `MultiHeadAttention`, 5-10 % faster ViTs); `false` keeps to standard ONNX operators, for other
   * runtimes. @defaultValue `true`
   */
  readonly contribOps?: boolean;
} & (
  | { readonly family: 'resnet'; readonly config?: Partial<ResNetConfig> }
  | { readonly family: 'vit'; readonly config?: Partial<ViTConfig> }
);

/**
 * A built backbone graph: the `.onnx` file's bytes and what it outputs.
 *
 * @remarks Since 0.1.0.
 * @internal
 */
export interface BuiltBackboneOnnx {
  readonly bytes: Uint8Array;
  /** Name of the graph output, `'embedding'`. */
  readonly output: string;
  readonly embeddingDim: number;
}

/**
 * Builds a frozen ResNet or ViT as an ONNX graph from a PyTorch state dict: BatchNorm folded
 * into the convolutions, position embeddings resampled for `inputSize`, pooling inside the
 * graph, and (unless `preprocess` is `null`) dvme's preprocessing in front, so that
 * onnxruntime goes from raw pixels to the `[batch, dim]` embedding in one call.
 *
 * @param state - weights under their PyTorch names, without prefix (`conv1.weight`,
 * `blocks.0.attn.qkv.weight`, ...), float32; read, not modified.
 * @param spec - architecture, input size and preprocessing.
 * @returns the model's bytes, which reference nothing outside themselves.
 * @throws A {@link CheckpointFormatError} naming a missing weight or one of the wrong shape;
 * {@link InvalidArgumentError} for a bad config.
 *
 * @remarks Since 0.1.0. With preprocessing, the inputs are `pixels_u8` (`uint8 [b, h, w, c]`),
 * `pixels_f32` (`float32 [b, h, w, c]`; feed an empty batch to the one not used),
 * `pixels_f32_divisor` (`[1]`: 1 for 0-1 floats, 255 for 0-255), `resample` and
 * `resample_dense` (`bool [1]`), `resample_rows` (`float32 [outH, h]`) and `resample_cols`
 * (`float32 [w, outW]`), the resize as two matrices, `resize_to` (`int64 [2]`) and `crop_box`
 * (`int64 [4]`: top, left, bottom, right); `c` is 1, 3 or 4. {@link OnnxEmbeddingEngine}
 * feeds them. The output is
 * `embedding`. Opset 20 (onnxruntime >= 1.17).
 * @internal
 */
export function buildBackboneOnnx(state: ReadonlyMap<string, TorchTensor>, spec: BackboneGraphSpec): BuiltBackboneOnnx {
  const owner = 'buildBackboneOnnx';
  if (!(state instanceof Map)) {
    throw new InvalidArgumentError(`${owner}: state must be a Map from PyTorch keys to { shape, data }; received ${typeof state}.`);
  }
  const [h, w] = spec.inputSize;
  if (!Number.isInteger(h) || !Number.isInteger(w) || h < 1 || w < 1) {
    throw new InvalidArgumentError(`${owner}: inputSize must be two positive integers; received ${JSON.stringify(spec.inputSize)}.`);
  }
  const g = new GraphBuilder(spec.family === 'resnet' ? 'dvme_resnet' : 'dvme_vit');
  const image = spec.preprocess ? imageFrontGraph(g, spec.preprocess) : g.input('image', 'float32', ['batch', 3, h, w]);
  // The front's If hides the image's shape from onnxruntime; stating it keeps the trunk as fast
  // as the bare model's (ResNet-50, batch 16: 0.93x -> 0.99x of a bare session).
  if (spec.preprocess) g.declare(image, 'float32', ['batch', 3, h, w]);
  const body =
    spec.family === 'resnet'
      ? resnetGraph(g, owner, state, image, spec.config)
      : spec.family === 'vit'
        ? vitGraph(g, owner, state, image, [h, w], spec.config, spec.contribOps ?? true)
        : undefined;
  if (!body) {
    throw new InvalidArgumentError(`${owner}: family must be 'resnet' or 'vit'; received ${JSON.stringify((spec as { family: unknown }).family)}.`);
  }
  const output = g.op('Identity', [body.output], {}, { outputs: ['embedding'] });
  g.output(output, 'float32', ['batch', body.dim]);
  const bytes = encodeOnnxModel({
    irVersion: IR_VERSION,
    opsets: [{ domain: '', version: OPSET }, { domain: 'com.microsoft', version: 1 }],
    producer: 'dvme',
    graph: g.build(),
    metadata: { 'dvme.graph_version': String(GRAPH_VERSION), 'dvme.embedding_dim': String(body.dim) },
  });
  return { bytes, output, embeddingDim: body.dim };
}

import * as tfl from '@tensorflow/tfjs-layers';
import { InvalidArgumentError } from '../../errors/index.js';
import { imageInputShape, requirePositiveInteger } from './arch-config.js';
import { TorchBatchNorm } from '../../layers/torch-batch-norm.js';

/**
 * Hyperparameters of a Bottleneck ResNet, as torchvision's `ResNet(Bottleneck, layers)`.
 *
 * @remarks Since 0.1.0.
 * @example
 * ```ts
 * import { RESNET50_CONFIG, type ResNetConfig } from 'dvme';
 * const resnet101: ResNetConfig = { ...RESNET50_CONFIG, layers: [3, 4, 23, 3], name: 'resnet101' };
 * const dim = 32 * resnet101.width; // 2048-d embedding, as ResNet-50
 * ```
 */
export interface ResNetConfig {
  /** Bottleneck blocks per stage; `[3, 4, 6, 3]` is ResNet-50, `[3, 4, 23, 3]` ResNet-101. */
  readonly layers: readonly [number, number, number, number];
  /**
   * Stem channels; stage `s` (0-3) has `width * 2^s` planes and `4 * width * 2^s` output
   * channels, so the embedding has `32 * width` dimensions. torchvision fixes it at 64; it is a
   * knob so that tests can build a tiny instance of the same code.
   */
  readonly width: number;
  /** torchvision's `width_per_group`: bottleneck inner width is `floor(planes * it / 64)`. */
  readonly widthPerGroup: number;
  /** `[height, width]` of the input, or `null` for any size (global pooling allows it). */
  readonly inputSize: readonly [number, number] | null;
  /** Name of the model. */
  readonly name: string;
}

/**
 * ResNet-50 as torchvision builds it (V1.5: stride on the 3x3 conv); the architecture of the
 * paper's supervised, SimCLR and SwAV backbones. 2048-d embedding, 23.5 M parameters.
 *
 * @remarks Since 0.1.0.
 * @example
 * ```ts
 * import { RESNET50_CONFIG } from 'dvme';
 * RESNET50_CONFIG.layers; // [3, 4, 6, 3]: torchvision's resnet50 stage depths
 * ```
 */
export const RESNET50_CONFIG: Readonly<ResNetConfig> = Object.freeze({
  layers: Object.freeze([3, 4, 6, 3] as const),
  width: 64,
  widthPerGroup: 64,
  inputSize: null,
  name: 'resnet50',
});

const EXPANSION = 4;
// PyTorch's BatchNorm2d defaults. Its momentum 0.1 weights the new batch; Keras' 0.9 weights
// the running value, so the two mean the same update rule during fine-tuning; TorchBatchNorm
// feeds running_var the unbiased batch variance, as PyTorch does (tfjs-layers the biased one).
const BN = { epsilon: 1e-5, momentum: 0.9 } as const;

type Node = tfl.SymbolicTensor;

function apply(layer: tfl.layers.Layer, x: Node | Node[]): Node {
  return layer.apply(x) as Node;
}

/**
 * PyTorch `Conv2d(bias=False)` with symmetric zero padding. tfjs 'same' pads the extra row at
 * the bottom/right only, which for stride 2 shifts every window against PyTorch's; explicit
 * padding and 'valid' reproduce PyTorch for every size. At stride 1 with `padding = (k - 1) / 2`
 * 'same' is already symmetric, so the copy made by a padding layer is skipped there.
 */
function conv(
  x: Node,
  name: string,
  filters: number,
  kernel: number,
  stride: number,
  padding: number,
): Node {
  let input = x;
  let mode: 'same' | 'valid' = 'valid';
  if (padding > 0 && stride === 1 && 2 * padding === kernel - 1) mode = 'same';
  else if (padding > 0) {
    input = apply(tfl.layers.zeroPadding2d({ name: `${name}.pad`, padding }), x);
  }
  const layer = tfl.layers.conv2d({
    name,
    filters,
    kernelSize: kernel,
    strides: stride,
    padding: mode,
    useBias: false,
    kernelInitializer: 'heNormal',
  });
  return apply(layer, input);
}

function batchNorm(x: Node, name: string): Node {
  return apply(new TorchBatchNorm({ name, ...BN }), x);
}

function relu(x: Node, name: string): Node {
  return apply(tfl.layers.reLU({ name }), x);
}

/** PyTorch `Conv2d(bias=False)` and `BatchNorm2d`, from the layout. */
function convBn(x: Node, s: ResNetConvBn): Node {
  return batchNorm(conv(x, s.conv, s.out, s.kernel, s.stride, s.pad), s.bn);
}

/** torchvision's `Bottleneck.forward`. */
function bottleneck(x: Node, b: ResNetBlock): Node {
  const p = (name: string): string => `${b.prefix}.${name}`;
  let out = relu(convBn(x, b.conv1), p('relu1'));
  out = relu(convBn(out, b.conv2), p('relu2'));
  out = convBn(out, b.conv3);
  const identity = b.downsample ? convBn(x, b.downsample) : x;
  return relu(apply(tfl.layers.add({ name: p('add') }), [out, identity]), p('relu'));
}

function resolve(config: Partial<ResNetConfig>, owner: string): ResNetConfig {
  const c = { ...RESNET50_CONFIG, ...config };
  if (!Array.isArray(c.layers) || c.layers.length !== 4) {
    throw new InvalidArgumentError(
      `${owner}: layers must list the blocks of the 4 stages, e.g. [3, 4, 6, 3]; received ` +
        `${JSON.stringify(c.layers)}.`,
    );
  }
  c.layers.forEach((n, i) => requirePositiveInteger(owner, `layers[${i}]`, n));
  requirePositiveInteger(owner, 'width', c.width);
  requirePositiveInteger(owner, 'widthPerGroup', c.widthPerGroup);
  if (Math.floor(c.width * (c.widthPerGroup / 64)) < 1) {
    throw new InvalidArgumentError(
      `${owner}: width * widthPerGroup / 64 must be at least 1; received width ${c.width}, ` +
        `widthPerGroup ${c.widthPerGroup}.`,
    );
  }
  return c;
}

/** @internal A convolution and the batch norm after it, by their PyTorch module names. */
export interface ResNetConvBn {
  readonly conv: string;
  readonly bn: string;
  readonly in: number;
  readonly out: number;
  readonly kernel: number;
  readonly stride: number;
  /** Symmetric zero padding, as PyTorch's `padding`. */
  readonly pad: number;
}

/** @internal torchvision's `Bottleneck` (V1.5: stride on the 3x3 conv); a stride or a change of width adds the downsample. */
export interface ResNetBlock {
  /** Module path, `layer<stage>.<block>`. */
  readonly prefix: string;
  readonly conv1: ResNetConvBn;
  readonly conv2: ResNetConvBn;
  readonly conv3: ResNetConvBn;
  readonly downsample?: ResNetConvBn;
}

/**
 * @internal Every convolution of a Bottleneck ResNet in forward order: the one description
 * that the tfjs-layers model, the folded tfjs model, the ONNX graph and the list of expected
 * weights are all built from.
 */
export interface ResNetLayout {
  readonly config: ResNetConfig;
  readonly stem: ResNetConvBn;
  readonly blocks: readonly ResNetBlock[];
  /** Width of the pooled embedding, `32 * width`. */
  readonly dim: number;
}

/** @internal The layout of a ResNet config; throws an {@link InvalidArgumentError} for a malformed one. */
export function resnetLayout(config: Partial<ResNetConfig> = {}, owner = 'buildResNet'): ResNetLayout {
  const c = resolve(config, owner);
  const convBn = (conv: string, bn: string, inC: number, out: number, kernel: number, stride: number): ResNetConvBn =>
    ({ conv, bn, in: inC, out, kernel, stride, pad: (kernel - 1) >> 1 });
  const blocks: ResNetBlock[] = [];
  let inplanes = c.width;
  c.layers.forEach((count, stage) => {
    const planes = c.width * 2 ** stage;
    const inner = Math.floor(planes * (c.widthPerGroup / 64));
    const out = planes * EXPANSION;
    for (let b = 0; b < count; b++) {
      const stride = stage > 0 && b === 0 ? 2 : 1;
      const prefix = `layer${stage + 1}.${b}`;
      const p = (name: string): string => `${prefix}.${name}`;
      blocks.push({
        prefix,
        conv1: convBn(p('conv1'), p('bn1'), inplanes, inner, 1, 1),
        conv2: convBn(p('conv2'), p('bn2'), inner, inner, 3, stride),
        conv3: convBn(p('conv3'), p('bn3'), inner, out, 1, 1),
        ...(stride !== 1 || inplanes !== out ? { downsample: convBn(p('downsample.0'), p('downsample.1'), inplanes, out, 1, stride) } : {}),
      });
      inplanes = out;
    }
  });
  return { config: c, stem: convBn('conv1', 'bn1', 3, c.width, 7, 2), blocks, dim: inplanes };
}

/**
 * Dimension of the embedding {@link buildResNet} outputs for a config: `32 * width`.
 *
 * @remarks Since 0.1.0.
 * @internal
 */
export function resnetEmbeddingDim(config: Partial<ResNetConfig> = {}): number {
  return resolve(config, 'resnetEmbeddingDim').width * 8 * EXPANSION;
}

/**
 * Build a Bottleneck ResNet trunk exactly as torchvision does, as a trainable tfjs-layers
 * model from NHWC images to the global-average-pooled embedding (`[batch, 32 * width]`; the
 * `fc` classifier is not built).
 *
 * Layers are named after the torchvision modules whose weights they hold (`conv1`, `bn1`,
 * `layer1.0.conv2`, `layer1.0.downsample.1`, ...), which is how
 * {@link loadTorchStateDict} finds them. Batch norm keeps PyTorch's eps (1e-5) and running-stat
 * momentum. Inputs are expected already normalised (ImageNet mean / std).
 *
 * @param config - overrides of {@link RESNET50_CONFIG}.
 * @throws {@link InvalidArgumentError} for a malformed config.
 *
 * @remarks Since 0.1.0.
 * @internal
 */
export function buildResNet(config: Partial<ResNetConfig> = {}): tfl.LayersModel {
  const { config: c, stem, blocks } = resnetLayout(config);
  const image = tfl.input({ name: 'image', shape: imageInputShape('buildResNet', c.inputSize) });
  let x = relu(convBn(image, stem), 'relu');
  // PyTorch pads max pooling with -inf; zeros are equivalent here because the input is a ReLU
  // output (>= 0) and every 3x3 window with padding 1 still covers at least one real pixel,
  // so a padded zero can never exceed that window's true maximum.
  x = apply(tfl.layers.zeroPadding2d({ name: 'maxpool.pad', padding: 1 }), x);
  const maxPool = tfl.layers.maxPooling2d({ name: 'maxpool', poolSize: 3, strides: 2 });
  x = apply(maxPool, x);
  for (const b of blocks) x = bottleneck(x, b);
  const embedding = apply(tfl.layers.globalAveragePooling2d({ name: 'avgpool' }), x);
  return tfl.model({ name: c.name, inputs: image, outputs: embedding });
}

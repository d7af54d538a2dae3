import { foldBatchNorm } from '../../arch/fold-batch-norm.js';
import { resnetLayout, type ResNetBlock, type ResNetConfig, type ResNetConvBn } from '../../arch/resnet.js';
import { attr, type GraphBuilder } from './graph-builder.js';
import type { TorchStateDict } from '../../arch/torch-weights.js';

function convBn(g: GraphBuilder, owner: string, state: TorchStateDict, x: string, s: ResNetConvBn, relu: boolean): string {
  const { weight, bias } = foldBatchNorm(owner, state, s);
  const pad = s.pad;
  const saved = g.scope;
  g.scope = s.conv;
  const w = g.weight(`${s.conv}.weight`, weight, [s.out, s.in, s.kernel, s.kernel]);
  const b = g.weight(`${s.bn}.folded_bias`, bias, [s.out]);
  const y = g.op('Conv', [x, w, b], {
    kernel_shape: attr.ints(s.kernel, s.kernel),
    strides: attr.ints(s.stride, s.stride),
    pads: attr.ints(pad, pad, pad, pad),
  });
  const out = relu ? g.op('Relu', [y]) : y;
  g.scope = saved;
  return out;
}

/** torchvision's `Bottleneck` (V1.5, stride on the 3x3 conv); ORT fuses the Add + Relu into the last conv. */
function bottleneck(g: GraphBuilder, owner: string, state: TorchStateDict, x: string, b: ResNetBlock): string {
  let y = convBn(g, owner, state, x, b.conv1, true);
  y = convBn(g, owner, state, y, b.conv2, true);
  y = convBn(g, owner, state, y, b.conv3, false);
  const identity = b.downsample ? convBn(g, owner, state, x, b.downsample, false) : x;
  const saved = g.scope;
  g.scope = b.prefix;
  const sum = g.op('Relu', [g.op('Add', [y, identity])]);
  g.scope = saved;
  return sum;
}

/**
 * @internal Appends torchvision's ResNet trunk to `g`: from a normalised NCHW float image to
 * the `[batch, 32 * width]` global-average-pooled embedding. BatchNorms are folded into their
 * convolutions at build time.
 */
export function resnetGraph(
  g: GraphBuilder,
  owner: string,
  state: TorchStateDict,
  image: string,
  config: Partial<ResNetConfig> = {},
): { output: string; dim: number } {
  const layout = resnetLayout(config, owner);
  let x = convBn(g, owner, state, image, layout.stem, true);
  g.scope = 'maxpool';
  // ONNX pads MaxPool with -inf, exactly as PyTorch does.
  x = g.op('MaxPool', [x], { kernel_shape: attr.ints(3, 3), strides: attr.ints(2, 2), pads: attr.ints(1, 1, 1, 1) });
  g.scope = '';
  for (const b of layout.blocks) x = bottleneck(g, owner, state, x, b);
  g.scope = 'avgpool';
  const pooled = g.op('Flatten', [g.op('GlobalAveragePool', [x])], { axis: attr.int(1) });
  g.scope = '';
  return { output: pooled, dim: layout.dim };
}

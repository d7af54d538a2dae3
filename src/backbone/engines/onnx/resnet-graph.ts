import { RESNET50_CONFIG, type ResNetConfig } from '../../arch/resnet.js';
import { InvalidArgumentError } from '../../../errors/index.js';
import { attr, type GraphBuilder } from './graph-builder.js';
import { requireWeight, type TorchStateDict } from './torch-weights.js';

const EXPANSION = 4;
/** PyTorch BatchNorm2d's default eps, which every torchvision / VISSL / SwAV ResNet keeps. */
const BN_EPS = 1e-5;

/**
 * Conv weight with the following inference-mode BatchNorm folded in, computed in float64:
 * `w' = w * g / sqrt(v + eps)`, `b' = beta - m * g / sqrt(v + eps)`. A frozen backbone never
 * updates its statistics, so the fold is exact up to float rounding and saves one full pass
 * over every activation.
 */
function foldBatchNorm(
  owner: string,
  state: TorchStateDict,
  convKey: string,
  bnKey: string,
  shape: readonly [number, number, number, number],
): { weight: Float32Array; bias: Float32Array } {
  const [out] = shape;
  const w = requireWeight(owner, state, `${convKey}.weight`, shape).data;
  const gamma = requireWeight(owner, state, `${bnKey}.weight`, [out]).data;
  const beta = requireWeight(owner, state, `${bnKey}.bias`, [out]).data;
  const mean = requireWeight(owner, state, `${bnKey}.running_mean`, [out]).data;
  const variance = requireWeight(owner, state, `${bnKey}.running_var`, [out]).data;
  const per = w.length / out;
  const weight = new Float32Array(w.length);
  const bias = new Float32Array(out);
  for (let o = 0; o < out; o++) {
    const scale = gamma[o] / Math.sqrt(variance[o] + BN_EPS);
    for (let i = o * per; i < (o + 1) * per; i++) weight[i] = w[i] * scale;
    bias[o] = beta[o] - mean[o] * scale;
  }
  return { weight, bias };
}

interface ConvSpec {
  readonly conv: string;
  readonly bn: string;
  readonly in: number;
  readonly out: number;
  readonly kernel: number;
  readonly stride: number;
}

function convBn(g: GraphBuilder, owner: string, state: TorchStateDict, x: string, s: ConvSpec, relu: boolean): string {
  const { weight, bias } = foldBatchNorm(owner, state, s.conv, s.bn, [s.out, s.in, s.kernel, s.kernel]);
  const pad = (s.kernel - 1) >> 1;
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
function bottleneck(
  g: GraphBuilder,
  owner: string,
  state: TorchStateDict,
  x: string,
  prefix: string,
  inplanes: number,
  planes: number,
  stride: number,
  widthPerGroup: number,
): string {
  const inner = Math.floor(planes * (widthPerGroup / 64));
  const out = planes * EXPANSION;
  const p = (name: string) => `${prefix}.${name}`;
  let y = convBn(g, owner, state, x, { conv: p('conv1'), bn: p('bn1'), in: inplanes, out: inner, kernel: 1, stride: 1 }, true);
  y = convBn(g, owner, state, y, { conv: p('conv2'), bn: p('bn2'), in: inner, out: inner, kernel: 3, stride }, true);
  y = convBn(g, owner, state, y, { conv: p('conv3'), bn: p('bn3'), in: inner, out, kernel: 1, stride: 1 }, false);
  let identity = x;
  if (stride !== 1 || inplanes !== out) {
    const spec = { conv: p('downsample.0'), bn: p('downsample.1'), in: inplanes, out, kernel: 1, stride };
    identity = convBn(g, owner, state, x, spec, false);
  }
  const saved = g.scope;
  g.scope = prefix;
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
  const c = { ...RESNET50_CONFIG, ...config };
  if (!Array.isArray(c.layers) || c.layers.length !== 4 || !(c.width >= 1) || !(c.widthPerGroup >= 1)) {
    throw new InvalidArgumentError(
      `${owner}: a ResNet config needs layers [a, b, c, d], width and widthPerGroup; received ${JSON.stringify(config)}.`,
    );
  }
  let x = convBn(g, owner, state, image, { conv: 'conv1', bn: 'bn1', in: 3, out: c.width, kernel: 7, stride: 2 }, true);
  g.scope = 'maxpool';
  // ONNX pads MaxPool with -inf, exactly as PyTorch does.
  x = g.op('MaxPool', [x], { kernel_shape: attr.ints(3, 3), strides: attr.ints(2, 2), pads: attr.ints(1, 1, 1, 1) });
  g.scope = '';
  let inplanes = c.width;
  c.layers.forEach((blocks, stage) => {
    const planes = c.width * 2 ** stage;
    for (let b = 0; b < blocks; b++) {
      const stride = stage > 0 && b === 0 ? 2 : 1;
      x = bottleneck(g, owner, state, x, `layer${stage + 1}.${b}`, inplanes, planes, stride, c.widthPerGroup);
      inplanes = planes * EXPANSION;
    }
  });
  g.scope = 'avgpool';
  const pooled = g.op('Flatten', [g.op('GlobalAveragePool', [x])], { axis: attr.int(1) });
  g.scope = '';
  return { output: pooled, dim: inplanes };
}

import type { ResNetConvBn } from './resnet.js';
import { requireWeight, type TorchStateDict } from './torch-weights.js';

/** PyTorch BatchNorm2d's default eps, which every torchvision / VISSL / SwAV ResNet keeps. */
const BN_EPS = 1e-5;

/**
 * @internal The convolution `s.conv` with the inference-mode batch norm `s.bn` after it folded
 * in: `w' = w * g / sqrt(v + eps)` per output channel and `b' = beta - m * g / sqrt(v + eps)`,
 * computed in float64 and rounded once. A frozen backbone never updates its statistics, so the
 * fold is exact up to float rounding and saves a full pass over every activation. The one
 * fold behind both engines: the ONNX graph and the folded tfjs model hold the same bits.
 *
 * @returns the folded weight in PyTorch's OIHW layout and the bias.
 * @throws A `CheckpointFormatError` for a missing or misshapen weight.
 */
export function foldBatchNorm(owner: string, state: TorchStateDict, s: ResNetConvBn): { weight: Float32Array; bias: Float32Array } {
  const w = requireWeight(owner, state, `${s.conv}.weight`, [s.out, s.in, s.kernel, s.kernel]).data;
  const gamma = requireWeight(owner, state, `${s.bn}.weight`, [s.out]).data;
  const beta = requireWeight(owner, state, `${s.bn}.bias`, [s.out]).data;
  const mean = requireWeight(owner, state, `${s.bn}.running_mean`, [s.out]).data;
  const variance = requireWeight(owner, state, `${s.bn}.running_var`, [s.out]).data;
  const per = w.length / s.out;
  const weight = new Float32Array(w.length);
  const bias = new Float32Array(s.out);
  for (let o = 0; o < s.out; o++) {
    const scale = gamma[o] / Math.sqrt(variance[o] + BN_EPS);
    for (let i = o * per; i < (o + 1) * per; i++) weight[i] = w[i] * scale;
    bias[o] = beta[o] - mean[o] * scale;
  }
  return { weight, bias };
}

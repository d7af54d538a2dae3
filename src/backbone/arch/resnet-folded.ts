import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { InvalidArgumentError } from '../../errors/index.js';
import { RESNET50_CONFIG, type ResNetConfig } from './resnet.js';

const EXPANSION = 4;
const BN_EPSILON = 1e-5;

/** One convolution with its batch norm folded in: `conv(x, w') + b'`. */
interface FoldedConv {
  readonly filter: tf.Tensor4D;
  readonly bias: tf.Tensor1D;
  readonly stride: number;
  /** Symmetric zero padding, as PyTorch's `padding`. */
  readonly pad: number;
}

function layerWeights(model: tfl.LayersModel, name: string, count: number): tf.Tensor[] {
  let layer: tfl.layers.Layer;
  try {
    layer = model.getLayer(name);
  } catch {
    throw new InvalidArgumentError(`foldResNet: the model has no layer '${name}'; it must come from buildResNet with the same config.`);
  }
  const w = layer.getWeights();
  if (w.length !== count) {
    throw new InvalidArgumentError(`foldResNet: layer '${name}' holds ${w.length} weights, expected ${count}.`);
  }
  return w;
}

/**
 * `W' = W * g / sqrt(v + eps)` per output channel and `b' = beta - m * g / sqrt(v + eps)`,
 * computed in float64 and rounded once.
 */
function fold(model: tfl.LayersModel, convName: string, bnName: string, stride: number, pad: number): FoldedConv {
  const [kernel] = layerWeights(model, convName, 1) as [tf.Tensor4D];
  const [gamma, beta, mean, variance] = layerWeights(model, bnName, 4).map((t) => t.dataSync());
  const k = kernel.dataSync();
  const out = kernel.shape[3];
  const scale = new Float64Array(out);
  const bias = new Float32Array(out);
  for (let o = 0; o < out; o++) {
    scale[o] = gamma![o]! / Math.sqrt(variance![o]! + BN_EPSILON);
    bias[o] = beta![o]! - mean![o]! * scale[o]!;
  }
  const w = new Float32Array(k.length);
  // HWIO: the output channel is the fastest axis.
  for (let i = 0; i < k.length; i++) w[i] = k[i]! * scale[i % out]!;
  return { filter: tf.tensor4d(w, kernel.shape), bias: tf.tensor1d(bias), stride, pad };
}

function apply(x: tf.Tensor4D, c: FoldedConv, relu: boolean): tf.Tensor4D {
  // Explicit symmetric padding: tfjs' 'same' pads only bottom/right at stride 2.
  const pad: 'valid' | [[number, number], [number, number], [number, number], [number, number]] =
    c.pad === 0 ? 'valid' : [[0, 0], [c.pad, c.pad], [c.pad, c.pad], [0, 0]];
  return tf.fused.conv2d({ x, filter: c.filter, strides: c.stride, pad, bias: c.bias, activation: relu ? 'relu' : 'linear' });
}

interface Block {
  readonly conv1: FoldedConv;
  readonly conv2: FoldedConv;
  readonly conv3: FoldedConv;
  readonly downsample?: FoldedConv;
}

/**
 * @internal A frozen, inference-only copy of a {@link buildResNet} model with every batch norm
 * folded into the convolution before it, so that each convolution, its bias and its ReLU run as
 * one fused tfjs kernel (`tf.fused.conv2d`). Same function as the layers model in float32 up to
 * rounding (about 1e-6 relative at ResNet-50 size); the layers model is left untouched.
 *
 * @returns `forward` (NHWC batch to `[b, 32 * width]` embeddings), the folded `weights` and
 * `dispose` (frees the folded weights only).
 */
export function foldResNet(
  model: tfl.LayersModel,
  config: Partial<ResNetConfig> = {},
): { forward: (x: tf.Tensor4D) => tf.Tensor2D; weights: readonly tf.Tensor[]; dispose: () => void } {
  const c = { ...RESNET50_CONFIG, ...config };
  const made: FoldedConv[] = [];
  const keep = (f: FoldedConv) => (made.push(f), f);
  let stem: FoldedConv;
  const stages: Block[][] = [];
  try {
    stem = keep(fold(model, 'conv1', 'bn1', 2, 3));
    let inplanes = c.width;
    c.layers.forEach((blocks, stage) => {
      const planes = c.width * 2 ** stage;
      const list: Block[] = [];
      for (let b = 0; b < blocks; b++) {
        const stride = stage > 0 && b === 0 ? 2 : 1;
        const p = (n: string) => `layer${stage + 1}.${b}.${n}`;
        const needsDown = stride !== 1 || inplanes !== planes * EXPANSION;
        list.push({
          conv1: keep(fold(model, p('conv1'), p('bn1'), 1, 0)),
          conv2: keep(fold(model, p('conv2'), p('bn2'), stride, 1)),
          conv3: keep(fold(model, p('conv3'), p('bn3'), 1, 0)),
          ...(needsDown ? { downsample: keep(fold(model, p('downsample.0'), p('downsample.1'), stride, 0)) } : {}),
        });
        inplanes = planes * EXPANSION;
      }
      stages.push(list);
    });
  } catch (e) {
    tf.dispose(made.flatMap((f) => [f.filter, f.bias]));
    throw e;
  }
  // Each block in its own tidy, its input freed once used: a single tidy would hold every
  // activation of the network until the end (ResNet-50 at batch 16: a 1.8 GB wasm heap).
  const forward = (image: tf.Tensor4D): tf.Tensor2D =>
    tf.tidy(() => {
      let x = tf.tidy(() => {
        const stemOut = apply(image, stem!, true);
        // As in buildResNet: zero padding equals PyTorch's -inf padding after a ReLU.
        return tf.maxPool(tf.pad(stemOut, [[0, 0], [1, 1], [1, 1], [0, 0]]), 3, 2, 'valid');
      });
      for (const blocks of stages) {
        for (const b of blocks) {
          const input = x;
          x = tf.tidy(() => {
            let out = apply(input, b.conv1, true);
            out = apply(out, b.conv2, true);
            out = apply(out, b.conv3, false);
            const identity = b.downsample ? apply(input, b.downsample, false) : input;
            return tf.relu(tf.add(out, identity)) as tf.Tensor4D;
          });
          input.dispose();
        }
      }
      return tf.mean(x, [1, 2]) as tf.Tensor2D;
    });
  const weights = made.flatMap((f) => [f.filter, f.bias]);
  return { forward, weights, dispose: () => tf.dispose(weights) };
}

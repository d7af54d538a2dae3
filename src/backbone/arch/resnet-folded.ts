import * as tf from '@tensorflow/tfjs-core';
import { foldBatchNorm } from './fold-batch-norm.js';
import { resnetLayout, type ResNetConfig, type ResNetConvBn } from './resnet.js';
import { oihwToHwio, type TorchStateDict } from './torch-weights.js';

/** One convolution with its batch norm folded in: `conv(x, w') + b'`. */
interface FoldedConv {
  readonly filter: tf.Tensor4D;
  readonly bias: tf.Tensor1D;
  readonly stride: number;
  /** Symmetric zero padding, as PyTorch's `padding`. */
  readonly pad: number;
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
 * @internal A frozen, inference-only ResNet ({@link buildResNet}'s function) built straight from
 * a PyTorch state dict, with every batch norm folded into the convolution before it, so that
 * each convolution, its bias and its ReLU run as one fused tfjs kernel (`tf.fused.conv2d`).
 * Same function as the layers model in float32 up to rounding (about 1e-6 relative at
 * ResNet-50 size); no layers model is built.
 *
 * @returns `forward` (NHWC batch to `[b, 32 * width]` embeddings), the folded `weights` (filter
 * and bias of each convolution, in forward order) and `dispose` (frees them).
 * @throws A `CheckpointFormatError` for a missing or misshapen weight; nothing is left allocated.
 */
export function foldResNet(
  state: TorchStateDict,
  config: Partial<ResNetConfig> = {},
  owner = 'foldResNet',
): { forward: (x: tf.Tensor4D) => tf.Tensor2D; weights: readonly tf.Tensor[]; dispose: () => void } {
  const layout = resnetLayout(config, owner);
  const made: FoldedConv[] = [];
  const fold = (s: ResNetConvBn): FoldedConv => {
    const { weight, bias } = foldBatchNorm(owner, state, s);
    const f: FoldedConv = {
      filter: tf.tensor4d(oihwToHwio(weight, [s.out, s.in, s.kernel, s.kernel]), [s.kernel, s.kernel, s.in, s.out]),
      bias: tf.tensor1d(bias),
      stride: s.stride,
      pad: s.pad,
    };
    made.push(f);
    return f;
  };
  let stem: FoldedConv;
  let blocks: Block[];
  try {
    stem = fold(layout.stem);
    blocks = layout.blocks.map((b) => ({
      conv1: fold(b.conv1),
      conv2: fold(b.conv2),
      conv3: fold(b.conv3),
      ...(b.downsample ? { downsample: fold(b.downsample) } : {}),
    }));
  } catch (e) {
    tf.dispose(made.flatMap((f) => [f.filter, f.bias]));
    throw e;
  }
  // Each block in its own tidy, its input freed once used: a single tidy would hold every
  // activation of the network until the end (ResNet-50 at batch 16: a 1.8 GB wasm heap).
  const forward = (image: tf.Tensor4D): tf.Tensor2D =>
    tf.tidy(() => {
      let x = tf.tidy(() => {
        const stemOut = apply(image, stem, true);
        // As in buildResNet: zero padding equals PyTorch's -inf padding after a ReLU.
        return tf.maxPool(tf.pad(stemOut, [[0, 0], [1, 1], [1, 1], [0, 0]]), 3, 2, 'valid');
      });
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
      return tf.mean(x, [1, 2]) as tf.Tensor2D;
    });
  const weights = made.flatMap((f) => [f.filter, f.bias]);
  return { forward, weights, dispose: () => tf.dispose(weights) };
}

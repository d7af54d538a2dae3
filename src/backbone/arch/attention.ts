import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { InvalidArgumentError } from '../../errors/index.js';

type LayerArgs = NonNullable<ConstructorParameters<typeof tfl.layers.Layer>[0]>;

/**
 * Options of {@link MultiHeadSelfAttention}.
 *
 * @remarks Since 0.1.0.
 * @internal
 */
export interface MultiHeadSelfAttentionArgs extends LayerArgs {
  /** Attention heads; must divide the token width. */
  numHeads: number;
}

/**
 * The weight-free middle of timm's / DINO's `Attention`: split the `qkv` projection into
 * heads, `softmax(q k^T * head_dim^-0.5) v`, and merge the heads back. The `qkv` and `proj`
 * linears around it are ordinary Dense layers, so their weights load like any other.
 *
 * Input: `[batch, tokens, 3 * dim]` laid out as PyTorch's `reshape(B, N, 3, heads, head_dim)`.
 * Output: `[batch, tokens, dim]`.
 *
 * @remarks Since 0.1.0. Registered for tfjs-layers serialisation as `MultiHeadSelfAttention`.
 * @internal
 */
export class MultiHeadSelfAttention extends tfl.layers.Layer {
  /** @internal */
  static className = 'MultiHeadSelfAttention';

  /** Attention heads. */
  readonly numHeads: number;

  constructor(args: MultiHeadSelfAttentionArgs) {
    super(args);
    if (!Number.isInteger(args.numHeads) || args.numHeads < 1) {
      throw new InvalidArgumentError(
        `MultiHeadSelfAttention: numHeads must be a positive integer; received ${args.numHeads}.`,
      );
    }
    this.numHeads = args.numHeads;
  }

  override build(inputShape: tfl.Shape | tfl.Shape[]): void {
    const width = (inputShape as tfl.Shape)[2];
    if (width == null || width % (3 * this.numHeads) !== 0) {
      throw new InvalidArgumentError(
        `MultiHeadSelfAttention: the qkv width must be 3 * numHeads * headDim; received ` +
          `${String(width)} with numHeads ${this.numHeads}.`,
      );
    }
    this.built = true;
  }

  override computeOutputShape(inputShape: tfl.Shape | tfl.Shape[]): tfl.Shape {
    const [b, n, width] = inputShape as tfl.Shape;
    return [b, n, width == null ? null : width / 3];
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const qkv = Array.isArray(inputs) ? inputs[0] : inputs;
      const [b, n, width] = qkv.shape;
      const dim = width / 3;
      const headDim = dim / this.numHeads;
      // timm's reshape(B, N, 3, heads, headDim).permute(2, 0, 3, 1, 4), as one rank-4 transpose
      // to [B, 3 * heads, N, headDim] and a split: the same values, and tfjs-wasm transposes
      // rank 4 natively but rank 5 element by element (60 ms per block at batch 4).
      const heads = tf.transpose(tf.reshape(qkv, [b, n, 3 * this.numHeads, headDim]), [0, 2, 1, 3]);
      const [q, k, v] = tf.split(heads, 3, 1);
      // Scale after the product, in timm's order, to round the same way.
      const logits = tf.mul(tf.matMul(q, k, false, true), headDim ** -0.5);
      const mixed = tf.matMul(tf.softmax(logits), v);
      return tf.reshape(tf.transpose(mixed, [0, 2, 1, 3]), [b, n, dim]);
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), numHeads: this.numHeads };
  }
}

tf.serialization.registerClass(MultiHeadSelfAttention);

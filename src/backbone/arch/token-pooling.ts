import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { InvalidArgumentError } from '../../errors/index.js';

type LayerArgs = NonNullable<ConstructorParameters<typeof tfl.layers.Layer>[0]>;

/**
 * How {@link TokenPooling} reduces a token sequence: `'cls'` keeps token 0 (DINO's
 * `x[:, 0]`), `'patchMean'` averages the other tokens (DINO's `mean(x[:, 1:], dim=1)`).
 *
 * @remarks Since 0.1.0.
 * @internal
 */
export type TokenPoolingMode = 'cls' | 'patchMean';

/**
 * Options of {@link TokenPooling}.
 *
 * @remarks Since 0.1.0.
 * @internal
 */
export interface TokenPoolingArgs extends LayerArgs {
  /** Which reduction; see {@link TokenPoolingMode}. */
  mode: TokenPoolingMode;
}

/**
 * Reduce `[batch, tokens, dim]` ViT tokens to one `[batch, dim]` vector: the CLS token or the
 * mean of the patch tokens.
 *
 * @remarks Since 0.1.0. Registered for tfjs-layers serialisation as `TokenPooling`.
 * @internal
 */
export class TokenPooling extends tfl.layers.Layer {
  /** @internal */
  static className = 'TokenPooling';

  /** The reduction. */
  readonly mode: TokenPoolingMode;

  constructor(args: TokenPoolingArgs) {
    super(args);
    if (args.mode !== 'cls' && args.mode !== 'patchMean') {
      throw new InvalidArgumentError(
        `TokenPooling: mode must be 'cls' or 'patchMean'; received ${JSON.stringify(args.mode)}.`,
      );
    }
    this.mode = args.mode;
  }

  override computeOutputShape(inputShape: tfl.Shape | tfl.Shape[]): tfl.Shape {
    const [b, , dim] = inputShape as tfl.Shape;
    return [b, dim];
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const x = Array.isArray(inputs) ? inputs[0] : inputs;
      const [b, n, dim] = x.shape;
      if (this.mode === 'cls') return tf.reshape(tf.slice(x, [0, 0, 0], [b, 1, dim]), [b, dim]);
      return tf.mean(tf.slice(x, [0, 1, 0], [b, n - 1, dim]), 1);
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), mode: this.mode };
  }
}

tf.serialization.registerClass(TokenPooling);

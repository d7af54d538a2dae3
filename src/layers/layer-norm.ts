import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { InvalidArgumentError } from '../errors/index.js';

type LayerArgs = NonNullable<ConstructorParameters<typeof tfl.layers.Layer>[0]>;

/**
 * Options of {@link LayerNorm}.
 *
 * @internal
 * @remarks Since 0.1.0.
 * @example
 * ```ts
 * import type { LayerNormArgs } from './layer-norm.js'; // internal, not exported by dvme
 * const args: LayerNormArgs = { epsilon: 1e-5, name: 'norm' };
 * ```
 */
export interface LayerNormArgs extends LayerArgs {
  /**
   * Added to the variance (PyTorch's `nn.LayerNorm` default).
   * @defaultValue `1e-5`
   */
  epsilon?: number;
}

/**
 * Layer normalisation over the last axis of `[batch, ..., features]` inputs with a learned scale
 * (`<name>/gamma`, ones) and shift (`<name>/beta`, zeros): PyTorch's `nn.LayerNorm(features)`,
 * and the same function and weight names as `tf.layers.layerNormalization({ axis: -1 })`.
 *
 * @internal
 * @remarks Since 0.1.0. Why not tfjs-layers' own: it broadcasts the row statistics with
 * `tile`, whose gradient in tfjs-core is a loop of one slice and one add per tiled column
 * (3,072 kernel calls per step at width 1536, a quarter of a DVME training step on tfjs-wasm).
 * This layer broadcasts implicitly, so the gradient is one reduction, and the forward pass
 * needs no tiled copies (four per call in tfjs-layers' layer; on tfjs-wasm a quarter of a ViT's
 * time, which uses this layer too). Registered for tfjs-layers serialisation as `LayerNorm`.
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs-core';
 * import { LayerNorm } from './layer-norm.js'; // internal, not exported by dvme
 * new LayerNorm({}).apply(tf.tensor2d([[1, 2, 3]])); // [[-1.22, 0, 1.22]]
 * ```
 */
export class LayerNorm extends tfl.layers.Layer {
  /** @internal */
  static className = 'LayerNorm';

  /** Added to the variance. */
  readonly epsilon: number;
  private gamma: tfl.LayerVariable | undefined;
  private beta: tfl.LayerVariable | undefined;

  constructor(args: LayerNormArgs = {}) {
    super(args);
    const epsilon = args.epsilon ?? 1e-5;
    if (typeof epsilon !== 'number' || !(epsilon >= 0)) {
      throw new InvalidArgumentError(`LayerNorm: epsilon must be a number >= 0; received ${String(epsilon)}.`);
    }
    this.epsilon = epsilon;
  }

  override build(inputShape: tfl.Shape | tfl.Shape[]): void {
    const shape = inputShape as tfl.Shape;
    const width = shape[shape.length - 1];
    if (shape.length < 2 || width == null) {
      throw new InvalidArgumentError(`LayerNorm takes [batch, ..., features] inputs with a known feature width; received shape [${String(shape)}].`);
    }
    this.gamma = this.addWeight('gamma', [width], 'float32', tfl.initializers.ones());
    this.beta = this.addWeight('beta', [width], 'float32', tfl.initializers.zeros());
    this.built = true;
  }

  override computeOutputShape(inputShape: tfl.Shape | tfl.Shape[]): tfl.Shape {
    return inputShape as tfl.Shape;
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const x = Array.isArray(inputs) ? inputs[0] : inputs;
      const { mean, variance } = tf.moments(x, -1, true);
      const normed = tf.mul(tf.sub(x, mean), tf.rsqrt(tf.add(variance, this.epsilon)));
      return tf.add(tf.mul(normed, this.gamma!.read()), this.beta!.read());
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), epsilon: this.epsilon };
  }
}

tf.serialization.registerClass(LayerNorm);

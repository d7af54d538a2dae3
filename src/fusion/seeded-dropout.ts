import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { InvalidArgumentError } from '../errors/index.js';

type LayerArgs = NonNullable<ConstructorParameters<typeof tfl.layers.Layer>[0]>;

/**
 * Options of {@link SeededDropout}.
 *
 * @remarks Since 0.1.0.
 * @internal
 */
export interface SeededDropoutArgs extends LayerArgs {
  /** Fraction of values zeroed in training, in [0, 1). */
  rate: number;
  /**
   * Seed of the mask stream.
   * @defaultValue none (`Math.random`)
   */
  seed?: number;
}

/**
 * Inverted dropout (PyTorch's `nn.Dropout`: zero with probability `rate`, scale the rest by
 * `1 / (1 - rate)`), active only when applied with `{ training: true }`.
 *
 * Why not `tf.layers.dropout`: given a seed, it draws the same mask at every call, so a seeded
 * training run would drop the same units in every batch. This layer draws mask `i` from
 * `seed + i`, which is reproducible and different at every step.
 *
 * @remarks Since 0.1.0. Registered for tfjs-layers serialisation as `SeededDropout`; the mask
 * counter is not saved (a reloaded model starts the stream again).
 * @internal
 */
export class SeededDropout extends tfl.layers.Layer {
  /** @internal */
  static className = 'SeededDropout';

  /** Fraction of values zeroed in training. */
  readonly rate: number;
  /** Seed of the mask stream, if any. */
  readonly seed: number | undefined;
  private calls = 0;

  constructor(args: SeededDropoutArgs) {
    super(args);
    if (typeof args.rate !== 'number' || !(args.rate >= 0 && args.rate < 1)) {
      throw new InvalidArgumentError(`SeededDropout: rate must be a number in [0, 1); received ${String(args.rate)}.`);
    }
    this.rate = args.rate;
    this.seed = args.seed;
    this.supportsMasking = true;
  }

  override computeOutputShape(inputShape: tfl.Shape | tfl.Shape[]): tfl.Shape {
    return inputShape as tfl.Shape;
  }

  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: tf.serialization.ConfigDict): tf.Tensor {
    const x = Array.isArray(inputs) ? inputs[0] : inputs;
    if (kwargs.training !== true || this.rate === 0) return tf.clone(x);
    const seed = this.seed === undefined ? undefined : this.seed + this.calls++;
    return tf.tidy(() => {
      const keep = tf.step(tf.sub(tf.randomUniform(x.shape, 0, 1, 'float32', seed), this.rate));
      return tf.mul(x, tf.mul(keep, 1 / (1 - this.rate)));
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    const config: tf.serialization.ConfigDict = { ...super.getConfig(), rate: this.rate };
    if (this.seed !== undefined) config.seed = this.seed;
    return config;
  }
}

tf.serialization.registerClass(SeededDropout);

import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { InvalidArgumentError } from '../errors/index.js';

type BatchNormArgs = Parameters<typeof tfl.layers.batchNormalization>[0];
type Kwargs = Record<string, unknown>;

/** tfjs-layers' `BatchNormalization` class, which the package builds but does not export by name. */
interface BatchNormalizationClass {
  new (args?: BatchNormArgs): tfl.layers.Layer & { call(inputs: tf.Tensor | tf.Tensor[], kwargs: Kwargs): tf.Tensor | tf.Tensor[] };
}

function tfjsBatchNormalization(): BatchNormalizationClass {
  // tfjs-layers registers its layer classes for deserialisation (on import, which the value
  // import of tfl above guarantees); the map is public tfjs-core API.
  void tfl.layers;
  const entry = tf.serialization.SerializationMap.getMap().classNameMap.BatchNormalization as unknown;
  if (!Array.isArray(entry) || typeof entry[0] !== 'function') {
    throw new Error('tfjs-layers has not registered BatchNormalization; import @tensorflow/tfjs-layers first.');
  }
  return entry[0] as BatchNormalizationClass;
}

/** The private state of tfjs-layers' BatchNormalization that training mode reads. */
interface BatchNormState {
  readonly axis: number;
  readonly momentum: number;
  readonly epsilon: number;
  readonly gamma: tfl.LayerVariable;
  readonly beta: tfl.LayerVariable;
  readonly movingMean: tfl.LayerVariable;
  readonly movingVariance: tfl.LayerVariable;
}

/** What {@link batchNormWithBatchStatistics} gives: the normalised batch and its statistics. */
interface BatchStatisticsResult {
  readonly normed: tf.Tensor;
  /** Kept tensors (they outlive any tidy); the caller disposes them. */
  readonly mean: tf.Tensor;
  readonly variance: tf.Tensor;
}

/**
 * `gamma * (x - mean) / sqrt(variance + eps) + beta` where `mean` and `variance` are `x`'s own
 * batch statistics (over `axes`, `n` values per channel), with PyTorch's closed-form gradient
 * (`dx = gamma / sqrt(variance + eps) * (dy - mean(dy) - xhat * mean(dy * xhat))`, the
 * statistics' own gradients included). Differentiating tfjs' moments and batchNorm instead
 * costs dozens of broadcast kernels per layer, among them a Tile of the inverse deviation to
 * the input's full size, about a quarter of a ResNet-50 step on tfjs-wasm. The statistics are
 * computed inside the custom gradient, off the tape: taped, `tf.moments` keeps two more
 * input-sized tensors per layer (`x - mean` and its square) alive until the backward pass,
 * which tripled a ResNet-50's saved activations (PyTorch saves the input and two per-channel
 * vectors, as this does). The per-channel affine passes run on the batchNorm kernel (mean 0,
 * variance 0, epsilon 1: a scale and an offset), which needs no broadcasting.
 */
function batchNormWithBatchStatistics(
  x: tf.Tensor,
  gamma: tf.Tensor,
  beta: tf.Tensor,
  eps: number,
  axes: number[],
  n: number,
): BatchStatisticsResult {
  let stats: { mean: tf.Tensor; variance: tf.Tensor } | undefined;
  const op = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
    const [input, g, b, save] = args as [tf.Tensor, tf.Tensor1D, tf.Tensor1D, tf.GradSaveFunc];
    const { mean, variance } = tf.moments(input, axes);
    // Kept: the running statistics read them after this op's scope ends.
    stats = { mean: tf.keep(mean), variance: tf.keep(variance) };
    const value = tf.batchNorm(input, mean, variance, b, g, eps);
    // After the value: saved tensors are kept, and a throw before the tape records them would leak them.
    save([input, g, mean, variance]);
    return {
      value,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [xs, gs, m, v] = saved as [tf.Tensor, tf.Tensor1D, tf.Tensor1D, tf.Tensor1D];
        const xhat = tf.batchNorm(xs, m, v, undefined, undefined, eps);
        const dbeta = tf.sum(dy, axes);
        const dgamma = tf.sum(tf.mul(dy, xhat), axes);
        const k = tf.mul(gs, tf.rsqrt(tf.add(v, eps)));
        const zeros = tf.zerosLike(k);
        const affine = (t: tf.Tensor, scale: tf.Tensor, offset?: tf.Tensor) => tf.batchNorm(t, zeros, zeros, offset as tf.Tensor1D | undefined, scale as tf.Tensor1D, 1);
        const correction = affine(xhat, tf.mul(k, tf.mul(dgamma, -1 / n)), tf.mul(k, tf.mul(dbeta, -1 / n)));
        return [tf.add(affine(dy, k), correction), dgamma, dbeta];
      },
    };
  });
  let normed: tf.Tensor;
  try {
    normed = op(x, gamma, beta);
  } catch (e) {
    // Kept tensors outlive the scopes that a throw unwinds.
    if (stats) tf.dispose([stats.mean, stats.variance]);
    throw e;
  }
  if (stats === undefined) throw new Error('batch statistics were not computed');
  return { normed, ...stats };
}

/**
 * @internal PyTorch's `nn.BatchNorm2d` over NHWC inputs: tfjs-layers' `BatchNormalization`
 * (same class name, config, weights and inference kernel, so saved models, weight names and
 * embedding-cache fingerprints are unchanged) whose training mode updates the running variance
 * with the unbiased batch variance (`n / (n - 1)` times the biased one, `n` = values per
 * channel), as PyTorch does; tfjs-layers feeds it the biased one. The batch is still normalised
 * with the biased variance, as in both libraries. With `momentum` in Keras' sense (0.9 = PyTorch's
 * 0.1): `running = momentum * running + (1 - momentum) * batch`.
 */
export class TorchBatchNorm extends tfjsBatchNormalization() {
  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: Kwargs): tf.Tensor | tf.Tensor[] {
    const x = Array.isArray(inputs) ? inputs[0] : inputs;
    const self = this as unknown as BatchNormState;
    const axis = self.axis >= 0 ? self.axis : self.axis + x.rank;
    if (kwargs.training !== true || axis !== x.rank - 1) return super.call(inputs, kwargs);
    return tf.tidy(() => {
      const axes = x.shape.map((_, i) => i).slice(0, -1);
      const n = axes.reduce((p, a) => p * x.shape[a], 1);
      if (n < 2) {
        throw new InvalidArgumentError(
          `${this.name}: batch norm in training mode needs more than 1 value per channel (PyTorch's rule); ` +
            `received input shape [${x.shape.join(', ')}]. Train with a batch of at least 2 or freeze the batch-norm statistics.`,
        );
      }
      const channels = x.shape[axis];
      const { normed, mean, variance } = batchNormWithBatchStatistics(
        x,
        self.gamma ? self.gamma.read() : tf.ones([channels]),
        self.beta ? self.beta.read() : tf.zeros([channels]),
        self.epsilon,
        axes,
        n,
      );
      const m = self.momentum;
      const update = (v: tfl.LayerVariable, batch: tf.Tensor): void => {
        tf.tidy(() => {
          v.write(tf.add(tf.mul(v.read(), m), tf.mul(batch, 1 - m)));
        });
      };
      try {
        update(self.movingMean, mean);
        update(self.movingVariance, tf.mul(variance, n / (n - 1)));
      } finally {
        mean.dispose();
        variance.dispose();
      }
      return normed;
    });
  }
}

// Registered under tfjs-layers' own class name, replacing its BatchNormalization when models are
// deserialised (tfl.models.modelFromJSON, loadLayersModel): a copy of a ResNet made through
// JSON, as FineTuner's trainable copy is, keeps PyTorch's running-variance update, and so does
// any Keras model loaded with Backbone.fromTfjs (TensorFlow's fused batch norm also feeds its
// moving variance the unbiased batch variance). Inference is unchanged.
tf.serialization.registerClass(TorchBatchNorm as unknown as tf.serialization.SerializableConstructor<tf.serialization.Serializable>);

import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { InvalidArgumentError, ShapeError } from '../errors/index.js';
import { torchLinearInit } from './torch-init.js';

type LayerArgs = NonNullable<ConstructorParameters<typeof tfl.layers.Layer>[0]>;

/**
 * How DME's gate turns source scores into weights: `'softmax'` (Kiela et al.'s
 * DME: weights over sources sum to 1) or `'sigmoid'` (independent gates in (0, 1), the
 * unnormalised variant).
 *
 * @remarks Since 0.1.0.
 * @example
 * ```ts
 * import type { DmeGating } from 'dvme';
 * const gating: DmeGating = 'sigmoid';
 * ```
 */
export type DmeGating = 'softmax' | 'sigmoid';

/**
 * Options of {@link MetaEmbeddingGate}.
 *
 * @remarks Since 0.1.0.
 * @internal
 */
export interface MetaEmbeddingGateArgs extends LayerArgs {
  /**
   * Score-to-weight function, see {@link DmeGating}.
   * @defaultValue `'softmax'`
   */
  gating?: DmeGating;
  /**
   * Seed of the initial `a` and `b` (PyTorch `nn.Linear(d', 1)` initialisation).
   * @defaultValue none (`Math.random`)
   */
  seed?: number;
}

/**
 * The mixing step of Kiela et al.'s Dynamic Meta-Embeddings (EMNLP 2018): given projected
 * source embeddings `w'_j` (all of width `d'`), scores `a . w'_j + b`, weights
 * `alpha_j = softmax_j(score)` (or `sigmoid(score)`), output `sum_j alpha_j w'_j`.
 *
 * Input: a list of S tensors `[batch, d']`; output `[batch, d']`. Weights `a` `[d', 1]` and
 * `b` `[1]`. With softmax gating `b` cancels out (a shift shared by every source); it is kept
 * so that the layer is the paper's formula and switches gating without changing weights.
 *
 * @remarks Since 0.1.0. Registered for tfjs-layers serialisation as `MetaEmbeddingGate`.
 * @internal
 */
export class MetaEmbeddingGate extends tfl.layers.Layer {
  /** @internal */
  static className = 'MetaEmbeddingGate';

  /** Score-to-weight function. */
  readonly gating: DmeGating;
  /** Seed of the initial weights, if any. */
  readonly seed: number | undefined;
  private a: tfl.LayerVariable | null = null;
  private b: tfl.LayerVariable | null = null;

  constructor(args: MetaEmbeddingGateArgs = {}) {
    super(args);
    const gating = args.gating ?? 'softmax';
    if (gating !== 'softmax' && gating !== 'sigmoid') {
      throw new InvalidArgumentError(`gating must be 'softmax' or 'sigmoid'; received ${String(gating)}.`);
    }
    this.gating = gating;
    this.seed = args.seed;
  }

  override build(inputShape: tfl.Shape | tfl.Shape[]): void {
    const shapes = (Array.isArray(inputShape[0]) ? inputShape : [inputShape]) as tfl.Shape[];
    const width = shapes[0][1];
    if (width == null || shapes.some((s) => s[1] !== width)) {
      throw new ShapeError(
        `MetaEmbeddingGate: every source must have the same width; received [${shapes.map((s) => String(s[1])).join(', ')}].`,
      );
    }
    const init = torchLinearInit(width, this.seed);
    this.a = this.addWeight('a', [width, 1], 'float32', init.kernelInitializer);
    this.b = this.addWeight('b', [1], 'float32', init.biasInitializer);
    this.built = true;
  }

  override computeOutputShape(inputShape: tfl.Shape | tfl.Shape[]): tfl.Shape {
    return (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as tfl.Shape;
  }

  /**
   * The weights `alpha` `[batch, S]` of projected sources (a list of `[batch, d']` tensors).
   * Call inside `tf.tidy`.
   */
  gates(sources: readonly tf.Tensor[]): tf.Tensor2D {
    const stacked = tf.stack(sources as tf.Tensor[], 1) as tf.Tensor3D; // [B, S, d']
    const [bsz, S, d] = stacked.shape;
    const scores = tf.reshape(tf.add(tf.matMul(tf.reshape(stacked, [bsz * S, d]), this.a!.read()), this.b!.read()), [bsz, S]);
    return (this.gating === 'softmax' ? tf.softmax(scores) : tf.sigmoid(scores)) as tf.Tensor2D;
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const sources = Array.isArray(inputs) ? inputs : [inputs];
      const alpha = this.gates(sources); // [B, S]
      return tf.sum(tf.mul(tf.stack(sources, 1), tf.expandDims(alpha, 2)), 1);
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    const config: tf.serialization.ConfigDict = { ...super.getConfig(), gating: this.gating };
    if (this.seed !== undefined) config.seed = this.seed;
    return config;
  }
}

tf.serialization.registerClass(MetaEmbeddingGate);

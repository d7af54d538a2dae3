import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { InvalidArgumentError } from '../../errors/index.js';
import { bicubicWeightMatrix, dinoPositionScale } from '../../image/bicubic.js';

type LayerArgs = NonNullable<ConstructorParameters<typeof tfl.layers.Layer>[0]>;

/**
 * Options of {@link ClassTokenPositionEmbedding}.
 *
 * @remarks Since 0.1.0.
 * @internal
 */
export interface ClassTokenPositionEmbeddingArgs extends LayerArgs {
  /** Patches at the training size, a perfect square (196 for 224 / 16). */
  numPatches: number;
}

/**
 * ViT token preparation as DINO's `prepare_tokens`: flatten the patch-embedding grid to
 * tokens (row-major, as PyTorch's `flatten(2).transpose(1, 2)`), prepend the learned CLS token
 * and add the learned position embeddings, resampled bicubically when the input is not the
 * training size exactly as DINO's `interpolate_pos_encoding` does.
 *
 * Inputs: `[patchGrid, image]`, where `patchGrid` is `[batch, rows, cols, dim]` and `image`
 * is the network input, read only for its height and width (DINO decides whether to resample
 * from the image, not from the grid). Output: `[batch, 1 + rows * cols, dim]`.
 * Weights: `cls_token` `[1, 1, dim]` and `pos_embed` `[1, 1 + numPatches, dim]`, under those
 * PyTorch names.
 *
 * @remarks Since 0.1.0. Registered for tfjs-layers serialisation as
 * `ClassTokenPositionEmbedding`.
 * @internal
 */
export class ClassTokenPositionEmbedding extends tfl.layers.Layer {
  /** @internal */
  static className = 'ClassTokenPositionEmbedding';

  /** Patches at the training size. */
  readonly numPatches: number;

  private readonly nativeGrid: number;
  private clsToken: tfl.LayerVariable | null = null;
  private posEmbed: tfl.LayerVariable | null = null;

  constructor(args: ClassTokenPositionEmbeddingArgs) {
    super(args);
    const grid = Math.round(Math.sqrt(args.numPatches));
    const n = args.numPatches;
    if (!Number.isInteger(n) || n < 1 || grid * grid !== n) {
      throw new InvalidArgumentError(
        `ClassTokenPositionEmbedding: numPatches must be a positive perfect square (a square ` +
          `patch grid); received ${args.numPatches}.`,
      );
    }
    this.numPatches = args.numPatches;
    this.nativeGrid = grid;
  }

  override build(inputShape: tfl.Shape | tfl.Shape[]): void {
    const dim = (inputShape as tfl.Shape[])[0][3];
    if (dim == null) {
      throw new InvalidArgumentError(
        'ClassTokenPositionEmbedding: the channel axis of the patch grid must be known.',
      );
    }
    // timm's trunc_normal_(std=.02); only matters when not loading pretrained weights.
    const init = tfl.initializers.truncatedNormal({ stddev: 0.02 });
    this.clsToken = this.addWeight('cls_token', [1, 1, dim], 'float32', init);
    this.posEmbed = this.addWeight('pos_embed', [1, this.numPatches + 1, dim], 'float32', init);
    this.built = true;
  }

  override computeOutputShape(inputShape: tfl.Shape | tfl.Shape[]): tfl.Shape {
    const [b, rows, cols, dim] = (inputShape as tfl.Shape[])[0];
    return [b, rows != null && cols != null ? 1 + rows * cols : null, dim];
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const [grid, image] = inputs as tf.Tensor[];
      const [b, rows, cols, dim] = grid.shape;
      const tokens = tf.reshape(grid, [b, rows * cols, dim]);
      const cls = tf.tile(this.clsToken!.read(), [b, 1, 1]);
      const pos = this.positionEmbedding(rows, cols, image.shape[1] === image.shape[2]);
      return tf.add(tf.concat([cls, tokens], 1), pos);
    });
  }

  /** The `[1, 1 + rows * cols, dim]` position embeddings for a `rows x cols` patch grid. */
  private positionEmbedding(rows: number, cols: number, squareImage: boolean): tf.Tensor {
    const pos = this.posEmbed!.read();
    const scale = dinoPositionScale(this.nativeGrid, rows, cols, squareImage);
    if (scale === null) return pos;
    const g = this.nativeGrid;
    const dim = (pos.shape as number[])[2];
    const matrix = (out: number, s: number): tf.Tensor2D =>
      tf.tensor2d(Float32Array.from(bicubicWeightMatrix(g, out, s)), [out, g]);
    const clsPos = tf.slice(pos, [0, 0, 0], [1, 1, dim]);
    const patchPos = tf.reshape(tf.slice(pos, [0, 1, 0], [1, g * g, dim]), [g, g * dim]);
    // Separable resize as two matmuls (so gradients reach pos_embed): rows, then columns
    // after moving the column axis to the front.
    const byRows = tf.matMul(matrix(rows, scale[0]), patchPos);
    const colsFirst = tf.reshape(
      tf.transpose(tf.reshape(byRows, [rows, g, dim]), [1, 0, 2]),
      [g, rows * dim],
    );
    const byCols = tf.matMul(matrix(cols, scale[1]), colsFirst);
    const resized = tf.transpose(tf.reshape(byCols, [cols, rows, dim]), [1, 0, 2]);
    return tf.concat([clsPos, tf.reshape(resized, [1, rows * cols, dim])], 1);
  }

  /**
   * PyTorch state-dict keys of this layer's weights, in `this.weights` order.
   *
   * @internal
   */
  torchStateKeys(): string[] {
    return ['cls_token', 'pos_embed'];
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), numPatches: this.numPatches };
  }
}

tf.serialization.registerClass(ClassTokenPositionEmbedding);

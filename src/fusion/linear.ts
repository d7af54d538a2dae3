import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { InvalidArgumentError } from '../errors/index.js';
import { torchLinearInit } from './torch-init.js';

type LayerArgs = NonNullable<ConstructorParameters<typeof tfl.layers.Layer>[0]>;

/**
 * @internal `x W + b` whose gradients avoid `matMul(..., transposeA = true)`.
 *
 * Why: tfjs's own gradient of a matMul computes the kernel gradient as
 * `matMul(x, dy, transposeA = true)`, which tfjs-wasm runs on a slow generic loop (about 20x
 * slower than a plain matMul of the same size; 350 ms against 16 ms for a 2048 x 512 kernel at
 * batch 64). Here the kernel gradient is `transpose(x) @ dy` and the input gradient
 * `dy @ transpose(W)`, or `transpose(W @ transpose(dy))` when W is the larger one to
 * transpose, all plain matMuls on the fast path. Same values, same weights.
 *
 * @param inputGradient - `false` when `x` depends on no trainable weight (model inputs): its
 *   gradient is then neither returned nor computed.
 */
export function linear(
  x: tf.Tensor2D,
  kernel: tf.Tensor2D,
  bias: tf.Tensor1D | undefined,
  inputGradient: boolean,
): tf.Tensor2D {
  const forward = (a: tf.Tensor2D, w: tf.Tensor2D, b: tf.Tensor1D | undefined): tf.Tensor2D =>
    (b ? tf.fused.matMul({ a, b: w, bias: b }) : tf.matMul(a, w)) as tf.Tensor2D;
  const weightGrads = (dy: tf.Tensor2D, a: tf.Tensor2D, withBias: boolean): tf.Tensor[] => {
    const g: tf.Tensor[] = [tf.matMul(tf.transpose(a), dy)];
    if (withBias) g.push(tf.sum(dy, 0));
    return g;
  };
  // dy W^T with the cheaper transposes (they cost their size on tfjs-wasm, more than the
  // product for a wide W): W's (in x out), else dy's and the product's (rows x (in + out)).
  const inputGrad = (dy: tf.Tensor2D, w: tf.Tensor2D): tf.Tensor2D => {
    const [rows, out] = dy.shape;
    const width = w.shape[0];
    if (width * out <= rows * (width + out)) return tf.matMul(dy, tf.transpose(w));
    return tf.transpose(tf.matMul(w, tf.transpose(dy))) as tf.Tensor2D;
  };
  // Tensors the backward pass reads go through save(): the caller's tidy may free them first.
  const withBias = bias !== undefined;
  if (inputGradient) {
    const op = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
      const save = args[args.length - 1] as tf.GradSaveFunc;
      const [a, w] = args as [tf.Tensor2D, tf.Tensor2D];
      save([a, w]);
      return {
        value: forward(a, w, withBias ? (args[2] as tf.Tensor1D) : undefined),
        gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) => {
          const [sa, sw] = saved as [tf.Tensor2D, tf.Tensor2D];
          const d = dy as tf.Tensor2D;
          return [inputGrad(d, sw), ...weightGrads(d, sa, withBias)];
        },
      };
    });
    return (withBias ? op(x, kernel, bias) : op(x, kernel)) as tf.Tensor2D;
  }
  // x is data here: closed over, so the gradient tape sees only the weights.
  const op = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const save = args[args.length - 1] as tf.GradSaveFunc;
    save([x]);
    return {
      value: forward(x, args[0] as tf.Tensor2D, withBias ? (args[1] as tf.Tensor1D) : undefined),
      gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) => weightGrads(dy as tf.Tensor2D, saved[0] as tf.Tensor2D, withBias),
    };
  });
  return (withBias ? op(kernel, bias) : op(kernel)) as tf.Tensor2D;
}

/**
 * Options of {@link Linear}.
 *
 * @remarks Since 0.1.0.
 * @internal
 */
export interface LinearArgs extends LayerArgs {
  /** Output width. */
  units: number;
  /**
   * `'relu'` applies ReLU after the affine map.
   * @defaultValue `'linear'`
   */
  activation?: 'linear' | 'relu';
  /**
   * Seed of PyTorch's `nn.Linear` default initialisation (kernel `seed`, bias `seed + 1`).
   * @defaultValue none (`Math.random`)
   */
  seed?: number;
  /**
   * Whether the input needs a gradient. `false` (for a model input) skips that matMul in
   * training; the layer's output is the same either way.
   * @defaultValue `true`
   */
  inputGradient?: boolean;
}

/**
 * A fully connected layer for 2-D inputs (`[batch, features]`) that trains fast on tfjs-wasm:
 * the same function and weights (`<name>/kernel` `[in, units]`, `<name>/bias`) as
 * `tf.layers.dense` with PyTorch's `nn.Linear` initialisation, but gradients computed with
 * plain matMuls only (see the remarks). The fusion heads use it for every linear map.
 *
 * @remarks Since 0.1.0. tfjs-wasm runs `matMul(a, b, transposeA = true)`, which Dense's
 * backward pass uses for the kernel gradient, on a generic loop about 20x slower than a plain
 * matMul; this layer transposes explicitly instead. Registered for tfjs-layers serialisation
 * as `Linear`.
 * @internal
 */
export class Linear extends tfl.layers.Layer {
  /** @internal */
  static className = 'Linear';

  /** Output width. */
  readonly units: number;
  /** Activation after the affine map. */
  readonly activation: 'linear' | 'relu';
  /** Initialisation seed, if any. */
  readonly seed: number | undefined;
  /** Whether the input's gradient is computed in training. */
  readonly inputGradient: boolean;
  private kernel: tfl.LayerVariable | undefined;
  private bias: tfl.LayerVariable | undefined;

  constructor(args: LinearArgs) {
    super(args);
    if (!Number.isInteger(args.units) || args.units < 1) {
      throw new InvalidArgumentError(`Linear: units must be a positive integer; received ${String(args.units)}.`);
    }
    const activation = args.activation ?? 'linear';
    if (activation !== 'linear' && activation !== 'relu') {
      throw new InvalidArgumentError(`Linear: activation must be 'linear' or 'relu'; received ${String(activation)}.`);
    }
    this.units = args.units;
    this.activation = activation;
    this.seed = args.seed;
    this.inputGradient = args.inputGradient ?? true;
  }

  override build(inputShape: tfl.Shape | tfl.Shape[]): void {
    const shape = inputShape as tfl.Shape;
    const fanIn = shape[shape.length - 1];
    if (shape.length !== 2 || fanIn == null) {
      throw new InvalidArgumentError(`Linear takes [batch, features] inputs; received shape [${String(shape)}].`);
    }
    const init = torchLinearInit(fanIn, this.seed);
    this.kernel = this.addWeight('kernel', [fanIn, this.units], 'float32', init.kernelInitializer);
    this.bias = this.addWeight('bias', [this.units], 'float32', init.biasInitializer);
    this.built = true;
  }

  override computeOutputShape(inputShape: tfl.Shape | tfl.Shape[]): tfl.Shape {
    const shape = inputShape as tfl.Shape;
    return [...shape.slice(0, -1), this.units];
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const x = (Array.isArray(inputs) ? inputs[0] : inputs) as tf.Tensor2D;
      const y = linear(x, this.kernel!.read() as tf.Tensor2D, this.bias!.read() as tf.Tensor1D, this.inputGradient);
      return this.activation === 'relu' ? tf.relu(y) : y;
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    const config: tf.serialization.ConfigDict = {
      ...super.getConfig(),
      units: this.units,
      activation: this.activation,
      inputGradient: this.inputGradient,
    };
    if (this.seed !== undefined) config.seed = this.seed;
    return config;
  }
}

tf.serialization.registerClass(Linear);

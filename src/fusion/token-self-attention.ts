import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { InvalidArgumentError, ShapeError } from '../errors/index.js';
import { DEFAULT_CHUNK_ELEMENTS, blockedAttention, groupedAttentionSums } from './chunked-attention.js';
import { FEW_TOKENS, fewTokenAttention } from './few-token-attention.js';
import { torchLinearInit } from './torch-init.js';
import { linear } from './linear.js';

type LayerArgs = NonNullable<ConstructorParameters<typeof tfl.layers.Layer>[0]>;

/**
 * Options of {@link TokenSelfAttention}.
 *
 * @remarks Since 0.1.0.
 * @internal
 */
export interface TokenSelfAttentionArgs extends LayerArgs {
  /** Width of one token; the input width must be a multiple of it. */
  tokenDim: number;
  /**
   * Attention heads; must divide `tokenDim`.
   * @defaultValue `1`
   */
  numHeads?: number;
  /**
   * Whether the qkv projection has a bias (timm's `qkv_bias`).
   * @defaultValue `true`
   */
  qkvBias?: boolean;
  /**
   * Budget of one attention block in float32 elements: query rows are processed in blocks of
   * `floor(chunkElements / (batch * heads * tokens))` so that no intermediate is larger.
   * One-dimensional tokens on the cpu and wasm backends run a WebAssembly kernel instead, whose
   * scratch memory (about 16 float32 values per token of one sample) is below any such block.
   * @defaultValue `1048576` (4 MiB per intermediate)
   */
  chunkElements?: number;
  /**
   * Seed of the initial weights (PyTorch `nn.Linear` initialisation).
   * @defaultValue none (`Math.random`)
   */
  seed?: number;
}

function checkPositiveInt(name: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) {
    throw new InvalidArgumentError(`TokenSelfAttention: ${name} must be a positive integer; received ${String(v)}.`);
  }
  return v;
}

/**
 * timm's `Attention` module (qkv linear, heads, `softmax(q k^T * head_dim^-0.5) v`, head concat,
 * output linear) applied to a flat feature vector cut into tokens of `tokenDim` values: the
 * self-attention step of DVME. No residual, no MLP, no positional embedding, as in the paper's
 * listing.
 *
 * Input `[batch, features]` with `features = tokens * tokenDim`; output of the same shape (the
 * tokens flattened back). `tokenDim: 1` is the listing's literal `reshape(B, -1, 1)`: one token
 * per feature. Attention runs in blocks of query rows with a recomputing gradient, so memory
 * stays bounded by `chunkElements` even for 1536 one-dimensional tokens at batch 64. With
 * one-dimensional tokens on the cpu and wasm backends a WebAssembly SIMD kernel computes it
 * (same results to float32 rounding, 5-6x faster on wasm); elsewhere, or without WebAssembly
 * SIMD, tensor ops do. A few wide tokens (at most 8, such as DVME's source tokens) skip the
 * head split's transposes (see `fewTokenAttention`).
 *
 * Weights, in PyTorch's layout transposed: `qkv/kernel` `[tokenDim, 3 * tokenDim]`,
 * `qkv/bias`, `proj/kernel` `[tokenDim, tokenDim]`, `proj/bias`.
 *
 * @remarks Since 0.1.0. Registered for tfjs-layers serialisation as `TokenSelfAttention`.
 * @internal
 */
export class TokenSelfAttention extends tfl.layers.Layer {
  /** @internal */
  static className = 'TokenSelfAttention';

  /** Width of one token. */
  readonly tokenDim: number;
  /** Attention heads. */
  readonly numHeads: number;
  /** Whether the qkv projection has a bias. */
  readonly qkvBias: boolean;
  /** Block budget in float32 elements. */
  readonly chunkElements: number;
  /** Seed of the initial weights, if any. */
  readonly seed: number | undefined;

  private qkvKernel: tfl.LayerVariable | null = null;
  private qkvBiasWeight: tfl.LayerVariable | null = null;
  private projKernel: tfl.LayerVariable | null = null;
  private projBias: tfl.LayerVariable | null = null;

  constructor(args: TokenSelfAttentionArgs) {
    super(args);
    this.tokenDim = checkPositiveInt('tokenDim', args.tokenDim);
    this.numHeads = checkPositiveInt('numHeads', args.numHeads ?? 1);
    if (this.tokenDim % this.numHeads !== 0) {
      throw new InvalidArgumentError(
        `TokenSelfAttention: numHeads must divide tokenDim; received numHeads ${this.numHeads} for tokenDim ` +
          `${this.tokenDim}. Use a divisor of ${this.tokenDim} (feature tokens have tokenDim 1, so numHeads 1).`,
      );
    }
    this.qkvBias = args.qkvBias ?? true;
    this.chunkElements = checkPositiveInt('chunkElements', args.chunkElements ?? DEFAULT_CHUNK_ELEMENTS);
    this.seed = args.seed;
  }

  override build(inputShape: tfl.Shape | tfl.Shape[]): void {
    const width = (inputShape as tfl.Shape)[1];
    if (width == null || width % this.tokenDim !== 0) {
      throw new ShapeError(
        `TokenSelfAttention: the input width must be a multiple of tokenDim ${this.tokenDim}; received ${String(width)}.`,
      );
    }
    const d = this.tokenDim;
    const s = this.seed;
    const qkvInit = torchLinearInit(d, s);
    const projInit = torchLinearInit(d, s === undefined ? undefined : s + 2);
    this.qkvKernel = this.addWeight('qkv/kernel', [d, 3 * d], 'float32', qkvInit.kernelInitializer);
    if (this.qkvBias) this.qkvBiasWeight = this.addWeight('qkv/bias', [3 * d], 'float32', qkvInit.biasInitializer);
    this.projKernel = this.addWeight('proj/kernel', [d, d], 'float32', projInit.kernelInitializer);
    this.projBias = this.addWeight('proj/bias', [d], 'float32', projInit.biasInitializer);
    this.built = true;
  }

  override computeOutputShape(inputShape: tfl.Shape | tfl.Shape[]): tfl.Shape {
    return inputShape as tfl.Shape;
  }

  /** q, k, v as `[batch * heads, tokens, headDim]`, as timm's `permute(2, 0, 3, 1, 4)`. */
  private qkv(x: tf.Tensor): [tf.Tensor3D, tf.Tensor3D, tf.Tensor3D] {
    const [b, width] = x.shape as [number, number];
    const d = this.tokenDim;
    const n = width / d;
    const hd = d / this.numHeads;
    const qkv = dense(tf.reshape(x, [b * n, d]), this.qkvKernel!.read(), this.qkvBiasWeight?.read());
    const split = tf.transpose(tf.reshape(qkv, [b, n, 3, this.numHeads, hd]), [2, 0, 3, 1, 4]);
    return tf.unstack(split, 0).map((t) => tf.reshape(t, [b * this.numHeads, n, hd])) as [
      tf.Tensor3D,
      tf.Tensor3D,
      tf.Tensor3D,
    ];
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const x = Array.isArray(inputs) ? inputs[0] : inputs;
      const [b, width] = x.shape as [number, number];
      const d = this.tokenDim;
      const n = width / d;
      const hd = d / this.numHeads;
      if (n <= FEW_TOKENS && d > 1) {
        const qkv = dense(tf.reshape(x, [b * n, d]), this.qkvKernel!.read(), this.qkvBiasWeight?.read());
        const mixed = fewTokenAttention(tf.reshape(qkv, [b, 3 * width]) as tf.Tensor2D, n, this.numHeads, hd ** -0.5);
        const out = dense(tf.reshape(mixed, [b * n, d]), this.projKernel!.read(), this.projBias!.read());
        return tf.reshape(out, [b, width]);
      }
      const [q, k, v] = this.qkv(x);
      const mixed = blockedAttention(q, k, v, hd ** -0.5, this.chunkElements);
      const merged = tf.transpose(tf.reshape(mixed, [b, this.numHeads, n, hd]), [0, 2, 1, 3]);
      const out = dense(tf.reshape(merged, [b * n, d]), this.projKernel!.read(), this.projBias!.read());
      return tf.reshape(out, [b, width]);
    });
  }

  /**
   * The attention probabilities summed over batch and heads and over consecutive groups of
   * `tokensPerGroup` tokens (rows: query groups, columns: key groups), computed block by block.
   * Divide by `batch * heads * tokensPerGroup^2` for the block mean.
   *
   * @param x - `[batch, features]`, the layer's input.
   * @returns A row-major `groups x groups` Float64Array.
   */
  groupedAttention(x: tf.Tensor2D, tokensPerGroup: number): Float64Array {
    const n = x.shape[1] / this.tokenDim;
    if (!Number.isInteger(n) || n % tokensPerGroup !== 0) {
      throw new ShapeError(
        `TokenSelfAttention: ${String(n)} tokens do not split into groups of ${tokensPerGroup}.`,
      );
    }
    const [q, k] = tf.tidy(() => this.qkv(x).slice(0, 2));
    try {
      return groupedAttentionSums(q, k, (this.tokenDim / this.numHeads) ** -0.5, tokensPerGroup, this.chunkElements);
    } finally {
      q.dispose();
      k.dispose();
    }
  }

  override getConfig(): tf.serialization.ConfigDict {
    const config: tf.serialization.ConfigDict = {
      ...super.getConfig(),
      tokenDim: this.tokenDim,
      numHeads: this.numHeads,
      qkvBias: this.qkvBias,
      chunkElements: this.chunkElements,
    };
    if (this.seed !== undefined) config.seed = this.seed;
    return config;
  }
}

tf.serialization.registerClass(TokenSelfAttention);

/**
 * `x W + b` for the token projections. Wide tokens use {@link linear} (fast gradients on
 * tfjs-wasm); one-dimensional feature tokens keep tfjs's own matMul, whose gradient is cheap at
 * inner width 1 while explicit transposes of `[batch * tokens, 1]` columns are not.
 */
function dense(x: tf.Tensor, kernel: tf.Tensor, bias: tf.Tensor | undefined): tf.Tensor {
  if (x.shape[1] === 1) {
    const y = tf.matMul(x as tf.Tensor2D, kernel as tf.Tensor2D);
    return bias ? tf.add(y, bias) : y;
  }
  return linear(x as tf.Tensor2D, kernel as tf.Tensor2D, bias as tf.Tensor1D | undefined, true);
}

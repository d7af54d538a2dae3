import * as tf from '@tensorflow/tfjs-core';
import type { EmbeddingMatrix } from '../data/embedding-matrix.js';
import { DisposedError, InvalidArgumentError, ShapeError } from '../errors/index.js';
// Named in the TSDoc of fromTfjs and fromCheckpoint.
import type { AbortError, BackendUnavailableError, CheckpointFormatError, DownloadError, UnknownBackboneError } from '../errors/index.js';
import { throwIfAborted } from '../errors/throw-if-aborted.js';
import { checkChoice, checkPositiveInteger } from '../validation/checks.js';
import { resolveBackboneConfig, type BackboneConfig, type BackboneConfigInit } from './config.js';
import { resolvePreprocessSpec } from '../image/preprocess-spec.js';
import type { BACKBONE_ARCHITECTURES, BackboneArchitectureId, CustomArchitecture } from './architectures.js';
import {
  loadCheckpointModel,
  type CheckpointLoadReport,
  type CheckpointSource,
  type FromCheckpointOptions,
} from './from-checkpoint.js';
import { loadTfjsEmbeddingModel, type FromTfjsOptions, type TfjsModelSource } from './from-tfjs.js';
import { loadOnnxBackboneModel, type FromOnnxOptions, type OnnxModelSource } from './engines/from-onnx.js';
import type { OnnxEmbeddingEngine } from './engines/onnx-engine.js';
import { isTensor, type ImageInput } from '../image/images.js';
import { preparePreprocess, type PreprocessOptions } from '../image/preprocess.js';
import { backboneFingerprint, tfjsWeightsKey, weightsKeyOf, type BackboneFingerprint } from './backbone-fingerprint.js';
import { embedThroughCache } from '../embedding-cache/cached-embed.js';
import type { EmbedCacheOptions, EmbeddingCache } from '../embedding-cache/embedding-cache.js';

/**
 * A model reduced to what embedding needs: a function from a preprocessed batch to
 * embeddings, and a way to free it.
 *
 * @remarks Since 0.1.0.
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs-core';
 * import type { EmbeddingModel } from 'dvme';
 * // A toy "model": the per-channel mean of the image, a 3-d embedding.
 * const meanColour: EmbeddingModel = { forward: (x) => tf.mean(x, [1, 2]) };
 * ```
 */
export interface EmbeddingModel {
  /**
   * Maps a preprocessed float32 NHWC batch `[b, h, w, 3]` to `[b, d]` embeddings, or to a
   * feature map `[b, h', w', d]` that is then global-average-pooled. Runs synchronously inside
   * `tf.tidy`, so it may create intermediate tensors freely; it must not dispose its input.
   */
  readonly forward: (batch: tf.Tensor4D) => tf.Tensor;
  /** Frees the model's weights; called once by `Backbone.dispose()`. */
  readonly dispose?: () => void;
  /**
   * What identifies the weights (and the code of `forward`) for an {@link EmbeddingCache}: a
   * string that changes whenever they do (`'my-model@v3'`, a checkpoint's SHA-256), or a
   * function computing one, called on every cached `embed` (keep it cheap: remember the hash
   * until the weights change). dvme's loaders hash the loaded weights, again whenever they
   * change; a model without it cannot use a cache.
   */
  readonly weightsKey?: string | (() => Promise<string>);
}

/**
 * A tfjs model (`tf.LayersModel` or `tf.GraphModel`): anything with `predict`.
 *
 * @remarks Since 0.1.0.
 * @example
 * ```ts
 * import * as tfl from '@tensorflow/tfjs-layers';
 * import type { PredictingModel } from 'dvme';
 * const model: PredictingModel = tfl.sequential({ layers: [tfl.layers.globalAveragePooling2d({ inputShape: [8, 8, 3] })] });
 * ```
 */
export interface PredictingModel {
  /** Runs the model on a batch; a backbone needs a single tensor back. */
  predict(x: tf.Tensor, config?: object): tf.Tensor | tf.Tensor[] | tf.NamedTensorMap;
  /** Frees the weights. */
  dispose(): unknown;
  /** Symbolic outputs of a LayersModel, read for the embedding size. */
  readonly outputs?: ReadonlyArray<{ readonly shape: ReadonlyArray<number | null> }>;
}

/**
 * Options of {@link Backbone.embed}.
 *
 * @remarks Since 0.1.0.
 * @example
 * ```ts
 * import type { EmbedOptions } from 'dvme';
 * const controller = new AbortController();
 * const options: EmbedOptions = {
 *   batchSize: 32,
 *   signal: controller.signal,
 *   onProgress: (done, total) => console.log(`${done} / ${total}`),
 * };
 * ```
 */
export interface EmbedOptions extends PreprocessOptions, EmbedCacheOptions {
  /** Images per forward pass; bigger is faster until memory runs out. @defaultValue `16` */
  readonly batchSize?: number;
  /** Called after every batch with the images embedded so far and the total. */
  readonly onProgress?: (done: number, total: number) => void;
  /** Stops the call between batches with an {@link AbortError}; nothing leaks. */
  readonly signal?: AbortSignal;
  /** `'tensor'`: a `tf.Tensor2D` the caller disposes; `'array'`: an {@link EmbeddingMatrix}. @defaultValue `'tensor'` */
  readonly as?: 'tensor' | 'array';
}

/**
 * What {@link Backbone.fromModel} wraps: a tfjs model, an {@link EmbeddingModel}, or a plain
 * function from a preprocessed NHWC batch to embeddings.
 *
 * @remarks Since 0.1.0.
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs-core';
 * import type { BackboneModel } from 'dvme';
 * const pooled: BackboneModel = (x) => tf.mean(x, [1, 2]);
 * ```
 */
export type BackboneModel = EmbeddingModel | PredictingModel | ((batch: tf.Tensor4D) => tf.Tensor);

function asEmbeddingModel(model: BackboneModel): EmbeddingModel {
  if (typeof model === 'function') return { forward: model };
  if (typeof model === 'object' && model !== null) {
    if (typeof (model as EmbeddingModel).forward === 'function') return model as EmbeddingModel;
    const m = model as PredictingModel;
    if (typeof m.predict === 'function') {
      const frozen = m as { trainable?: boolean };
      if (typeof frozen.trainable === 'boolean') frozen.trainable = false;
      const weightsKey = tfjsWeightsKey(m);
      return { forward: (x) => m.predict(x, { batchSize: x.shape[0] }) as tf.Tensor, dispose: () => void m.dispose(), ...(weightsKey ? { weightsKey } : {}) };
    }
  }
  throw new InvalidArgumentError(
    'Backbone.fromModel: model must be a tfjs LayersModel/GraphModel, { forward, dispose? } or a function (batch) => tensor; ' +
      `received ${model === null ? 'null' : typeof model}.`,
  );
}

/** Rank-4 feature maps are global-average-pooled, as every paper backbone's embedding is. */
function pooled(owner: string, y: unknown, expectedDim?: number): tf.Tensor2D {
  if (!isTensor(y)) {
    const got = Array.isArray(y) ? 'several tensors' : 'no tensor';
    throw new ShapeError(`${owner}: the model returned ${got}; it must return one [b, d] or [b, h, w, d] tensor.`);
  }
  const out = y.rank === 4 ? tf.mean(y, [1, 2]) : y;
  if (out.rank !== 2 || (expectedDim !== undefined && out.shape[1] !== expectedDim)) {
    throw new ShapeError(
      `${owner}: the model returned shape [${y.shape.join(', ')}]; ` +
        `expected [b, ${expectedDim ?? 'd'}] or a feature map [b, h, w, ${expectedDim ?? 'd'}].`,
    );
  }
  return tf.cast(out, 'float32') as tf.Tensor2D;
}

/** The tfjs-side stand-in of an engine-backed backbone: embedding goes through the engine. */
function engineModel(engine: OnnxEmbeddingEngine, weightsKey: EmbeddingModel['weightsKey']): EmbeddingModel {
  return {
    weightsKey,
    forward: () => {
      throw new InvalidArgumentError(`This backbone runs on ${engine.runtime}: call embed(), which takes raw images; there is no tfjs model to run.`);
    },
    dispose: () => engine.dispose(),
  };
}

/** Lets timers (and so abort requests) run between batches, in every JS runtime. */
function nextMacrotask(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 0));
}

/**
 * A frozen image model that turns images into embeddings, with the preprocessing it was
 * trained with.
 *
 * @remarks
 * Since 0.1.0. The backbone owns its model: `dispose()` frees the weights. Images go through
 * {@link preprocessImages} with `config`, the model runs on batches, and feature maps are
 * global-average-pooled.
 *
 * @example
 * ```ts
 * import { Backbone } from 'dvme/node';
 * const backbone = await Backbone.fromTfjs('models/mobilenet_v2/model.json', {
 *   embeddingLayer: 'flatten_1', mean: [0, 0, 0], std: [1, 1, 1],
 * });
 * const images = { data: new Uint8Array(8 * 28 * 28 * 3), shape: [8, 28, 28, 3] };
 * const embeddings = await backbone.embed(images); // tf.Tensor2D [8, 1280]
 * embeddings.dispose();
 * backbone.dispose();
 * ```
 */
export class Backbone {
  /** The resolved configuration: preprocessing and embedding. */
  readonly config: BackboneConfig;
  /** What {@link Backbone.fromCheckpoint} found in the file; `undefined` for other loaders. */
  readonly loadReport: CheckpointLoadReport | undefined;
  readonly #model: EmbeddingModel;
  readonly #engine: OnnxEmbeddingEngine | undefined;
  #disposed = false;

  private constructor(model: EmbeddingModel, config: BackboneConfig, loadReport?: CheckpointLoadReport, engine?: OnnxEmbeddingEngine) {
    this.#model = model;
    this.config = config;
    this.loadReport = loadReport;
    this.#engine = engine;
  }

  /**
   * Wraps a model that is already in memory. The backbone takes ownership: its `dispose()`
   * disposes the model.
   *
   * @param model - a tfjs `LayersModel` or `GraphModel` (run with `predict`, frozen), an
   * {@link EmbeddingModel}, or a plain function from a preprocessed batch to embeddings.
   * @param config - preprocessing and embedding description; `embeddingDim` may be omitted:
   * it is then read from a LayersModel's output shape, or found by running one blank image.
   * @throws An {@link InvalidArgumentError} for a bad config; {@link ShapeError} for a model
   * whose output is not `[b, d]` or `[b, h, w, d]`, or whose fixed input size is not
   * `inputSize`. The model stays the caller's when this throws.
   *
   * @remarks Since 0.1.0.
   * @example
   * ```ts
   * import * as tf from '@tensorflow/tfjs-core';
   * import { Backbone } from 'dvme';
   * const backbone = Backbone.fromModel((x) => tf.mean(x, [1, 2]), {
   *   id: 'mean-colour', inputSize: 32, mean: [0, 0, 0], std: [1, 1, 1],
   * });
   * backbone.embeddingDim; // 3
   * ```
   */
  static fromModel(model: BackboneModel, config: BackboneConfigInit): Backbone {
    const owner = 'Backbone.fromModel';
    const wrapped = asEmbeddingModel(model);
    const spec = resolvePreprocessSpec(owner, config);
    const input = (model as { inputs?: ReadonlyArray<{ readonly shape?: ReadonlyArray<number | null> }> }).inputs?.[0]?.shape;
    const differs = (axis: 1 | 2) => {
      const d = input?.[axis];
      return typeof d === 'number' && d > 0 && d !== spec.inputSize[axis - 1];
    };
    // Caught here rather than as a tfjs error deep inside the first embed.
    if (input?.length === 4 && (differs(1) || differs(2))) {
      throw new ShapeError(
        `${owner}: inputSize [${spec.inputSize.join(', ')}] does not match the model's input [${input[1]}, ${input[2]}].`,
      );
    }
    let dim = config.embeddingDim;
    if (dim === undefined) {
      const shape = (model as PredictingModel).outputs?.[0]?.shape;
      const last = shape && (shape.length === 2 || shape.length === 4) ? shape[shape.length - 1] : null;
      if (typeof last === 'number') dim = last;
      else {
        const [h, w] = spec.inputSize;
        dim = tf.tidy(() => pooled(owner, wrapped.forward(tf.zeros([1, h, w, 3]))).shape[1]);
      }
    }
    const resolved = resolveBackboneConfig(owner, config, dim);
    return new Backbone(wrapped, resolved);
  }

  /**
   * Loads a TensorFlow.js model (`model.json` + weight shards) and takes the embedding from
   * one of its layers (LayersModel) or nodes (GraphModel).
   *
   * @param source - a local path to `model.json` (needs `dvme/node`), an `http(s)://` URL, or
   * a `tf.io.IOHandler` (e.g. `tf.io.fromMemory`, `tf.io.browserFiles`).
   * @param options - the layer or node, and the preprocessing the model expects.
   * @returns the backbone; `embeddingDim` is read from the model.
   * @throws An {@link InvalidArgumentError} for an unknown layer or node (naming close matches);
   * {@link CheckpointFormatError} for a file that is not a tfjs model;
   * {@link BackendUnavailableError} for a GraphModel without `@tensorflow/tfjs-converter`.
   *
   * @remarks Since 0.1.0. GraphModels run with `execute`, so models with control flow (which
   * need `executeAsync`) are not supported yet.
   * @example
   * ```ts
   * import { Backbone } from 'dvme/node';
   * const inception = await Backbone.fromTfjs('models/inception_v3/model.json', {
   *   embeddingLayer: 'flatten_1', mean: [0, 0, 0], std: [1, 1, 1],
   * });
   * inception.embeddingDim; // 2048
   * inception.config.inputSize; // [299, 299], read from the model
   * inception.dispose();
   * ```
   */
  static async fromTfjs(source: TfjsModelSource, options: FromTfjsOptions): Promise<Backbone> {
    const owner = 'Backbone.fromTfjs';
    const loaded = await loadTfjsEmbeddingModel(owner, source, options);
    try {
      const init = { ...options, id: options.id ?? loaded.id, inputSize: loaded.inputSize, embedding: loaded.embedding };
      return new Backbone(loaded.model, resolveBackboneConfig(owner, init, loaded.embeddingDim));
    } catch (e) {
      loaded.model.dispose();
      throw e;
    }
  }

  /**
   * Builds a ResNet or ViT and fills it from a PyTorch checkpoint: torchvision, timm, DINO
   * (`*_pretrain.pth` or the full checkpoint's teacher), SwAV (`module.` keys, `.pth.tar`),
   * VISSL (`.torch` trunks), in torch zip, legacy torch or safetensors format, float32, float16
   * or bfloat16. The key layout is detected and reported in `loadReport`; heads are skipped.
   *
   * @param arch - an id of {@link BACKBONE_ARCHITECTURES} or a {@link CustomArchitecture}.
   * @param source - a local path (needs `dvme/node`), a URL, or the file's bytes.
   * @param options - embedding, strictness and preprocessing overrides; the defaults are the
   * architecture's evaluation transform (ImageNet mean / std, 224, resize the shorter side to
   * 256 then centre-crop; bilinear for ResNets, bicubic for ViTs as DINO evaluates).
   * @throws An {@link UnknownBackboneError} for an unknown id (listing the known ones) and
   * {@link InvalidArgumentError} for bad options, before anything is read; {@link DownloadError}
   * for a failed download; {@link CheckpointFormatError} for a file that is no checkpoint, holds no
   * weights of this architecture, misses or adds keys under `strict` (naming them), or has a
   * weight of the wrong shape; {@link AbortError} when `signal` fires. Nothing leaks on a throw.
   * @remarks Since 0.1.0. Weights run in float32 whatever their stored type.
   * @example
   * ```ts
   * import { Backbone } from 'dvme/node';
   * const dino = await Backbone.fromCheckpoint('vit_small_patch8', 'dino_deitsmall8_pretrain.pth');
   * dino.embeddingDim; // 1536: CLS of the last 4 blocks, as the paper
   * dino.loadReport?.layout.id; // 'plain'
   * const swav = await Backbone.fromCheckpoint('resnet50', 'swav_800ep_pretrain.pth.tar');
   * swav.loadReport?.layout.id; // 'ddp'
   * ```
   */
  static async fromCheckpoint(
    arch: BackboneArchitectureId | CustomArchitecture,
    source: CheckpointSource,
    options: FromCheckpointOptions = {},
  ): Promise<Backbone> {
    const loaded = await loadCheckpointModel('Backbone.fromCheckpoint', arch, source, options);
    return new Backbone(loaded.engine ? engineModel(loaded.engine, loaded.model.weightsKey) : loaded.model, loaded.config, loaded.report, loaded.engine);
  }

  /**
   * Loads any ONNX image model (a `torch.onnx.export`, a tf2onnx conversion, a model zoo file)
   * and runs it in onnxruntime, with dvme's preprocessing spliced in front of its image input
   * so that raw pixels go straight in. The embedding is any value of the graph, by name; 4-D
   * values are global-average-pooled.
   *
   * @param source - a local path (needs `dvme/node`), a URL, or the file's bytes.
   * @param options - `mean` and `std` (required), the output, input size, layout, resize and
   * onnxruntime options.
   * @throws An {@link InvalidArgumentError} for options the model does not fit (naming its inputs
   * and outputs); {@link CheckpointFormatError} for a file that is not ONNX or that onnxruntime
   * rejects; {@link BackendUnavailableError} when onnxruntime is not installed.
   *
   * @remarks Since 0.1.0. Needs `onnxruntime-node` (Node) or `onnxruntime-web` (browser).
   * @example
   * ```ts
   * import { Backbone, IMAGENET_MEAN, IMAGENET_STD } from 'dvme/node';
   * const backbone = await Backbone.fromOnnx('resnet50.onnx', {
   *   mean: IMAGENET_MEAN, std: IMAGENET_STD, output: '/layer4/layer4.2/relu_2/Relu_output_0',
   * });
   * backbone.embeddingDim; // 2048: the feature map, pooled
   * backbone.engine?.runtime; // 'onnxruntime-node 1.30.0'
   * ```
   */
  static async fromOnnx(source: OnnxModelSource, options: FromOnnxOptions): Promise<Backbone> {
    const { engine, config, weightsKey } = await loadOnnxBackboneModel('Backbone.fromOnnx', source, options);
    return new Backbone(engineModel(engine, weightsKey), config, undefined, engine);
  }

  /** The onnxruntime engine that runs this backbone, or `undefined` when it runs on tfjs. */
  get engine(): OnnxEmbeddingEngine | undefined {
    return this.#engine;
  }

  /** Length of one embedding. */
  get embeddingDim(): number {
    return this.config.embeddingDim;
  }

  /** Whether `dispose()` has been called. */
  get isDisposed(): boolean {
    return this.#disposed;
  }

  /**
   * The SHA-256 (64 hex digits) of everything that decides what {@link Backbone.embed}
   * computes, the key of its {@link EmbeddingCache} records: id and embedding, weights, fully
   * resolved preprocessing, engine and backend, dvme's version.
   *
   * @param options - the call's `resize` override.
   * @throws An {@link InvalidArgumentError} for a backbone made from a function without a
   * `weightsKey`; {@link DisposedError} after `dispose()`.
   *
   * @remarks Since 0.1.0. The weights are hashed on the first call (see docs/performance.md),
   * and again after they change (a tfjs model's `setWeights`, training).
   * @example
   * ```ts
   * import * as tf from '@tensorflow/tfjs-core';
   * import { Backbone } from 'dvme';
   * const model = { forward: (x: tf.Tensor4D) => tf.mean(x, [1, 2]), weightsKey: 'mean-colour@1' };
   * const backbone = Backbone.fromModel(model, { inputSize: 8, mean: [0, 0, 0], std: [1, 1, 1] });
   * await backbone.fingerprint(); // '3f1c...' (64 hex digits)
   * ```
   */
  async fingerprint(options: Pick<PreprocessOptions, 'resize'> = {}): Promise<string> {
    return (await this.#fingerprint(`Backbone(${this.config.id}).fingerprint`, options.resize)).key;
  }

  #fingerprint(owner: string, resize: PreprocessOptions['resize']): Promise<BackboneFingerprint> {
    this.#assertAlive(owner);
    return backboneFingerprint(owner, this.config, resize, () => weightsKeyOf(owner, this.#model), this.#engine);
  }

  /**
   * Embeds images in batches: preprocess, forward, pool.
   *
   * @param images - see {@link ImageInput}; not disposed.
   * @param options - batch size, progress, abort signal, output form, pixel range, resize
   * override, embedding cache.
   * @returns `[n, embeddingDim]` float32 embeddings, as a `tf.Tensor2D` the caller must
   * dispose (default) or, with `as: 'array'`, an {@link EmbeddingMatrix}.
   * @throws An {@link AbortError} when `signal` fires (checked before the first batch and between
   * batches); {@link DisposedError} after `dispose()`; {@link ShapeError} /
   * {@link InvalidArgumentError} for images that do not fit (before any work is done).
   *
   * @remarks Since 0.1.0. Each batch's embeddings are read back before the next batch starts,
   * so progress is real, memory stays at one batch, and results do not depend on `batchSize`.
   * With `cache` (an {@link EmbeddingCache}), images embedded before by the same backbone,
   * weights, preprocessing and engine come from the cache bit for bit, the others are embedded
   * and stored batch by batch, so an interrupted call resumes where it stopped.
   * @example
   * ```ts
   * import * as tf from '@tensorflow/tfjs-core';
   * import { Backbone } from 'dvme';
   * const backbone = Backbone.fromModel((x) => tf.mean(x, [1, 2]), { inputSize: 8, mean: [0, 0, 0], std: [1, 1, 1] });
   * const images = { data: new Uint8Array(5 * 8 * 8 * 3).fill(255), shape: [5, 8, 8, 3] };
   * const m = await backbone.embed(images, { as: 'array', batchSize: 2 });
   * m.shape; // [5, 3]; every value 1
   * ```
   */
  embed(images: ImageInput, options?: EmbedOptions & { readonly as?: 'tensor' }): Promise<tf.Tensor2D>;
  embed(images: ImageInput, options: EmbedOptions & { readonly as: 'array' }): Promise<EmbeddingMatrix>;
  embed(images: ImageInput, options?: EmbedOptions): Promise<tf.Tensor2D | EmbeddingMatrix>;
  async embed(images: ImageInput, options: EmbedOptions = {}): Promise<tf.Tensor2D | EmbeddingMatrix> {
    const owner = `Backbone(${this.config.id}).embed`;
    this.#assertAlive(owner);
    const batchSize = checkPositiveInteger(owner, 'batchSize', options.batchSize ?? 16);
    const as = checkChoice(owner, 'as', options.as ?? 'tensor', ['tensor', 'array'] as const);
    if (options.cache !== undefined && options.cache !== false) {
      return embedThroughCache(owner, images, { ...options, batchSize, as }, {
        dim: this.embeddingDim,
        fingerprint: () => this.#fingerprint(owner, options.resize),
        embed: (subset, rest) => this.embed(subset, { ...rest, cache: false, as: 'array' }),
      });
    }
    if (this.#engine) {
      // onnxruntime does preprocessing, inference and pooling in one call per batch, from the raw pixels.
      const data = await this.#engine.embed(owner, images, this.config, { ...options, batchSize });
      const shape: [number, number] = [data.length / this.embeddingDim, this.embeddingDim];
      return as === 'array' ? { data, shape } : tf.tensor2d(data, shape);
    }
    const { onProgress, signal } = options;
    const prepared = preparePreprocess(owner, images, this.config, options);
    const n = prepared.count;
    const d = this.embeddingDim;
    const out = new Float32Array(n * d);
    throwIfAborted(signal, () => `${owner} was aborted before it started.`);
    for (let start = 0; start < n; start += batchSize) {
      const end = Math.min(n, start + batchSize);
      const y = tf.tidy(() => {
        const x = prepared.batch(start, end);
        return pooled(owner, this.#model.forward(x), d);
      });
      try {
        out.set(await y.data<'float32'>(), start * d);
      } finally {
        y.dispose();
      }
      onProgress?.(end, n);
      if (end < n) {
        await nextMacrotask();
        throwIfAborted(signal, () => `${owner} was aborted after ${end} of ${n} images.`);
        this.#assertAlive(owner);
      }
    }
    return as === 'array' ? { data: out, shape: [n, d] } : tf.tensor2d(out, [n, d]);
  }

  /**
   * Frees the model's weights. Idempotent; any later `embed` throws {@link DisposedError}.
   *
   * @remarks Since 0.1.0.
   * @example
   * ```ts
   * import * as tf from '@tensorflow/tfjs-core';
   * import { Backbone } from 'dvme';
   * const backbone = Backbone.fromModel((x) => tf.mean(x, [1, 2]), { inputSize: 8, mean: [0, 0, 0], std: [1, 1, 1] });
   * backbone.dispose();
   * backbone.dispose(); // no-op
   * ```
   */
  dispose(): void {
    if (this.#disposed) return;
    this.#disposed = true;
    this.#model.dispose?.();
  }

  #assertAlive(owner: string): void {
    if (this.#disposed) {
      throw new DisposedError(`${owner}: this backbone was disposed; load it again to embed more images.`);
    }
  }
}

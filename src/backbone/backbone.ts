import * as tf from '@tensorflow/tfjs-core';
import type { EmbeddingMatrix } from '../data/embedding-matrix.js';
import { DisposedError } from '../errors/index.js';
// Named in the TSDoc below.
import type {
  AbortError,
  BackendUnavailableError,
  CheckpointFormatError,
  DownloadError,
  InvalidArgumentError,
  ShapeError,
  UnknownBackboneError,
} from '../errors/index.js';
import { checkChoice, checkPositiveInteger } from '../validation/checks.js';
import { resolveBackboneConfig, type BackboneConfig, type BackboneConfigInit } from './config.js';
import type { BACKBONE_ARCHITECTURES, BackboneArchitectureId, CustomArchitecture } from './architectures.js';
import {
  loadCheckpointModel,
  type CheckpointLoadReport,
  type CheckpointSource,
  type FromCheckpointOptions,
} from './from-checkpoint.js';
import { loadTfjsEmbeddingModel, type FromTfjsOptions, type TfjsModelSource } from './from-tfjs.js';
import { loadOnnxBackboneModel, type FromOnnxOptions, type OnnxModelSource } from './engines/from-onnx.js';
import type { EmbeddingEngine } from './engines/embedding-engine.js';
import type { OnnxEmbeddingEngine } from './engines/onnx-engine.js';
import { TfjsEmbeddingEngine } from './engines/tfjs/tfjs-engine.js';
import { wrapInMemoryModel } from './engines/tfjs/from-model.js';
import type { BackboneModel } from './engines/tfjs/embedding-model.js';
import type { ImageInput } from '../image/images.js';
import type { PreprocessOptions } from '../image/preprocess.js';
import type { EmbedOptions } from './embed-options.js';
import { backboneFingerprint, type BackboneFingerprint } from './backbone-fingerprint.js';
import { embedThroughCache } from '../embedding-cache/cached-embed.js';
// Named in the TSDoc below.
import type { EmbeddingCache } from '../embedding-cache/embedding-cache.js';

export type { BackboneModel, EmbeddingModel, PredictingModel } from './engines/tfjs/embedding-model.js';
export type { EmbedOptions } from './embed-options.js';

const isOnnx = (engine: EmbeddingEngine): engine is OnnxEmbeddingEngine => engine.kind === 'onnx';

const ENGINES = new WeakMap<Backbone, EmbeddingEngine>();

/** @internal The engine of a backbone (for trainers, which copy its weights); dvme-internal. */
export function backboneEngine(backbone: Backbone): EmbeddingEngine | undefined {
  return ENGINES.get(backbone);
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
  /** Runs the model: tfjs or onnxruntime. The backbone owns it. */
  readonly #engine: EmbeddingEngine;
  #disposed = false;

  private constructor(engine: EmbeddingEngine, config: BackboneConfig, loadReport?: CheckpointLoadReport) {
    this.#engine = engine;
    ENGINES.set(this, engine);
    this.config = config;
    this.loadReport = loadReport;
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
    const wrapped = wrapInMemoryModel('Backbone.fromModel', model, config);
    return new Backbone(new TfjsEmbeddingEngine(wrapped.model, wrapped.config.embeddingDim), wrapped.config);
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
      const config = resolveBackboneConfig(owner, init, loaded.embeddingDim);
      return new Backbone(new TfjsEmbeddingEngine(loaded.model, config.embeddingDim), config);
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
    return new Backbone(loaded.engine, loaded.config, loaded.report);
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
    const { engine, config } = await loadOnnxBackboneModel('Backbone.fromOnnx', source, options);
    return new Backbone(engine, config);
  }

  /** The onnxruntime engine that runs this backbone, or `undefined` when it runs on tfjs. */
  get engine(): OnnxEmbeddingEngine | undefined {
    return isOnnx(this.#engine) ? this.#engine : undefined;
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
    return backboneFingerprint(owner, this.config, resize, this.#engine);
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
    // The engine validates the images before any work, then preprocesses, runs and pools batch by batch.
    const data = await this.#engine.embed(owner, images, this.config, { ...options, batchSize });
    const shape: [number, number] = [data.length / this.embeddingDim, this.embeddingDim];
    return as === 'array' ? { data, shape } : tf.tensor2d(data, shape);
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
    this.#engine.dispose();
  }

  #assertAlive(owner: string): void {
    if (this.#disposed) {
      throw new DisposedError(`${owner}: this backbone was disposed; load it again to embed more images.`);
    }
  }
}

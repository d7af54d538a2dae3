import { InvalidArgumentError } from '../errors/index.js';
// Named in the TSDoc below.
import type { AbortError, CheckpointFormatError, DownloadError } from '../errors/index.js';
import { throwIfAborted } from '../errors/throw-if-aborted.js';
import { readCheckpoint, type CheckpointFormat } from '../io/checkpoint.js';
import type { RawDtype } from '../io/raw-tensor.js';
// Named in the TSDoc of FromCheckpointOptions.
import type { DownloadOptions } from '../io/download.js';
import type { TorchStateDictEntry } from './arch/load-weights.js';
import { resnetEmbeddingDim } from './arch/resnet.js';
import { resnetStateDictSpec, vitStateDictSpec } from './arch/state-dict-spec.js';
import { vitEmbeddingDim, type ViTConfig } from './arch/vit.js';
import {
  resolveArchitecture,
  type BACKBONE_ARCHITECTURES,
  type BackboneArchitecture,
  type BackboneArchitectureId,
  type CheckpointEmbedding,
  type CustomArchitecture,
} from './architectures.js';
import { readCheckpointSource } from './checkpoint-source.js';
import { matchWeights } from './checkpoint-weights.js';
import { createOnnxBackboneEngine, type OnnxEngineOptions } from './engines/backbone-engine.js';
import type { EmbeddingEngine } from './engines/embedding-engine.js';
import { registeredEngineProbes, selectEngine, type EngineChoice, type EngineDecision } from './engines/engine-select.js';
import type { BackboneGraphSpec } from './engines/onnx/backbone-graph.js';
import { tfjsCheckpointModel, type CheckpointArchitecture } from './engines/tfjs/checkpoint-model.js';
import { TfjsEmbeddingEngine } from './engines/tfjs/tfjs-engine.js';
import { IMAGENET_MEAN, IMAGENET_STD, type PreprocessSpecInit } from '../image/preprocess-spec.js';
import { resolveBackboneConfig, type BackboneConfig } from './config.js';
// Named in the TSDoc below.
import type { CHECKPOINT_HEAD_KEYS, KeyLayout } from './key-layouts.js';

/**
 * Where a checkpoint comes from: a local path (needs `dvme/node`), an `http(s)://` or `file://`
 * URL, or the file's bytes. The format (torch zip, legacy torch, safetensors) is read from the
 * bytes, never from the name.
 *
 * @remarks Since 0.1.0.
 * @example
 * ```ts
 * import type { CheckpointSource } from 'dvme';
 * const local: CheckpointSource = 'weights/dino_deitsmall8_pretrain.pth';
 * const remote: CheckpointSource = 'https://dl.fbaipublicfiles.com/dino/dino_deitsmall8_pretrain/dino_deitsmall8_pretrain.pth';
 * ```
 */
export type CheckpointSource = string | ArrayBuffer | ArrayBufferView;

/**
 * Options of `Backbone.fromCheckpoint`. Every preprocessing option defaults to the
 * architecture's evaluation transform (see {@link BACKBONE_ARCHITECTURES}).
 *
 * @remarks Since 0.1.0.
 * @example
 * ```ts
 * import type { FromCheckpointOptions } from 'dvme';
 * // DINO ViT-S/8 on 96 x 96 histology patches, fed as they are.
 * const options: FromCheckpointOptions = { inputSize: 96, resize: 'none', embedding: 'lastBlocksCls' };
 * ```
 */
export interface FromCheckpointOptions extends Partial<Omit<PreprocessSpecInit, 'inputSize'>> {
  /** What the backbone outputs; ResNets allow `'avgpool'` only. @defaultValue the architecture's (`'avgpool'` for ResNets, `'lastBlocksCls'` for ViT-S, `'cls+avgpool'` for ViT-B) */
  readonly embedding?: CheckpointEmbedding;
  /** Blocks whose CLS tokens `'lastBlocksCls'` concatenates. @defaultValue `4` */
  readonly lastBlocks?: number;
  /**
   * Throw a {@link CheckpointFormatError} naming the missing and unexpected keys; when false,
   * load what matches and list the rest in `backbone.loadReport`. Heads (`fc.*`, `head.*`, ...)
   * are never unexpected. @defaultValue `true`
   */
  readonly strict?: boolean;
  /** `[height, width]`, or one number, images are resized to. @defaultValue `224` (test architectures `32`, a custom ViT its `imgSize`) */
  readonly inputSize?: number | readonly [number, number];
  /** Backbone name in messages. @defaultValue the architecture id */
  readonly id?: string;
  /**
   * Dotted path of the dict holding the backbone weights (`'student'`, `'state_dict'`), when
   * the detected one is not the one wanted. @defaultValue found from the keys
   */
  readonly checkpointKey?: string;
  /** Loading progress, 0 to 1: reading or downloading is the first 80 %. */
  readonly onProgress?: (fraction: number) => void;
  /** `fetch` used for http(s) sources. @defaultValue the global `fetch` */
  readonly fetch?: typeof fetch;
  /** Most bytes an http(s) source may have, as {@link DownloadOptions.maxBytes}. @defaultValue 2 GiB */
  readonly maxBytes?: number;
  /** Longest wait for the server, as {@link DownloadOptions.idleTimeoutMs}. @defaultValue 30 s */
  readonly idleTimeoutMs?: number;
  /** Cancels a download (a {@link DownloadError} reports HTTP failures) or the load between steps with an {@link AbortError}. */
  readonly signal?: AbortSignal;
  /**
   * What runs the model: tfjs-layers, onnxruntime (`'onnx'`, much faster than tfjs-wasm on CPU), or
   * `'auto'` (tfjs-node when installed, else onnxruntime when installed, else tfjs on the
   * active backend). The choice and its reason are in `loadReport.engine`. Use `'tfjs'` when
   * you need the tfjs-layers model itself (training it end to end).
   * @defaultValue `'auto'`
   */
  readonly engine?: EngineChoice;
  /** onnxruntime, session and cache options of the `'onnx'` engine. */
  readonly onnx?: OnnxEngineOptions;
  /**
   * On the tfjs engine, fold every ResNet batch norm into the convolution before it at load, so
   * that each convolution runs as one fused kernel with its bias and ReLU (faster on tfjs-wasm, see
   * docs/performance.md; equal to the unfolded model to about 1e-6 relative). The backbone is frozen
   * either way; `false` runs the tfjs-layers model as built. ViTs have no batch norm.
   * @defaultValue `true`
   */
  readonly foldBatchNorm?: boolean;
}

/**
 * What `Backbone.fromCheckpoint` found in the file and loaded (`backbone.loadReport`).
 *
 * @remarks Since 0.1.0.
 * @example
 * ```ts
 * import { Backbone } from 'dvme/node';
 * const b = await Backbone.fromCheckpoint('resnet50', 'swav_800ep_pretrain.pth.tar');
 * const r = b.loadReport!;
 * r.layout.id; // 'ddp': keys prefixed 'module.'
 * r.ignored; // SwAV's projection_head.* and prototypes.weight, and BatchNorm counters
 * r.engine; // { engine: 'onnx', reason: 'onnxruntime is installed and tfjs-node is not' }
 * ```
 */
export interface CheckpointLoadReport {
  /** Architecture id (or custom config name). */
  readonly architecture: string;
  /** The path or URL, or `'<n> bytes'`. */
  readonly source: string;
  /** File format, detected from the bytes. */
  readonly format: CheckpointFormat;
  /** Where the weights were found. */
  readonly layout: KeyLayout;
  /** Element types of the loaded weights (converted to float32). */
  readonly dtypes: readonly RawDtype[];
  /** Weights loaded. */
  readonly loaded: number;
  /** Model weights the checkpoint lacks (kept at their initial values; empty after a strict load). */
  readonly missing: readonly string[];
  /** Checkpoint keys under the layout's prefix that fit no weight (empty after a strict load). */
  readonly unexpected: readonly string[];
  /** Head and counter keys skipped on purpose (see {@link CHECKPOINT_HEAD_KEYS}). */
  readonly ignored: readonly string[];
  /** Other prefixes holding a full set of weights (DINO's `student`); choose one with `checkpointKey`. */
  readonly alternatives: readonly string[];
  /** The engine that runs the model and why it was chosen (for `engine: 'auto'`, what was installed). */
  readonly engine: EngineDecision;
}

/** @internal A loaded checkpoint as the Backbone constructor takes it. */
export interface LoadedCheckpointModel {
  readonly engine: EmbeddingEngine;
  readonly config: BackboneConfig;
  readonly report: CheckpointLoadReport;
}

function embeddingOf(owner: string, arch: BackboneArchitecture, options: FromCheckpointOptions): {
  label: string;
  dim: number;
  spec: () => TorchStateDictEntry[];
  arch: CheckpointArchitecture;
} {
  const embedding = options.embedding ?? arch.embedding;
  if (arch.family === 'resnet') {
    if (embedding !== 'avgpool') {
      throw new InvalidArgumentError(
        `${owner}: ${arch.id} is a ResNet, whose embedding is 'avgpool' (global average pooling); received ${JSON.stringify(embedding)}.`,
      );
    }
    const config = { ...arch.config, name: arch.id, inputSize: null };
    return { label: 'avgpool', dim: resnetEmbeddingDim(config), spec: () => resnetStateDictSpec(config), arch: { family: 'resnet' as const, config } };
  }
  const nLastBlocks = options.lastBlocks ?? arch.lastBlocks;
  const config: Partial<ViTConfig> = { ...arch.config, name: arch.id, embedding, nLastBlocks, inputSize: null };
  const dim = vitEmbeddingDim(config); // validates embedding and nLastBlocks
  const label = embedding === 'lastBlocksCls' ? `lastBlocksCls${nLastBlocks}` : embedding;
  return { label, dim, spec: () => vitStateDictSpec(config), arch: { family: 'vit' as const, config } };
}

/**
 * @internal The body of `Backbone.fromCheckpoint`, kept apart so that this module does not
 * import `Backbone`: validates everything it can before reading, then reads, detects the
 * layout, builds and fills the model. On any throw nothing is left allocated.
 */
export async function loadCheckpointModel(
  owner: string,
  archOrConfig: BackboneArchitectureId | CustomArchitecture,
  source: CheckpointSource,
  options: FromCheckpointOptions = {},
): Promise<LoadedCheckpointModel> {
  if (typeof options !== 'object' || options === null) {
    throw new InvalidArgumentError(`${owner}: options must be an object; received ${JSON.stringify(options)}.`);
  }
  const arch = resolveArchitecture(owner, archOrConfig);
  const embedding = embeddingOf(owner, arch, options);
  const config = resolveBackboneConfig(
    owner,
    {
      resize: options.resize ?? 'shorter-then-crop',
      interpolation: options.interpolation ?? arch.interpolation,
      cropFraction: options.cropFraction,
      mean: options.mean ?? IMAGENET_MEAN,
      std: options.std ?? IMAGENET_STD,
      inputSize: options.inputSize ?? arch.inputSize,
      id: options.id ?? arch.id,
      embedding: embedding.label,
    },
    embedding.dim,
  );
  const { signal, onProgress } = options;
  const aborted = (step: string) => throwIfAborted(signal, () => `${owner}(${arch.id}) was aborted ${step}.`);
  aborted('before it started');
  const { bytes, name } = await readCheckpointSource(owner, source, options);
  onProgress?.(0.8);
  aborted('after reading the file');
  const { format, root } = await readCheckpoint(bytes);
  onProgress?.(0.85);
  // The expected keys come from the architecture's description: no model is built to list them.
  const m = matchWeights(owner, arch, embedding.spec(), root, options);
  onProgress?.(0.9);
  // An onnxruntime passed in the options is the one to probe (and use), before any registered one.
  const probes = registeredEngineProbes();
  const runtime = options.onnx?.runtime;
  const decision = await selectEngine(options.engine ?? 'auto', runtime ? { ...probes, onnx: runtime } : probes);
  const { id, container, keyPrefix, prefix, description } = m.found;
  const report: CheckpointLoadReport = Object.freeze({
    architecture: arch.id,
    source: name,
    format,
    layout: Object.freeze({ id, container, keyPrefix, prefix, description }),
    dtypes: Object.freeze(m.dtypes),
    loaded: m.state.size,
    missing: Object.freeze(m.missing),
    unexpected: Object.freeze(m.unexpected),
    ignored: Object.freeze(m.ignored),
    alternatives: Object.freeze(m.found.alternatives),
    engine: Object.freeze({ engine: decision.engine, reason: decision.reason }),
  });
  if (decision.engine === 'onnx') {
    const graph: BackboneGraphSpec = { ...embedding.arch, inputSize: config.inputSize, preprocess: config };
    const { engine } = await createOnnxBackboneEngine(arch.id, m.state, graph, options.onnx);
    onProgress?.(1);
    return { engine, config, report };
  }
  const model = tfjsCheckpointModel({
    owner,
    arch: embedding.arch,
    state: m.state,
    missing: m.missing,
    foldBatchNorm: options.foldBatchNorm ?? true,
    description: m.found.description,
  });
  try {
    aborted('after loading the weights');
  } catch (e) {
    model.dispose();
    throw e;
  }
  onProgress?.(1);
  return { engine: new TfjsEmbeddingEngine(model, config.embeddingDim), config, report };
}

import type * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { CheckpointFormatError, InvalidArgumentError } from '../errors/index.js';
// Named in the TSDoc below.
import type { AbortError, DownloadError } from '../errors/index.js';
import { throwIfAborted } from '../errors/throw-if-aborted.js';
import { readCheckpoint, type CheckpointFormat } from '../io/checkpoint.js';
import { download } from '../io/download.js';
import { flattenTensors } from '../io/flatten-tensors.js';
import { toFloat32, type RawDtype, type RawTensor } from '../io/raw-tensor.js';
import { currentPlatform, readLocalFile } from '../host/platform.js';
import { loadTorchStateDict, torchStateDictSpec, type TorchTensor } from './arch/load-weights.js';
import { buildResNet, resnetEmbeddingDim } from './arch/resnet.js';
import { buildVisionTransformer, vitEmbeddingDim, type ViTConfig } from './arch/vit.js';
import {
  resolveArchitecture,
  type BACKBONE_ARCHITECTURES,
  type BackboneArchitecture,
  type BackboneArchitectureId,
  type CheckpointEmbedding,
  type CustomArchitecture,
} from './architectures.js';
import type { EmbeddingModel } from './backbone.js';
import { tfjsWeightsKey } from './backbone-fingerprint.js';
import { foldResNet } from './arch/resnet-folded.js';
import type { ResNetConfig } from './arch/resnet.js';
import { createOnnxBackboneEngine, type OnnxEngineOptions } from './engines/backbone-engine.js';
import { registeredEngineProbes, selectEngine, type EngineChoice, type EngineDecision } from './engines/engine-select.js';
import type { OnnxEmbeddingEngine } from './engines/onnx-engine.js';
import type { BackboneGraphSpec } from './engines/onnx/backbone-graph.js';
import { quoteList } from './close-names.js';
import { IMAGENET_MEAN, IMAGENET_STD, type PreprocessSpecInit } from '../image/preprocess-spec.js';
import { resolveBackboneConfig, type BackboneConfig } from './config.js';
import { CHECKPOINT_HEAD_KEYS, detectKeyLayout, guessCheckpointKind, type KeyLayout, type KeyLayoutMatch } from './key-layouts.js';

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
  readonly model: EmbeddingModel & { readonly dispose: () => void };
  readonly config: BackboneConfig;
  readonly report: CheckpointLoadReport;
  /** Set when the ONNX engine runs the model (`model` is then a stub). */
  readonly engine?: OnnxEmbeddingEngine;
}

const FLOAT_DTYPES: readonly RawDtype[] = ['float32', 'float16', 'bfloat16', 'float64'];

function embeddingOf(owner: string, arch: BackboneArchitecture, options: FromCheckpointOptions) {
  const embedding = options.embedding ?? arch.embedding;
  if (arch.family === 'resnet') {
    if (embedding !== 'avgpool') {
      throw new InvalidArgumentError(
        `${owner}: ${arch.id} is a ResNet, whose embedding is 'avgpool' (global average pooling); received ${JSON.stringify(embedding)}.`,
      );
    }
    const config = { ...arch.config, name: arch.id, inputSize: null };
    return { label: 'avgpool', dim: resnetEmbeddingDim(config), build: () => buildResNet(config), graph: { family: 'resnet' as const, config } };
  }
  const nLastBlocks = options.lastBlocks ?? arch.lastBlocks;
  const config: Partial<ViTConfig> = { ...arch.config, name: arch.id, embedding, nLastBlocks, inputSize: null };
  const dim = vitEmbeddingDim(config); // validates embedding and nLastBlocks
  const label = embedding === 'lastBlocksCls' ? `lastBlocksCls${nLastBlocks}` : embedding;
  return { label, dim, build: () => buildVisionTransformer(config), graph: { family: 'vit' as const, config } };
}

function fileUrlToPath(url: string): string {
  const path = decodeURIComponent(new URL(url).pathname);
  return /^\/[A-Za-z]:\//.test(path) ? path.slice(1) : path; // file:///C:/x -> C:/x
}

async function readSource(owner: string, source: unknown, options: FromCheckpointOptions): Promise<{ bytes: Uint8Array; name: string }> {
  if (source instanceof ArrayBuffer) return { bytes: new Uint8Array(source), name: `${source.byteLength} bytes` };
  if (ArrayBuffer.isView(source)) {
    return { bytes: new Uint8Array(source.buffer, source.byteOffset, source.byteLength), name: `${source.byteLength} bytes` };
  }
  if (typeof source !== 'string') {
    throw new InvalidArgumentError(
      `${owner}: source must be a path, a URL, an ArrayBuffer or a Uint8Array; received ${source === null ? 'null' : typeof source}.`,
    );
  }
  // A platform without files (the browser's) fetches other strings relative to the page.
  const platform = currentPlatform();
  if (/^https?:\/\//i.test(source) || (platform !== undefined && !platform.readFile && !/^file:/i.test(source))) {
    const base = (globalThis as { location?: { href?: string } }).location?.href;
    const url = base === undefined ? source : new URL(source, base).href;
    const { signal, fetch, onProgress } = options;
    // No cache here: caching downloads is the registry's job (loadBackbone).
    const bytes = await download(url, {
      cache: false,
      ...(signal ? { signal } : {}),
      ...(fetch ? { fetch } : {}),
      onProgress: (loaded, total) => (total ? onProgress?.((0.8 * loaded) / total) : undefined),
    });
    return { bytes, name: source };
  }
  return { bytes: await readLocalFile(/^file:\/\//i.test(source) ? fileUrlToPath(source) : source), name: source };
}

/** The tensors to search: all of them, or those under `checkpointKey`. */
function candidateTensors(owner: string, root: unknown, checkpointKey: string | undefined): Map<string, RawTensor> {
  const all = flattenTensors(root);
  if (checkpointKey === undefined) return all;
  const under = new Map([...all].filter(([k]) => k.startsWith(`${checkpointKey}.`)));
  if (under.size === 0) {
    const tops = [...new Set([...all.keys()].map((k) => k.split('.')[0]))].slice(0, 12);
    throw new CheckpointFormatError(
      `${owner}: checkpointKey ${JSON.stringify(checkpointKey)} holds no tensors. Top-level names in this checkpoint: ${quoteList(tops)}.`,
    );
  }
  return under;
}

function noMatchError(owner: string, arch: BackboneArchitecture, expected: readonly string[], keys: readonly string[]) {
  const kind = guessCheckpointKind(keys);
  return new CheckpointFormatError(
    `${owner}: no tensor of this checkpoint is a weight of ${arch.id} (expected keys such as ${quoteList(expected.slice(0, 3))}, ` +
      `under any prefix); its keys look like ${quoteList(keys.slice(0, 4))}${kind ? `, i.e. ${kind}` : ''}. ` +
      'Pick the architecture the checkpoint was trained with, or pass a custom config.',
  );
}

/** The residual block a key belongs to: an unexpected `layer3.6` or `blocks.12` betrays a deeper model. */
const blockOf = (k: string): string | undefined => /^(layer\d\.\d+|blocks\.\d+)\./.exec(k)?.[1];

function mismatchError(
  owner: string,
  arch: BackboneArchitecture,
  found: KeyLayoutMatch<unknown>,
  expected: readonly string[],
  missing: string[],
  unexpected: string[],
) {
  const list = (keys: string[]) => quoteList(keys.slice(0, 12)) + (keys.length > 12 ? ` and ${keys.length - 12} more` : '');
  const parts = [];
  if (missing.length > 0) parts.push(`${missing.length} missing (${list(missing)})`);
  if (unexpected.length > 0) parts.push(`${unexpected.length} unexpected (${list(unexpected)})`);
  const hints = [];
  const modelBlocks = new Set(expected.map(blockOf));
  const fileBlocks = new Set([...found.stateDict.keys()].map(blockOf));
  const extraBlock = unexpected.some((k) => blockOf(k) !== undefined && !modelBlocks.has(blockOf(k)));
  const absentBlock = missing.some((k) => blockOf(k) !== undefined && !fileBlocks.has(blockOf(k)));
  if (extraBlock || absentBlock) {
    hints.push(
      `Whole blocks are ${extraBlock ? 'extra' : 'absent'}: the checkpoint is of a ${extraBlock ? 'deeper' : 'shallower'} model ` +
        `than ${arch.id}; pick the matching architecture or a custom config.`,
    );
  }
  const alt = found.alternatives[0];
  if (alt) hints.push(`Another complete set of weights sits under '${alt}' (pass checkpointKey: '${alt.split('.')[0]}' to load it).`);
  return new CheckpointFormatError(
    `${owner}: the checkpoint's keys do not match ${arch.id}: ${parts.join('; ')}. They were read as ${found.description}. ` +
      `${hints.join(' ')}${hints.length ? ' ' : ''}If the weights sit elsewhere, pass checkpointKey (the dotted path of their dict); ` +
      `to load the ${found.matched} keys that match, pass { strict: false } (missing weights keep random initial values).`,
  );
}

/** Finds, checks and converts the weights; throws before any weight is written. */
function matchWeights(owner: string, arch: BackboneArchitecture, model: tfl.LayersModel, root: unknown, options: FromCheckpointOptions) {
  const expected = torchStateDictSpec(model).map((e) => e.key);
  const tensors = candidateTensors(owner, root, options.checkpointKey);
  const found = detectKeyLayout(tensors, expected, root);
  if (found.matched === 0) throw noMatchError(owner, arch, expected, [...tensors.keys()]);
  const expectedSet = new Set(expected);
  const missing = expected.filter((k) => !found.stateDict.has(k));
  const ignored: string[] = [];
  const unexpected: string[] = [];
  for (const k of found.stateDict.keys()) {
    if (!expectedSet.has(k)) (CHECKPOINT_HEAD_KEYS.some((re) => re.test(k)) ? ignored : unexpected).push(k);
  }
  if ((options.strict ?? true) && (missing.length > 0 || unexpected.length > 0)) {
    throw mismatchError(owner, arch, found, expected, missing, unexpected);
  }
  const state = new Map<string, TorchTensor>();
  const dtypes = new Set<RawDtype>();
  for (const key of expected) {
    const raw = found.stateDict.get(key);
    if (raw === undefined) continue;
    if (!FLOAT_DTYPES.includes(raw.dtype)) {
      throw new CheckpointFormatError(
        `${owner}: weight '${found.prefix}${key}' is ${raw.dtype}; weights must be float32, float16, bfloat16 or float64 ` +
          '(quantised checkpoints are not supported: dequantise and save it again).',
      );
    }
    dtypes.add(raw.dtype);
    state.set(key, { shape: raw.shape, data: toFloat32(raw) });
  }
  return { found, state, missing, unexpected, ignored, dtypes: [...dtypes] };
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
  const { bytes, name } = await readSource(owner, source, options);
  onProgress?.(0.8);
  aborted('after reading the file');
  const { format, root } = await readCheckpoint(bytes);
  onProgress?.(0.85);
  const model = embedding.build();
  try {
    const m = matchWeights(owner, arch, model, root, options);
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
      const graph: BackboneGraphSpec = { ...embedding.graph, inputSize: config.inputSize, preprocess: config };
      const { engine, weightsKey } = await createOnnxBackboneEngine(arch.id, m.state, graph, options.onnx);
      // The tfjs model only listed the expected keys; onnxruntime holds the weights now.
      model.dispose();
      onProgress?.(1);
      const forward = () => {
        throw new InvalidArgumentError(`${owner}: this backbone runs on ${engine.runtime}; embed() goes through the engine.`);
      };
      return { model: { forward, dispose: () => engine.dispose(), weightsKey }, config, report, engine };
    }
    try {
      loadTorchStateDict(model, m.state, { strict: false, ignore: CHECKPOINT_HEAD_KEYS });
    } catch (e) {
      if (!CheckpointFormatError.is(e)) throw e;
      throw new CheckpointFormatError(`${owner}: ${e.message} (read as ${m.found.description})`, { cause: e });
    }
    aborted('after loading the weights');
    model.trainable = false;
    onProgress?.(1);
    if (arch.family === 'resnet' && (options.foldBatchNorm ?? true)) {
      // Inference only: every batch norm folded into its convolution, which then runs fused
      // with its bias and ReLU (about 15 % faster on wasm); the layers model is freed.
      const folded = foldResNet(model, embedding.graph.config as Partial<ResNetConfig>);
      model.dispose();
      const topology = `resnet-folded:${JSON.stringify(embedding.graph.config)}`;
      const weightsKey = tfjsWeightsKey({ weights: folded.weights.map((t) => ({ read: () => t })), layers: [] }, topology);
      return { model: { forward: folded.forward, dispose: folded.dispose, ...(weightsKey ? { weightsKey } : {}) }, config, report };
    }
    return {
      model: {
        forward: (x: tf.Tensor4D) => model.predict(x, { batchSize: x.shape[0] }) as tf.Tensor,
        dispose: () => model.dispose(),
        weightsKey: tfjsWeightsKey(model),
      },
      config,
      report,
    };
  } catch (e) {
    model.dispose();
    throw e;
  }
}

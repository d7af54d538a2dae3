import * as tf from '@tensorflow/tfjs-core';
import { InvalidArgumentError } from '../errors/index.js';
import { Sha256, sha256Hex } from '../io/sha256.js';
import type { OnnxEmbeddingEngine } from './engines/onnx-engine.js';
import { backendInfo } from '../host/backend.js';
import { DVME_VERSION } from '../version.js';
import type { EmbeddingModel } from './backbone.js';
import { checkChoice } from '../validation/checks.js';
import { RESIZE_MODES, type ResizeMode } from '../image/preprocess-spec.js';
import { type BackboneConfig } from './config.js';
import { RECORD_FORMAT } from '../embedding-cache/embedding-records.js';

/** @internal What identifies the embeddings a backbone computes: a SHA-256 and what it covers. */
export interface BackboneFingerprint {
  /** 64 hex digits. */
  readonly key: string;
  /** The JSON the key hashes, kept in each segment's header for people reading the cache. */
  readonly description: Readonly<Record<string, unknown>>;
}

const utf8 = new TextEncoder();

/** @internal SHA-256 (hex) of a string. */
export function textSha256(text: string): string {
  return new Sha256().update(utf8.encode(text)).hex();
}

/** SHA-256 over named tensors' dtype, shape and bytes, in the given order, after `topology`. */
async function tensorsDigest(entries: ReadonlyArray<readonly [string, tf.Tensor]>, topology: string): Promise<string> {
  const h = new Sha256().update(utf8.encode(`${topology}\n`));
  for (const [name, t] of entries) {
    // One weight at a time: memory stays at the largest weight, not the model.
    const data = await t.data();
    const digest = ArrayBuffer.isView(data)
      ? await sha256Hex(new Uint8Array(data.buffer, data.byteOffset, data.byteLength))
      : textSha256(JSON.stringify(data));
    h.update(utf8.encode(`${name}\u0000${t.dtype}\u0000${t.shape.join(',')}\u0000${digest}\n`));
  }
  return h.hex();
}

interface LayersLike {
  readonly weights: ReadonlyArray<{ read(): tf.Tensor }>;
  readonly layers?: ReadonlyArray<{ getClassName(): string; getConfig(): Record<string, unknown> }>;
}

/** Layer classes and configs without their names, which tfjs numbers per process. */
function layersTopology(model: LayersLike): string {
  try {
    return JSON.stringify(
      (model.layers ?? []).map((l) => {
        const { name: _name, ...config } = l.getConfig();
        return [l.getClassName(), config];
      }),
    );
  } catch {
    return JSON.stringify((model.layers ?? []).map((l) => l.getClassName()));
  }
}

/** How often the weights may change under a hash before {@link tfjsWeightsKey} gives up. */
const HASH_ATTEMPTS = 3;

/**
 * A weights key that is recomputed only when the weights change. tfjs never changes a tensor's
 * values in place: `setWeights`, `Variable.assign` and optimizers give the tensor a new `dataId`
 * (a fresh object), so the same `dataId`s mean the same values.
 */
function memoOnWeightIdentity(named: () => Array<readonly [string, tf.Tensor]>, topology: () => string): () => Promise<string> {
  let memo: { ids: readonly object[]; key: Promise<string> } | undefined;
  const idsOf = (entries: ReadonlyArray<readonly [string, tf.Tensor]>) => entries.map(([, t]) => t.dataId as object);
  const same = (a: readonly object[], b: readonly object[]) => a.length === b.length && a.every((id, i) => id === b[i]);
  const hash = async (): Promise<string> => {
    for (let attempt = 1; ; attempt++) {
      const current = named();
      const before = idsOf(current);
      const key = await tensorsDigest(current, topology());
      // Weights replaced while they were read would mix two models in one key.
      if (same(before, idsOf(named()))) return key;
      if (attempt === HASH_ATTEMPTS) {
        throw new InvalidArgumentError(`the model's weights changed ${HASH_ATTEMPTS} times while dvme hashed them for the embedding cache; embed when they stay put.`);
      }
    }
  };
  return () => {
    const ids = idsOf(named());
    if (memo && same(memo.ids, ids)) return memo.key;
    const entry = { ids, key: hash() };
    memo = entry;
    // A failed hash (a disposed model) is not remembered: the next call tries again.
    entry.key.catch(() => {
      if (memo === entry) memo = undefined;
    });
    return entry.key;
  };
}

/**
 * @internal A weights key for a tfjs LayersModel (its weights in order, named by index, after
 * its layer configs) or GraphModel (its weight map by name), or `undefined` for anything else.
 * The weights are hashed on the first call and again whenever they have changed since
 * (`setWeights`, training). `topology` overrides what is hashed before the weights (a model
 * file's topology JSON).
 */
export function tfjsWeightsKey(model: unknown, topology?: string): (() => Promise<string>) | undefined {
  const weights = (model as { weights?: unknown } | null)?.weights;
  if (Array.isArray(weights) && weights.every((w) => typeof (w as { read?: unknown })?.read === 'function')) {
    const m = model as LayersLike;
    return memoOnWeightIdentity(
      () => m.weights.map((w, i) => [String(i), w.read()] as const),
      () => topology ?? layersTopology(m),
    );
  }
  if (typeof weights === 'object' && weights !== null && !Array.isArray(weights) && Object.values(weights).every(Array.isArray)) {
    const live = model as { weights: Record<string, tf.Tensor[]> };
    return memoOnWeightIdentity(
      () => {
        const map = live.weights;
        return Object.keys(map)
          .sort()
          .flatMap((name) => (map[name] ?? []).map((t, i) => [`${name}:${i}`, t] as const));
      },
      () => topology ?? 'graph',
    );
  }
  return undefined;
}

/**
 * @internal The model's weights key: its string, or its function called anew on every cached
 * call (dvme's own keys remember their hash until the weights change). Throws an
 * {@link InvalidArgumentError} for a model that has none (a plain function).
 */
export function weightsKeyOf(owner: string, model: EmbeddingModel): Promise<string> {
  const key = model.weightsKey;
  if (typeof key === 'string') return Promise.resolve(key);
  if (typeof key !== 'function') {
    return Promise.reject(
      new InvalidArgumentError(
        `${owner}: an embedding cache keys embeddings by the backbone's weights, and this backbone wraps a function or ` +
          `{ forward } whose weights dvme cannot see; received weightsKey ${JSON.stringify(key)}. Pass one: ` +
          "Backbone.fromModel({ forward, weightsKey: 'my-model@v3' }, config), a string that changes whenever the weights or forward's code do.",
      ),
    );
  }
  return key();
}

/**
 * tfjs flags that change how a backend computes (packing, float16 textures, convolution
 * algorithms, SIMD, threads), by backend name; each is read when it is registered.
 */
const NUMERIC_FLAGS: Readonly<Record<string, readonly string[]>> = {
  wasm: ['WASM_HAS_SIMD_SUPPORT', 'WASM_HAS_MULTITHREAD_SUPPORT'],
  webgl: [
    'WEBGL_VERSION', 'WEBGL_RENDER_FLOAT32_ENABLED', 'WEBGL_FORCE_F16_TEXTURES', 'WEBGL_PACK', 'WEBGL_PACK_NORMALIZATION',
    'WEBGL_PACK_CLIP', 'WEBGL_PACK_DEPTHWISECONV', 'WEBGL_PACK_BINARY_OPERATIONS', 'WEBGL_PACK_UNARY_OPERATIONS',
    'WEBGL_PACK_ARRAY_OPERATIONS', 'WEBGL_PACK_IMAGE_OPERATIONS', 'WEBGL_PACK_REDUCE', 'WEBGL_LAZILY_UNPACK',
    'WEBGL_CONV_IM2COL', 'WEBGL_EXP_CONV', 'WEBGL_USE_SHAPES_UNIFORMS', 'WEBGL_CPU_FORWARD', 'CPU_HANDOFF_SIZE_THRESHOLD',
  ],
  webgpu: ['WEBGPU_MATMUL_PROGRAM_TYPE', 'WEBGPU_CONV_SEPARATE_IM2COL_SHADER', 'WEBGPU_USE_NAIVE_CONV2D_DEBUG', 'WEBGPU_CPU_FORWARD', 'WEBGPU_CPU_HANDOFF_SIZE_THRESHOLD'],
};

async function backendFlags(backend: string): Promise<Record<string, unknown>> {
  const out: Record<string, unknown> = {};
  const env = tf.env();
  for (const name of NUMERIC_FLAGS[backend] ?? []) {
    try {
      // getAsync: the wasm flags are evaluated asynchronously.
      out[name] = await env.getAsync(name);
    } catch {
      // Not registered by this version of the backend.
    }
  }
  return out;
}

/** Logical cores, which onnxruntime sizes its default thread pool from (Node 21+ and browsers). */
function logicalCores(): number | undefined {
  const n = (globalThis as { navigator?: { hardwareConcurrency?: unknown } }).navigator?.hardwareConcurrency;
  return typeof n === 'number' ? n : undefined;
}

/**
 * What runs the model: last-bit differences between engines and backends must never mix. What
 * is cheaply knowable goes in (backend, package and version, numeric flags, native TensorFlow
 * version, the machine's core count when onnxruntime picks its thread count); CPU model and
 * GPU driver do not, so records are bit-exact for the machine that wrote them.
 */
async function engineDescription(engine: OnnxEmbeddingEngine | undefined): Promise<Record<string, unknown>> {
  if (engine) {
    const cores = engine.cacheSettings.threads === 0 ? logicalCores() : undefined;
    return { engine: 'onnx', ...engine.cacheSettings, ...(cores === undefined ? {} : { logicalCores: cores }) };
  }
  let gpu: boolean | undefined;
  let tensorflow: string | undefined;
  try {
    // tfjs-node and tfjs-node-gpu register the same backend name; only the binding tells them apart.
    const binding = (tf.backend() as { binding?: { isUsingGpuDevice?: () => boolean; TF_Version?: unknown } }).binding;
    gpu = binding?.isUsingGpuDevice?.();
    tensorflow = typeof binding?.TF_Version === 'string' ? binding.TF_Version : undefined;
  } catch {
    gpu = undefined;
  }
  const backend = tf.getBackend();
  const info = backendInfo();
  return {
    engine: 'tfjs',
    backend,
    tfjs: tf.version_core,
    ...(info.package === undefined ? {} : { backendPackage: info.package }),
    ...(info.version === undefined ? {} : { backendVersion: info.version }),
    ...(tensorflow === undefined ? {} : { tensorflow }),
    ...(gpu === undefined ? {} : { gpu }),
    flags: await backendFlags(backend),
  };
}

/**
 * @internal The fingerprint of what `embed` computes with these settings: backbone id and
 * embedding, weights, the fully resolved preprocessing (with the call's resize override),
 * engine and backend, dvme's version and the cache format. The pixel range is per image.
 */
export async function backboneFingerprint(
  owner: string,
  config: BackboneConfig,
  resize: ResizeMode | undefined,
  weightsKey: () => Promise<string>,
  engine: OnnxEmbeddingEngine | undefined,
): Promise<BackboneFingerprint> {
  const mode = checkChoice(owner, 'resize', resize ?? config.resize, RESIZE_MODES);
  const description = {
    format: RECORD_FORMAT,
    dvme: DVME_VERSION,
    id: config.id,
    embedding: config.embedding,
    embeddingDim: config.embeddingDim,
    inputSize: config.inputSize,
    mean: config.mean,
    std: config.std,
    resize: mode,
    cropFraction: config.cropFraction,
    interpolation: config.interpolation,
    weights: await weightsKey(),
    ...(await engineDescription(engine)),
  };
  return { key: textSha256(JSON.stringify(description)), description };
}

import * as tf from '@tensorflow/tfjs-core';
import { InvalidArgumentError } from '../errors/index.js';
import { Sha256, sha256Hex } from '../io/sha256.js';
import type { OnnxEmbeddingEngine } from '../engine/onnx-engine.js';
import { DVME_VERSION } from '../probe/probe-json.js';
import type { EmbeddingModel } from './backbone.js';
import { checkChoice, RESIZE_MODES, type BackboneConfig, type ResizeMode } from './config.js';
import { RECORD_FORMAT } from './embedding-records.js';

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

/**
 * @internal A lazy weights key for a tfjs LayersModel (its weights in order, named by index,
 * after its layer configs) or GraphModel (its weight map by name), or `undefined` for anything
 * else. `topology` overrides what is hashed before the weights (a model file's topology JSON).
 */
export function tfjsWeightsKey(model: unknown, topology?: string): (() => Promise<string>) | undefined {
  const weights = (model as { weights?: unknown } | null)?.weights;
  if (Array.isArray(weights) && weights.every((w) => typeof (w as { read?: unknown })?.read === 'function')) {
    const m = model as LayersLike;
    return () => tensorsDigest(m.weights.map((w, i) => [String(i), w.read()] as const), topology ?? layersTopology(m));
  }
  if (typeof weights === 'object' && weights !== null && !Array.isArray(weights) && Object.values(weights).every(Array.isArray)) {
    const map = weights as Record<string, tf.Tensor[]>;
    return () =>
      tensorsDigest(
        Object.keys(map)
          .sort()
          .flatMap((name) => (map[name] ?? []).map((t, i) => [`${name}:${i}`, t] as const)),
        topology ?? 'graph',
      );
  }
  return undefined;
}

const memo = new WeakMap<EmbeddingModel, Promise<string>>();

/**
 * @internal The model's weights key, computed once per model. Throws an
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
  let pending = memo.get(model);
  if (!pending) {
    pending = key();
    memo.set(model, pending);
    // A failed hash (a disposed model) is not remembered: the next call tries again.
    pending.catch(() => memo.delete(model));
  }
  return pending;
}

/** What runs the model: last-bit differences between engines and backends must never mix. */
function engineDescription(engine: OnnxEmbeddingEngine | undefined): Record<string, unknown> {
  if (engine) return { engine: 'onnx', ...engine.cacheSettings };
  let gpu: boolean | undefined;
  try {
    // tfjs-node and tfjs-node-gpu register the same backend name; only the binding tells them apart.
    gpu = (tf.backend() as { binding?: { isUsingGpuDevice?: () => boolean } }).binding?.isUsingGpuDevice?.();
  } catch {
    gpu = undefined;
  }
  return { engine: 'tfjs', backend: tf.getBackend(), tfjs: tf.version_core, ...(gpu === undefined ? {} : { gpu }) };
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
    ...engineDescription(engine),
  };
  return { key: textSha256(JSON.stringify(description)), description };
}

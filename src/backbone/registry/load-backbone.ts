import * as tf from '@tensorflow/tfjs-core';
import { CheckpointFormatError } from '../../errors/index.js';
// Named in the TSDoc below.
import type { AbortError, IntegrityError, OfflineError, UnknownBackboneError } from '../../errors/index.js';
import { download, type DownloadOptions } from '../../io/download.js';
import type { CheckpointEmbedding } from '../architectures.js';
import { Backbone } from '../backbone.js';
import type { Interpolation, ResizeMode } from '../../image/preprocess-spec.js';
import type { CheckpointSource, FromCheckpointOptions } from '../from-checkpoint.js';
import type { TfjsModelSource } from '../tfjs-artifacts.js';
import type { TfjsBackboneEntry, TorchBackboneEntry } from './entry.js';
import { getBackboneEntry } from './registry.js';
import { concatBytes } from '../../io/concat-bytes.js';

/**
 * Options of {@link loadBackbone}: overrides of the entry's pretrained config, where the weights
 * come from, and how they are downloaded.
 *
 * @remarks Since 0.1.0.
 * @example
 * ```ts
 * import type { LoadBackboneOptions } from 'dvme';
 * // MedMNIST images are 28 px: resize them whole instead of the ImageNet resize-and-crop.
 * const options: LoadBackboneOptions = { resize: 'direct', onProgress: (l, t) => console.log(l, t) };
 * ```
 */
export interface LoadBackboneOptions
  extends Pick<DownloadOptions, 'offline' | 'signal' | 'fetch' | 'cacheDir' | 'cache' | 'onProgress' | 'maxBytes' | 'idleTimeoutMs'> {
  /**
   * Your own copy of the weights instead of the registry URL: a local path (Node), a URL, or
   * the bytes (`model.json` path / URL or a `tf.io.IOHandler` for tfjs entries). It is not
   * checked against the registry's checksums, so a converted file (`.safetensors`) works too.
   */
  readonly source?: string | Uint8Array | ArrayBuffer | tf.io.IOHandler;
  /** @defaultValue the entry's `pretrained.inputSize` */
  readonly inputSize?: number | readonly [number, number];
  /** @defaultValue the entry's `pretrained.mean` */
  readonly mean?: readonly [number, number, number];
  /** @defaultValue the entry's `pretrained.std` */
  readonly std?: readonly [number, number, number];
  /** @defaultValue the entry's `pretrained.resize` */
  readonly resize?: ResizeMode;
  /** @defaultValue the entry's `pretrained.cropFraction` */
  readonly cropFraction?: number;
  /** @defaultValue the entry's `pretrained.interpolation` */
  readonly interpolation?: Interpolation;
  /** Checkpoint entries: the embedding. @defaultValue the entry's `pretrained.embedding` */
  readonly embedding?: CheckpointEmbedding;
  /** Checkpoint entries: blocks of `'lastBlocksCls'`. @defaultValue the entry's `pretrained.lastBlocks` */
  readonly lastBlocks?: number;
  /**
   * Checkpoint entries: what runs the model (see `FromCheckpointOptions.engine`); `'tfjs'` with
   * `foldBatchNorm: false` gives a backbone a `FineTuner` can train.
   * @defaultValue `'auto'`
   */
  readonly engine?: FromCheckpointOptions['engine'];
  /** Checkpoint entries on tfjs: fold ResNet batch norms at load (see `FromCheckpointOptions.foldBatchNorm`). @defaultValue `true` */
  readonly foldBatchNorm?: boolean;
  /** tfjs entries: the embedding layer. @defaultValue the entry's `embeddingLayer` */
  readonly embeddingLayer?: string;
  /** Name of the backbone in messages and configs. @defaultValue the entry's name */
  readonly id?: string;
}

const isHttp = (s: unknown): s is string => typeof s === 'string' && /^https?:\/\//i.test(s);

/** The last path segment of a URL, made safe as a cache file name. */
function fileName(url: string): string {
  const last = new URL(url).pathname.split('/').filter(Boolean).pop() ?? 'file';
  return last.replace(/[^A-Za-z0-9._-]/g, '_').replace(/\.part$/, '.part_');
}

function downloadOptions(options: LoadBackboneOptions): DownloadOptions {
  const { offline, signal, fetch, cacheDir, cache, onProgress, maxBytes, idleTimeoutMs } = options;
  return { offline, signal, fetch, cacheDir, cache, onProgress, maxBytes, idleTimeoutMs };
}

function preprocessing(entry: TorchBackboneEntry | TfjsBackboneEntry, options: LoadBackboneOptions) {
  const p = entry.pretrained;
  return {
    id: options.id ?? entry.name,
    inputSize: options.inputSize ?? p.inputSize,
    mean: options.mean ?? p.mean,
    std: options.std ?? p.std,
    resize: options.resize ?? p.resize,
    cropFraction: options.cropFraction ?? p.cropFraction,
    interpolation: options.interpolation ?? p.interpolation,
  };
}

async function loadTorch(entry: TorchBackboneEntry, options: LoadBackboneOptions): Promise<Backbone> {
  let source = options.source as CheckpointSource | undefined;
  if (source === undefined) {
    source = await download(entry.url, {
      ...downloadOptions(options),
      sha256: entry.sha256 ?? entry.sha256Prefix,
      size: entry.size,
      cacheKey: `backbones/${entry.name}/${fileName(entry.url)}`,
    });
  } else if (isHttp(source)) {
    source = await download(source, downloadOptions(options)); // cached under its own URL
  }
  const lastBlocks = options.lastBlocks ?? entry.pretrained.lastBlocks;
  const init: FromCheckpointOptions = {
    ...preprocessing(entry, options),
    embedding: options.embedding ?? entry.pretrained.embedding,
    ...(lastBlocks === undefined ? {} : { lastBlocks }),
    ...(options.engine === undefined ? {} : { engine: options.engine }),
    ...(options.foldBatchNorm === undefined ? {} : { foldBatchNorm: options.foldBatchNorm }),
    ...(options.signal ? { signal: options.signal } : {}),
  };
  return Backbone.fromCheckpoint(entry.arch, source, init);
}


/**
 * Downloads `model.json` and its shards into the cache, each shard checked against the
 * registry, and returns an IOHandler over them: `tf.io.http` would neither cache nor verify.
 */
async function downloadTfjs(entry: TfjsBackboneEntry, options: LoadBackboneOptions): Promise<tf.io.IOHandler> {
  const base = downloadOptions(options);
  const where = `backbones/${entry.name}`;
  const jsonBytes = await download(entry.url, { ...base, onProgress: undefined, cacheKey: `${where}/model.json` });
  let json: tf.io.ModelJSON;
  try {
    json = JSON.parse(new TextDecoder().decode(jsonBytes)) as tf.io.ModelJSON;
  } catch (e) {
    throw new CheckpointFormatError(`loadBackbone(${entry.name}): ${entry.url} is not JSON, so not a tfjs model.json.`, { cause: e });
  }
  const paths = Array.isArray(json?.weightsManifest) ? json.weightsManifest.flatMap((g) => g.paths) : [];
  if (json?.modelTopology == null || paths.length !== entry.shards.length) {
    throw new CheckpointFormatError(
      `loadBackbone(${entry.name}): ${entry.url} lists ${paths.length} weight shards where the registry records ` +
        `${entry.shards.length}; the published model changed. Pass { source } with a copy you trust.`,
    );
  }
  const total = entry.shards.reduce((s, shard) => s + shard.size, 0);
  const shards: Uint8Array[] = [];
  let done = 0;
  for (const [i, path] of paths.entries()) {
    const shard = entry.shards[i]!;
    const url = new URL(path, entry.url).href;
    const before = done;
    const bytes = await download(url, {
      ...base,
      sha256: shard.sha256,
      size: shard.size,
      cacheKey: `${where}/${fileName(url)}`,
      onProgress: (loaded) => options.onProgress?.(before + loaded, total),
    });
    shards.push(bytes);
    done += bytes.length;
  }
  return {
    load: () =>
      tf.io.getModelArtifactsForJSON(json, async (manifest) => [manifest.flatMap((g) => g.weights), concatBytes(shards).buffer as ArrayBuffer]),
  };
}

async function loadTfjs(entry: TfjsBackboneEntry, options: LoadBackboneOptions): Promise<Backbone> {
  const { onProgress, fetch } = options;
  const source = (options.source as TfjsModelSource | undefined) ?? (await downloadTfjs(entry, options));
  return Backbone.fromTfjs(source, {
    ...preprocessing(entry, options),
    embeddingLayer: options.embeddingLayer ?? entry.embeddingLayer,
    ...(fetch ? { fetch } : {}),
    // A local or custom source reports the fraction of its files read.
    ...(options.source !== undefined && onProgress ? { onProgress: (fraction: number) => onProgress(fraction, 1) } : {}),
  });
}

/**
 * Loads a registered backbone by name: downloads its weights once into the cache (verified
 * against the registry's size and SHA-256 where known), then builds it with the entry's
 * preprocessing and embedding, which `options` may override.
 *
 * @param name - a registry name (see {@link listBackbones}), e.g. `'vit_small_patch8_224.dino'`.
 * @param options - overrides, `source`, download progress, offline mode, abort signal.
 * @returns the backbone; its `config.id` is the entry's name.
 * @throws {@link UnknownBackboneError} for an unknown name; the errors of `download`
 * ({@link OfflineError}, {@link IntegrityError}, {@link AbortError}, ...); the errors of
 * `Backbone.fromCheckpoint` / `Backbone.fromTfjs`.
 *
 * @remarks Since 0.1.0. Under `dvme/node` the files are kept in `~/.cache/dvme/backbones/<name>/`
 * (see {@link download} for the folder and resuming); the first load of a ViT-B/8 downloads
 * about 350 MB. Check the entry's `license` before commercial use: SwAV's weights are
 * CC BY-NC 4.0.
 * @example
 * ```ts
 * import { loadBackbone } from 'dvme/node';
 * const dino = await loadBackbone('vit_small_patch8_224.dino', {
 *   resize: 'direct', // 28 px MedMNIST images: no crop
 *   onProgress: (loaded, total) => console.log(`${loaded} / ${total ?? '?'} bytes`),
 * });
 * dino.embeddingDim; // 1536
 * const offline = await loadBackbone('resnet50.tv_in1k', { offline: true }); // from the cache only
 * ```
 */
export async function loadBackbone(name: string, options: LoadBackboneOptions = {}): Promise<Backbone> {
  const entry = getBackboneEntry(name);
  return entry.format === 'torch' ? loadTorch(entry, options) : loadTfjs(entry, options);
}

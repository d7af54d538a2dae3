import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Backbone } from '../backbone/backbone.js';
import { EmbeddingCache } from '../embedding-cache/embedding-cache.js';
import type { ImageArray } from '../image/images.js';
import type { EmbeddingMatrix } from '../data/embedding-matrix.js';
import { encodeNpy, parseNpy } from '../data/npy.js';
import { InvalidArgumentError } from '../errors/index.js';
import { NodeEmbeddingStore } from '../platform/node/node-embedding-store.js';
import type { EmbeddingSources } from '../protocol/evaluation-options.js';
import { pixelFeatures } from '../protocol/pixel-features.js';

/**
 * @internal One embedding source of a command line: raw pixels, or a tfjs model (a local
 * `model.json` path or an http(s) URL).
 */
export type SourceSpec = { readonly name: string; readonly kind: 'pixels' } | { readonly name: string; readonly kind: 'tfjs'; readonly model: string };

/** @internal How model sources are cut and fed. */
export interface ModelOptions {
  /** LayersModel layer whose output is the embedding; the model's output when absent. */
  readonly embeddingLayer?: string;
  readonly mean: readonly [number, number, number];
  readonly std: readonly [number, number, number];
  readonly batchSize: number;
}

/** @internal Progress of embedding: which source and split, images done, images in all. */
export type EmbedProgress = (label: string, done: number, total: number) => void;

/**
 * @internal Parses `name=model.json,name=https://...,pixels` (a bare `pixels`, or `name=pixels`,
 * is the raw-pixel baseline).
 */
export function parseSources(text: string): SourceSpec[] {
  const specs = text
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0)
    .map((token): SourceSpec => {
      const eq = token.indexOf('=');
      const name = eq < 0 ? token : token.slice(0, eq).trim();
      const value = eq < 0 ? token : token.slice(eq + 1).trim();
      if (value === 'pixels') return { name, kind: 'pixels' };
      if (eq < 0 || name.length === 0 || value.length === 0) {
        throw new InvalidArgumentError(
          `--sources: ${JSON.stringify(token)} is neither 'pixels' nor name=<model.json path or URL>; ` +
            'e.g. --sources mobilenet=models/mobilenet/model.json,pixels',
        );
      }
      return { name, kind: 'tfjs', model: value };
    });
  if (specs.length === 0) throw new InvalidArgumentError('--sources lists no source; e.g. --sources mobilenet=models/m/model.json,pixels');
  const seen = new Set<string>();
  for (const s of specs) {
    if (seen.has(s.name)) throw new InvalidArgumentError(`--sources names ${JSON.stringify(s.name)} twice; give each source its own name.`);
    seen.add(s.name);
  }
  return specs;
}

/** FNV-1a 32-bit over bytes and text, as 8 hex digits: a cache key, not a checksum against tampering. */
function fingerprint(parts: readonly (string | Uint8Array)[]): string {
  let h = 0x811c9dc5;
  for (const part of parts) {
    const bytes = typeof part === 'string' ? new TextEncoder().encode(part) : part;
    for (let i = 0; i < bytes.length; i++) h = Math.imul(h ^ bytes[i], 0x01000193);
    h = Math.imul(h ^ 0xff, 0x01000193); // separator, so ['ab', 'c'] and ['a', 'bc'] differ
  }
  return (h >>> 0).toString(16).padStart(8, '0');
}

function pixelBytes(images: ImageArray): Uint8Array {
  const d = images.data;
  return new Uint8Array(d.buffer, d.byteOffset, d.byteLength);
}

async function readCached(path: string): Promise<EmbeddingMatrix | undefined> {
  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(await readFile(path));
  } catch {
    return undefined;
  }
  const a = parseNpy(bytes);
  if (!(a.data instanceof Float32Array) || a.shape.length !== 2) return undefined;
  return { data: a.data, shape: [a.shape[0] as number, a.shape[1] as number] };
}

async function writeCached(path: string, m: EmbeddingMatrix): Promise<void> {
  // Written beside and renamed: an interrupted run never leaves a truncated cache file.
  const part = `${path}.${process.pid}.part`;
  await writeFile(part, encodeNpy({ data: m.data, shape: m.shape, dtype: 'float32' }));
  await rename(part, path);
}

/**
 * @internal Embeds every split with every source, one backbone in memory at a time (loaded
 * only when some split is not cached yet, disposed after its last split). With `cacheDir`,
 * each source and split is kept as `<prefix>_<split>_<source>_<key>.npy`, the key covering the
 * model, its options and the image bytes, so changed inputs never reuse stale embeddings; and
 * the embedding cache in `<cacheDir>/records` keeps every batch as it is embedded, keyed by the
 * model's weights, so an interrupted run resumes where it stopped.
 */
export async function embedSources(
  specs: readonly SourceSpec[],
  splits: Readonly<Record<string, ImageArray>>,
  options: ModelOptions & { readonly cacheDir?: string; readonly prefix?: string; readonly onProgress?: EmbedProgress },
): Promise<Record<string, EmbeddingSources>> {
  const out: Record<string, Record<string, EmbeddingMatrix>> = {};
  for (const split of Object.keys(splits)) out[split] = {};
  if (options.cacheDir) await mkdir(options.cacheDir, { recursive: true });
  const records = options.cacheDir ? new EmbeddingCache(new NodeEmbeddingStore(join(options.cacheDir, 'records'))) : undefined;
  for (const spec of specs) {
    let backbone: Backbone | undefined;
    try {
      for (const [split, images] of Object.entries(splits)) {
        if (spec.kind === 'pixels') {
          out[split][spec.name] = pixelFeatures(images);
          continue;
        }
        const config = JSON.stringify([spec.model, options.embeddingLayer ?? null, options.mean, options.std, images.shape]);
        const key = fingerprint([config, pixelBytes(images)]);
        const file = options.cacheDir && join(options.cacheDir, `${options.prefix ?? 'embeddings'}_${split}_${spec.name}_${key}.npy`);
        const cached = file ? await readCached(file) : undefined;
        if (cached && cached.shape[0] === images.shape[0]) {
          out[split][spec.name] = cached;
          options.onProgress?.(`${spec.name} ${split} (cached)`, cached.shape[0], cached.shape[0]);
          continue;
        }
        backbone ??= await Backbone.fromTfjs(spec.model, {
          ...(options.embeddingLayer ? { embeddingLayer: options.embeddingLayer } : {}),
          mean: options.mean,
          std: options.std,
        });
        const label = `${spec.name} ${split}`;
        const m = await backbone.embed(images, {
          as: 'array',
          batchSize: options.batchSize,
          ...(records ? { cache: records } : {}),
          onProgress: (done, total) => options.onProgress?.(label, done, total),
        });
        if (file) await writeCached(file, m);
        out[split][spec.name] = m;
      }
    } finally {
      backbone?.dispose();
    }
  }
  return out;
}

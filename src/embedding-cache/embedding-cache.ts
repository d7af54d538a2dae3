import { BackendUnavailableError, InvalidArgumentError } from '../errors/index.js';
import { currentPlatform, openPlatformEmbeddingStore } from '../host/platform.js';
import type { BackboneFingerprint } from '../backbone/backbone-fingerprint.js';
import { decodeBatch, encodeBatch, encodeRecord, parseRecords, RECORD_FORMAT, RecordKind } from './embedding-records.js';
import { MemoryEmbeddingStore, type EmbeddingStore } from './embedding-store.js';

/**
 * What an {@link EmbeddingCache} has done since it was opened.
 *
 * @remarks Since 0.1.0.
 * @example
 * ```ts
 * import type { EmbeddingCacheStats } from 'dvme';
 * const hitRate = (s: EmbeddingCacheStats) => s.hits / Math.max(1, s.hits + s.misses);
 * ```
 */
export interface EmbeddingCacheStats {
  /** Images whose embedding came from the cache. */
  readonly hits: number;
  /** Images that were not in the cache (an image repeated in a call counts each time). */
  readonly misses: number;
  /** Distinct images the backbone embedded and the cache stored. */
  readonly computed: number;
  /** Damaged records read and ignored (a crash tears at most the last record of a writer). */
  readonly skipped: number;
}

/**
 * What one cached `embed` call found, reported through `onCacheLookup` before any image is
 * embedded.
 *
 * @remarks Since 0.1.0.
 * @example
 * ```ts
 * import type { EmbeddingCacheLookup } from 'dvme';
 * const log = (l: EmbeddingCacheLookup) => console.log(`${l.hits} of ${l.images} cached, ${l.toCompute} to embed`);
 * ```
 */
export interface EmbeddingCacheLookup {
  /** SHA-256 of everything about the backbone that decides its embeddings (see {@link EmbeddingCache}). */
  readonly fingerprint: string;
  /** Images in the call. */
  readonly images: number;
  /** Images found in the cache. */
  readonly hits: number;
  /** Images not found. */
  readonly misses: number;
  /** Distinct images among the misses: what the backbone will embed. */
  readonly toCompute: number;
  /** Where the cache lives. */
  readonly location: string;
}

/**
 * Options of {@link EmbeddingCache.open}, {@link EmbeddingCache.inMemory} and the constructor.
 *
 * @remarks Since 0.1.0.
 * @example
 * ```ts
 * import type { EmbeddingCacheOptions } from 'dvme';
 * const options: EmbeddingCacheOptions = { dir: '/data/embeddings', onError: (e) => console.warn('cache:', e) };
 * ```
 */
export interface EmbeddingCacheOptions {
  /**
   * Folder of the cache (`dvme/node`); a name that keeps this cache apart from others in the
   * browser's Cache Storage. Only {@link EmbeddingCache.open} reads it.
   * @defaultValue `dvme/node`: `<cache dir>/embeddings`, the cache dir being `$DVME_CACHE_DIR`,
   * else `$XDG_CACHE_HOME/dvme`, else `~/.cache/dvme`
   */
  readonly dir?: string;
  /**
   * Called when the store cannot be read or written (a read-only folder, a full disk or quota);
   * `embed` then goes on without the cache. Without it such errors reject the `embed` call.
   */
  readonly onError?: (error: unknown) => void;
}

/**
 * Options of `Backbone.embed` for its embedding cache.
 *
 * @remarks Since 0.1.0.
 * @example
 * ```ts
 * import { EmbeddingCache, type EmbedCacheOptions } from 'dvme';
 * const options: EmbedCacheOptions = {
 *   cache: EmbeddingCache.inMemory(),
 *   onCacheLookup: (l) => console.log(`${l.hits} / ${l.images} from the cache`),
 * };
 * ```
 */
export interface EmbedCacheOptions {
  /**
   * Where to keep embeddings so that a repeated call returns at once and an interrupted one
   * resumes: an {@link EmbeddingCache}, a folder (`dvme/node`; a name in the browser), or `true`
   * for the platform's default location. `false` or absent: no cache.
   */
  readonly cache?: EmbeddingCache | string | boolean;
  /** Called once per cached call, after the lookup and before any image is embedded. */
  readonly onCacheLookup?: (lookup: EmbeddingCacheLookup) => void;
}

/** What the cache knows of one backbone fingerprint. */
interface Group {
  readonly name: string;
  readonly rows: Map<string, Float32Array>;
  /** Per segment: bytes read so far, and whether its header matched (`undefined`: not read yet). */
  readonly segments: Map<string, { consumed: number; valid: boolean | undefined }>;
  /** The segment this cache appends to, once it has written its header. */
  writer: string | undefined;
  /** Lookups and writes of the group run one at a time. */
  queue: Promise<unknown>;
}

const NAME = /[^A-Za-z0-9._-]+/g;
const BRAND = Symbol.for('dvme.EmbeddingCache');

function segmentName(): string {
  const random = Array.from({ length: 2 }, () => Math.floor(Math.random() * 0x100000000).toString(16).padStart(8, '0')).join('');
  return `${Date.now().toString(36)}-${random}`;
}

/**
 * A provenance-keyed cache of image embeddings: pass it to `Backbone.embed` (`{ cache }`) and a
 * repeated call returns at once, an interrupted call resumes with the images it had not done,
 * and calls on overlapping image sets share their work.
 *
 * @remarks
 * Since 0.1.0. An embedding is kept under the SHA-256 of its image (pixels, shape, element
 * type, pixel range) and of its backbone: id, embedding mode, weights (hashed from the loaded
 * weights the first time a cache is used and whenever they change, or the model's
 * `weightsKey`), the fully resolved preprocessing (with the call's `resize`), the engine and
 * backend that run it (tfjs backend, package version and numeric flags, or onnxruntime's
 * version and session settings), dvme's version and the cache format. A hit returns the
 * float32 bytes that were computed, so on the machine and configuration that wrote them cached
 * and uncached calls agree bit for bit wherever an image's embedding does not depend on the
 * other images of its batch (as `embed` promises); a cache shared between machines may return
 * another machine's bits (equally valid, different in the last float bits). Records are written after every batch, each with a CRC-32, one append-only
 * segment per writer: a crash or `kill -9` loses at most the batch in flight, and a torn record
 * is ignored, never returned. Concurrent calls and processes are safe; they may embed the same
 * image twice. The records of a backbone are held in memory once read.
 *
 * @example
 * ```ts
 * import { Backbone, EmbeddingCache } from 'dvme/node';
 * const backbone = await Backbone.fromCheckpoint('resnet50', 'resnet50.pth');
 * const cache = EmbeddingCache.open(); // ~/.cache/dvme/embeddings
 * const images = { data: new Uint8Array(64 * 28 * 28), shape: [64, 28, 28] };
 * const a = await backbone.embed(images, { cache, as: 'array' }); // embeds, writes per batch
 * const b = await backbone.embed(images, { cache, as: 'array' }); // at once, bit-identical
 * cache.stats; // { hits: 64, misses: 64, computed: 64, skipped: 0 }
 * ```
 */
export class EmbeddingCache {
  readonly #store: EmbeddingStore;
  readonly #onError: ((error: unknown) => void) | undefined;
  readonly #groups = new Map<string, Group>();
  readonly #stats = { hits: 0, misses: 0, computed: 0, skipped: 0 };

  /**
   * A cache over any {@link EmbeddingStore}.
   *
   * @param store - where the records live.
   * @param options - what to do when the store fails.
   * @throws An {@link InvalidArgumentError} for a store without `list`, `read`, `append` and `clear`.
   */
  constructor(store: EmbeddingStore, options: Omit<EmbeddingCacheOptions, 'dir'> = {}) {
    const s = store as Partial<EmbeddingStore> | null;
    if (typeof s !== 'object' || s === null || !['list', 'read', 'append', 'clear'].every((m) => typeof s[m as keyof EmbeddingStore] === 'function')) {
      throw new InvalidArgumentError('EmbeddingCache: store must be an EmbeddingStore { location, list, read, append, clear }.');
    }
    this.#store = store;
    this.#onError = options.onError;
    Object.defineProperty(this, BRAND, { value: true });
  }

  /**
   * The platform's persistent cache: files under a folder with `dvme/node`, Cache Storage with
   * `dvme/browser`.
   *
   * @throws A {@link BackendUnavailableError} when no platform that keeps files is registered
   * (import `dvme/node` or `dvme/browser`, or use {@link EmbeddingCache.inMemory}).
   *
   * @remarks Since 0.1.0.
   * @example
   * ```ts
   * import { EmbeddingCache } from 'dvme/node';
   * const cache = EmbeddingCache.open({ dir: '.cache/embeddings' });
   * ```
   */
  static open(options: EmbeddingCacheOptions = {}): EmbeddingCache {
    const store = openPlatformEmbeddingStore(options.dir);
    if (!store) {
      const platform = currentPlatform();
      throw new BackendUnavailableError(
        `EmbeddingCache.open: ${platform ? `platform '${platform.name}' has no persistent store` : 'no platform is registered'}. ` +
          "Import from 'dvme/node' or 'dvme/browser', or use EmbeddingCache.inMemory() or new EmbeddingCache(store).",
      );
    }
    return new EmbeddingCache(store, options);
  }

  /**
   * A cache that lives as long as the object: repeated and overlapping calls in one process.
   *
   * @remarks Since 0.1.0.
   * @example
   * ```ts
   * import { EmbeddingCache } from 'dvme';
   * const cache = EmbeddingCache.inMemory();
   * cache.location; // 'memory'
   * ```
   */
  static inMemory(options: Omit<EmbeddingCacheOptions, 'dir'> = {}): EmbeddingCache {
    return new EmbeddingCache(new MemoryEmbeddingStore(), options);
  }

  /**
   * Whether `x` is an EmbeddingCache, also one made by another copy of dvme.
   *
   * @remarks Since 0.1.0.
   * @example
   * ```ts
   * import { EmbeddingCache } from 'dvme';
   * EmbeddingCache.is(EmbeddingCache.inMemory()); // true
   * ```
   */
  static is(x: unknown): x is EmbeddingCache {
    return typeof x === 'object' && x !== null && (x as Record<symbol, unknown>)[BRAND] === true;
  }

  /** Where the records live (a folder, `'memory'`, a Cache Storage name). */
  get location(): string {
    return this.#store.location;
  }

  /** Counts since this object was made; a copy. */
  get stats(): EmbeddingCacheStats {
    return { ...this.#stats };
  }

  /**
   * Deletes every record of the store (only the cache's own files with `dvme/node`) and forgets
   * what was read.
   *
   * @remarks Since 0.1.0.
   * @example
   * ```ts
   * import { EmbeddingCache } from 'dvme';
   * const cache = EmbeddingCache.inMemory();
   * await cache.clear();
   * ```
   */
  async clear(): Promise<void> {
    this.#groups.clear();
    await this.#store.clear();
  }

  /** @internal The embeddings of `fingerprint` that the store holds, keyed by image key (hex). */
  async lookup(fingerprint: BackboneFingerprint, dim: number): Promise<ReadonlyMap<string, Float32Array>> {
    const group = this.#group(fingerprint);
    await this.#serial(group, () => this.#guard(() => this.#refresh(group, fingerprint, dim), undefined));
    return group.rows;
  }

  /** @internal Stores one batch: `keys` (32 bytes each) and their rows of `values`. */
  async add(fingerprint: BackboneFingerprint, dim: number, keys: readonly Uint8Array[], hexKeys: readonly string[], values: Float32Array): Promise<void> {
    const group = this.#group(fingerprint);
    hexKeys.forEach((k, i) => {
      if (!group.rows.has(k)) group.rows.set(k, values.slice(i * dim, (i + 1) * dim));
    });
    this.#stats.computed += keys.length;
    const batch = encodeRecord(RecordKind.Batch, encodeBatch(keys, values, dim));
    await this.#serial(group, () =>
      this.#guard(async () => {
        if (group.writer !== undefined) return this.#store.append(group.name, group.writer, batch);
        const header = JSON.stringify({ format: RECORD_FORMAT, fingerprint: fingerprint.key, dim, description: fingerprint.description });
        const first = encodeRecord(RecordKind.Header, new TextEncoder().encode(header));
        const bytes = new Uint8Array(first.length + batch.length);
        bytes.set(first);
        bytes.set(batch, first.length);
        const name = segmentName();
        await this.#store.append(group.name, name, bytes);
        // Our own records are in `rows` already; never read them back.
        group.writer = name;
        group.segments.set(name, { consumed: Number.POSITIVE_INFINITY, valid: true });
      }, undefined),
    );
  }

  /** @internal Counts one call's lookups. */
  count(hits: number, misses: number): void {
    this.#stats.hits += hits;
    this.#stats.misses += misses;
  }

  #group(fingerprint: BackboneFingerprint): Group {
    const id = String(fingerprint.description.id ?? 'backbone').replace(NAME, '_').slice(0, 64);
    const name = `${id}-${fingerprint.key.slice(0, 32)}`;
    let group = this.#groups.get(name);
    if (!group) {
      group = { name, rows: new Map(), segments: new Map(), writer: undefined, queue: Promise.resolve() };
      this.#groups.set(name, group);
    }
    return group;
  }

  async #serial<T>(group: Group, task: () => Promise<T>): Promise<T> {
    const run = group.queue.then(task, task);
    group.queue = run.catch(() => undefined);
    return run;
  }

  async #guard<T>(task: () => Promise<T>, fallback: T): Promise<T> {
    if (!this.#onError) return task();
    try {
      return await task();
    } catch (e) {
      this.#onError(e);
      return fallback;
    }
  }

  /** Reads what other writers (earlier runs, other processes) appended since the last look. */
  async #refresh(group: Group, fingerprint: BackboneFingerprint, dim: number): Promise<void> {
    for (const name of await this.#store.list(group.name)) {
      const seen = group.segments.get(name) ?? { consumed: 0, valid: undefined };
      group.segments.set(name, seen);
      if (seen.valid === false || seen.consumed === Number.POSITIVE_INFINITY) continue;
      const bytes = await this.#store.read(group.name, name, seen.consumed);
      const parsed = parseRecords(bytes);
      this.#stats.skipped += parsed.skipped;
      seen.consumed += parsed.consumed;
      for (const { kind, payload } of parsed.records) {
        if (kind === RecordKind.Header) {
          seen.valid ??= headerMatches(payload, fingerprint.key, dim);
          continue;
        }
        // A batch before any header belongs to no known backbone.
        seen.valid ??= false;
        if (!seen.valid) break;
        for (const [key, row] of decodeBatch(payload, dim) ?? []) if (!group.rows.has(key)) group.rows.set(key, row);
      }
    }
  }
}

function headerMatches(payload: Uint8Array, key: string, dim: number): boolean {
  try {
    const h = JSON.parse(new TextDecoder().decode(payload)) as { format?: unknown; fingerprint?: unknown; dim?: unknown };
    return h.format === RECORD_FORMAT && h.fingerprint === key && h.dim === dim;
  } catch {
    return false;
  }
}

const opened = new Map<string, EmbeddingCache>();

/**
 * @internal The cache an `embed` call asked for: the object itself, or the platform's store at
 * a folder (`true`: the default one), opened once per process so that its records are read once.
 */
export function resolveEmbeddingCache(owner: string, cache: EmbedCacheOptions['cache']): EmbeddingCache | undefined {
  if (cache === undefined || cache === false) return undefined;
  if (EmbeddingCache.is(cache)) return cache;
  if (cache !== true && (typeof cache !== 'string' || cache.length === 0)) {
    throw new InvalidArgumentError(
      `${owner}: cache must be an EmbeddingCache, a folder, true or false; received ${cache === null ? 'null' : typeof cache === 'string' ? '""' : typeof cache}.`,
    );
  }
  const dir = cache === true ? undefined : cache;
  const key = dir ?? '';
  let found = opened.get(key);
  if (!found) {
    found = EmbeddingCache.open(dir === undefined ? {} : { dir });
    opened.set(key, found);
  }
  return found;
}

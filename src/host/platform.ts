import type { EmbeddingStore } from '../embedding-cache/embedding-store.js';
import { BackendUnavailableError } from '../errors/index.js';
import type { DecodedImageFile, DecodeImageOptions } from '../image/image-file.js';

/**
 * What the platform-neutral core needs from its host and cannot import itself. The platform
 * entrypoints (`dvme/node`, `dvme/browser`) register one on import; an app on another runtime
 * (Deno, a worker, React Native) can register its own with {@link registerPlatform}.
 *
 * @remarks Since 0.1.0.
 * @example
 * ```ts
 * import { registerPlatform } from 'dvme';
 * registerPlatform({
 *   name: 'my-runtime',
 *   readFile: async (path) => new Uint8Array(await (await fetch(path)).arrayBuffer()),
 * });
 * ```
 */
export interface Platform {
  /** Short name, shown in messages (`'node'`, `'browser'`). */
  readonly name: string;
  /** Reads a local file path into bytes. Absent where there is no file system. */
  readonly readFile?: (path: string) => Promise<Uint8Array>;
  /**
   * Lists the files under a local folder, recursively, as `/`-separated paths relative to it,
   * sorted. Absent where there is no file system (`ImageDataset.fromFolder` needs it).
   */
  readonly listFiles?: (dir: string) => Promise<string[]>;
  /**
   * Decodes PNG or JPEG bytes (`dvme/node`: its `decodeImage`). Absent where images come as
   * platform objects instead (`ImageDataset` needs it for image files).
   */
  readonly decodeImage?: (bytes: Uint8Array, options: DecodeImageOptions) => Promise<DecodedImageFile>;
  /**
   * Opens the persistent store that `download` keeps files in. Absent on a platform without
   * one: downloads then stay in memory and are fetched again next time.
   */
  readonly openCache?: (options: DownloadCacheOptions) => DownloadCache;
  /**
   * Opens the persistent store of `EmbeddingCache.open` (`dvme/node`: the folder `dir`, by
   * default `<cache dir>/embeddings`). Absent on a platform without one.
   */
  readonly openEmbeddingStore?: (dir: string | undefined) => EmbeddingStore;
  /**
   * Recognises the platform's own image objects (`dvme/browser`: `<img>`, canvases,
   * `ImageBitmap`, `<video>`), so that `embed` accepts them: a {@link PlatformImage} for one of
   * them, `undefined` for anything else. Called before any work, once per image; it may throw
   * a `DvmeError` for an image that cannot be read (an `<img>` that has not loaded).
   */
  readonly openImage?: (image: object) => PlatformImage | undefined;
}

/**
 * An image object of the platform as {@link Platform.openImage} hands it to the core: its size
 * at once, its pixels when its batch is embedded.
 *
 * @remarks Since 0.1.0.
 * @example
 * ```ts
 * import { registerPlatform, type PlatformImage } from 'dvme';
 * // A runtime whose images carry RGBA bytes in a `rgba` field:
 * registerPlatform({
 *   name: 'my-runtime',
 *   openImage: (image) => {
 *     const img = image as { rgba?: Uint8Array; w: number; h: number };
 *     if (!(img.rgba instanceof Uint8Array)) return undefined;
 *     const handle: PlatformImage = { width: img.w, height: img.h, read: () => img.rgba! };
 *     return handle;
 *   },
 * });
 * ```
 */
export interface PlatformImage {
  /** Width in pixels. */
  readonly width: number;
  /** Height in pixels. */
  readonly height: number;
  /** The pixels as RGBA bytes, row-major, `width * height * 4` of them. */
  read(): Uint8Array | Uint8ClampedArray;
}

/**
 * Where a platform's download cache lives, as `download` and `loadBackbone` pass it on.
 *
 * @remarks Since 0.1.0.
 * @example
 * ```ts
 * import type { DownloadCacheOptions } from 'dvme';
 * const options: DownloadCacheOptions = { dir: '/data/dvme-cache' };
 * ```
 */
export interface DownloadCacheOptions {
  /**
   * Folder of the cache (Node). Ignored by the browser's Cache Storage.
   * @defaultValue `$DVME_CACHE_DIR`, else `$XDG_CACHE_HOME/dvme`, else `~/.cache/dvme`
   */
  readonly dir?: string;
}

/**
 * A persistent key-value store of downloaded files. Keys are `/`-separated relative paths of
 * `[A-Za-z0-9._-]` segments (`'backbones/resnet50.tv_in1k/resnet50-0676ba61.pth'`).
 * `dvme/node` stores files under a folder, `dvme/browser` in Cache Storage; implement it to
 * keep downloads elsewhere (IndexedDB, a KV store).
 *
 * @remarks Since 0.1.0.
 * @example
 * ```ts
 * import type { DownloadCache } from 'dvme';
 * const files = new Map<string, Uint8Array>();
 * const memoryCache: DownloadCache = {
 *   location: 'memory',
 *   read: async (key) => files.get(key),
 *   delete: async (key) => void files.delete(key),
 *   begin: async (key) => ({
 *     partial: new Uint8Array(0), // no resume
 *     append: async () => {},
 *     restart: async () => {},
 *     commit: async (bytes) => void files.set(key, bytes),
 *     close: async () => {},
 *   }),
 * };
 * ```
 */
export interface DownloadCache {
  /** Where entries live, for messages (a folder, `Cache Storage 'dvme'`). */
  readonly location: string;
  /** The complete entry's bytes, or `undefined` when there is none. */
  read(key: string): Promise<Uint8Array | undefined>;
  /** Removes the entry and any partial download of it; no error when there is none. */
  delete(key: string): Promise<void>;
  /** Starts writing an entry, picking up an interrupted download of it where the store can. */
  begin(key: string): Promise<CacheWriter>;
}

/**
 * Writes one entry of a {@link DownloadCache} while it downloads. Nothing is visible to `read`
 * before `commit`.
 *
 * @remarks Since 0.1.0.
 * @example
 * ```ts
 * import type { CacheWriter } from 'dvme';
 * const discard: CacheWriter = {
 *   partial: new Uint8Array(0),
 *   append: async () => {}, restart: async () => {}, commit: async () => {}, close: async () => {},
 * };
 * ```
 */
export interface CacheWriter {
  /**
   * Bytes an earlier, interrupted download of this entry left behind, which the download asks
   * the server to continue with a `Range` request. Empty when there are none or the store
   * cannot resume.
   */
  readonly partial: Uint8Array;
  /** Adds the next downloaded bytes. */
  append(chunk: Uint8Array): Promise<void>;
  /** Forgets `partial` and everything appended: the server sent the whole file again. */
  restart(): Promise<void>;
  /** Publishes the entry atomically; `bytes` is its whole, verified content. */
  commit(bytes: Uint8Array): Promise<void>;
  /**
   * Stops writing without publishing: `keep` saves the bytes so far for a later resume (an
   * abort, a dropped connection); otherwise they are deleted (a bad file).
   */
  close(keep: boolean): Promise<void>;
}

let current: Platform | undefined;

/**
 * Registers the host platform's helpers for the core (file reading and the like). The
 * entrypoints call it on import; calling it again replaces the previous registration.
 *
 * @remarks Since 0.1.0.
 * @example
 * ```ts
 * import { registerPlatform, currentPlatform } from 'dvme';
 * registerPlatform({ name: 'test' });
 * currentPlatform()?.name; // 'test'
 * ```
 */
export function registerPlatform(platform: Platform): void {
  current = platform;
}

/**
 * The registered platform, or `undefined` when the app imported only the core.
 *
 * @remarks Since 0.1.0.
 * @example
 * ```ts
 * import { currentPlatform } from 'dvme/node';
 * currentPlatform()?.name; // 'node'
 * ```
 */
export function currentPlatform(): Platform | undefined {
  return current;
}

/**
 * @internal Reads a local path through the registered platform, or explains how to get one.
 */
export function readLocalFile(path: string): Promise<Uint8Array> {
  const readFile = current?.readFile;
  if (!readFile) {
    throw new BackendUnavailableError(
      `Cannot read the local file ${JSON.stringify(path)}: ${current ? `platform '${current.name}' has no file system` : 'no platform is registered'}. ` +
        `Import from 'dvme/node' instead of 'dvme' to read files in Node, or pass a URL, an ArrayBuffer or a Uint8Array.`,
    );
  }
  return readFile(path);
}

/**
 * @internal The registered platform's handle on one of its image objects, or `undefined` when
 * `image` is none (or no platform that reads images is registered).
 */
export function openPlatformImage(image: object): PlatformImage | undefined {
  return current?.openImage?.(image);
}

/** @internal The registered platform's embedding store, or `undefined` when it has none. */
export function openPlatformEmbeddingStore(dir: string | undefined): EmbeddingStore | undefined {
  return current?.openEmbeddingStore?.(dir);
}

/** @internal The registered platform's download cache, or `undefined` when it has none. */
export function openPlatformCache(options: DownloadCacheOptions): DownloadCache | undefined {
  return current?.openCache?.(options);
}

function missingPort(what: string): BackendUnavailableError {
  return new BackendUnavailableError(
    `Cannot ${what}: ${current ? `platform '${current.name}' cannot` : 'no platform is registered'}. ` +
      `Import from 'dvme/node' instead of 'dvme', or register a platform that supplies it (registerPlatform).`,
  );
}

/** @internal Lists a local folder's files through the registered platform. */
export function listLocalFiles(dir: string): Promise<string[]> {
  const list = current?.listFiles;
  if (!list) throw missingPort(`list the files of ${JSON.stringify(dir)}`);
  return list(dir);
}

/** @internal Decodes PNG / JPEG bytes through the registered platform. */
export function decodePlatformImage(bytes: Uint8Array, options: DecodeImageOptions): Promise<DecodedImageFile> {
  const decode = current?.decodeImage;
  if (!decode) throw missingPort(`decode the image ${JSON.stringify(options.name ?? 'bytes')}`);
  return decode(bytes, options);
}

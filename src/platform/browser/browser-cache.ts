import type { CacheWriter, DownloadCache, DownloadCacheOptions, Platform } from '../../host/platform.js';
import { BrowserEmbeddingStore } from './browser-embedding-store.js';

/** Name of the Cache Storage cache that holds dvme's downloads. */
const CACHE_NAME = 'dvme';

/**
 * Cache Storage keys are requests, so every entry gets a URL under a host that never resolves
 * (`.invalid` is reserved by RFC 2606): nothing is ever fetched from it.
 */
function entryUrl(key: string): string {
  return `https://dvme-cache.invalid/${key.split('/').map(encodeURIComponent).join('/')}`;
}

/**
 * @internal A {@link DownloadCache} in the browser's Cache Storage. It cannot resume: a
 * response is stored whole, once verified, so an interrupted download starts again.
 */
export class BrowserCacheStorage implements DownloadCache {
  readonly location = `Cache Storage '${CACHE_NAME}'`;
  readonly #storage: CacheStorage;

  constructor(storage: CacheStorage) {
    this.#storage = storage;
  }

  async read(key: string): Promise<Uint8Array | undefined> {
    const cache = await this.#storage.open(CACHE_NAME);
    const hit = await cache.match(entryUrl(key));
    return hit ? new Uint8Array(await hit.arrayBuffer()) : undefined;
  }

  async delete(key: string): Promise<void> {
    const cache = await this.#storage.open(CACHE_NAME);
    await cache.delete(entryUrl(key));
  }

  async begin(key: string): Promise<CacheWriter> {
    const storage = this.#storage;
    return {
      partial: new Uint8Array(0),
      // The download keeps the bytes in memory; nothing is written before commit.
      append: async () => {},
      restart: async () => {},
      commit: async (bytes) => {
        const cache = await storage.open(CACHE_NAME);
        const headers = { 'content-type': 'application/octet-stream', 'content-length': String(bytes.length) };
        try {
          await cache.put(entryUrl(key), new Response(bytes as Uint8Array<ArrayBuffer>, { headers }));
        } catch (e) {
          // A full quota must not fail a download that succeeded: the file is simply not kept.
          if ((e as { name?: unknown } | null)?.name !== 'QuotaExceededError') throw e;
        }
      },
      close: async () => {},
    };
  }
}

/**
 * @internal The platform `dvme/browser` registers: no file system, and Cache Storage for
 * downloads where the page has it (secure contexts only; absent on `http://` pages but localhost).
 */
export function browserPlatform(): Platform {
  const storage = (globalThis as { caches?: CacheStorage }).caches;
  // Relative URLs (download, Backbone.fromOnnx) mean what they mean to fetch: the page's.
  const baseUrl = () => (typeof document !== 'undefined' ? document.baseURI : (globalThis as { location?: { href?: string } }).location?.href);
  if (!storage) return { name: 'browser', baseUrl };
  return {
    name: 'browser',
    baseUrl,
    openCache: (_options: DownloadCacheOptions) => new BrowserCacheStorage(storage),
    openEmbeddingStore: (dir) => new BrowserEmbeddingStore(storage, dir),
  };
}

import { concatChunks, type EmbeddingStore } from '../../backbone/embedding-store.js';

/** Name of the Cache Storage cache that holds the embedding cache's records. */
const CACHE_NAME = 'dvme-embeddings';

/**
 * @internal An {@link EmbeddingStore} in the browser's Cache Storage. A response cannot grow,
 * so every append is an entry of its own (`.../<group>/<segment>/<n>`) and a segment is its
 * entries in order; `dir` keeps caches apart under one origin.
 */
export class BrowserEmbeddingStore implements EmbeddingStore {
  readonly location: string;
  readonly #storage: CacheStorage;
  readonly #base: string;
  readonly #next = new Map<string, number>();

  constructor(storage: CacheStorage, dir = 'default') {
    this.#storage = storage;
    // `.invalid` never resolves (RFC 2606): these URLs are keys, nothing is fetched from them.
    this.#base = `https://dvme-cache.invalid/embeddings/${encodeURIComponent(dir)}/`;
    this.location = `Cache Storage '${CACHE_NAME}' (${dir})`;
  }

  /** Entries under `prefix` (relative to the base), as `[rest of the URL, request]`. */
  async #entries(prefix: string): Promise<Array<[string, Request]>> {
    const cache = await this.#storage.open(CACHE_NAME);
    const start = this.#base + prefix;
    return (await cache.keys()).filter((r) => r.url.startsWith(start)).map((r) => [r.url.slice(start.length), r]);
  }

  async list(group: string): Promise<string[]> {
    return [...new Set((await this.#entries(`${group}/`)).map(([rest]) => rest.split('/')[0] as string))];
  }

  async read(group: string, segment: string, from: number): Promise<Uint8Array> {
    const cache = await this.#storage.open(CACHE_NAME);
    const parts = (await this.#entries(`${group}/${segment}/`)).sort(([a], [b]) => Number(a) - Number(b));
    const chunks: Uint8Array[] = [];
    for (const [, request] of parts) {
      const hit = await cache.match(request);
      if (hit) chunks.push(new Uint8Array(await hit.arrayBuffer()));
    }
    return concatChunks(chunks).subarray(from);
  }

  async append(group: string, segment: string, bytes: Uint8Array): Promise<void> {
    const cache = await this.#storage.open(CACHE_NAME);
    const key = `${group}/${segment}`;
    const n = this.#next.get(key) ?? 0;
    this.#next.set(key, n + 1);
    const headers = { 'content-type': 'application/octet-stream', 'content-length': String(bytes.length) };
    await cache.put(`${this.#base}${key}/${n}`, new Response(bytes as Uint8Array<ArrayBuffer>, { headers }));
  }

  async clear(group?: string): Promise<void> {
    const cache = await this.#storage.open(CACHE_NAME);
    for (const [, request] of await this.#entries(group === undefined ? '' : `${group}/`)) await cache.delete(request);
  }
}

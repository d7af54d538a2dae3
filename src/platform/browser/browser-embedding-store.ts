import type { EmbeddingStore } from '../../embedding-cache/embedding-store.js';
import { concatBytes } from '../../io/concat-bytes.js';

/** Name of the Cache Storage cache that holds the embedding cache's records. */
const CACHE_NAME = 'dvme-embeddings';

/**
 * @internal An {@link EmbeddingStore} in the browser's Cache Storage. A response cannot grow,
 * so every append is an entry of its own, named by the byte offset where it starts
 * (`.../<group>/<segment>/<offset>`), and a segment is its entries in order; `dir` keeps caches
 * apart under one origin. A read from an offset fetches the entries from there on, one by one
 * by name, without listing the cache's keys.
 */
export class BrowserEmbeddingStore implements EmbeddingStore {
  readonly location: string;
  readonly #storage: CacheStorage;
  readonly #base: string;
  /** Per `<group>/<segment>`: the entries seen so far, as start offset -> byte length. */
  readonly #chunks = new Map<string, Map<number, number>>();

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

  #known(key: string): Map<number, number> {
    let chunks = this.#chunks.get(key);
    if (!chunks) {
      chunks = new Map();
      this.#chunks.set(key, chunks);
    }
    return chunks;
  }

  async list(group: string): Promise<string[]> {
    return [...new Set((await this.#entries(`${group}/`)).map(([rest]) => rest.split('/')[0] as string))];
  }

  async read(group: string, segment: string, from: number): Promise<Uint8Array> {
    const cache = await this.#storage.open(CACHE_NAME);
    const key = `${group}/${segment}`;
    const known = this.#known(key);
    // The entry that holds `from`: 0, one seen before, the end of one seen before, or else
    // (an offset from another reader, or inside an entry) the last one starting at or before it.
    let start: number | undefined = from === 0 || known.has(from) ? from : undefined;
    for (const [at, length] of known) if (start === undefined && at < from && from < at + length) start = at;
    for (const [at, length] of known) if (start === undefined && at + length === from) start = from;
    if (start === undefined) {
      const starts = (await this.#entries(`${key}/`)).map(([rest]) => Number(rest)).filter((at) => Number.isInteger(at) && at <= from);
      if (starts.length === 0) return new Uint8Array(0);
      start = Math.max(...starts);
    }
    const first = start;
    const chunks: Uint8Array[] = [];
    for (;;) {
      const hit = await cache.match(`${this.#base}${key}/${start}`);
      if (!hit) break;
      const bytes = new Uint8Array(await hit.arrayBuffer());
      known.set(start, bytes.length);
      chunks.push(bytes);
      // An empty entry would never end the loop; the store writes none.
      if (bytes.length === 0) break;
      start += bytes.length;
    }
    return concatBytes(chunks).subarray(Math.min(from - first, start - first));
  }

  async append(group: string, segment: string, bytes: Uint8Array): Promise<void> {
    if (bytes.length === 0) return;
    const cache = await this.#storage.open(CACHE_NAME);
    const key = `${group}/${segment}`;
    const known = this.#known(key);
    // The segment's single writer is this store: its end is the end of the last entry it wrote.
    let end = 0;
    for (const [at, length] of known) end = Math.max(end, at + length);
    const headers = { 'content-type': 'application/octet-stream', 'content-length': String(bytes.length) };
    await cache.put(`${this.#base}${key}/${end}`, new Response(bytes as Uint8Array<ArrayBuffer>, { headers }));
    // Only once it is stored: a failed put (a full quota) leaves no gap for readers to stop at.
    known.set(end, bytes.length);
  }

  async clear(group?: string): Promise<void> {
    const cache = await this.#storage.open(CACHE_NAME);
    for (const [, request] of await this.#entries(group === undefined ? '' : `${group}/`)) await cache.delete(request);
    if (group === undefined) this.#chunks.clear();
    else for (const key of [...this.#chunks.keys()]) if (key.startsWith(`${group}/`)) this.#chunks.delete(key);
  }
}

import { concatBytes } from '../io/concat-bytes.js';
/**
 * Where an {@link EmbeddingCache} keeps its bytes: append-only segments grouped by backbone
 * fingerprint. `dvme/node` stores them as files under a folder, `dvme/browser` in Cache Storage,
 * {@link EmbeddingCache.inMemory} in a `Map`; implement it to keep them elsewhere (IndexedDB,
 * a KV store, object storage).
 *
 * @remarks
 * Since 0.1.0. Group and segment names are made of `[A-Za-z0-9._-]`. Each segment has a single
 * writer (the cache names a fresh one per writer), so a store needs no locking; a reader may
 * see a segment while it grows, and bytes torn by a crash are detected by the cache, never
 * returned as embeddings.
 *
 * @example
 * ```ts
 * import { EmbeddingCache, type EmbeddingStore } from 'dvme';
 * const groups = new Map<string, Map<string, Uint8Array>>();
 * const store: EmbeddingStore = {
 *   location: 'my map',
 *   list: async (group) => [...(groups.get(group)?.keys() ?? [])],
 *   read: async (group, segment, from) => (groups.get(group)?.get(segment) ?? new Uint8Array(0)).slice(from),
 *   append: async (group, segment, bytes) => {
 *     const g = groups.get(group) ?? new Map<string, Uint8Array>();
 *     const old = g.get(segment) ?? new Uint8Array(0);
 *     const next = new Uint8Array(old.length + bytes.length);
 *     next.set(old);
 *     next.set(bytes, old.length);
 *     groups.set(group, g.set(segment, next));
 *   },
 *   clear: async (group) => void (group === undefined ? groups.clear() : groups.delete(group)),
 * };
 * const cache = new EmbeddingCache(store);
 * ```
 */
export interface EmbeddingStore {
  /** Where the segments live, for messages (a folder, `Cache Storage 'dvme-embeddings'`). */
  readonly location: string;
  /** Names of the segments of `group`, in any order; empty when there is none. */
  list(group: string): Promise<string[]>;
  /** The bytes of a segment from offset `from` to its current end; empty when it is gone. */
  read(group: string, segment: string, from: number): Promise<Uint8Array>;
  /** Adds `bytes` at the end of a segment, creating the segment and its group when needed. */
  append(group: string, segment: string, bytes: Uint8Array): Promise<void>;
  /** Deletes one group, or every group when `group` is `undefined`; no error when there is none. */
  clear(group?: string): Promise<void>;
}


/** @internal An {@link EmbeddingStore} in memory: lost with the process. */
export class MemoryEmbeddingStore implements EmbeddingStore {
  readonly location = 'memory';
  readonly #groups = new Map<string, Map<string, Uint8Array[]>>();

  async list(group: string): Promise<string[]> {
    return [...(this.#groups.get(group)?.keys() ?? [])];
  }

  async read(group: string, segment: string, from: number): Promise<Uint8Array> {
    const chunks = this.#groups.get(group)?.get(segment) ?? [];
    return concatBytes(chunks).subarray(from);
  }

  async append(group: string, segment: string, bytes: Uint8Array): Promise<void> {
    const g = this.#groups.get(group) ?? new Map<string, Uint8Array[]>();
    this.#groups.set(group, g);
    const chunks = g.get(segment) ?? [];
    g.set(segment, chunks);
    // A copy: the caller may reuse its buffer.
    chunks.push(bytes.slice());
  }

  async clear(group?: string): Promise<void> {
    if (group === undefined) this.#groups.clear();
    else this.#groups.delete(group);
  }
}


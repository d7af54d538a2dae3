import { appendFile, mkdir, open, readdir, rm, rmdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { EmbeddingStore } from '../../embedding-cache/embedding-store.js';
import { isMissing, nodeCacheDir } from './node-cache.js';

/** Extension of segment files: `clear()` deletes these and nothing else. */
const EXT = '.dvec';
/** A group folder as `EmbeddingCache` names them: `<backbone id>-<32 hex digits of its fingerprint>`. */
const GROUP_NAME = /^[A-Za-z0-9._-]{0,64}-[0-9a-f]{32}$/;

/**
 * @internal An {@link EmbeddingStore} of files: `<dir>/<group>/<segment>.dvec`. Appends use
 * `O_APPEND`, so a crash leaves a prefix of the last write, which the cache detects.
 */
export class NodeEmbeddingStore implements EmbeddingStore {
  readonly location: string;

  constructor(dir: string) {
    this.location = dir;
  }

  async list(group: string): Promise<string[]> {
    try {
      const names = await readdir(join(this.location, group));
      return names.filter((n) => n.endsWith(EXT)).map((n) => n.slice(0, -EXT.length));
    } catch (e) {
      if (isMissing(e)) return [];
      throw e;
    }
  }

  async read(group: string, segment: string, from: number): Promise<Uint8Array> {
    let handle;
    try {
      handle = await open(join(this.location, group, segment + EXT), 'r');
    } catch (e) {
      if (isMissing(e)) return new Uint8Array(0);
      throw e;
    }
    try {
      const { size } = await handle.stat();
      const out = new Uint8Array(Math.max(0, size - from));
      let at = 0;
      while (at < out.length) {
        const { bytesRead } = await handle.read(out, at, out.length - at, from + at);
        if (bytesRead === 0) break;
        at += bytesRead;
      }
      return out.subarray(0, at);
    } finally {
      await handle.close();
    }
  }

  async append(group: string, segment: string, bytes: Uint8Array): Promise<void> {
    const folder = join(this.location, group);
    await mkdir(folder, { recursive: true });
    await appendFile(join(folder, segment + EXT), bytes);
  }

  async clear(group?: string): Promise<void> {
    let groups: string[];
    try {
      groups = group === undefined ? await readdir(this.location) : [group];
    } catch (e) {
      if (isMissing(e)) return;
      throw e;
    }
    // Only segment files go, and then their folder if it is empty and the cache's own (it held
    // segments, or has a group's name): `dir` may be the user's, holding other files and folders.
    for (const g of groups) {
      const segments = await this.list(g).catch(() => []);
      for (const segment of segments) await rm(join(this.location, g, segment + EXT), { force: true });
      if (group !== undefined || segments.length > 0 || GROUP_NAME.test(g)) await rmdir(join(this.location, g)).catch(() => undefined);
    }
  }
}

/** @internal `Platform.openEmbeddingStore` of `dvme/node`. */
export function openNodeEmbeddingStore(dir: string | undefined): EmbeddingStore {
  return new NodeEmbeddingStore(dir === undefined ? join(nodeCacheDir(), 'embeddings') : resolve(dir));
}

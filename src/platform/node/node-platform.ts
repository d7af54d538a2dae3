import { readFile } from 'node:fs/promises';
import type { Platform } from '../../host/platform.js';
import { openNodeCache } from './node-cache.js';
import { openNodeEmbeddingStore } from './node-embedding-store.js';

/** @internal The Node.js platform helpers, registered by `dvme/node` and `dvme/node-gpu`. */
export const nodePlatform: Platform = {
  name: 'node',
  readFile: async (path) => {
    const buf = await readFile(path);
    return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
  },
  openCache: openNodeCache,
  openEmbeddingStore: openNodeEmbeddingStore,
};

import { InvalidArgumentError } from '../errors/index.js';
import { download } from '../io/download.js';
import { currentPlatform, readLocalFile } from '../host/platform.js';
import type { CheckpointSource, FromCheckpointOptions } from './from-checkpoint.js';

function fileUrlToPath(url: string): string {
  const path = decodeURIComponent(new URL(url).pathname);
  return /^\/[A-Za-z]:\//.test(path) ? path.slice(1) : path; // file:///C:/x -> C:/x
}

/**
 * @internal The bytes of a checkpoint and a name for them: a buffer as it is, an http(s) URL
 * downloaded (uncached: caching downloads is the registry's job), a path or `file:` URL read.
 */
export async function readCheckpointSource(owner: string, source: CheckpointSource, options: FromCheckpointOptions): Promise<{ bytes: Uint8Array; name: string }> {
  if (source instanceof ArrayBuffer) return { bytes: new Uint8Array(source), name: `${source.byteLength} bytes` };
  if (ArrayBuffer.isView(source)) {
    return { bytes: new Uint8Array(source.buffer, source.byteOffset, source.byteLength), name: `${source.byteLength} bytes` };
  }
  if (typeof source !== 'string') {
    throw new InvalidArgumentError(
      `${owner}: source must be a path, a URL, an ArrayBuffer or a Uint8Array; received ${source === null ? 'null' : typeof source}.`,
    );
  }
  // A platform without files (the browser's) fetches other strings relative to the page.
  const platform = currentPlatform();
  if (/^https?:\/\//i.test(source) || (platform !== undefined && !platform.readFile && !/^file:/i.test(source))) {
    const base = (globalThis as { location?: { href?: string } }).location?.href;
    const url = base === undefined ? source : new URL(source, base).href;
    const { signal, fetch, onProgress, maxBytes, idleTimeoutMs } = options;
    // No cache here: caching downloads is the registry's job (loadBackbone).
    const bytes = await download(url, {
      cache: false,
      ...(maxBytes === undefined ? {} : { maxBytes }),
      ...(idleTimeoutMs === undefined ? {} : { idleTimeoutMs }),
      ...(signal ? { signal } : {}),
      ...(fetch ? { fetch } : {}),
      onProgress: (loaded, total) => (total ? onProgress?.((0.8 * loaded) / total) : undefined),
    });
    return { bytes, name: source };
  }
  return { bytes: await readLocalFile(/^file:\/\//i.test(source) ? fileUrlToPath(source) : source), name: source };
}


import { BackendUnavailableError, OfflineError } from '../errors/index.js';
// Named in the TSDoc below.
import type { AbortError, DownloadError, IntegrityError, InvalidArgumentError } from '../errors/index.js';
import { currentPlatform, openPlatformCache, type CacheWriter } from '../host/platform.js';
import type { DownloadOptions } from './download-options.js';
import { aborted, mismatch, OWNER, plan } from './download-plan.js';
import { fetchVerified } from './download-transfer.js';

export type { DownloadOptions } from './download-options.js';
export { defaultCacheKey } from './download-plan.js';

/** Serialises work on one cache entry inside this process, so two loads share one download. */
const inFlight = new Map<string, Promise<unknown>>();

async function exclusive<T>(id: string, work: () => Promise<T>): Promise<T> {
  const run = (inFlight.get(id) ?? Promise.resolve()).catch(() => undefined).then(work);
  inFlight.set(id, run);
  try {
    return await run;
  } finally {
    if (inFlight.get(id) === run) inFlight.delete(id);
  }
}

/** Keeps nothing: the download of a core without a cache lives in memory only. */
const MEMORY_WRITER: CacheWriter = {
  partial: new Uint8Array(0),
  append: async () => {},
  restart: async () => {},
  commit: async () => {},
  close: async () => {},
};

/**
 * Downloads a file into the platform's cache (once) and returns its bytes, verifying its size
 * and SHA-256 when given.
 *
 * @param url - an absolute `http(s)://` URL; in `dvme/browser` also one relative to the page
 *   (`'/models/resnet.onnx'`), resolved as `fetch` resolves it.
 * @param options - checksum, size, byte cap, idle timeout, cache key, progress, offline mode,
 * abort signal, `fetch`.
 * @returns the file's bytes, from the cache when a valid copy is there (no request is made).
 * @throws {@link DownloadError} for HTTP errors (with `status` and `url`), network failures, a
 * file larger than `maxBytes` and a server silent for `idleTimeoutMs`;
 * {@link IntegrityError} when size or SHA-256 differ (the bad file is deleted);
 * {@link OfflineError} with `offline: true` and no valid cached copy; {@link AbortError} when
 * `signal` fires; {@link InvalidArgumentError} for bad options.
 *
 * @remarks
 * Since 0.1.0. The bytes stream into the cache while they arrive and are published only once
 * verified. `dvme/node` writes `<cache dir>/<cacheKey>.part` and renames it into place
 * (atomic); an interrupted download resumes from the `.part` with an HTTP `Range` request whose
 * `If-Range` carries the ETag (or Last-Modified) the server sent with those bytes, so a file
 * that changed meanwhile comes whole instead of spliced; without such a validator the `.part`
 * is deleted and the next call starts over, as it does when the server ignores the range.
 * Without a `size`, the body is capped at `maxBytes` (2 GiB) and a silent server given up
 * after `idleTimeoutMs` (30 s). `dvme/browser` keeps files in Cache
 * Storage (`caches.open('dvme')`) and does not resume: an interrupted download starts over.
 * The core alone (`dvme`, no platform registered) downloads into memory and caches nothing.
 * Calls for the same cache entry in one process wait for each other instead of racing.
 * @example
 * ```ts
 * import { download } from 'dvme/node';
 * const bytes = await download('https://download.pytorch.org/models/resnet50-0676ba61.pth', {
 *   sha256: '0676ba61',
 *   onProgress: (loaded, total) => process.stdout.write(`\r${loaded} / ${total} bytes`),
 * });
 * bytes.length; // 102530333; a second call reads ~/.cache/dvme instead of the network
 * ```
 */
export async function download(url: string, options: DownloadOptions = {}): Promise<Uint8Array> {
  const p = plan(resolveRelative(url), options);
  const { signal, offline = false, onProgress } = options;
  if (signal?.aborted) throw aborted(p, signal, 0);
  const cache = options.cache === false ? undefined : (options.cache ?? openPlatformCache({ dir: options.cacheDir }));
  const fetchFn = options.fetch ?? (globalThis as { fetch?: typeof fetch }).fetch?.bind(globalThis);
  if (!cache) {
    if (offline) {
      throw new OfflineError(
        `${OWNER}: ${p.url} was requested with offline: true, but there is no download cache ` +
          "(import from 'dvme/node' or 'dvme/browser' to get one).",
        { url: p.url },
      );
    }
    if (!fetchFn) throw new BackendUnavailableError(`${OWNER}: this runtime has no fetch; pass options.fetch.`);
    return fetchVerified(p, MEMORY_WRITER, options, fetchFn);
  }
  return exclusive(`${cache.location}\n${p.key}`, async () => {
    const hit = await cache.read(p.key);
    const where = `${cache.location} (key '${p.key}')`;
    let stale = '';
    if (hit) {
      const bad = await mismatch(p, hit);
      if (!bad) {
        onProgress?.(hit.length, hit.length);
        return hit;
      }
      await cache.delete(p.key);
      stale = ` The cached copy failed its ${bad.check} check and was deleted.`;
    }
    if (offline) {
      throw new OfflineError(
        `${OWNER}: ${p.url} is not in the cache at ${where} and offline is true.${stale} ` +
          'Run once with network access, or put the file there.',
        { url: p.url },
      );
    }
    if (!fetchFn) throw new BackendUnavailableError(`${OWNER}: this runtime has no fetch; pass options.fetch.`);
    if (signal?.aborted) throw aborted(p, signal, 0);
    return fetchVerified(p, await cache.begin(p.key), options, fetchFn);
  });
}

/** A URL without a scheme, resolved against the platform's base URL (a page's), if it has one. */
function resolveRelative(url: string): string {
  if (typeof url !== 'string' || /^[a-z][a-z0-9+.-]*:/i.test(url)) return url;
  const base = currentPlatform()?.baseUrl?.();
  if (!base) return url;
  try {
    return new URL(url, base).href;
  } catch {
    return url;
  }
}

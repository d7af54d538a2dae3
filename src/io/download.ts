import {
  AbortError,
  BackendUnavailableError,
  DownloadError,
  IntegrityError,
  InvalidArgumentError,
  OfflineError,
} from '../errors/index.js';
import { openPlatformCache, type CacheWriter, type DownloadCache } from '../host/platform.js';
import { sha256Hex } from './sha256.js';
import { concatBytes } from './concat-bytes.js';

/**
 * Options of {@link download}.
 *
 * @remarks Since 0.1.0.
 * @example
 * ```ts
 * import type { DownloadOptions } from 'dvme';
 * const options: DownloadOptions = {
 *   sha256: '0676ba61', // torchvision puts the first 8 hex digits in its file names
 *   size: 102530333,
 *   onProgress: (loaded, total) => console.log(`${loaded} / ${total ?? '?'} bytes`),
 * };
 * ```
 */
export interface DownloadOptions {
  /**
   * Expected SHA-256, as hex: the full 64 digits, or a prefix of at least 8 (as torchvision's
   * file names carry). Checked before the file enters the cache and on every cache hit.
   */
  readonly sha256?: string;
  /** Expected size in bytes, checked like `sha256` (and against the server's `Content-Length`). */
  readonly size?: number;
  /**
   * Name of the file in the cache: `/`-separated segments of `[A-Za-z0-9._-]`.
   * @defaultValue the URL's host and path, e.g. `'download.pytorch.org/models/resnet50-0676ba61.pth'`
   */
  readonly cacheKey?: string;
  /** Called as bytes arrive (and once on a cache hit); `total` is `undefined` when unknown. */
  readonly onProgress?: (loaded: number, total: number | undefined) => void;
  /** Use the cache only; a file that is not cached throws {@link OfflineError}. @defaultValue `false` */
  readonly offline?: boolean;
  /** Aborts the download with an {@link AbortError}; the bytes so far are kept for a resume. */
  readonly signal?: AbortSignal;
  /** The `fetch` to use. @defaultValue the global `fetch` */
  readonly fetch?: typeof fetch;
  /** Cache folder under `dvme/node`. @defaultValue `$DVME_CACHE_DIR`, else `~/.cache/dvme` */
  readonly cacheDir?: string;
  /** Another store for the file, or `false` to keep it in memory only. @defaultValue the platform's */
  readonly cache?: DownloadCache | false;
}

interface Plan {
  readonly url: string;
  readonly key: string;
  readonly sha256: string | undefined;
  readonly size: number | undefined;
}

interface Mismatch {
  readonly check: 'size' | 'sha256';
  readonly expected: string | number;
  readonly actual: string | number;
}

const OWNER = 'download';
const SEGMENT = /^[A-Za-z0-9._-]+$/;

/** FNV-1a, to tell apart URLs that differ only in their query string. */
function shortHash(text: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return (h >>> 0).toString(16).padStart(8, '0');
}

function safeSegment(segment: string): string {
  const s = segment.replace(/[^A-Za-z0-9._-]/g, '_');
  return s === '.' || s === '..' || s.endsWith('.part') ? `${s}_` : s;
}

/** @internal The cache key of a URL: its host and path, made safe as file names. */
export function defaultCacheKey(url: URL): string {
  const segments = [url.host, ...url.pathname.split('/').filter((s) => s.length > 0)].map(safeSegment);
  if (segments.length === 1 || url.pathname.endsWith('/')) segments.push('index');
  if (url.search) segments.push(`${segments.pop() as string}_${shortHash(url.search)}`);
  return segments.join('/');
}

function checkCacheKey(key: unknown): string {
  const segments = typeof key === 'string' ? key.split('/') : [];
  const ok =
    typeof key === 'string' &&
    key.length <= 1000 &&
    segments.every((s) => SEGMENT.test(s) && s !== '.' && s !== '..' && !s.endsWith('.part'));
  if (!ok) {
    throw new InvalidArgumentError(
      `${OWNER}: cacheKey must be '/'-separated names of letters, digits, '.', '_' and '-' (no '..', no '.part' ending); ` +
        `received ${JSON.stringify(key)}. Example: 'datasets/retinamnist.npz'.`,
    );
  }
  return key as string;
}

function plan(url: unknown, options: DownloadOptions): Plan {
  let parsed: URL | undefined;
  try {
    parsed = typeof url === 'string' ? new URL(url) : undefined;
  } catch {
    parsed = undefined;
  }
  if (!parsed || (parsed.protocol !== 'https:' && parsed.protocol !== 'http:')) {
    throw new InvalidArgumentError(
      `${OWNER}: url must be an absolute http(s) URL; received ${JSON.stringify(url)}. Read local files with readFile instead.`,
    );
  }
  const { sha256, size } = options;
  if (sha256 !== undefined && !(typeof sha256 === 'string' && /^[0-9a-fA-F]{8,64}$/.test(sha256))) {
    throw new InvalidArgumentError(
      `${OWNER}: sha256 must be 8 to 64 hex digits (the whole digest or a prefix of it); received ${JSON.stringify(sha256)}.`,
    );
  }
  if (size !== undefined && !(Number.isSafeInteger(size) && size >= 0)) {
    throw new InvalidArgumentError(`${OWNER}: size must be a whole number of bytes >= 0; received ${JSON.stringify(size)}.`);
  }
  return {
    url: parsed.href,
    key: options.cacheKey === undefined ? defaultCacheKey(parsed) : checkCacheKey(options.cacheKey),
    sha256: sha256?.toLowerCase(),
    size,
  };
}

async function mismatch(p: Plan, bytes: Uint8Array): Promise<Mismatch | undefined> {
  if (p.size !== undefined && bytes.length !== p.size) return { check: 'size', expected: p.size, actual: bytes.length };
  if (p.sha256 !== undefined) {
    const actual = await sha256Hex(bytes);
    if (!actual.startsWith(p.sha256)) return { check: 'sha256', expected: p.sha256, actual };
  }
  return undefined;
}

function integrityError(p: Plan, m: Mismatch, what: string): IntegrityError {
  const values =
    m.check === 'size' ? `${m.actual} bytes instead of ${m.expected}` : `sha256 ${m.actual}, expected ${m.expected}${(m.expected as string).length < 64 ? '...' : ''}`;
  return new IntegrityError(
    `${OWNER}: ${what} ${p.url} has ${values}. It was deleted. The file at the URL changed, or the transfer was corrupted; ` +
      'try again, and if it persists the recorded checksum is out of date.',
    { url: p.url, ...m },
  );
}

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

function aborted(p: Plan, signal: AbortSignal | undefined, loaded: number): AbortError {
  return new AbortError(
    `${OWNER} of ${p.url} was aborted after ${loaded} bytes; a later call resumes where it stopped when the cache can.`,
    { cause: signal?.reason },
  );
}

async function request(p: Plan, fetchFn: typeof fetch, from: number, signal: AbortSignal | undefined): Promise<Response> {
  const headers: Record<string, string> = from > 0 ? { Range: `bytes=${from}-` } : {};
  try {
    return await fetchFn(p.url, { headers, signal, redirect: 'follow' });
  } catch (e) {
    if (signal?.aborted) throw aborted(p, signal, from);
    throw new DownloadError(
      `${OWNER}: could not reach ${p.url} (${e instanceof Error ? e.message : String(e)}). Check the network, or pass ` +
        'offline: true to use cached files only.',
      { cause: e, url: p.url },
    );
  }
}

function httpError(p: Plan, response: Response): DownloadError {
  const hint =
    response.status === 404 || response.status === 410
      ? 'The file is not there: the URL is wrong or the file moved.'
      : response.status >= 500
        ? 'The server failed; try again later.'
        : 'Check the URL and whether it needs authentication.';
  return new DownloadError(`${OWNER}: GET ${p.url} answered HTTP ${response.status} ${response.statusText}. ${hint}`, {
    url: p.url,
    status: response.status,
  });
}

/** The whole file's size, from `Content-Range` (206) or `Content-Length` when not re-encoded. */
function announcedSize(response: Response, offset: number): number | undefined {
  const range = /\/(\d+)\s*$/.exec(response.headers.get('content-range') ?? '');
  if (response.status === 206 && range) return Number(range[1]);
  const encoding = response.headers.get('content-encoding');
  const length = response.headers.get('content-length');
  if ((encoding && encoding !== 'identity') || length === null || !/^\d+$/.test(length)) return undefined;
  return offset + Number(length);
}

/** Frees a response whose body will not be read. */
async function discard(response: Response): Promise<void> {
  await response.body?.cancel().catch(() => undefined);
}

/** The body as a chunk reader; a `fetch` without streams gives it as one chunk. */
function bodyReader(response: Response): Pick<ReadableStreamDefaultReader<Uint8Array>, 'read' | 'cancel'> {
  if (response.body) return response.body.getReader();
  let done = false;
  return {
    read: async () => {
      if (done) return { done: true, value: undefined };
      done = true;
      return { done: false, value: new Uint8Array(await response.arrayBuffer()) };
    },
    cancel: async () => {},
  };
}

/** Accumulates the body in one preallocated buffer when the size is known, else in chunks. */
class Sink {
  readonly #buffer: Uint8Array | undefined;
  #filled = 0;
  readonly #chunks: Uint8Array[] = [];

  constructor(total: number | undefined) {
    let buffer: Uint8Array | undefined;
    try {
      buffer = total === undefined ? undefined : new Uint8Array(total);
    } catch {
      buffer = undefined; // too large to allocate at once: collect chunks instead
    }
    this.#buffer = buffer;
  }

  add(chunk: Uint8Array): void {
    if (this.#buffer && this.#chunks.length === 0 && this.#filled + chunk.length <= this.#buffer.length) {
      this.#buffer.set(chunk, this.#filled);
      this.#filled += chunk.length;
    } else {
      this.#chunks.push(chunk);
    }
  }

  bytes(): Uint8Array {
    const head = this.#buffer?.subarray(0, this.#filled);
    if (head && this.#chunks.length === 0) return head;
    return concatBytes(head ? [head, ...this.#chunks] : this.#chunks);
  }
}

/** Fetches `p.url` through `writer` (resuming its partial bytes), verifies, then commits. */
async function fetchVerified(p: Plan, writer: CacheWriter, options: DownloadOptions, fetchFn: typeof fetch): Promise<Uint8Array> {
  const { signal, onProgress } = options;
  let keep = true;
  let committed = false;
  try {
    let partial = writer.partial;
    // A crash between the last write and the rename leaves a complete partial file.
    if (partial.length > 0 && p.size !== undefined && partial.length >= p.size) {
      if (!(await mismatch(p, partial))) {
        await writer.commit(partial);
        committed = true;
        onProgress?.(partial.length, partial.length);
        return partial;
      }
      await writer.restart();
      partial = writer.partial;
    }
    let response = await request(p, fetchFn, partial.length, signal);
    const continues = /^bytes (\d+)-/.exec(response.headers.get('content-range') ?? '')?.[1] === String(partial.length);
    // 416: the partial bytes do not fit the file (it changed); 206 from elsewhere: not ours.
    if (partial.length > 0 && (response.status === 416 || (response.status === 206 && !continues))) {
      await discard(response);
      await writer.restart();
      partial = writer.partial;
      response = await request(p, fetchFn, 0, signal);
    }
    if (!response.ok) {
      await discard(response);
      throw httpError(p, response);
    }
    // A 200 to a Range request: the server sends the whole file, so start over.
    if (response.status !== 206 && partial.length > 0) {
      await writer.restart();
      partial = writer.partial;
    }
    const announced = announcedSize(response, partial.length);
    if (p.size !== undefined && announced !== undefined && announced !== p.size) {
      await discard(response);
      keep = false;
      throw integrityError(p, { check: 'size', expected: p.size, actual: announced }, 'the server says');
    }
    const total = p.size ?? announced;
    const sink = new Sink(total);
    sink.add(partial);
    let loaded = partial.length;
    onProgress?.(loaded, total);
    const reader = bodyReader(response);
    for (;;) {
      let chunk: ReadableStreamReadResult<Uint8Array>;
      try {
        chunk = await reader.read();
      } catch (e) {
        if (signal?.aborted) throw aborted(p, signal, loaded);
        throw new DownloadError(
          `${OWNER}: the connection to ${p.url} failed after ${loaded} bytes (${e instanceof Error ? e.message : String(e)}). ` +
            'Call again to resume.',
          { cause: e, url: p.url },
        );
      }
      if (chunk.done) break;
      if (total !== undefined && loaded + chunk.value.length > total) {
        await reader.cancel().catch(() => undefined);
        keep = false;
        throw integrityError(p, { check: 'size', expected: total, actual: loaded + chunk.value.length }, 'the body of');
      }
      sink.add(chunk.value);
      await writer.append(chunk.value);
      loaded += chunk.value.length;
      onProgress?.(loaded, total);
      if (signal?.aborted) {
        await reader.cancel().catch(() => undefined);
        throw aborted(p, signal, loaded);
      }
    }
    if (announced !== undefined && loaded < announced) {
      throw new DownloadError(
        `${OWNER}: ${p.url} ended after ${loaded} of ${announced} bytes. Call again to resume.`,
        { url: p.url, status: response.status },
      );
    }
    const bytes = sink.bytes();
    const bad = await mismatch(p, bytes);
    if (bad) {
      keep = false;
      throw integrityError(p, bad, 'the download of');
    }
    await writer.commit(bytes);
    committed = true;
    return bytes;
  } finally {
    if (!committed) await writer.close(keep).catch(() => undefined);
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
 * @param url - an absolute `http(s)://` URL.
 * @param options - checksum, size, cache key, progress, offline mode, abort signal, `fetch`.
 * @returns the file's bytes, from the cache when a valid copy is there (no request is made).
 * @throws {@link DownloadError} for HTTP errors (with `status` and `url`) and network failures;
 * {@link IntegrityError} when size or SHA-256 differ (the bad file is deleted);
 * {@link OfflineError} with `offline: true` and no valid cached copy; {@link AbortError} when
 * `signal` fires; {@link InvalidArgumentError} for bad options.
 *
 * @remarks
 * Since 0.1.0. The bytes stream into the cache while they arrive and are published only once
 * verified. `dvme/node` writes `<cache dir>/<cacheKey>.part` and renames it into place
 * (atomic); an interrupted download resumes from the `.part` with an HTTP `Range` request,
 * and starts over when the server ignores the range. `dvme/browser` keeps files in Cache
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
  const p = plan(url, options);
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

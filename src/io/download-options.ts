import type { DownloadCache } from '../host/platform.js';
// Named in the TSDoc below.
import type { AbortError, OfflineError } from '../errors/index.js';

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
   * Most bytes the file may have. A server that announces more is refused before its body is
   * read, and a body that grows past it (a server that never ends) is cut off, its partial
   * file deleted: a download is held in memory whole, so this bounds memory and disk alike.
   * @defaultValue `size` when given, else `2_147_483_648` (2 GiB, the most Node reads back
   * from a cached file in one piece)
   */
  readonly maxBytes?: number;
  /**
   * Milliseconds to wait for the server's answer, and then for each next piece of the body,
   * before giving up with a {@link DownloadError}: a stalled server would otherwise hold the
   * call for the HTTP client's own timeout (300 s in Node). A partial file is kept for a resume
   * when the server gave a validator (ETag or Last-Modified), else deleted.
   * @defaultValue `30_000`
   */
  readonly idleTimeoutMs?: number;
  /**
   * Name of the file in the cache: `/`-separated segments of `[A-Za-z0-9._-]`.
   * @defaultValue the URL's host and path, e.g. `'download.pytorch.org/models/resnet50-0676ba61.pth'`
   */
  readonly cacheKey?: string;
  /** Called as bytes arrive (and once on a cache hit); `total` is `undefined` when unknown. */
  readonly onProgress?: (loaded: number, total: number | undefined) => void;
  /** Use the cache only; a file that is not cached throws {@link OfflineError}. @defaultValue `false` */
  readonly offline?: boolean;
  /**
   * Aborts the download with an {@link AbortError}. The bytes so far are kept for a resume when
   * the server gave a validator (ETag or Last-Modified) that a later call can check, else deleted.
   */
  readonly signal?: AbortSignal;
  /** The `fetch` to use. @defaultValue the global `fetch` */
  readonly fetch?: typeof fetch;
  /** Cache folder under `dvme/node`. @defaultValue `$DVME_CACHE_DIR`, else `~/.cache/dvme` */
  readonly cacheDir?: string;
  /** Another store for the file, or `false` to keep it in memory only. @defaultValue the platform's */
  readonly cache?: DownloadCache | false;
}

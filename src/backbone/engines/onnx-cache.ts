import { InvalidArgumentError } from '../../errors/index.js';
import { Sha256, sha256Hex } from '../../io/sha256.js';
import { openPlatformCache, type DownloadCache } from '../../host/platform.js';
import type { TorchStateDict } from '../arch/torch-weights.js';

/**
 * Where dvme keeps the `.onnx` files it builds, so that the next load skips the build.
 *
 * @remarks Since 0.1.0.
 * @example
 * ```ts
 * import type { OnnxCacheOptions } from 'dvme';
 * const options: OnnxCacheOptions = { cacheDir: '/data/dvme-cache' };
 * ```
 */
export interface OnnxCacheOptions {
  /**
   * A store for built graphs, or `false` to build every time.
   * @defaultValue the platform's (`dvme/node`: files under `<cacheDir>/onnx/`; `dvme/browser`: Cache Storage)
   */
  readonly cache?: DownloadCache | false;
  /** Cache folder under `dvme/node`. @defaultValue `$DVME_CACHE_DIR`, else `$XDG_CACHE_HOME/dvme`, else `~/.cache/dvme` */
  readonly cacheDir?: string;
  /**
   * What identifies the weights, e.g. the checkpoint's SHA-256 when the caller already knows it:
   * skips hashing the weights (docs/performance.md). @defaultValue the SHA-256 of the weights
   */
  readonly weightsKey?: string;
}

/**
 * @internal SHA-256 over every weight's key, shape and bytes, in key order. Each tensor is
 * hashed on its own (with WebCrypto where there is one: no 100 MB concatenation), then the
 * list of digests is hashed.
 */
export async function stateDictDigest(state: TorchStateDict): Promise<string> {
  const keys = [...state.keys()].sort();
  const digests = await Promise.all(
    keys.map((k) => {
      const t = state.get(k)!;
      return sha256Hex(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength));
    }),
  );
  const h = new Sha256();
  const utf8 = new TextEncoder();
  keys.forEach((k, i) => h.update(utf8.encode(`${k}\u0000${state.get(k)!.shape.join(',')}\u0000${digests[i]}\n`)));
  return h.hex();
}

/** @internal A cache key from readable parts: `onnx/<parts joined by '-'>-<digest 16>.onnx`. */
export function onnxCacheKey(readable: readonly string[], digest: string): string {
  const safe = readable.map((p) => p.replace(/[^A-Za-z0-9._]+/g, '_')).join('-');
  return `onnx/${safe}-${digest.slice(0, 16)}.onnx`;
}

function openCache(options: OnnxCacheOptions): DownloadCache | undefined {
  if (options.cache === false) return undefined;
  if (options.cache !== undefined) {
    if (typeof options.cache?.read !== 'function' || typeof options.cache.begin !== 'function') {
      throw new InvalidArgumentError('cache must be a DownloadCache ({ read, begin, delete, location }) or false.');
    }
    return options.cache;
  }
  return openPlatformCache(options.cacheDir ? { dir: options.cacheDir } : {});
}

/**
 * @internal The bytes under `key`, or `build()`'s, stored for next time. A cache that fails
 * (read-only folder, quota) is reported through `onCacheError` and otherwise ignored: the
 * cache saves time, it must never stop a load.
 */
export async function cachedOnnxBuild(
  key: string,
  options: OnnxCacheOptions,
  build: () => Uint8Array | Promise<Uint8Array>,
  onCacheError: (e: unknown) => void = () => undefined,
): Promise<{ bytes: Uint8Array; hit: boolean; location: string | undefined }> {
  const cache = openCache(options);
  if (cache) {
    try {
      const hit = await cache.read(key);
      if (hit && hit.length > 0) return { bytes: hit, hit: true, location: cache.location };
    } catch (e) {
      onCacheError(e);
    }
  }
  const bytes = await build();
  if (cache) {
    let writer: Awaited<ReturnType<DownloadCache['begin']>> | undefined;
    try {
      writer = await cache.begin(key);
      await writer.restart();
      await writer.append(bytes);
      await writer.commit(bytes);
    } catch (e) {
      await writer?.close(false).catch(() => undefined);
      onCacheError(e);
    }
  }
  return { bytes, hit: false, location: cache?.location };
}

import { AbortError, IntegrityError, InvalidArgumentError } from '../errors/index.js';
import type { DownloadOptions } from './download-options.js';
import { sha256Hex } from './sha256.js';

/** @internal A checked {@link DownloadOptions}: what to fetch, where to keep it, what to expect. */
export interface Plan {
  readonly url: string;
  readonly key: string;
  readonly sha256: string | undefined;
  readonly size: number | undefined;
  readonly maxBytes: number;
  readonly idleTimeoutMs: number;
}

/** @internal A failed size or SHA-256 check. */
export interface Mismatch {
  readonly check: 'size' | 'sha256';
  readonly expected: string | number;
  readonly actual: string | number;
}

/** @internal The name in messages. */
export const OWNER = 'download';
/** 2 GiB: Node's `readFile` reads no more in one piece, so a larger file cannot come back from the cache. */
const DEFAULT_MAX_BYTES = 2 ** 31;
const DEFAULT_IDLE_TIMEOUT_MS = 30_000;
const SEGMENT = /^[A-Za-z0-9._-]+$/;
/** Names the cache keeps beside an entry while it downloads: `<name>.part` and its validator. */
const PART_NAME = /\.part(\.validator)?$/;

/** FNV-1a, to tell apart URLs that differ only in their query string. */
function shortHash(text: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return (h >>> 0).toString(16).padStart(8, '0');
}

function safeSegment(segment: string): string {
  const s = segment.replace(/[^A-Za-z0-9._-]/g, '_');
  return s === '.' || s === '..' || PART_NAME.test(s) ? `${s}_` : s;
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
    segments.every((s) => SEGMENT.test(s) && s !== '.' && s !== '..' && !PART_NAME.test(s));
  if (!ok) {
    throw new InvalidArgumentError(
      `${OWNER}: cacheKey must be '/'-separated names of letters, digits, '.', '_' and '-' (no '..', no '.part' or '.part.validator' ending); ` +
        `received ${JSON.stringify(key)}. Example: 'datasets/retinamnist.npz'.`,
    );
  }
  return key as string;
}

function checkCount(option: string, value: unknown, min: number): number {
  if (!(typeof value === 'number' && Number.isSafeInteger(value) && value >= min)) {
    throw new InvalidArgumentError(`${OWNER}: ${option} must be a whole number >= ${min}; received ${JSON.stringify(value) ?? String(value)}.`);
  }
  return value;
}

/** @internal Checks the URL and options of {@link download}. */
export function plan(url: unknown, options: DownloadOptions): Plan {
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
  const maxBytes = options.maxBytes === undefined ? (size ?? DEFAULT_MAX_BYTES) : checkCount('maxBytes', options.maxBytes, 1);
  if (size !== undefined && size > maxBytes) {
    throw new InvalidArgumentError(`${OWNER}: size (${size}) is more than maxBytes (${maxBytes}); raise maxBytes or leave it out.`);
  }
  const idleTimeoutMs = options.idleTimeoutMs === undefined ? DEFAULT_IDLE_TIMEOUT_MS : checkCount('idleTimeoutMs', options.idleTimeoutMs, 1);
  return {
    url: parsed.href,
    key: options.cacheKey === undefined ? defaultCacheKey(parsed) : checkCacheKey(options.cacheKey),
    sha256: sha256?.toLowerCase(),
    size,
    maxBytes,
    idleTimeoutMs,
  };
}

/** @internal The first check `bytes` fail, or `undefined`. */
export async function mismatch(p: Plan, bytes: Uint8Array): Promise<Mismatch | undefined> {
  if (p.size !== undefined && bytes.length !== p.size) return { check: 'size', expected: p.size, actual: bytes.length };
  if (p.sha256 !== undefined) {
    const actual = await sha256Hex(bytes);
    if (!actual.startsWith(p.sha256)) return { check: 'sha256', expected: p.sha256, actual };
  }
  return undefined;
}

/** @internal The error for a failed check of `what` (the file, the server's claim). */
export function integrityError(p: Plan, m: Mismatch, what: string): IntegrityError {
  const values =
    m.check === 'size' ? `${m.actual} bytes instead of ${m.expected}` : `sha256 ${m.actual}, expected ${m.expected}${(m.expected as string).length < 64 ? '...' : ''}`;
  return new IntegrityError(
    `${OWNER}: ${what} ${p.url} has ${values}. It was deleted. The file at the URL changed, or the transfer was corrupted; ` +
      'try again, and if it persists the recorded checksum is out of date.',
    { url: p.url, ...m },
  );
}

/** @internal What a later call does after a failure, for messages: resume, or start over. */
export function nextCall(resumable: boolean): string {
  return resumable
    ? 'Call again to resume where it stopped.'
    : 'Call again to start over (the server gave no ETag or Last-Modified to resume by, so the bytes so far were deleted).';
}

/** @internal The error for a fired `signal`; `resumable` says whether the bytes so far were kept. */
export function aborted(p: Plan, signal: AbortSignal | undefined, loaded: number, resumable?: boolean): AbortError {
  const next = resumable === undefined ? '' : ` ${nextCall(resumable)}`;
  return new AbortError(`${OWNER} of ${p.url} was aborted after ${loaded} bytes.${next}`, { cause: signal?.reason });
}

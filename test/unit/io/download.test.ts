import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  AbortError,
  DownloadError,
  IntegrityError,
  InvalidArgumentError,
  OfflineError,
} from '../../../src/errors/index.js';
import { defaultCacheKey, download } from '../../../src/io/download.js';
import { nodePlatform } from '../../../src/platform/node/node-platform.js';
import { registerPlatform } from '../../../src/host/platform.js';
import { startServer, testBytes, type TestServer } from './download-server.js';

const FILE = testBytes(200_000, 7);
const SHA = createHash('sha256').update(FILE).digest('hex');
const OTHER = testBytes(50_000, 9);
const ETAG = '"file-v1"';

let server: TestServer;
let dir: string;
let previousEnv: string | undefined;

beforeAll(async () => {
  // A safety net: nothing here may write to the real ~/.cache.
  previousEnv = process.env.DVME_CACHE_DIR;
  process.env.DVME_CACHE_DIR = mkdtempSync(join(tmpdir(), 'dvme-env-'));
  registerPlatform(nodePlatform);
  server = await startServer({
    // An ETag lets a .part resume (download-limits.test.ts checks what happens without one).
    '/file.bin': { body: FILE, etag: ETAG },
    '/other.bin': { body: OTHER, etag: '"other"' },
    '/chunked.bin': { body: FILE, noLength: true },
    '/no-range.bin': { body: FILE, ignoreRange: true, etag: ETAG },
    '/slow.bin': { body: FILE, chunkSize: 10_000, delayMs: 15, etag: ETAG },
    '/missing.bin': { body: FILE, status: 404 },
    '/broken.bin': { body: FILE, status: 500 },
    '/drops.bin': { body: FILE, chunkSize: 20_000, dropAfter: 60_000, etag: ETAG },
  });
});

afterAll(async () => {
  await server.close();
  rmSync(process.env.DVME_CACHE_DIR as string, { recursive: true, force: true });
  if (previousEnv === undefined) delete process.env.DVME_CACHE_DIR;
  else process.env.DVME_CACHE_DIR = previousEnv;
});

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'dvme-download-'));
  server.requests.length = 0;
});

afterEach(() => rmSync(dir, { recursive: true, force: true }));

const entry = (key: string) => join(dir, ...key.split('/'));
const errorOf = (p: Promise<unknown>) => p.then(() => undefined, (e: unknown) => e);

/** A .part as an interrupted download leaves it, with the validator of the response it came from. */
function writePart(key: string, bytes: Uint8Array, validator = ETAG): void {
  mkdirSync(dirname(entry(key)), { recursive: true });
  writeFileSync(`${entry(key)}.part`, bytes);
  writeFileSync(`${entry(key)}.part.validator`, validator);
}

describe('download (Node cache)', () => {
  it('downloads with progress, publishes the file and leaves no .part', async () => {
    const progress: [number, number | undefined][] = [];
    const bytes = await download(server.url('/file.bin'), {
      cacheDir: dir,
      cacheKey: 'models/file.bin',
      sha256: SHA,
      size: FILE.length,
      onProgress: (loaded, total) => progress.push([loaded, total]),
    });
    expect(Buffer.from(bytes).equals(Buffer.from(FILE))).toBe(true);
    expect(progress.at(-1)).toEqual([FILE.length, FILE.length]);
    for (let i = 1; i < progress.length; i++) expect(progress[i]![0]).toBeGreaterThanOrEqual(progress[i - 1]![0]);
    expect(readFileSync(entry('models/file.bin')).equals(Buffer.from(FILE))).toBe(true);
    expect(existsSync(`${entry('models/file.bin')}.part`)).toBe(false);
    expect(server.requests).toEqual([{ path: '/file.bin', range: undefined }]);
  });

  it('returns a valid cached copy at once, without a request', async () => {
    const key = 'file.bin';
    await download(server.url('/file.bin'), { cacheDir: dir, cacheKey: key });
    server.requests.length = 0;
    const progress: [number, number | undefined][] = [];
    const bytes = await download(server.url('/file.bin'), {
      cacheDir: dir,
      cacheKey: key,
      sha256: SHA.slice(0, 8),
      onProgress: (l, t) => progress.push([l, t]),
    });
    expect(bytes.length).toBe(FILE.length);
    expect(server.requests).toEqual([]);
    expect(progress).toEqual([[FILE.length, FILE.length]]);
  });

  it('resumes from a .part with a Range request answered 206', async () => {
    writePart('file.bin', FILE.subarray(0, 70_000));
    const progress: number[] = [];
    const bytes = await download(server.url('/file.bin'), {
      cacheDir: dir,
      cacheKey: 'file.bin',
      sha256: SHA,
      onProgress: (loaded) => progress.push(loaded),
    });
    expect(server.requests).toEqual([{ path: '/file.bin', range: 'bytes=70000-', ifRange: ETAG }]);
    expect(progress[0]).toBe(70_000);
    expect(createHash('sha256').update(bytes).digest('hex')).toBe(SHA);
    expect(readFileSync(entry('file.bin')).length).toBe(FILE.length);
  });

  it('starts over when the server ignores Range and answers 200', async () => {
    writePart('file.bin', testBytes(70_000, 3)); // wrong bytes: they must not survive
    const bytes = await download(server.url('/no-range.bin'), { cacheDir: dir, cacheKey: 'file.bin', sha256: SHA });
    expect(server.requests[0]!.range).toBe('bytes=70000-');
    expect(createHash('sha256').update(bytes).digest('hex')).toBe(SHA);
    expect(readFileSync(entry('file.bin')).equals(Buffer.from(FILE))).toBe(true);
  });

  it('starts over when the .part is longer than the file (416)', async () => {
    writePart('other.bin', testBytes(OTHER.length + 10, 4), '"other"');
    const bytes = await download(server.url('/other.bin'), { cacheDir: dir, cacheKey: 'other.bin' });
    expect(server.requests.map((r) => r.range)).toEqual([`bytes=${OTHER.length + 10}-`, undefined]);
    expect(Buffer.from(bytes).equals(Buffer.from(OTHER))).toBe(true);
  });

  it('publishes a complete, valid .part without a request', async () => {
    writePart('file.bin', FILE);
    const bytes = await download(server.url('/file.bin'), { cacheDir: dir, cacheKey: 'file.bin', size: FILE.length, sha256: SHA });
    expect(bytes.length).toBe(FILE.length);
    expect(server.requests).toEqual([]);
    expect(existsSync(entry('file.bin'))).toBe(true);
  });

  it('a sha256 mismatch throws IntegrityError with both hashes and caches nothing', async () => {
    const wrong = 'ab'.repeat(32);
    const err = await errorOf(download(server.url('/file.bin'), { cacheDir: dir, cacheKey: 'file.bin', sha256: wrong }));
    expect(IntegrityError.is(err)).toBe(true);
    expect(DownloadError.is(err)).toBe(true);
    const e = err as IntegrityError;
    expect(e).toMatchObject({ check: 'sha256', expected: wrong, actual: SHA, url: server.url('/file.bin') });
    expect(e.message).toContain(SHA);
    expect(e.message).toContain(wrong);
    expect(existsSync(entry('file.bin'))).toBe(false);
    expect(existsSync(`${entry('file.bin')}.part`)).toBe(false);
  });

  it('a size mismatch throws IntegrityError, announced (Content-Length) or found at the end', async () => {
    for (const path of ['/file.bin', '/chunked.bin']) {
      const err = await errorOf(download(server.url(path), { cacheDir: dir, cacheKey: 'f.bin', size: FILE.length - 1 }));
      expect(IntegrityError.is(err), path).toBe(true);
      expect(err).toMatchObject({ check: 'size', expected: FILE.length - 1 });
      expect(existsSync(entry('f.bin'))).toBe(false);
      expect(existsSync(`${entry('f.bin')}.part`)).toBe(false);
    }
    // Too small, with no Content-Length to tell in advance.
    const err = await errorOf(download(server.url('/chunked.bin'), { cacheDir: dir, cacheKey: 'g.bin', size: FILE.length + 5 }));
    expect(err).toMatchObject({ check: 'size', expected: FILE.length + 5, actual: FILE.length });
  });

  it.each([
    ['/missing.bin', 404],
    ['/broken.bin', 500],
  ])('HTTP errors throw DownloadError with status and URL (%s)', async (path, status) => {
    const err = await errorOf(download(server.url(path), { cacheDir: dir }));
    expect(DownloadError.is(err)).toBe(true);
    expect(IntegrityError.is(err)).toBe(false);
    expect(err).toMatchObject({ status, url: server.url(path) });
    expect((err as Error).message).toContain(String(status));
  });

  it('a network failure throws DownloadError without a status', async () => {
    const down = await startServer({});
    const url = down.url('/x.bin');
    await down.close();
    const err = await errorOf(download(url, { cacheDir: dir }));
    expect(DownloadError.is(err)).toBe(true);
    expect((err as DownloadError).status).toBeUndefined();
  });

  it('offline: true uses the cache only', async () => {
    const err = await errorOf(download(server.url('/file.bin'), { cacheDir: dir, cacheKey: 'file.bin', offline: true }));
    expect(OfflineError.is(err)).toBe(true);
    expect((err as Error).message).toContain(dir);
    await download(server.url('/file.bin'), { cacheDir: dir, cacheKey: 'file.bin' });
    server.requests.length = 0;
    const bytes = await download(server.url('/file.bin'), { cacheDir: dir, cacheKey: 'file.bin', offline: true, sha256: SHA });
    expect(bytes.length).toBe(FILE.length);
    expect(server.requests).toEqual([]);
  });

  it('a corrupt cached copy is deleted: offline throws, online downloads again', async () => {
    mkdirSync(dir, { recursive: true });
    writeFileSync(entry('file.bin'), OTHER);
    const err = await errorOf(download(server.url('/file.bin'), { cacheDir: dir, cacheKey: 'file.bin', sha256: SHA, offline: true }));
    expect(OfflineError.is(err)).toBe(true);
    expect((err as Error).message).toContain('sha256');
    expect(existsSync(entry('file.bin'))).toBe(false);
    writeFileSync(entry('file.bin'), OTHER);
    const bytes = await download(server.url('/file.bin'), { cacheDir: dir, cacheKey: 'file.bin', sha256: SHA });
    expect(Buffer.from(bytes).equals(Buffer.from(FILE))).toBe(true);
    expect(server.requests).toHaveLength(1);
  });

  it('an abort mid-stream throws AbortError, keeps the .part, and the next call resumes', async () => {
    const controller = new AbortController();
    const key = 'slow.bin';
    const err = await errorOf(
      download(server.url('/slow.bin'), {
        cacheDir: dir,
        cacheKey: key,
        signal: controller.signal,
        onProgress: (loaded) => {
          if (loaded >= 30_000) controller.abort(new Error('user cancelled'));
        },
      }),
    );
    expect(AbortError.is(err)).toBe(true);
    expect((err as Error).name).toBe('AbortError');
    expect(existsSync(entry(key))).toBe(false);
    const kept = readFileSync(`${entry(key)}.part`).length;
    expect(kept).toBeGreaterThanOrEqual(30_000);
    expect(kept).toBeLessThan(FILE.length);
    server.requests.length = 0;
    const bytes = await download(server.url('/slow.bin'), { cacheDir: dir, cacheKey: key, sha256: SHA });
    expect(server.requests).toEqual([{ path: '/slow.bin', range: `bytes=${kept}-`, ifRange: ETAG }]);
    expect(createHash('sha256').update(bytes).digest('hex')).toBe(SHA);
  });

  it('a connection dropped mid-body throws DownloadError and keeps the .part for a resume', async () => {
    const err = await errorOf(download(server.url('/drops.bin'), { cacheDir: dir, cacheKey: 'drops.bin' }));
    expect(DownloadError.is(err)).toBe(true);
    expect(IntegrityError.is(err)).toBe(false);
    expect((err as Error).message).toMatch(/resume/);
    expect(readFileSync(`${entry('drops.bin')}.part`).length).toBe(60_000);
    expect(existsSync(entry('drops.bin'))).toBe(false);
    const bytes = await download(server.url('/file.bin'), { cacheDir: dir, cacheKey: 'drops.bin', sha256: SHA });
    expect(server.requests.at(-1)).toEqual({ path: '/file.bin', range: 'bytes=60000-', ifRange: ETAG });
    expect(bytes.length).toBe(FILE.length);
  });

  it('reads a fetch response without a body stream in one piece', async () => {
    const streamless = (async () => ({
      ok: true,
      status: 200,
      statusText: 'OK',
      headers: new Headers({ 'content-length': String(OTHER.length) }),
      body: null,
      arrayBuffer: async () => OTHER.slice().buffer,
    })) as unknown as typeof fetch;
    const progress: number[] = [];
    const bytes = await download('https://example.org/o.bin', { cacheDir: dir, fetch: streamless, onProgress: (l) => progress.push(l) });
    expect(Buffer.from(bytes).equals(Buffer.from(OTHER))).toBe(true);
    expect(progress).toEqual([0, OTHER.length]);
  });

  it('an already aborted signal throws before any request', async () => {
    const err = await errorOf(download(server.url('/file.bin'), { cacheDir: dir, signal: AbortSignal.abort() }));
    expect(AbortError.is(err)).toBe(true);
    expect(server.requests).toEqual([]);
  });

  it('concurrent calls for one entry make one request', async () => {
    const options = { cacheDir: dir, cacheKey: 'file.bin', sha256: SHA };
    const [a, b] = await Promise.all([download(server.url('/slow.bin'), options), download(server.url('/slow.bin'), options)]);
    expect(a.length).toBe(FILE.length);
    expect(b.length).toBe(FILE.length);
    expect(server.requests).toHaveLength(1);
  });

  it('cache: false keeps the file in memory only', async () => {
    const bytes = await download(server.url('/file.bin'), { cacheDir: dir, cache: false, sha256: SHA });
    expect(bytes.length).toBe(FILE.length);
    expect(readdirSync(dir)).toEqual([]);
  });

  it('keys files by URL host and path by default', async () => {
    await download(server.url('/file.bin'), { cacheDir: dir });
    const key = defaultCacheKey(new URL(server.url('/file.bin')));
    expect(key).toMatch(/^127\.0\.0\.1_\d+\/file\.bin$/);
    expect(existsSync(entry(key))).toBe(true);
    expect(defaultCacheKey(new URL('https://example.org/a/b.pth?x=1'))).toMatch(/^example\.org\/a\/b\.pth_[0-9a-f]{8}$/);
    expect(defaultCacheKey(new URL('https://example.org/'))).toBe('example.org/index');
    expect(defaultCacheKey(new URL('https://example.org/x/../y.part'))).toBe('example.org/y.part_');
  });

  it('rejects bad options before any request', async () => {
    const bad = [
      ['ftp://example.org/x', {}],
      ['not a url', {}],
      [server.url('/file.bin'), { sha256: 'xyz' }],
      [server.url('/file.bin'), { sha256: 'abc' }],
      [server.url('/file.bin'), { size: -1 }],
      [server.url('/file.bin'), { cacheKey: '../escape' }],
      [server.url('/file.bin'), { cacheKey: '/abs' }],
      [server.url('/file.bin'), { cacheKey: 'a/b.part' }],
    ] as const;
    for (const [url, options] of bad) {
      const err = await errorOf(download(url, { cacheDir: dir, ...options }));
      expect(InvalidArgumentError.is(err), JSON.stringify([url, options])).toBe(true);
    }
    expect(server.requests).toEqual([]);
  });
});

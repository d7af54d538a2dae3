import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { AbortError, DownloadError, IntegrityError, InvalidArgumentError } from '../../../src/errors/index.js';
import { download } from '../../../src/io/download.js';
import { registerPlatform } from '../../../src/host/platform.js';
import { nodePlatform } from '../../../src/platform/node/node-platform.js';
import { startServer, testBytes, type Route, type TestServer } from './download-server.js';

const FILE = testBytes(200_000, 7);
const CHANGED = testBytes(200_000, 11);
const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

const routes: Record<string, Route> = {
  '/endless.bin': { body: testBytes(64 * 1024, 3), endless: true },
  '/stall.bin': { body: FILE, stallAfter: 50_000 },
  '/stall-etag.bin': { body: FILE, stallAfter: 50_000, etag: '"v1"' },
  '/hang.bin': { body: FILE, hang: true },
  '/huge.bin': { body: FILE, announce: 2 ** 31 + 1 },
  '/slow.bin': { body: FILE, chunkSize: 10_000, delayMs: 15 },
  '/slow-etag.bin': { body: FILE, chunkSize: 10_000, delayMs: 15, etag: '"v1"' },
  '/file-etag.bin': { body: FILE, etag: '"v1"' },
  '/file-dated.bin': { body: FILE, lastModified: 'Tue, 01 Apr 2025 10:00:00 GMT' },
  '/file.bin': { body: FILE },
};

let server: TestServer;
let dir: string;
let previousEnv: string | undefined;

beforeAll(async () => {
  previousEnv = process.env.DVME_CACHE_DIR;
  process.env.DVME_CACHE_DIR = mkdtempSync(join(tmpdir(), 'dvme-env-'));
  registerPlatform(nodePlatform);
  server = await startServer(routes);
});

afterAll(async () => {
  await server.close();
  rmSync(process.env.DVME_CACHE_DIR as string, { recursive: true, force: true });
  if (previousEnv === undefined) delete process.env.DVME_CACHE_DIR;
  else process.env.DVME_CACHE_DIR = previousEnv;
});

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'dvme-limits-'));
  server.requests.length = 0;
});

afterEach(() => rmSync(dir, { recursive: true, force: true }));

const part = (key: string) => `${join(dir, ...key.split('/'))}.part`;
const errorOf = (p: Promise<unknown>) => p.then(() => undefined, (e: unknown) => e);

/** Runs a download that should fail, with a deadline so that a hang fails the test instead of the run. */
async function failing(p: Promise<unknown>, deadlineMs = 4000): Promise<{ error: unknown; ms: number }> {
  const started = performance.now();
  const deadline = new Promise((resolve) => setTimeout(() => resolve(new Error(`still running after ${deadlineMs} ms`)), deadlineMs).unref());
  const error = await Promise.race([errorOf(p), deadline]);
  return { error, ms: performance.now() - started };
}

describe('download bounds a body of unknown size (issue #14)', () => {
  it('stops an endless body at maxBytes, even with a sha256, and removes the .part', async () => {
    const { error } = await failing(
      download(server.url('/endless.bin'), { cacheDir: dir, cacheKey: 'endless.bin', sha256: 'ab'.repeat(32), maxBytes: 1_000_000 }),
    );
    expect(DownloadError.is(error), String(error)).toBe(true);
    expect((error as Error).message).toMatch(/more than maxBytes \(1000000\)/);
    expect(existsSync(part('endless.bin'))).toBe(false);
  });

  it('stops an endless body at maxBytes without a cache too', async () => {
    const { error } = await failing(download(server.url('/endless.bin'), { cache: false, maxBytes: 300_000 }));
    expect((error as Error).message).toMatch(/maxBytes \(300000\)/);
  });

  it('refuses at once a response announcing more than the default maxBytes of 2 GiB', async () => {
    const { error, ms } = await failing(download(server.url('/huge.bin'), { cacheDir: dir, cacheKey: 'huge.bin' }));
    expect((error as Error).message).toMatch(/2147483649 bytes, more than maxBytes \(2147483648\)/);
    expect(ms).toBeLessThan(2000);
    expect(existsSync(part('huge.bin'))).toBe(false);
  });

  it('gives up on a server that stops sending after idleTimeoutMs, and removes a .part it cannot resume', async () => {
    const { error, ms } = await failing(download(server.url('/stall.bin'), { cacheDir: dir, cacheKey: 'stall.bin', idleTimeoutMs: 300 }));
    expect(DownloadError.is(error), String(error)).toBe(true);
    expect(AbortError.is(error)).toBe(false);
    expect((error as Error).message).toMatch(/no data .* for 300 ms after 50000 bytes.*idleTimeoutMs/);
    expect(ms).toBeLessThan(3000);
    expect(existsSync(part('stall.bin'))).toBe(false);
  });

  it('keeps the .part of a stalled transfer that can resume (an ETag was recorded)', async () => {
    const { error } = await failing(download(server.url('/stall-etag.bin'), { cacheDir: dir, cacheKey: 's.bin', idleTimeoutMs: 300 }));
    expect((error as Error).message).toMatch(/idleTimeoutMs/);
    expect(readFileSync(part('s.bin')).length).toBe(50_000);
  });

  it('gives up on a server that never answers after idleTimeoutMs', async () => {
    const { error, ms } = await failing(download(server.url('/hang.bin'), { cache: false, idleTimeoutMs: 300 }));
    expect((error as Error).message).toMatch(/no answer .* for 300 ms.*idleTimeoutMs/);
    expect(ms).toBeLessThan(3000);
  });

  it('an abort removes a .part that cannot be resumed (no validator), and keeps one that can', async () => {
    for (const [path, kept] of [['/slow.bin', false], ['/slow-etag.bin', true]] as const) {
      const controller = new AbortController();
      const error = await errorOf(
        download(server.url(path), {
          cacheDir: dir,
          cacheKey: path.slice(1),
          signal: controller.signal,
          onProgress: (loaded) => (loaded >= 30_000 ? controller.abort() : undefined),
        }),
      );
      expect(AbortError.is(error)).toBe(true);
      expect(existsSync(part(path.slice(1))), path).toBe(kept);
    }
  });

  it('checks the new options', async () => {
    for (const options of [{ maxBytes: 0 }, { maxBytes: 1.5 }, { idleTimeoutMs: -1 }, { idleTimeoutMs: Number.NaN }, { size: 10, maxBytes: 5 }]) {
      const error = await errorOf(download(server.url('/file.bin'), { cacheDir: dir, ...options }));
      expect(InvalidArgumentError.is(error), JSON.stringify(options)).toBe(true);
    }
    const exact = await download(server.url('/file.bin'), { cacheDir: dir, maxBytes: FILE.length });
    expect(exact.length).toBe(FILE.length);
    const over = await errorOf(download(server.url('/file.bin'), { cache: false, maxBytes: FILE.length - 1 }));
    expect((over as Error).message).toMatch(/maxBytes/);
    expect(IntegrityError.is(over)).toBe(false);
  });
});

describe('download resumes only what it can prove is the same file (issue #14)', () => {
  const changing = '/changing.bin';

  function leaveHalf(key: string, route: Route): Promise<unknown> {
    routes[changing] = { ...route, dropAfter: 60_000, chunkSize: 20_000 };
    return errorOf(download(server.url(changing), { cacheDir: dir, cacheKey: key }));
  }

  it('asks with If-Range and the recorded ETag; a changed file comes whole, not spliced onto the old bytes', async () => {
    expect(DownloadError.is(await leaveHalf('c.bin', { body: FILE, etag: '"v1"' }))).toBe(true);
    expect(readFileSync(part('c.bin')).length).toBe(60_000);
    routes[changing] = { body: CHANGED, etag: '"v2"' };
    server.requests.length = 0;
    const bytes = await download(server.url(changing), { cacheDir: dir, cacheKey: 'c.bin' });
    expect(server.requests).toEqual([{ path: changing, range: 'bytes=60000-', ifRange: '"v1"' }]);
    expect(sha(bytes)).toBe(sha(CHANGED));
  });

  it('resumes with a 206 when the ETag still matches', async () => {
    await leaveHalf('same.bin', { body: FILE, etag: '"v1"' });
    routes[changing] = { body: FILE, etag: '"v1"' };
    server.requests.length = 0;
    const bytes = await download(server.url(changing), { cacheDir: dir, cacheKey: 'same.bin', sha256: sha(FILE) });
    expect(server.requests).toEqual([{ path: changing, range: 'bytes=60000-', ifRange: '"v1"' }]);
    expect(bytes.length).toBe(FILE.length);
  });

  it('uses Last-Modified when there is no ETag', async () => {
    const lastModified = 'Tue, 01 Apr 2025 10:00:00 GMT';
    await leaveHalf('dated.bin', { body: FILE, lastModified });
    routes[changing] = { body: CHANGED, lastModified: 'Wed, 02 Apr 2025 10:00:00 GMT' };
    server.requests.length = 0;
    const bytes = await download(server.url(changing), { cacheDir: dir, cacheKey: 'dated.bin' });
    expect(server.requests[0]?.ifRange).toBe(lastModified);
    expect(sha(bytes)).toBe(sha(CHANGED));
  });

  it('starts over, without a Range request, from a .part that has no validator', async () => {
    mkdirSync(dirname(part('old.bin')), { recursive: true });
    writeFileSync(part('old.bin'), CHANGED.subarray(0, 50_000));
    const bytes = await download(server.url('/file-etag.bin'), { cacheDir: dir, cacheKey: 'old.bin' });
    expect(server.requests).toEqual([{ path: '/file-etag.bin', range: undefined }]);
    expect(sha(bytes)).toBe(sha(FILE));
  });

  it('ignores a weak ETag, which If-Range may not carry, and uses Last-Modified instead', async () => {
    const lastModified = 'Tue, 01 Apr 2025 10:00:00 GMT';
    await leaveHalf('weak.bin', { body: FILE, etag: 'W/"v1"', lastModified });
    routes[changing] = { body: FILE, etag: 'W/"v1"', lastModified };
    server.requests.length = 0;
    await download(server.url(changing), { cacheDir: dir, cacheKey: 'weak.bin' });
    expect(server.requests[0]?.ifRange).toBe(lastModified);
  });
});

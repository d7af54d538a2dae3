import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { OfflineError } from '../../../src/errors/index.js';
import { download } from '../../../src/io/download.js';
import { NodeFileCache, nodeCacheDir } from '../../../src/platform/node/node-cache.js';
import { nodePlatform } from '../../../src/platform/node/node-platform.js';
import { registerPlatform } from '../../../src/host/platform.js';

const bytes = (s: string) => new TextEncoder().encode(s);
const text = (b: Uint8Array | undefined) => (b ? new TextDecoder().decode(b) : undefined);

/** A fetch that serves one body and counts its calls; no network. */
function fakeFetch(body: string) {
  const calls: string[] = [];
  const fn = (async (url: string | URL | Request) => {
    calls.push(String(url));
    return new Response(body, { headers: { 'content-length': String(body.length) } });
  }) as typeof fetch;
  return { fn, calls };
}

let dir: string;
const saved = { DVME_CACHE_DIR: process.env.DVME_CACHE_DIR, XDG_CACHE_HOME: process.env.XDG_CACHE_HOME };

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'dvme-cache-'));
  registerPlatform(nodePlatform);
});

afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
  for (const [k, v] of Object.entries(saved)) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
});

describe('Node download cache folder', () => {
  it('is the option, else $DVME_CACHE_DIR, else $XDG_CACHE_HOME/dvme, else ~/.cache/dvme', () => {
    process.env.DVME_CACHE_DIR = '/tmp/from-env';
    process.env.XDG_CACHE_HOME = '/tmp/xdg';
    expect(nodeCacheDir({ dir: 'relative/dir' })).toBe(resolve('relative/dir'));
    expect(nodeCacheDir({})).toBe('/tmp/from-env');
    delete process.env.DVME_CACHE_DIR;
    expect(nodeCacheDir({})).toBe('/tmp/xdg/dvme');
    delete process.env.XDG_CACHE_HOME;
    expect(nodeCacheDir()).toBe(join(homedir(), '.cache', 'dvme'));
  });

  it('download writes under $DVME_CACHE_DIR, and cacheDir overrides it', async () => {
    process.env.DVME_CACHE_DIR = join(dir, 'env');
    const { fn, calls } = fakeFetch('hello');
    await download('https://example.org/a/hello.txt', { fetch: fn });
    expect(readFileSync(join(dir, 'env', 'example.org', 'a', 'hello.txt'), 'utf8')).toBe('hello');
    await download('https://example.org/a/hello.txt', { fetch: fn, cacheDir: join(dir, 'option') });
    expect(readFileSync(join(dir, 'option', 'example.org', 'a', 'hello.txt'), 'utf8')).toBe('hello');
    expect(calls).toHaveLength(2);
    await download('https://example.org/a/hello.txt', { fetch: fn }); // a hit in the env folder
    expect(calls).toHaveLength(2);
  });
});

describe('NodeFileCache', () => {
  it('writes to a .part, publishes on commit, and keeps or drops it on close', async () => {
    const cache = new NodeFileCache(dir);
    expect(await cache.read('x/y.bin')).toBeUndefined();
    const w = await cache.begin('x/y.bin');
    expect(w.partial.length).toBe(0);
    await w.append(bytes('abc'));
    await w.close(true);
    expect(readFileSync(join(dir, 'x', 'y.bin.part'), 'utf8')).toBe('abc');
    expect(await cache.read('x/y.bin')).toBeUndefined();

    const again = await cache.begin('x/y.bin');
    expect(text(again.partial)).toBe('abc');
    await again.append(bytes('def'));
    await again.commit(bytes('abcdef'));
    expect(text(await cache.read('x/y.bin'))).toBe('abcdef');
    expect(existsSync(join(dir, 'x', 'y.bin.part'))).toBe(false);

    const restart = await cache.begin('x/z.bin');
    await restart.append(bytes('old'));
    await restart.restart();
    expect(restart.partial.length).toBe(0);
    await restart.append(bytes('new'));
    await restart.commit(bytes('new'));
    expect(text(await cache.read('x/z.bin'))).toBe('new');

    const dropped = await cache.begin('x/w.bin');
    await dropped.append(bytes('bad'));
    await dropped.close(false);
    expect(existsSync(join(dir, 'x', 'w.bin.part'))).toBe(false);

    await cache.delete('x/y.bin');
    await cache.delete('never/there.bin');
    expect(await cache.read('x/y.bin')).toBeUndefined();
  });

  it('refuses to publish a .part whose length is not the verified length', async () => {
    const cache = new NodeFileCache(dir);
    const w = await cache.begin('a.bin');
    await w.append(bytes('abc'));
    await expect(w.commit(bytes('abcd'))).rejects.toThrow(/two downloads/);
    expect(await cache.read('a.bin')).toBeUndefined();
  });
});

describe('the core without a cache', () => {
  it('downloads into memory only, and offline has nothing to use', async () => {
    registerPlatform({ name: 'bare' });
    const { fn, calls } = fakeFetch('data');
    expect(text(await download('https://example.org/d.bin', { fetch: fn }))).toBe('data');
    expect(text(await download('https://example.org/d.bin', { fetch: fn }))).toBe('data');
    expect(calls).toHaveLength(2);
    const err = await download('https://example.org/d.bin', { fetch: fn, offline: true }).catch((e: unknown) => e);
    expect(OfflineError.is(err)).toBe(true);
    expect((err as Error).message).toMatch(/no download cache/);
  });
});

import { afterEach, describe, expect, it, vi } from 'vitest';
import { download } from '../../../src/io/download.js';
import { BrowserCacheStorage, browserPlatform } from '../../../src/platform/browser/browser-cache.js';
import { registerPlatform } from '../../../src/host/platform.js';

/** The part of the Cache Storage API the browser cache uses, over a Map. */
function fakeCacheStorage(options: { quota?: number } = {}) {
  const stores = new Map<string, Map<string, Uint8Array>>();
  const open = async (name: string) => {
    const store = stores.get(name) ?? new Map<string, Uint8Array>();
    stores.set(name, store);
    return {
      match: async (url: string) => {
        const hit = store.get(url);
        return hit ? new Response(hit as Uint8Array<ArrayBuffer>) : undefined;
      },
      put: async (url: string, response: Response) => {
        const body = new Uint8Array(await response.arrayBuffer());
        if (options.quota !== undefined && body.length > options.quota) {
          throw Object.assign(new Error('quota'), { name: 'QuotaExceededError' });
        }
        store.set(url, body);
      },
      delete: async (url: string) => store.delete(url),
    };
  };
  return { storage: { open } as unknown as CacheStorage, stores };
}

function fakeFetch(body: string) {
  const calls: RequestInit[] = [];
  const fn = (async (_url: string | URL | Request, init?: RequestInit) => {
    calls.push(init ?? {});
    return new Response(body);
  }) as typeof fetch;
  return { fn, calls };
}

afterEach(() => vi.unstubAllGlobals());

describe('browser download cache (Cache Storage)', () => {
  it("stores verified downloads in caches.open('dvme') and serves hits without fetching", async () => {
    const { storage, stores } = fakeCacheStorage();
    vi.stubGlobal('caches', storage);
    registerPlatform(browserPlatform());
    const { fn, calls } = fakeFetch('weights');
    const first = await download('https://example.org/m/w.bin', { fetch: fn });
    expect(new TextDecoder().decode(first)).toBe('weights');
    expect([...(stores.get('dvme')?.keys() ?? [])]).toEqual(['https://dvme-cache.invalid/example.org/m/w.bin']);
    const second = await download('https://example.org/m/w.bin', { fetch: fn });
    expect(new TextDecoder().decode(second)).toBe('weights');
    expect(calls).toHaveLength(1);
    // No resume in the browser: never a Range header.
    expect(JSON.stringify(calls[0]?.headers ?? {})).not.toMatch(/Range/i);
  });

  it('a full quota does not fail the download; the file is just not kept', async () => {
    const { storage, stores } = fakeCacheStorage({ quota: 3 });
    const cache = new BrowserCacheStorage(storage);
    const { fn } = fakeFetch('too big');
    const bytes = await download('https://example.org/big.bin', { fetch: fn, cache });
    expect(bytes.length).toBe(7);
    expect(stores.get('dvme')?.size ?? 0).toBe(0);
    expect(cache.location).toBe("Cache Storage 'dvme'");
  });

  it('without Cache Storage (insecure page, Node) the platform has no cache', () => {
    vi.stubGlobal('caches', undefined);
    const platform = browserPlatform();
    expect(platform.name).toBe('browser');
    expect(platform.openCache).toBeUndefined();
    expect(platform.openEmbeddingStore).toBeUndefined();
  });

  it("resolves a relative URL against the page's (here a worker's location), as fetch does", async () => {
    vi.stubGlobal('caches', undefined);
    vi.stubGlobal('location', { href: 'https://app.example/demo/index.html?x=1' });
    registerPlatform(browserPlatform());
    const urls: string[] = [];
    const fn = (async (url: string | URL | Request) => {
      urls.push(String(url));
      return new Response('model');
    }) as typeof fetch;
    await download('models/m.onnx', { fetch: fn });
    await download('/root.onnx', { fetch: fn });
    expect(urls).toEqual(['https://app.example/demo/models/m.onnx', 'https://app.example/root.onnx']);
  });
});

import { afterEach, describe, expect, it, vi } from 'vitest';
import { BackendUnavailableError } from '../../../src/errors/index.js';
import { explainOrtStartFailure } from '../../../src/platform/browser/ort-wasm-files.js';

afterEach(() => vi.unstubAllGlobals());

// What onnxruntime-web 1.30 rejects InferenceSession.create with when its files are missing.
const ORT_FAILURE = new Error('no available backend found. ERR: [wasm] TypeError: Failed to fetch dynamically imported module: https://app.example/ort/ort-wasm-simd-threaded.jsep.mjs');

describe("onnxruntime-web's start failures (dvme/browser)", () => {
  it('names the .wasm URL it was pointed at, what HEAD answered, and the fix; never "install"', async () => {
    vi.stubGlobal('location', { href: 'https://app.example/demo/index.html' });
    const heads: string[] = [];
    vi.stubGlobal('fetch', async (url: string, init?: RequestInit) => {
      heads.push(`${init?.method} ${url}`);
      return new Response(null, { status: 404, statusText: 'Not Found' });
    });
    const e = await explainOrtStartFailure(ORT_FAILURE, { env: { wasm: { wasmPaths: '../ort/' } } });
    expect(BackendUnavailableError.is(e)).toBe(true);
    expect(heads).toEqual(['HEAD https://app.example/ort/ort-wasm-simd-threaded.jsep.wasm']);
    expect(e?.message).toContain('HEAD https://app.example/ort/ort-wasm-simd-threaded.jsep.wasm: 404 Not Found');
    expect(e?.message).toContain("initBackend({ wasmPaths: 'https://your.host/wasm/' })");
    expect(e?.message).not.toMatch(/npm install|not installed/);
    expect((e as Error).cause).toBe(ORT_FAILURE);
  });

  it('without wasmPaths says where onnxruntime-web looks, fetching nothing', async () => {
    const fetch = vi.fn();
    vi.stubGlobal('fetch', fetch);
    const e = await explainOrtStartFailure(ORT_FAILURE, { env: { wasm: {} } });
    expect(e?.message).toContain('from next to its own script unless ort.env.wasm.wasmPaths says where');
    expect(fetch).not.toHaveBeenCalled();
  });

  it("leaves the model's own failures to the caller", async () => {
    const e = await explainOrtStartFailure(new Error("Could not find an implementation for Foo(1) node with name ''"), { env: { wasm: { wasmPaths: '/w/' } } });
    expect(e).toBeUndefined();
  });
});

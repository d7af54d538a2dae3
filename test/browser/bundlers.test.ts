/**
 * dvme/browser bundled by esbuild, Vite, webpack 5 and Rollup in an app that installed only one
 * of dvme's optional peers (tfjs-backend-wasm): no externals, no plugin for dvme; the bundle
 * runs in Chromium on wasm, its .wasm files found next to the bundle.
 */
import { cpSync, mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { bundle, copyTfjsWasm, type Bundler } from './harness/bundlers.js';
import { launchChromium } from './harness/chromium.js';
import { makeApp, removeAll } from './harness/package.js';
import { openAndRead } from './harness/page.js';
import { serveStatic, type StaticServer } from './harness/server.js';

interface Result {
  backend?: string;
  skipped?: Array<{ backend: string; package: string; reason: string }>;
  sum?: number;
  error?: string;
  name?: string;
}

let app: string;
let out: string;
let browser: Browser;
let server: StaticServer;

beforeAll(async () => {
  app = makeApp(inject('dvmePackage'), ['@tensorflow/tfjs-backend-wasm']);
  mkdirSync(join(app, 'src'));
  cpSync(join(import.meta.dirname, 'pages/wasm-only.js'), join(app, 'src/main.js'));
  out = mkdtempSync(join(tmpdir(), 'dvme-bundles-'));
  [browser, server] = await Promise.all([launchChromium(), serveStatic({ '/': out })]);
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
  removeAll(app, out);
});

describe.each<Bundler>(['esbuild', 'vite', 'webpack', 'rollup'])('dvme/browser bundled by %s', (bundler) => {
  it('builds without externals while the other optional peers are not installed, and runs on wasm in Chromium', async () => {
    await bundle(bundler, app, join(out, bundler));
    copyTfjsWasm(join(out, bundler, 'assets'));
    const { result, log } = await openAndRead<Result>(browser, `${server.url}/${bundler}/index.html`);
    expect(result, log.join('\n')).toMatchObject({ backend: 'wasm', sum: 64 ** 3 });
    const reasons = Object.fromEntries((result.skipped ?? []).map((s) => [s.backend, s.reason]));
    expect(Object.keys(reasons)).toEqual(['webgpu', 'webgl']);
    // A peer the app did not hand over is explained as such, not as an install problem.
    expect(reasons.webgl).toContain("not loaded: this page cannot import '@tensorflow/tfjs-backend-webgl' by name");
    expect(reasons.webgl).toContain("initBackend({ backends: { webgl: () => import('@tensorflow/tfjs-backend-webgl') } })");
  });
});

describe('tfjs-backend-wasm files that are not next to the bundle', () => {
  it("fail with the URL that was tried and the fix, not 'install', and wasmPaths fixes it (a folder, with or without its final slash)", async () => {
    await bundle('esbuild', app, join(out, 'nowasm'));
    const missing = await openAndRead<Result>(browser, `${server.url}/nowasm/index.html`);
    expect(missing.result.name).toBe('BackendUnavailableError');
    expect(missing.result.error).toMatch(
      new RegExp(`HEAD ${server.url}/nowasm/assets/tfjs-backend-wasm(-simd)?\\.wasm: 404 Not Found; HEAD ${server.url}/nowasm/tfjs-backend-wasm(-simd)?\\.wasm: 404`),
    );
    expect(missing.result.error).toContain("initBackend({ wasmPaths: 'https://your.host/wasm/' })");
    expect(missing.result.error).not.toContain('npm install @tensorflow/tfjs-backend-wasm');
    copyTfjsWasm(join(out, 'wasm-elsewhere'));
    const found = await openAndRead<Result>(browser, `${server.url}/nowasm/index.html?wasmPaths=/wasm-elsewhere`);
    expect(found.result).toMatchObject({ backend: 'wasm', sum: 64 ** 3 });
  });
});

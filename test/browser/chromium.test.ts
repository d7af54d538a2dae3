/**
 * dvme/browser in headless Chromium: backends, the real MobileNetV2 over HTTP, every DOM image
 * form against Node's embeddings of the same pixels, the ONNX engine on onnxruntime-web, the
 * embedding cache in Cache Storage across a reload, a Probe, and tensor leaks. The page is
 * bundled by esbuild from the built package (pages/suite.js).
 */
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { Backbone, initBackend, Probe } from '../../src/node.js';
import { relativeMaxError } from '../unit/backbone/arch/fixture.js';
import { pngWith } from '../unit/platform/png-builder.js';
import { bundle, copyTfjsWasm } from './harness/bundlers.js';
import { launchChromium } from './harness/chromium.js';
import { makeApp, removeAll, root } from './harness/package.js';
import { openAndRead } from './harness/page.js';
import { serveStatic, type StaticServer } from './harness/server.js';

// The real model, in ../shared/models beside the repo (CI has the folder too), never copied
// into it; DVME_SHARED_DIR points elsewhere (a git worktree's checkout).
const MODELS = join(process.env.DVME_SHARED_DIR ?? join(root, '../shared'), 'models');
const MOBILENET = join(MODELS, 'mobilenet_v2_nsfwjs/model.json');
const ONNX_DIR = join(root, 'test/fixtures/engine');
const IMAGENET = { mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] } as { mean: [number, number, number]; std: [number, number, number] };
const PEERS = ['@tensorflow/tfjs-backend-wasm', '@tensorflow/tfjs-backend-webgl', '@tensorflow/tfjs-backend-webgpu', '@tensorflow/tfjs-converter', 'onnxruntime-web'];

interface Embedding {
  shape: number[];
  data: number[];
}
interface Skip {
  backend: string;
  reason: string;
}

/** A smooth, different RGB picture per seed (no alpha, no colour profile: decoded exactly). */
function picture(seed: number, width: number, height: number): { data: Uint8Array; width: number; height: number; channels: 3 } {
  const data = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y += 1) {
    for (let x = 0; x < width; x += 1) {
      const i = (y * width + x) * 3;
      data[i] = (x * (3 + seed) + y * seed * 5) % 256;
      data[i + 1] = (128 + Math.round(100 * Math.sin((x + seed * 13) / 9) * Math.cos(y / 7))) & 255;
      data[i + 2] = ((x ^ y) * (seed + 1)) % 256;
    }
  }
  return { data, width, height, channels: 3 };
}

function png(p: { data: Uint8Array; width: number; height: number }): Uint8Array {
  const raw = new Uint8Array(p.height * (1 + p.width * 3));
  for (let y = 0; y < p.height; y += 1) raw.set(p.data.subarray(y * p.width * 3, (y + 1) * p.width * 3), y * (1 + p.width * 3) + 1);
  return pngWith({ width: p.width, height: p.height, raw });
}

const pictures = [picture(1, 160, 120), picture(2, 97, 131), picture(3, 224, 224)];
const names = pictures.map((_, i) => `p${i}.png`);

let app: string;
let out: string;
let browser: Browser;
let server: StaticServer;
let nodeMobileNet: Embedding;

async function open(query: string): Promise<Page> {
  return (await openAndRead<unknown>(browser, `${server.url}/index.html${query}`)).page;
}

function call<T>(page: Page, method: string, ...args: unknown[]): Promise<T> {
  return page.evaluate(([m, a]) => (window as unknown as { dvmeTest: Record<string, (...x: unknown[]) => unknown> }).dvmeTest[m as string]!(...(a as unknown[])), [method, args] as const) as Promise<T>;
}

beforeAll(async () => {
  if (!existsSync(MOBILENET)) throw new Error(`The browser suite needs the real MobileNetV2 at ${MOBILENET} (../shared/models from the repo root, or $DVME_SHARED_DIR/models).`);
  app = makeApp(inject('dvmePackage'), PEERS);
  mkdirSync(join(app, 'src'));
  cpSync(join(import.meta.dirname, 'pages/suite.js'), join(app, 'src/main.js'));
  out = mkdtempSync(join(tmpdir(), 'dvme-suite-'));
  const site = join(out, 'site');
  const wasm = join(out, 'wasm');
  const img = join(out, 'img');
  copyTfjsWasm(wasm);
  for (const f of ['ort-wasm-simd-threaded.jsep.wasm', 'ort-wasm-simd-threaded.jsep.mjs']) symlinkSync(join(root, 'node_modules/onnxruntime-web/dist', f), join(wasm, f));
  mkdirSync(img);
  pictures.forEach((p, i) => writeFileSync(join(img, names[i] as string), png(p)));
  await bundle('esbuild', app, site);
  const mounts = { '/': site, '/wasm/': wasm, '/img/': img, '/models/': MODELS, '/onnx/': ONNX_DIR };
  [browser, server] = await Promise.all([launchChromium(), serveStatic(mounts)]);
  // Node's embeddings of the same pixels, on dvme/node's wasm backend.
  await initBackend();
  const backbone = await Backbone.fromTfjs(MOBILENET, { embeddingLayer: 'flatten_1', mean: [0, 0, 0], std: [1, 1, 1] });
  nodeMobileNet = await backbone.embed(pictures, { as: 'array' }).then((e) => ({ shape: [...e.shape], data: Array.from(e.data) }));
  backbone.dispose();
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
  removeAll(app, out);
});

describe('initBackend in Chromium', () => {
  it('starts wasm, its .wasm files from wasmPaths, and says why WebGPU and WebGL were passed over', async () => {
    const page = await open('?backends=wasm');
    const info = await call<{ backend: string; package: string; version: string; skipped: Skip[] }>(page, 'init');
    expect(info).toMatchObject({ backend: 'wasm', package: '@tensorflow/tfjs-backend-wasm', version: '4.22.0' });
    expect(info.skipped.map((s) => s.backend)).toEqual(['webgpu', 'webgl']);
    for (const s of info.skipped) expect(s.reason).toMatch(/exposes no WebGPU|gave no adapter|not loaded: this page cannot import/);
    expect(await call<number>(page, 'matmul')).toBe(128 ** 3);
    expect(server.notFound.filter((path) => path.endsWith('.wasm'))).toEqual([]);
    await page.context().close();
  });

  it('starts WebGL (SwiftShader: no GPU here) when handed the package', async () => {
    const page = await open('?backends=webgl');
    const info = await call<{ backend: string }>(page, 'init');
    expect(info.backend).toBe('webgl');
    expect(await call<number>(page, 'matmul')).toBe(128 ** 3);
    console.info(`WebGL renderer: ${await call<string>(page, 'glRenderer')}`);
    await page.context().close();
  });

  it('tries WebGPU, WebGL and wasm in that order; WebGPU is reported, not required', async () => {
    const page = await open('');
    const info = await call<{ backend: string; skipped: Skip[] }>(page, 'init');
    const gpu = await page.evaluate(() => 'gpu' in navigator);
    console.info(`navigator.gpu ${gpu ? 'present' : 'absent'}; active backend ${info.backend}; skipped: ${JSON.stringify(info.skipped)}`);
    if (info.backend === 'webgpu') expect(info.skipped).toEqual([]);
    else {
      expect(info.backend).toBe('webgl');
      expect(info.skipped.map((s) => s.backend)).toEqual(['webgpu']);
      expect(info.skipped[0]?.reason).toMatch(gpu ? /^navigator\.gpu gave no adapter: / : /^this browser exposes no WebGPU /);
    }
    await page.context().close();
  });
});

describe('MobileNetV2 (Backbone.fromTfjs over HTTP) in Chromium', () => {
  it('embeds <img>, <canvas>, ImageBitmap and ImageData on wasm as Node does (1e-4), leaving no tensor', async () => {
    const page = await open('?backends=wasm');
    await call(page, 'init');
    const { out: forms, before, after, backend } = await call<{ out: Record<string, Embedding>; before: number; after: number; backend: string }>(page, 'embedForms', names);
    expect(backend).toBe('wasm');
    expect(Object.keys(forms)).toEqual(['img', 'canvas', 'bitmap', 'imageData']);
    const errors = Object.fromEntries(Object.entries(forms).map(([form, e]) => [form, relativeMaxError(e.data, nodeMobileNet.data)]));
    console.info(`MobileNetV2 on wasm in Chromium vs Node: max relative difference per form ${JSON.stringify(errors)}`);
    for (const [form, e] of Object.entries(forms)) {
      expect(e.shape, form).toEqual([3, 1280]);
      expect(errors[form], form).toBeLessThanOrEqual(1e-4);
    }
    expect(after).toBe(before);
    await page.context().close();
  });

  it('embeds on WebGL as Node does within 1e-3, leaving no tensor', async () => {
    const page = await open('?backends=webgl');
    await call(page, 'init');
    // One image: SwiftShader runs WebGL on the CPU, slowly.
    const { out: forms, before, after, backend } = await call<{ out: Record<string, Embedding>; before: number; after: number; backend: string }>(
      page,
      'embedForms',
      names.slice(0, 1),
      ['imageData'],
    );
    expect(backend).toBe('webgl');
    const error = relativeMaxError(forms.imageData!.data, nodeMobileNet.data.slice(0, 1280));
    console.info(`MobileNetV2 on WebGL (SwiftShader) vs Node wasm: max relative difference ${error.toExponential(2)}`);
    expect(error).toBeLessThanOrEqual(1e-3);
    expect(after).toBe(before);
    await page.context().close();
  });

  it('keeps embeddings in Cache Storage: after a reload they are all hits, equal to the first', async () => {
    const page = await open('?backends=wasm');
    await call(page, 'init');
    const first = await call<{ e: Embedding; lookups: Array<{ hits: number; images: number }> }>(page, 'cached', names);
    expect(first.lookups).toEqual([{ hits: 0, images: 3 }]);
    await page.reload();
    await page.waitForFunction(() => (window as { __dvme?: unknown }).__dvme !== undefined);
    await call(page, 'init');
    const second = await call<{ e: Embedding; lookups: Array<{ hits: number; images: number }> }>(page, 'cached', names);
    expect(second.lookups).toEqual([{ hits: 3, images: 3 }]);
    expect(second.e).toEqual(first.e);
    await page.context().close();
  });
});

describe('more of dvme in Chromium', () => {
  it('runs the ONNX engine on onnxruntime-web (wasm files from wasmPaths; the model a URL relative to the page) as onnxruntime does in Node (1e-4)', async () => {
    const options = { ...IMAGENET, resize: 'shorter-then-crop' as const, executionProviders: ['wasm'] };
    const page = await open('?backends=wasm');
    await call(page, 'init');
    const web = await call<{ e: Embedding; runtime: string; before: number; after: number }>(page, 'onnx', names, options);
    expect(web.runtime).toMatch(/^onnxruntime-web \d/);
    expect(web.after).toBe(web.before);
    // onnxruntime in Node (onnxruntime-node) has no 'wasm' provider: its default CPU one.
    const { executionProviders: _web, ...nodeOptions } = options;
    const node = await Backbone.fromOnnx(readFileSync(join(ONNX_DIR, 'resnet-tiny.onnx')), nodeOptions);
    // The page embedded ImageData: RGBA; the same pixels as RGB here.
    const want = await node.embed(pictures, { as: 'array' });
    node.dispose();
    expect(web.e.shape).toEqual(want.shape);
    expect(relativeMaxError(web.e.data, want.data)).toBeLessThanOrEqual(1e-4);
    await page.context().close();
  });

  it("fails with a typed error naming the .wasm URL and the fix when onnxruntime-web's files are not where it looks", async () => {
    const page = await open('?backends=wasm&ortwasm=/no-ort-here/');
    await call(page, 'init');
    const error = await call<{ name: string; message: string; isBackendError: boolean } | null>(page, 'onnxError', { ...IMAGENET, executionProviders: ['wasm'] });
    console.info(`onnxruntime-web without its .wasm: ${error?.message}`);
    expect(error).toMatchObject({ name: 'BackendUnavailableError', isBackendError: true });
    expect(error?.message).toContain(`HEAD ${server.url}/no-ort-here/ort-wasm-simd-threaded.jsep.wasm: 404 Not Found`);
    expect(error?.message).toContain("initBackend({ wasmPaths: 'https://your.host/wasm/' })");
    expect(error?.message).not.toMatch(/npm install|not installed/);
    await page.context().close();
  });

  it('embeds <video> frames (a VP8 webm recorded in the page) as Node embeds the pixels of the same frame drawn to a canvas (1e-4)', async () => {
    const page = await open('?backends=wasm');
    await call(page, 'init');
    const v = await call<{ e: Embedding; pixels: number[]; width: number; height: number; bytes: number; before: number; after: number }>(page, 'video', names[0]);
    expect(v.after).toBe(v.before);
    expect([v.width, v.height]).toEqual([pictures[0]!.width, pictures[0]!.height]);
    const rgb = new Uint8Array(v.width * v.height * 3);
    for (let i = 0; i < v.width * v.height; i += 1) for (let c = 0; c < 3; c += 1) rgb[i * 3 + c] = v.pixels[i * 4 + c] as number;
    const backbone = await Backbone.fromTfjs(MOBILENET, { embeddingLayer: 'flatten_1', mean: [0, 0, 0], std: [1, 1, 1] });
    const want = await backbone.embed([{ data: rgb, width: v.width, height: v.height, channels: 3 }], { as: 'array' });
    backbone.dispose();
    const error = relativeMaxError(v.e.data, want.data);
    // The frame is not the PNG (VP8 is lossy): how far it is, for the record.
    const lossy = relativeMaxError(v.e.data, nodeMobileNet.data.slice(0, 1280));
    console.info(`<video> (${v.bytes} bytes of webm): max relative difference ${error.toExponential(2)} to Node on the frame's pixels; ${lossy.toExponential(2)} to the original PNG's`);
    expect(v.e.shape).toEqual([1, 1280]);
    expect(error).toBeLessThanOrEqual(1e-4);
    await page.context().close();
  });

  it('fits a Probe as Node does, leaving only what it frees', async () => {
    const x = Array.from({ length: 40 }, (_, i) => Array.from({ length: 6 }, (_, j) => Math.sin(i * 1.7 + j * 0.9) + (i % 2) * (j % 3 === 0 ? 1.5 : 0)));
    const y = x.map((_, i) => i % 2);
    const test = [x[0], x[1], [0, 0, 0, 0, 0, 0], [2, 1, 0, 2, 1, 0]];
    const page = await open('?backends=wasm');
    await call(page, 'init');
    const web = await call<{ proba: number[]; before: number; after: number }>(page, 'probe', x, y, test);
    expect(web.after).toBe(web.before);
    const probe = await new Probe({ task: 'binary', solver: 'lbfgs' }).fit(x, y);
    const want = Array.from(probe.predictProba(test as number[][]));
    probe.dispose();
    web.proba.forEach((p, i) => expect(p).toBeCloseTo(want[i] as number, 4));
    await page.context().close();
  });
});

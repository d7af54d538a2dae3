/**
 * dvme for browsers. Everything in the core, plus {@link initBackend}, which activates the
 * best tfjs backend installed and supported by the browser: WebGPU, then WebGL, then wasm.
 * The ONNX engine (`Backbone.fromOnnx`, `engine: 'onnx'`) runs on `onnxruntime-web`, with its
 * WebGPU execution provider where the page exposes `navigator.gpu` and wasm otherwise.
 *
 * @remarks dvme's tests run onnxruntime-web's wasm provider (in Node and in headless
 * Chromium); its WebGPU path is not tested. Pass `onnx: { executionProviders: ['wasm'] }` to
 * keep to wasm. Bundlers, `.wasm` files and cross-origin isolation: docs/browser.md.
 * @packageDocumentation
 */
import { type BackendInfo, selectBackend } from './host/backend.js';
import { applyBrowserOptions, browserBackendCandidates, type BrowserBackendOptions } from './platform/browser/browser-backends.js';
import { browserPlatform } from './platform/browser/browser-cache.js';
import { registerBrowserEngines } from './platform/browser/browser-engines.js';
import { openBrowserImage } from './platform/browser/browser-images.js';
import { registerPlatform } from './host/platform.js';

// The core's reviewed list (src/index.ts), whole: a second copy of it here would drift.
// test/unit/exports.json pins what this entry exports, core and additions alike.
export * from './index.js';
export type { BrowserBackendOptions } from './platform/browser/browser-backends.js';
export type { PeerLoader } from './host/peers.js';

// Browsers have no file system: sources are URLs, Blobs' bytes or IOHandlers. Downloads are
// kept in Cache Storage. embed reads DOM images (<img>, canvases, ImageBitmap, <video>).
registerPlatform({ ...browserPlatform(), openImage: openBrowserImage });

// The ONNX engine runs on onnxruntime-web: WebGPU where the page has it, else wasm.
registerBrowserEngines(() => initBackend());

let pending: Promise<BackendInfo> | undefined;

/**
 * Activates `@tensorflow/tfjs-backend-webgpu`, else `-webgl`, else `-wasm` (the first one that
 * loads and that the browser supports) and reports which one is active and why each other was
 * passed over (`skipped`). Idempotent once it succeeds; options given again later still take
 * effect for what loads later (the ONNX engine, GraphModels).
 *
 * @remarks Since 0.1.0. dvme never imports an optional peer where a bundler would look for it
 * (so any bundler builds an app whichever peers are installed): hand it the packages to use
 * as `import()`s in your code (`backends`, `onnxruntime`, `converter`), or import a backend
 * package yourself before this. For wasm, its `.wasm` files are looked for next to the bundle
 * and the page, or in `wasmPaths`; a missing file is reported with the URLs tried.
 * @example
 * ```ts
 * import { initBackend } from 'dvme/browser';
 * const { backend, skipped } = await initBackend({
 *   backends: {
 *     webgl: () => import('@tensorflow/tfjs-backend-webgl'),
 *     wasm: () => import('@tensorflow/tfjs-backend-wasm'),
 *   },
 *   wasmPaths: '/wasm/',
 * });
 * console.log(backend, skipped); // 'webgl', [{ backend: 'webgpu', reason: 'this browser exposes no WebGPU ...' }]
 * ```
 */
export function initBackend(options: BrowserBackendOptions = {}): Promise<BackendInfo> {
  applyBrowserOptions(options);
  pending ??= selectBackend('browser', browserBackendCandidates()).catch((e: unknown) => {
    pending = undefined;
    throw e;
  });
  return pending;
}

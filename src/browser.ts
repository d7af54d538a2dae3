/**
 * dvme for browsers. Everything in the core, plus {@link initBackend}, which activates the
 * best tfjs backend installed and supported by the browser: WebGPU, then WebGL, then wasm.
 * The ONNX engine (`Backbone.fromOnnx`, `engine: 'onnx'`) runs on `onnxruntime-web`, with its
 * WebGPU execution provider where the page exposes `navigator.gpu` and wasm otherwise.
 *
 * @remarks dvme's tests run onnxruntime-web's wasm provider (in Node); its WebGPU path is not
 * tested. Pass `onnx: { executionProviders: ['wasm'] }` to keep to wasm.
 * @packageDocumentation
 */
import { type BackendInfo, selectBackend } from './host/backend.js';
import { browserPlatform } from './platform/browser/browser-cache.js';
import { registerBrowserEngines } from './platform/browser/browser-engines.js';
import { openBrowserImage } from './platform/browser/browser-images.js';
import { registerPlatform } from './host/platform.js';

// The core's reviewed list (src/index.ts), whole: a second copy of it here would drift.
// test/unit/exports.json pins what this entry exports, core and additions alike.
export * from './index.js';

// Browsers have no file system: sources are URLs, Blobs' bytes or IOHandlers. Downloads are
// kept in Cache Storage. embed reads DOM images (<img>, canvases, ImageBitmap, <video>).
registerPlatform({ ...browserPlatform(), openImage: openBrowserImage });

// The ONNX engine runs on onnxruntime-web: WebGPU where the page has it, else wasm.
registerBrowserEngines(initBackend);

let pending: Promise<BackendInfo> | undefined;

/**
 * Activates `@tensorflow/tfjs-backend-webgpu`, else `-webgl`, else `-wasm` (the first one that
 * is installed and that the browser supports) and reports which one is active and why the
 * others were passed over. Idempotent once it succeeds.
 *
 * @remarks Since 0.1.0. For the wasm backend, serve its `.wasm` files and call its
 * `setWasmPaths` before this if your bundler does not copy them.
 * @example
 * ```ts
 * import { initBackend } from 'dvme/browser';
 * const { backend } = await initBackend(); // 'webgpu', 'webgl' or 'wasm'
 * ```
 */
export function initBackend(): Promise<BackendInfo> {
  pending ??= selectBackend('browser', [
    { backend: 'webgpu', package: '@tensorflow/tfjs-backend-webgpu', load: () => import('@tensorflow/tfjs-backend-webgpu') },
    { backend: 'webgl', package: '@tensorflow/tfjs-backend-webgl', load: () => import('@tensorflow/tfjs-backend-webgl') },
    { backend: 'wasm', package: '@tensorflow/tfjs-backend-wasm', load: () => import('@tensorflow/tfjs-backend-wasm') },
  ]).catch((e: unknown) => {
    pending = undefined;
    throw e;
  });
  return pending;
}

import { registerEngineProbes } from '../../backbone/engines/engine-select.js';
import { registerOnnxRuntime, type OnnxRuntimeProvider } from '../../backbone/engines/onnx-runtime.js';
import type { BackendInfo } from '../../host/backend.js';
import { browserWasmPaths, importBrowserPeer } from './browser-backends.js';
import { explainOrtStartFailure } from './ort-wasm-files.js';

/**
 * @internal onnxruntime-web for the ONNX engine: its WebGPU execution provider where the page
 * exposes WebGPU (`navigator.gpu`, secure contexts of WebGPU browsers), with wasm behind it for
 * a browser that then finds no adapter (onnxruntime-web drops 'webgpu' with a console warning),
 * and wasm alone elsewhere. The WebGPU path is untested: dvme's tests run onnxruntime-web's
 * wasm provider in Node, which has no WebGPU.
 */
export function browserOnnxRuntime(navigator: { readonly gpu?: unknown } | undefined): OnnxRuntimeProvider {
  return {
    package: 'onnxruntime-web',
    // The default import of onnxruntime-web includes the WebGPU (JSEP) build. Not a literal
    // import(): that would fail the bundling of apps without onnxruntime-web (see host/peers).
    load: async () => {
      const ort = await importBrowserPeer('onnxruntime-web', "initBackend({ onnxruntime: () => import('onnxruntime-web') })");
      const wasm = (ort as { env?: { wasm?: { wasmPaths?: unknown } } } | undefined)?.env?.wasm;
      const folder = browserWasmPaths();
      // The app's own ort.env.wasm.wasmPaths wins over initBackend's.
      if (wasm && folder !== undefined && wasm.wasmPaths === undefined) wasm.wasmPaths = folder;
      return ort;
    },
    // No threads: onnxruntime-web sets its wasm threads itself (ort.env.wasm.numThreads, more
    // than one on cross-origin isolated pages only).
    executionProviders: navigator?.gpu ? ['webgpu', 'wasm'] : ['wasm'],
    // A .wasm file that was not found is the page's to fix, not the model's.
    explainStartFailure: explainOrtStartFailure,
  };
}

/**
 * @internal Registers onnxruntime-web for the ONNX engine and the probes of `engine: 'auto'`;
 * called by `dvme/browser` with its `initBackend`.
 */
export function registerBrowserEngines(initBackend: () => Promise<BackendInfo>): void {
  const onnxRuntime = browserOnnxRuntime((globalThis as { navigator?: { gpu?: unknown } }).navigator);
  registerOnnxRuntime(onnxRuntime);
  // WebGPU and WebGL are the browser's accelerated tfjs; 'auto' prefers them to onnxruntime-web.
  registerEngineProbes({ tfjsNative: async () => (await initBackend()).backend !== 'wasm', onnx: onnxRuntime });
}

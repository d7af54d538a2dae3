import * as tf from '@tensorflow/tfjs-core';
import { BackendUnavailableError } from '../../errors/index.js';
import type { BackendCandidate } from '../../host/backend.js';
import { importPeer, isPeerSupplied, supplyPeer, type PeerLoader } from '../../host/peers.js';
import { prepareWasmFiles } from './wasm-files.js';

/**
 * Options of `dvme/browser`'s `initBackend`: the optional peers to use, each as a loader written
 * in your code (a literal `import()`, which your bundler sees and bundles), and where the
 * WebAssembly files are served.
 *
 * @remarks Since 0.1.0. dvme's own code never names an optional peer where a bundler looks,
 * so it bundles whichever of them are installed; a peer it is not handed is imported by name,
 * which works in unbundled pages with an import map and fails (with that reason in
 * `BackendInfo.skipped`) in bundled ones. A backend package the app imported itself
 * (`import '@tensorflow/tfjs-backend-webgl'`) is used without a loader.
 * @example
 * ```ts
 * import { initBackend } from 'dvme/browser';
 * await initBackend({
 *   backends: {
 *     webgl: () => import('@tensorflow/tfjs-backend-webgl'),
 *     wasm: () => import('@tensorflow/tfjs-backend-wasm'),
 *   },
 *   onnxruntime: () => import('onnxruntime-web'),
 *   wasmPaths: '/wasm/', // holds tfjs-backend-wasm's and onnxruntime-web's .wasm files
 * });
 * ```
 */
export interface BrowserBackendOptions {
  /** Loaders of the tfjs backend packages, tried in the order webgpu, webgl, wasm. */
  readonly backends?: {
    readonly webgpu?: PeerLoader;
    readonly webgl?: PeerLoader;
    readonly wasm?: PeerLoader;
  };
  /** Loader of `onnxruntime-web`, for the ONNX engine (`Backbone.fromOnnx`, `engine: 'onnx'`). */
  readonly onnxruntime?: PeerLoader;
  /** Loader of `@tensorflow/tfjs-converter`, for tfjs GraphModels (`Backbone.fromTfjs`). */
  readonly converter?: PeerLoader;
  /**
   * URL of the folder serving the `.wasm` files of `@tensorflow/tfjs-backend-wasm` (its
   * `setWasmPaths`) and of `onnxruntime-web` (its `env.wasm.wasmPaths`, unless the app set it).
   * @defaultValue tfjs-backend-wasm's files are looked for next to the bundle holding dvme,
   * then next to the page; onnxruntime-web's where it looks itself (next to its script, which
   * Vite and webpack emit for you)
   */
  readonly wasmPaths?: string;
}

/** The tfjs backends `dvme/browser` tries, fastest first. */
const BACKENDS = [
  ['webgpu', '@tensorflow/tfjs-backend-webgpu'],
  ['webgl', '@tensorflow/tfjs-backend-webgl'],
  ['wasm', '@tensorflow/tfjs-backend-wasm'],
] as const;

let wasmFolder: string | undefined;

/** @internal The `wasmPaths` last given to `initBackend`. */
export function browserWasmPaths(): string | undefined {
  return wasmFolder;
}

/** @internal Records the loaders and the wasm folder of `options`; omitted ones keep earlier values. */
export function applyBrowserOptions(options: BrowserBackendOptions): void {
  for (const [name, pkg] of BACKENDS) {
    const load = options.backends?.[name];
    if (load) supplyPeer(pkg, load);
  }
  if (options.onnxruntime) supplyPeer('onnxruntime-web', options.onnxruntime);
  if (options.converter) supplyPeer('@tensorflow/tfjs-converter', options.converter);
  // Both packages append file names to the prefix: '/wasm' must mean the folder.
  if (options.wasmPaths !== undefined) wasmFolder = options.wasmPaths.endsWith('/') ? options.wasmPaths : `${options.wasmPaths}/`;
}

/**
 * @internal Imports an optional peer for `dvme/browser`: the app's loader, else by name. A
 * by-name import that the page cannot resolve (any bundled page) becomes a reason that says
 * how to hand the package over instead of "not installed", which it may well be.
 */
export async function importBrowserPeer(pkg: string, handOver: string): Promise<unknown> {
  try {
    return await importPeer(pkg);
  } catch (e) {
    if (isPeerSupplied(pkg)) throw e;
    const why = e instanceof Error ? (e.message.split('\n')[0] ?? '') : String(e);
    throw new BackendUnavailableError(
      `not loaded: this page cannot import '${pkg}' by name (${why}). If it is installed, hand it to dvme from your code, ` +
        `where your bundler sees it: ${handOver}; if not, npm install ${pkg}.`,
      { cause: e },
    );
  }
}

type Gpu = { requestAdapter(): Promise<unknown> };

/**
 * Why WebGPU cannot run here, or undefined when it can. Asked before importing the package:
 * tfjs only reports "could not initialise" when the browser has `navigator.gpu` but no adapter.
 */
async function webGpuMissing(): Promise<string | undefined> {
  const gpu = (globalThis as { navigator?: { gpu?: Gpu } }).navigator?.gpu;
  if (!gpu) {
    return 'this browser exposes no WebGPU (navigator.gpu is undefined: WebGPU needs a secure context, https: or localhost, and a browser that enables it).';
  }
  let adapter: unknown = null;
  try {
    adapter = await gpu.requestAdapter();
  } catch {
    // As no adapter.
  }
  return adapter
    ? undefined
    : 'navigator.gpu gave no adapter: no GPU that WebGPU may use here (headless or --disable-gpu, no GPU driver, or a GPU on the browser\'s blocklist; chrome://gpu says which).';
}

/** @internal The candidates of `dvme/browser`'s `initBackend`, for `selectBackend`. */
export function browserBackendCandidates(): BackendCandidate[] {
  return BACKENDS.map(([backend, pkg]) => ({
    backend,
    package: pkg,
    load: async () => {
      const missing = backend === 'webgpu' ? await webGpuMissing() : undefined;
      if (missing) throw new BackendUnavailableError(missing);
      // The app imported the package itself: it registered the backend with tfjs already.
      if (!isPeerSupplied(pkg) && tf.findBackendFactory(backend)) return undefined;
      return importBrowserPeer(pkg, `initBackend({ backends: { ${backend}: () => import('${pkg}') } }), or import '${pkg}' before initBackend`);
    },
    ...(backend === 'wasm' ? { prepare: (module: unknown) => prepareWasmFiles(module, wasmFolder) } : {}),
  }));
}

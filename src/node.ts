/**
 * dvme for Node.js. Everything in the core, plus {@link initBackend}, which activates the
 * fastest tfjs backend installed: `@tensorflow/tfjs-node` (native TensorFlow) when present,
 * otherwise `@tensorflow/tfjs-backend-wasm`.
 *
 * @remarks tfjs runs its wasm backend single-threaded in Node (tensorflow/tfjs#3830);
 * `initBackend` starts its threaded build instead (one thread per core), still markedly slower
 * than tfjs-node.
 * @packageDocumentation
 */
import { type BackendInfo, selectBackend } from './host/backend.js';
// Named in the TSDoc below.
import type { BackendUnavailableError, InvalidArgumentError } from './errors/index.js';
import { registerNodeEngines } from './platform/node/node-engines.js';
import { nodePlatform } from './platform/node/node-platform.js';
import { registerPlatform } from './host/platform.js';
import { nodeWasmCandidate, resolveWasmThreads, type NodeBackendOptions } from './platform/node/wasm-threads.js';

// The core's reviewed list (src/index.ts), whole: a second copy of it here would drift.
// test/unit/exports.json pins what this entry exports, core and additions alike.
export * from './index.js';
export { decodeImage, readImages } from './platform/node/decode-image.js';
export { readEmbeddingSet, writeEmbeddingSet } from './platform/node/embedding-set-files.js';
export type { NodeBackendOptions } from './platform/node/wasm-threads.js';

registerPlatform(nodePlatform);
registerNodeEngines(initBackend, () => import('@tensorflow/tfjs-node'));

let pending: Promise<BackendInfo> | undefined;

/**
 * Activates tfjs-node when it is installed, otherwise the wasm backend with one thread per core
 * (tfjs alone runs it single-threaded in Node), and reports which one is active, how many
 * threads it runs and why. Idempotent: later calls return the first call's result.
 *
 * @param options - `wasmThreads` (`'auto'`, or 1 to 8).
 * @throws {@link InvalidArgumentError} for a bad `wasmThreads`; {@link BackendUnavailableError}
 * when no backend can start.
 * @remarks Since 0.1.0. `dvme/node-gpu` exports the same function, requiring tfjs-node-gpu.
 * The threads are Node worker threads that do not keep the process alive.
 * @example
 * ```ts
 * import { initBackend } from 'dvme/node';
 * const info = await initBackend();
 * console.log(`tfjs backend: ${info.backend} from ${info.package}, ${info.threads ?? '?'} threads`);
 * for (const s of info.skipped) console.log(`skipped ${s.package}: ${s.reason}`);
 * for (const n of info.notes ?? []) console.log(n);
 * ```
 */
export function initBackend(options: NodeBackendOptions = {}): Promise<BackendInfo> {
  let threads: number;
  try {
    threads = resolveWasmThreads('initBackend', options.wasmThreads);
  } catch (e) {
    return Promise.reject(e);
  }
  if (pending) return pending;
  pending = selectBackend('node', [
    { backend: 'tensorflow', package: '@tensorflow/tfjs-node', load: () => import('@tensorflow/tfjs-node') },
    nodeWasmCandidate(threads),
  ]).catch((e: unknown) => {
    pending = undefined;
    throw e;
  });
  return pending;
}

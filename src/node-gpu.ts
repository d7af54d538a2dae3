/**
 * dvme for Node.js with a CUDA GPU. Everything in the core, plus {@link initBackend}, which
 * requires `@tensorflow/tfjs-node-gpu` and throws {@link BackendUnavailableError} with the
 * install command when it is missing (no silent fallback to a CPU backend).
 *
 * @packageDocumentation
 */
import { type BackendInfo, selectBackend } from './host/backend.js';
import { registerNodeEngines } from './platform/node/node-engines.js';
import { nodePlatform } from './platform/node/node-platform.js';
import { registerPlatform } from './host/platform.js';
import type { NodeBackendOptions } from './platform/node/wasm-threads.js';

// The core's reviewed list (src/index.ts), whole: a second copy of it here would drift.
// test/unit/exports.json pins what this entry exports, core and additions alike.
export * from './index.js';
export { decodeImage, readImages } from './platform/node/decode-image.js';
export { readEmbeddingSet, writeEmbeddingSet } from './platform/node/embedding-set-files.js';
export type { NodeBackendOptions } from './platform/node/wasm-threads.js';

registerPlatform(nodePlatform);
registerNodeEngines(initBackend, () => import('@tensorflow/tfjs-node-gpu'));

let pending: Promise<BackendInfo> | undefined;

/**
 * Activates `@tensorflow/tfjs-node-gpu`; throws {@link BackendUnavailableError} naming
 * `npm install @tensorflow/tfjs-node-gpu` when it is not installed or cannot load (no CUDA).
 * Idempotent once it succeeds.
 *
 * @param _options - the options of `dvme/node`'s `initBackend`, accepted so that code can switch
 * entrypoints; tfjs-node-gpu has no wasm threads to set.
 *
 * @remarks Since 0.1.0. Same signature as `initBackend` from `dvme/node`.
 * @example
 * ```ts
 * import { initBackend, BackendUnavailableError } from 'dvme/node-gpu';
 * try {
 *   await initBackend();
 * } catch (e) {
 *   if (BackendUnavailableError.is(e)) console.error(e.message); // says what to install
 * }
 * ```
 */
export function initBackend(_options: NodeBackendOptions = {}): Promise<BackendInfo> {
  pending ??= selectBackend('node-gpu', [
    { backend: 'tensorflow', package: '@tensorflow/tfjs-node-gpu', load: () => import('@tensorflow/tfjs-node-gpu') },
  ]).catch((e: unknown) => {
    pending = undefined;
    throw e;
  });
  return pending;
}

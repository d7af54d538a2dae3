/**
 * dvme for Node.js. Everything in the core, plus {@link initBackend}, which activates the
 * fastest tfjs backend installed: `@tensorflow/tfjs-node` (native TensorFlow) when present,
 * otherwise `@tensorflow/tfjs-backend-wasm`.
 *
 * @remarks tfjs runs its wasm backend single-threaded in Node (tensorflow/tfjs#3830), so it
 * is markedly slower than tfjs-node.
 * @packageDocumentation
 */
import { type BackendInfo, selectBackend } from './platform/backend.js';
import { registerNodeEngines } from './platform/node/node-engines.js';
import { nodePlatform } from './platform/node/node-platform.js';
import { registerPlatform } from './platform/platform.js';

export * from './index.js';
export { decodeImage, readImages } from './platform/node/decode-image.js';

registerPlatform(nodePlatform);
registerNodeEngines(initBackend);

let pending: Promise<BackendInfo> | undefined;

/**
 * Activates tfjs-node when it is installed, otherwise the wasm backend, and reports which one
 * is active and why. Idempotent: later calls return the first call's result.
 *
 * @remarks Since 0.1.0. `dvme/node-gpu` exports the same function, requiring tfjs-node-gpu.
 * @example
 * ```ts
 * import { initBackend } from 'dvme/node';
 * const info = await initBackend();
 * console.log(`tfjs backend: ${info.backend} from ${info.package}`);
 * for (const s of info.skipped) console.log(`skipped ${s.package}: ${s.reason}`);
 * ```
 */
export function initBackend(): Promise<BackendInfo> {
  pending ??= selectBackend('node', [
    { backend: 'tensorflow', package: '@tensorflow/tfjs-node', load: () => import('@tensorflow/tfjs-node') },
    { backend: 'wasm', package: '@tensorflow/tfjs-backend-wasm', load: () => import('@tensorflow/tfjs-backend-wasm') },
  ]).catch((e: unknown) => {
    pending = undefined;
    throw e;
  });
  return pending;
}

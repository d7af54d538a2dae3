/**
 * dvme: the platform-neutral core. Import a platform entrypoint (`dvme/node`, `dvme/node-gpu`,
 * `dvme/browser`) in an app to get a registered tfjs backend and platform helpers; import this
 * one from code that must run anywhere.
 *
 * @packageDocumentation
 */
export * from './errors/index.js';
export * from './metrics/index.js';
export { backendInfo, selectBackend } from './host/backend.js';
export type { BackendCandidate, BackendInfo, BackendPreparation } from './host/backend.js';
export { currentPlatform, registerPlatform } from './host/platform.js';
export type { Platform, PlatformImage } from './host/platform.js';
export * from './data/index.js';
export {
  flattenTensors,
  parseSafetensors,
  readCheckpoint,
  readTorchCheckpoint,
  toFloat32,
  unpickle,
  unpickleAt,
  type Checkpoint,
  type CheckpointFormat,
  type RawDtype,
  type RawTensor,
  type SafetensorsFile,
  type UnpickleOptions,
  type UnpickleResult,
} from './io/index.js';
export * from './backbone/index.js';
export * from './backbone/engines/index.js';
export * from './probe/index.js';
export { download, type DownloadOptions } from './io/download.js';
export { Sha256, sha256Hex } from './io/sha256.js';
export type { CacheWriter, DownloadCache, DownloadCacheOptions } from './host/platform.js';
export * from './fusion/index.js';
export * from './probe/lbfgs/index.js';
export * from './backbone/arch/index.js';
export * from './protocol/index.js';

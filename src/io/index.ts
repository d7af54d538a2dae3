/**
 * Platform-neutral readers for checkpoint files: safetensors, torch.save (zip and legacy) through
 * a restricted unpickler, and the zip container they share with `.npz`. No tfjs, no `node:*`.
 *
 * @packageDocumentation
 */
export { readCheckpoint, type Checkpoint, type CheckpointFormat } from './checkpoint.js';
export { flattenTensors } from './flatten-tensors.js';
export { bfloat16ToFloat32, float16BitsToNumber, float16ToFloat32, numberToFloat16Bits } from './half-float.js';
export { unpickle, unpickleAt, type UnpickleOptions, type UnpickleResult } from './pickle.js';
export {
  RAW_DTYPE_ITEMSIZE,
  isRawTensor,
  shapeNumel,
  toFloat32,
  type RawDtype,
  type RawTensor,
} from './raw-tensor.js';
export { parseSafetensors, type SafetensorsFile } from './safetensors.js';
export { readTorchCheckpoint } from './torch-checkpoint.js';
export { listZipEntries, readZipEntry, readZipEntrySync, type ZipEntry } from './zip.js';

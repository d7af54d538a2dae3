import { CheckpointFormatError } from '../errors/index.js';
import { parseSafetensors } from './safetensors.js';
import { isLegacyTorch, readTorchCheckpoint } from './torch-checkpoint.js';

/**
 * The file formats {@link readCheckpoint} recognises.
 *
 * @remarks Since 0.1.0.
 * @example
 * ```ts
 * import type { CheckpointFormat } from 'dvme';
 * const f: CheckpointFormat = 'torch-zip';
 * ```
 */
export type CheckpointFormat = 'safetensors' | 'torch-zip' | 'torch-legacy';

/**
 * A decoded checkpoint: its format and its root object.
 *
 * @remarks Since 0.1.0. For safetensors the root is the `Map` of tensors (without the file's
 * `__metadata__` header); for torch files it is whatever was saved.
 * @example
 * ```ts
 * import { readCheckpoint, type Checkpoint } from 'dvme';
 * declare const bytes: Uint8Array;
 * const ckpt: Checkpoint = await readCheckpoint(bytes);
 * ```
 */
export interface Checkpoint {
  format: CheckpointFormat;
  root: unknown;
}

/** A safetensors file opens with a u64 header length that fits the file, then `{`. */
function looksLikeSafetensors(bytes: Uint8Array): boolean {
  if (bytes.length < 10 || bytes[8] !== 0x7b) return false;
  const view = new DataView(bytes.buffer, bytes.byteOffset, 8);
  const length = view.getUint32(0, true) + view.getUint32(4, true) * 2 ** 32;
  return length <= bytes.length - 8;
}

const startsWith = (bytes: Uint8Array, prefix: readonly number[]): boolean =>
  prefix.every((b, i) => bytes[i] === b);

/** A hint for formats we recognise but do not read, to put in the error message. */
function hint(bytes: Uint8Array): string {
  if (startsWith(bytes, [0x1f, 0x8b])) return ' It looks gzip-compressed: decompress it first.';
  if (startsWith(bytes, [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59])) {
    return ' It is a NumPy .npy file: read it with parseNpy.';
  }
  if (bytes.length > 262 && startsWith(bytes.subarray(257), [0x75, 0x73, 0x74, 0x61, 0x72])) {
    return ' It is a tar archive (torch < 0.1.10 format): re-save it with a current torch.';
  }
  if (bytes[0] === 0x80) return ' It is a plain pickle, not torch.save output.';
  return '';
}

/**
 * Reads a checkpoint file of any supported format, detected from its bytes: torch zip
 * (`PK\x03\x04`), torch legacy (its magic number pickle) or safetensors (header shape).
 *
 * @param bytes - the whole file.
 * @throws {@link CheckpointFormatError} for any other bytes, with a hint when they are a known
 * format that is not a checkpoint, and for any malformed or hostile content.
 *
 * @remarks Since 0.1.0.
 * @example
 * ```ts
 * import { flattenTensors, readCheckpoint } from 'dvme';
 * declare const bytes: Uint8Array; // dino_deitsmall8_pretrain_full_checkpoint.pth
 * const { format, root } = await readCheckpoint(bytes); // format: 'torch-zip'
 * const teacher = flattenTensors(root, 'teacher');
 * ```
 */
export async function readCheckpoint(bytes: Uint8Array): Promise<Checkpoint> {
  if (startsWith(bytes, [0x50, 0x4b, 0x03, 0x04])) {
    return { format: 'torch-zip', root: await readTorchCheckpoint(bytes) };
  }
  if (isLegacyTorch(bytes)) return { format: 'torch-legacy', root: await readTorchCheckpoint(bytes) };
  if (looksLikeSafetensors(bytes)) return { format: 'safetensors', root: parseSafetensors(bytes).tensors };
  throw new CheckpointFormatError(
    `Unrecognised checkpoint: the ${bytes.length}-byte input is not a torch zip (.pth), legacy ` +
      `torch or .safetensors file.${hint(bytes)} Pass the raw bytes of the file as downloaded.`,
  );
}

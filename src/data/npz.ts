import { listZipEntries, readZipEntry } from '../io/zip.js';
import { parseNpy, type NdArray } from './npy.js';

/**
 * Reads a NumPy `.npz` archive (`np.savez` or `np.savez_compressed`).
 *
 * @param bytes - the whole archive.
 * @returns each array under its name without `.npy` (`'train_images'`), in archive order.
 * Entries that are not `.npy` files are skipped.
 * @throws {@link CheckpointFormatError} for a damaged archive or member.
 *
 * @remarks Since 0.1.0. Compressed members are inflated with the web-standard
 * `DecompressionStream`, so this runs in Node >= 20 and browsers alike.
 * @example
 * ```ts
 * import { readNpz } from 'dvme';
 * declare const bytes: Uint8Array; // retinamnist.npz
 * const arrays = await readNpz(bytes);
 * arrays.get('train_images')?.shape; // [1080, 28, 28, 3]
 * ```
 */
export async function readNpz(bytes: Uint8Array): Promise<Map<string, NdArray>> {
  const out = new Map<string, NdArray>();
  for (const entry of listZipEntries(bytes)) {
    if (!entry.name.endsWith('.npy')) continue;
    out.set(entry.name.slice(0, -4), parseNpy(await readZipEntry(bytes, entry)));
  }
  return out;
}

import { decodePlatformImage } from '../host/platform.js';
import type { DecodedImage } from '../image/images.js';
import { decodeDicom, isDicom } from '../medical-image/dicom.js';
import { applyWindow, type IntensityWindow } from '../medical-image/window.js';

/** PNG signature, then the IHDR chunk: bit depth at byte 24, colour type at 25. */
function pngBitDepth(bytes: Uint8Array): number | undefined {
  const sig = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
  if (bytes.length < 26 || !sig.every((b, i) => bytes[i] === b)) return undefined;
  return bytes[24];
}

/**
 * Decodes one image file of a dataset to what a backbone reads: DICOM through
 * {@link decodeDicom}; 16-bit grayscale PNG at full depth, windowed to 0-1 (`'file'` means
 * min-max here, as PNG has no window); anything else (8-bit PNG, 16-bit colour PNG, JPEG) as the
 * platform's decoder reads it.
 *
 * @param bytes - the file.
 * @param name - its path or name, for messages.
 * @param window - see {@link IntensityWindow}.
 * @throws `ImageDecodeError` for a file that cannot be decoded.
 * @remarks Since 0.1.0. 16-bit samples are decoded as `v / 65535` in float32 by the platform
 * and restored exactly (`round(x * 65535)`) before the window.
 * @example
 * ```ts
 * import { decodeMedicalImage } from 'dvme/node';
 * import { readFile } from 'node:fs/promises';
 * const image = await decodeMedicalImage(await readFile('xray16.png'), 'xray16.png', { center: 2048, width: 4096 });
 * ```
 */
export async function decodeMedicalImage(bytes: Uint8Array, name: string, window: IntensityWindow = 'file'): Promise<DecodedImage> {
  if (isDicom(bytes)) return (await decodeDicom(bytes, { window, name })).image;
  if (pngBitDepth(bytes) === 16) {
    const png = await decodePlatformImage(bytes, { name, pixelType: 'float32' });
    if (png.channels === 1) {
      const values = Float32Array.from(png.data, (v) => Math.round(v * 65535));
      const data = applyWindow(values, window === 'file' ? 'minmax' : window, { fullRange: [0, 65535] });
      return { data, width: png.width, height: png.height, channels: 1 };
    }
    return png;
  }
  return decodePlatformImage(bytes, { name });
}

import type { DecodedImage } from './images.js';

/**
 * The image file formats `decodeImage` (from `dvme/node`) reads.
 *
 * @remarks Since 0.1.0.
 * @example
 * ```ts
 * import type { ImageFileFormat } from 'dvme';
 * const format: ImageFileFormat = 'png';
 * ```
 */
export type ImageFileFormat = 'png' | 'jpeg';

/**
 * Options of `decodeImage` (from `dvme/node`).
 *
 * @remarks Since 0.1.0.
 * @example
 * ```ts
 * import type { DecodeImageOptions } from 'dvme';
 * // 16-bit X-rays at full precision, 0-1:
 * const options: DecodeImageOptions = { pixelType: 'float32' };
 * ```
 */
export interface DecodeImageOptions {
  /**
   * Element type of the pixels. `'uint8'`: 0-255 bytes, with 16-bit PNG samples cut to their
   * high byte (`v >> 8`, as Pillow reads 16-bit RGB). `'float32'`: 0-1, with 16-bit samples kept at full
   * precision (`v / 65535`) and 8-bit ones divided by 255. `embed` reads either scale.
   * @defaultValue `'uint8'`
   */
  readonly pixelType?: 'uint8' | 'float32';
  /**
   * Largest `width * height` decoded: a larger header is an `ImageDecodeError` before any pixel
   * memory is allocated, which guards against decompression bombs. The default (jpeg-js's own
   * limit, a little above Pillow's warning at 89 M) admits large scans; at the limit one image
   * takes 300-400 MB as bytes, four times that as float32, and `readImages` holds every image
   * it reads, so lower it for files from untrusted sources.
   * @defaultValue `100_000_000`
   */
  readonly maxPixels?: number;
  /**
   * Largest memory, in bytes, that decoding one image may take at its peak, estimated from the
   * header before anything is allocated: a larger one is an `ImageDecodeError`. It covers what
   * `maxPixels` does not: a few hundred bytes of JPEG header or a kilobyte-sized PNG of zeros
   * can declare a huge image, whose decoding would take gigabytes and seconds before the file
   * turns out to be hostile. PNG counts its inflated scanlines twice plus the output; JPEG 5
   * bytes per pixel and component plus 3 of RGB output; float32 output counts 4 bytes a sample.
   * The default admits a 100-megapixel 8-bit RGB PNG (0.9 GB) but not 16-bit RGBA or float32
   * pixels of that size, nor an RGB JPEG over about 60 megapixels; raise it for trusted large files.
   * @defaultValue `1_073_741_824` (1 GiB)
   */
  readonly maxDecodedBytes?: number;
  /** Names bytes in error messages (`'upload.png'`); a path names itself. */
  readonly name?: string;
}

/**
 * Options of `readImages` (from `dvme/node`).
 *
 * @remarks Since 0.1.0.
 * @example
 * ```ts
 * import type { ReadImagesOptions } from 'dvme';
 * const options: ReadImagesOptions = {
 *   signal: AbortSignal.timeout(60_000),
 *   onProgress: (done, total) => console.log(`${done} / ${total}`),
 * };
 * ```
 */
export interface ReadImagesOptions extends Omit<DecodeImageOptions, 'name'> {
  /** Stops between files with an `AbortError`. */
  readonly signal?: AbortSignal;
  /** Called after every file with the files decoded so far and the total. */
  readonly onProgress?: (done: number, total: number) => void;
}

/**
 * An image file decoded by `decodeImage` (from `dvme/node`): a {@link DecodedImage} that
 * `Backbone.embed` takes as it is, plus what the file held.
 *
 * @remarks
 * Since 0.1.0. `channels` follows the file: 1 for grayscale, 3 for RGB (and palettes without
 * transparency, and JPEGs in YCbCr, RGB or Adobe CMYK), 4 for RGBA (RGB or grayscale with an alpha
 * channel, palettes with a tRNS chunk; gray + alpha becomes RGBA). A tRNS colour key of a gray or
 * RGB PNG is ignored, and so are colour profiles, gamma and EXIF orientation (as Pillow's
 * `Image.open` does): pixels are the stored ones.
 *
 * @example
 * ```ts
 * import { decodeImage } from 'dvme/node';
 * const image = await decodeImage('scans/0001.png');
 * image.format; // 'png'
 * image.channels; // 1 for a grayscale scan
 * ```
 */
export interface DecodedImageFile extends DecodedImage {
  /** Row-major pixels, `channels` per pixel: 0-255 bytes or 0-1 floats (see `pixelType`). */
  readonly data: Uint8Array | Float32Array;
  /** Values per pixel. */
  readonly channels: 1 | 3 | 4;
  /** The file's format. */
  readonly format: ImageFileFormat;
  /** Bits per sample in the file: 1, 2, 4, 8 or 16 for PNG, 8 for JPEG. */
  readonly bitDepth: 1 | 2 | 4 | 8 | 16;
}

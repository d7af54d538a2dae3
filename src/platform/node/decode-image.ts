import { readFile } from 'node:fs/promises';
import { checkChoice, checkPositiveInteger } from '../../validation/checks.js';
import type { DecodedImageFile, DecodeImageOptions, ReadImagesOptions } from '../../image/image-file.js';
import { InvalidArgumentError } from '../../errors/index.js';
// Named in the TSDoc below.
import type { AbortError, BackendUnavailableError, ImageDecodeError } from '../../errors/index.js';
import { throwIfAborted } from '../../errors/throw-if-aborted.js';
import { DecodeContext } from './decode-context.js';
import { decodeJpeg, isJpeg, loadJpegJs } from './jpeg-decode.js';
import { decodePng, isPng } from './png-decode.js';

/** Signatures of formats people pass by mistake, so the message can say what the file is. */
const OTHER_FORMATS: readonly { name: string; test: (b: Uint8Array) => boolean; fix: string }[] = [
  { name: 'GIF', test: (b) => ascii(b, 0, 4) === 'GIF8', fix: 'convert it to PNG first' },
  { name: 'BMP', test: (b) => ascii(b, 0, 2) === 'BM', fix: 'convert it to PNG first' },
  { name: 'WebP', test: (b) => ascii(b, 0, 4) === 'RIFF' && ascii(b, 8, 12) === 'WEBP', fix: 'convert it to PNG first' },
  { name: 'TIFF', test: (b) => ['II*\0', 'MM\0*'].includes(ascii(b, 0, 4)), fix: 'convert it to PNG first (16-bit PNG keeps 16-bit samples)' },
  { name: 'JPEG 2000', test: (b) => ascii(b, 4, 8) === 'jP  ' || (b[0] === 0xff && b[1] === 0x4f && b[2] === 0xff && b[3] === 0x51), fix: 'convert it to PNG first' },
  { name: 'HEIF / AVIF', test: (b) => ascii(b, 4, 8) === 'ftyp', fix: 'convert it to PNG or JPEG first' },
  {
    name: 'DICOM',
    test: (b) => ascii(b, 128, 132) === 'DICM',
    fix: "read it with decodeDicom or decodeMedicalImage from 'dvme/node' (rescale, window, MONOCHROME1), or ImageDataset for a folder of them",
  },
  { name: 'NumPy .npy', test: (b) => b[0] === 0x93 && ascii(b, 1, 6) === 'NUMPY', fix: "read it with parseNpy from 'dvme'" },
  { name: 'zip (or .npz)', test: (b) => ascii(b, 0, 4) === 'PK\u0003\u0004', fix: "read a .npz with readNpz from 'dvme'" },
];

/** 1 GiB: a 100-megapixel 8-bit RGB PNG fits; 16-bit or float32 pixels of that size do not. */
const DEFAULT_MAX_DECODED_BYTES = 2 ** 30;

function ascii(bytes: Uint8Array, start: number, end: number): string {
  return end <= bytes.length ? String.fromCharCode(...bytes.subarray(start, end)) : '';
}

function contextFor(owner: string, file: string | undefined, options: DecodeImageOptions): DecodeContext {
  if (typeof options !== 'object' || options === null) throw new InvalidArgumentError(`${owner}: options must be an object; received ${JSON.stringify(options)}.`);
  const pixelType = checkChoice(owner, 'pixelType', options.pixelType ?? 'uint8', ['uint8', 'float32'] as const);
  const maxPixels = checkPositiveInteger(owner, 'maxPixels', options.maxPixels ?? 100_000_000);
  const maxDecodedBytes = checkPositiveInteger(owner, 'maxDecodedBytes', options.maxDecodedBytes ?? DEFAULT_MAX_DECODED_BYTES);
  if (!Number.isSafeInteger(maxDecodedBytes)) {
    throw new InvalidArgumentError(`${owner}: maxDecodedBytes must be a safe integer; received ${maxDecodedBytes}.`);
  }
  return new DecodeContext(file, pixelType, maxPixels, maxDecodedBytes);
}

async function decodeBytes(ctx: DecodeContext, bytes: Uint8Array): Promise<DecodedImageFile> {
  if (isPng(bytes)) return decodePng(ctx, bytes);
  if (isJpeg(bytes)) return decodeJpeg(ctx, bytes, await loadJpegJs());
  if (bytes.length === 0) ctx.fail('the file is empty');
  const other = OTHER_FORMATS.find((f) => f.test(bytes));
  if (other) ctx.fail(`it is a ${other.name} file; dvme decodes PNG and JPEG: ${other.fix}`);
  const head = Array.from(bytes.subarray(0, 8), (b) => b.toString(16).padStart(2, '0')).join(' ');
  ctx.fail(`it starts with bytes ${head}, which is neither a PNG nor a JPEG signature; is it an image file?`);
}

async function readBytes(owner: string, source: unknown): Promise<Uint8Array> {
  if (typeof source === 'string') {
    const buf = await readFile(source);
    return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
  }
  if (source instanceof Uint8Array) return source;
  if (source instanceof ArrayBuffer) return new Uint8Array(source);
  throw new InvalidArgumentError(
    `${owner}: source must be a file path, a Uint8Array or an ArrayBuffer; received ${source === null ? 'null' : typeof source}.`,
  );
}

/**
 * Decodes a PNG or JPEG file into pixels that `Backbone.embed` takes as they are. The format
 * is read from the file's first bytes, not its name. Pure JavaScript: PNG through `node:zlib`,
 * JPEG through jpeg-js.
 *
 * @param source - a file path, or the file's bytes.
 * @param options - pixel type (16-bit precision), size limit, a name for bytes in messages.
 * @returns the pixels with their size, channel count, format and bit depth.
 * @throws An {@link ImageDecodeError} naming the file and the problem for a file that is not
 * PNG or JPEG (it names the format it found: GIF, TIFF, DICOM, ...), truncated, corrupt (bad
 * CRC, bad zlib or Huffman data) or of an unsupported kind (12-bit, lossless or
 * arithmetic-coded JPEG), or larger than `maxPixels` or `maxDecodedBytes` (both checked from
 * the header, before pixel memory is allocated); {@link InvalidArgumentError} for bad
 * options; Node's own error (`ENOENT`, `EACCES`) when the path cannot be read;
 * {@link BackendUnavailableError} when jpeg-js is missing from the installation.
 *
 * @remarks
 * Since 0.1.0. PNG: every colour type and bit depth (1 to 16), palettes with transparency,
 * Adam7 interlacing; the pixels equal Pillow's exactly (tested on fixtures Pillow wrote and
 * decoded). 16-bit samples keep their high byte unless `pixelType: 'float32'` (as Pillow reads
 * 16-bit RGB; Pillow's own 8-bit conversion of 16-bit gray clips at 255 instead). JPEG:
 * baseline and progressive, 8-bit, grayscale (one channel), YCbCr, RGB and Adobe CMYK (RGB out,
 * as Pillow's `convert('RGB')`), the colour space read as libjpeg reads it (JFIF marker, Adobe
 * transform, component ids); chroma is upsampled and colours converted as libjpeg does, but
 * jpeg-js's IDCT differs a little from libjpeg-turbo's, so pixels differ from Pillow's by at most
 * 3 levels, 0.16 on average, on the test fixtures (4:4:4, 4:2:2, 4:2:0, progressive, Adobe-marked;
 * grayscale, stored RGB and CMYK: 1 and 0.09). Colour profiles,
 * gamma and EXIF orientation are not applied. Random corruptions of valid files are fuzz-tested
 * to decode or throw `ImageDecodeError`, nothing else.
 * @example
 * ```ts
 * import { Backbone, decodeImage } from 'dvme/node';
 * const image = await decodeImage('fundus/0001.jpg'); // { data, width, height, channels: 3, format: 'jpeg', bitDepth: 8 }
 * const backbone = await Backbone.fromCheckpoint('resnet50', 'resnet50.pth');
 * const embedding = await backbone.embed(image, { as: 'array' }); // [1, 2048]
 * ```
 */
export async function decodeImage(source: string | Uint8Array | ArrayBuffer, options: DecodeImageOptions = {}): Promise<DecodedImageFile> {
  const owner = 'decodeImage';
  const ctx = contextFor(owner, typeof source === 'string' ? source : options.name, options);
  return decodeBytes(ctx, await readBytes(owner, source));
}

/**
 * Reads and decodes many PNG / JPEG files, one after another, into a list that
 * `Backbone.embed` takes as it is, also when the images differ in size.
 *
 * @param paths - file paths.
 * @param options - pixel type and size limit (as {@link decodeImage}), abort signal, progress.
 * @returns the decoded images, in the order of `paths`.
 * @throws An {@link ImageDecodeError} naming the first file that cannot be decoded (its `file`
 * holds the path); {@link AbortError} when `signal` fires (checked before each file);
 * {@link InvalidArgumentError} for `paths` that is not an array of strings.
 *
 * @remarks Since 0.1.0. All images are held in memory at once (a 28 x 28 RGB image is 2.4 kB,
 * a 1024 x 1024 one 3 MB); for folders larger than memory, decode and embed in chunks.
 * @example
 * ```ts
 * import { readdir } from 'node:fs/promises';
 * import { Backbone, readImages } from 'dvme/node';
 * const files = (await readdir('fundus')).filter((f) => /\.(png|jpe?g)$/i.test(f)).map((f) => `fundus/${f}`);
 * const images = await readImages(files, { onProgress: (done, total) => console.log(`${done} / ${total}`) });
 * const backbone = await Backbone.fromCheckpoint('resnet50', 'resnet50.pth');
 * const embeddings = await backbone.embed(images, { as: 'array' }); // one row per file, whatever its size
 * ```
 */
export async function readImages(paths: readonly string[], options: ReadImagesOptions = {}): Promise<DecodedImageFile[]> {
  const owner = 'readImages';
  if (!Array.isArray(paths) || paths.some((p) => typeof p !== 'string')) {
    throw new InvalidArgumentError(`${owner}: paths must be an array of file paths (strings).`);
  }
  contextFor(owner, undefined, options); // options are checked before the first file is read
  const out: DecodedImageFile[] = [];
  for (const path of paths) {
    throwIfAborted(options.signal, () => `${owner} was aborted after ${out.length} of ${paths.length} files.`);
    out.push(await decodeBytes(contextFor(owner, path, options), await readBytes(owner, path)));
    options.onProgress?.(out.length, paths.length);
  }
  return out;
}

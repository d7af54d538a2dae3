import type * as JpegJs from 'jpeg-js';
import type { DecodedImageFile } from '../../image/image-file.js';
import { BackendUnavailableError } from '../../errors/index.js';
import type { DecodeContext } from './decode-context.js';
import { upsampleChromaLikeLibjpeg, yccToRgb } from './jpeg-colour.js';

/** @internal jpeg-js's `decode`. */
export type JpegJsDecode = typeof JpegJs.decode;

let loading: Promise<JpegJsDecode> | undefined;

/**
 * @internal jpeg-js, imported on the first JPEG: apps that never decode one never load it, and
 * `dvme/node` imports without it.
 */
export function loadJpegJs(): Promise<JpegJsDecode> {
  loading ??= import('jpeg-js').then(
    (m) => ((m as { default?: typeof JpegJs }).default ?? m).decode,
    (e: unknown) => {
      loading = undefined;
      throw new BackendUnavailableError(`Decoding JPEG needs the jpeg-js package, a dependency of dvme that did not load: npm install jpeg-js.`, { cause: e });
    },
  );
  return loading;
}

/** @internal True when `bytes` start with a JPEG start-of-image marker. */
export function isJpeg(bytes: Uint8Array): boolean {
  return bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff;
}

const UNSUPPORTED_FRAMES: Readonly<Record<number, string>> = {
  0xc3: 'lossless', 0xc5: 'hierarchical', 0xc6: 'hierarchical progressive', 0xc7: 'hierarchical lossless',
  0xc9: 'arithmetic-coded', 0xca: 'arithmetic-coded progressive', 0xcb: 'arithmetic-coded lossless',
  0xcd: 'hierarchical arithmetic-coded', 0xce: 'hierarchical arithmetic-coded progressive', 0xcf: 'hierarchical arithmetic-coded lossless',
};

/** How the components are to be read, as libjpeg decides it (`default_decompress_parms`). */
type ColourSpace = 'gray' | 'ycc' | 'rgb' | 'cmyk' | 'ycck';

interface Frame {
  readonly precision: number;
  readonly height: number;
  readonly width: number;
  readonly components: number;
  /** Horizontal and vertical sampling factors of each component. */
  readonly sampling: readonly (readonly [number, number])[];
  readonly colourSpace: ColourSpace;
  /** Offsets of the transform bytes of the Adobe APP14 markers (libjpeg and jpeg-js heed the last). */
  readonly adobeTransformAt: readonly number[];
}

/** Component ids 'R', 'G', 'B', which libjpeg reads as RGB when no marker says otherwise. */
const RGB_IDS = [0x52, 0x47, 0x42];

/**
 * libjpeg's rule for the colour space: three components are YCbCr under a JFIF marker, else as
 * an Adobe marker's transform says (0: RGB, others: YCbCr), else RGB when the component ids are
 * 'R', 'G', 'B', else YCbCr; four are CMYK under an Adobe transform 0, else YCCK.
 */
function colourSpaceOf(components: number, ids: readonly number[], jfif: boolean, adobeTransform: number | undefined): ColourSpace {
  if (components === 1) return 'gray';
  if (components === 4) return adobeTransform === 0 ? 'cmyk' : 'ycck';
  if (jfif) return 'ycc';
  if (adobeTransform !== undefined) return adobeTransform === 0 ? 'rgb' : 'ycc';
  return ids.every((id, k) => id === RGB_IDS[k]) ? 'rgb' : 'ycc';
}

/**
 * Finds the frame header (SOF), to check what jpeg-js can decode before it allocates anything,
 * and the JFIF and Adobe markers up to the first scan (where libjpeg decides), which say what
 * colour space the components are in.
 */
function readFrame(ctx: DecodeContext, bytes: Uint8Array): Frame {
  const u16 = (at: number) => ((bytes[at] as number) << 8) | (bytes[at + 1] as number);
  const adobeTransformAt: number[] = [];
  let jfif = false;
  let sof: Omit<Frame, 'colourSpace' | 'adobeTransformAt'> & { readonly ids: readonly number[] } | undefined;
  let pos = 2;
  while (pos + 4 <= bytes.length) {
    if (bytes[pos] !== 0xff) ctx.fail(`a marker was expected at byte ${pos}, found 0x${(bytes[pos] as number).toString(16)}: the file is corrupt`);
    const marker = bytes[pos + 1] as number;
    if (marker === 0xff) {
      pos += 1; // fill byte
      continue;
    }
    if (marker === 0xda || marker === 0xd9) break; // the first scan, or the end of the image
    if (marker === 0x01 || (marker >= 0xd0 && marker <= 0xd8)) {
      pos += 2; // markers without a length
      continue;
    }
    const length = u16(pos + 2);
    if (sof === undefined && marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) {
      if (pos + 10 > bytes.length) break;
      const kind = UNSUPPORTED_FRAMES[marker];
      if (kind) ctx.fail(`it is a ${kind} JPEG, which dvme does not decode (baseline and progressive only); re-encode it as a baseline JPEG or a PNG`);
      const components = bytes[pos + 9] as number;
      const ids = Array.from({ length: components }, (_, k) => bytes[pos + 10 + 3 * k] ?? 0);
      const sampling = Array.from({ length: components }, (_, k) => {
        const hv = bytes[pos + 11 + 3 * k] ?? 0x11;
        return [hv >> 4, hv & 15] as const;
      });
      sof = { precision: bytes[pos + 4] as number, height: u16(pos + 5), width: u16(pos + 7), components, sampling, ids };
    }
    // The lengths libjpeg requires (jdmarker.c): APP0 'JFIF\0' of 14 data bytes, APP14 'Adobe' of
    // 12, its transform in the last.
    if (marker === 0xe0 && length >= 16 && ascii5(bytes, pos + 4) === 'JFIF\0') jfif = true;
    if (marker === 0xee && length >= 14 && pos + 16 <= bytes.length && ascii5(bytes, pos + 4) === 'Adobe') adobeTransformAt.push(pos + 15);
    pos += 2 + length;
  }
  if (sof === undefined) ctx.truncated('it has no frame header (SOF marker) before its image data');
  const { ids, ...frame } = sof;
  const last = adobeTransformAt.at(-1);
  const adobeTransform = last === undefined ? undefined : (bytes[last] as number);
  if (frame.components === 4 && adobeTransform === undefined) {
    ctx.fail('it has 4 colour components without an Adobe marker (plain CMYK), which jpeg-js does not decode; convert it to RGB first');
  }
  return { ...frame, colourSpace: colourSpaceOf(frame.components, ids, jfif, adobeTransform), adobeTransformAt };
}

function ascii5(bytes: Uint8Array, at: number): string {
  return String.fromCharCode(...bytes.subarray(at, at + 5));
}

function hasEnd(bytes: Uint8Array): boolean {
  let end = bytes.length;
  while (end > 2 && bytes[end - 1] === 0) end--; // some writers pad after the end marker
  return bytes[end - 2] === 0xff && bytes[end - 1] === 0xd9;
}

/**
 * @internal Decodes a baseline or progressive 8-bit JPEG (grayscale, YCbCr, RGB, Adobe CMYK /
 * YCCK) with jpeg-js, reading the colour space as libjpeg does. Grayscale stays one channel;
 * everything else comes out RGB.
 */
export function decodeJpeg(ctx: DecodeContext, bytes: Uint8Array, decode: JpegJsDecode): DecodedImageFile {
  const frame = readFrame(ctx, bytes);
  if (frame.precision !== 8) ctx.fail(`it is a ${frame.precision}-bit JPEG; dvme decodes 8-bit JPEGs only: convert it to a 16-bit PNG`);
  if (frame.width === 0 || frame.height === 0) ctx.fail(`its frame header declares a ${frame.width} x ${frame.height} image`);
  if (frame.components !== 1 && frame.components !== 3 && frame.components !== 4) {
    ctx.fail(`it has ${frame.components} colour components; dvme decodes 1 (grayscale), 3 (YCbCr / RGB) and 4 (Adobe CMYK)`);
  }
  ctx.checkPixels(frame.width, frame.height);
  const pixels = frame.width * frame.height;
  const channels = frame.components === 1 ? 1 : 3;
  // jpeg-js holds 4 bytes per coefficient and component, plus a byte per sample of each
  // component and 3 of its RGB output; a gray or float32 result is one more copy.
  const copy = ctx.pixelType === 'float32' ? pixels * channels * 4 : channels === 1 ? pixels : 0;
  ctx.checkDecodedBytes(frame.width, frame.height, `${frame.components}-component JPEG`, pixels * (5 * frame.components + 3) + copy);
  // jpeg-js converts YCbCr whenever an Adobe marker's transform is not 0, whatever its
  // colorTransform option says, and converts with truncation after repeating subsampled chroma.
  // So it gets a copy with those transforms set to 0 and returns the components as stored; the
  // upsampling and colour conversion are done here, as libjpeg does them, which brings the pixels
  // close to libjpeg-turbo's (Pillow's). Four components stay with jpeg-js: it turns Adobe CMYK
  // (and YCCK) to RGB itself.
  const three = frame.components === 3;
  let input = bytes;
  if (three && frame.adobeTransformAt.some((at) => bytes[at] !== 0)) {
    input = bytes.slice();
    for (const at of frame.adobeTransformAt) input[at] = 0;
  }
  let rgb: { width: number; height: number; data: Uint8Array };
  try {
    rgb = decode(input, {
      useTArray: true,
      formatAsRGBA: false,
      colorTransform: false,
      maxResolutionInMP: ctx.maxPixels / 1e6,
      // Our own budget, checked above, counts more than jpeg-js does: let it through.
      maxMemoryUsageInMB: Math.max(512, Math.ceil(ctx.maxDecodedBytes / 2 ** 20)),
    });
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e);
    if (!hasEnd(bytes)) ctx.truncated(`it has no end-of-image marker and jpeg-js stopped with "${message}"`);
    ctx.fail(`its JPEG data is corrupt or unsupported (jpeg-js: ${message})`, e);
  }
  if (rgb.width !== frame.width || rgb.height !== frame.height || rgb.data.length !== frame.width * frame.height * 3) {
    ctx.fail(`jpeg-js decoded ${rgb.width} x ${rgb.height} from a ${frame.width} x ${frame.height} frame header: the file is corrupt`);
  }
  if (three) {
    // libjpeg upsamples subsampled components the same way whatever their colour space.
    upsampleChromaLikeLibjpeg(rgb.data, rgb.width, rgb.height, frame.sampling);
    if (frame.colourSpace === 'ycc') yccToRgb(rgb.data);
  }
  const n = rgb.width * rgb.height * channels;
  const float = ctx.pixelType === 'float32';
  let data: Uint8Array | Float32Array = rgb.data;
  if (channels === 1 || float) {
    // jpeg-js repeats gray to RGB: keep one of the three.
    data = float ? new Float32Array(n) : new Uint8Array(n);
    const step = 3 / channels;
    for (let i = 0; i < n; i++) data[i] = float ? (rgb.data[i * step] as number) / 255 : (rgb.data[i * step] as number);
  }
  return { data, width: rgb.width, height: rgb.height, channels, format: 'jpeg', bitDepth: 8 };
}

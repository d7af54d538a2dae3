import type * as DicomParser from 'dicom-parser';
import { BackendUnavailableError, ImageDecodeError } from '../errors/index.js';
import { decodePlatformImage } from '../host/platform.js';
import type { DecodedImage } from '../image/images.js';
import { applyWindow, checkWindow, type IntensityWindow } from './window.js';

/**
 * A decoded DICOM image: the windowed 0-1 pixels a backbone reads, and what they came from.
 *
 * @remarks Since 0.1.0. `values` are the first frame's modality values (stored values times
 * Rescale Slope plus Rescale Intercept: Hounsfield units for CT), before windowing and
 * MONOCHROME1 inversion; RGB images have no window and are `value / 255`.
 * @example
 * ```ts
 * import type { DicomImage } from 'dvme';
 * declare const dicom: DicomImage;
 * dicom.image; // { data: Float32Array, width, height, channels: 1 }, 0-1
 * dicom.window; // { center: 40, width: 400 }, the window applied
 * ```
 */
export interface DicomImage {
  readonly image: DecodedImage & { readonly data: Float32Array };
  readonly values: Float32Array;
  readonly window: { readonly center: number; readonly width: number } | 'minmax' | undefined;
  readonly photometricInterpretation: string;
  readonly transferSyntax: string;
  readonly bitsStored: number;
  readonly frames: number;
}

/** Transfer syntaxes read here; the JPEG baseline one through the platform's JPEG decoder. */
const TRANSFER_SYNTAXES: Readonly<Record<string, string>> = {
  '1.2.840.10008.1.2': 'implicit VR little endian',
  '1.2.840.10008.1.2.1': 'explicit VR little endian',
  '1.2.840.10008.1.2.2': 'explicit VR big endian',
  '1.2.840.10008.1.2.1.99': 'deflated explicit VR little endian',
  '1.2.840.10008.1.2.4.50': 'JPEG baseline (8-bit)',
};

type Parser = typeof DicomParser;
let loading: Promise<Parser> | undefined;

/** dicom-parser, imported on the first DICOM file: apps that never read one never load it. */
function loadDicomParser(): Promise<Parser> {
  loading ??= import('dicom-parser').then(
    (m) => ((m as { default?: Parser }).default ?? m) as Parser,
    (e: unknown) => {
      loading = undefined;
      throw new BackendUnavailableError(`Reading DICOM needs the dicom-parser package, which could not be loaded: ${(e as Error).message}. Install it: npm install dicom-parser.`, { cause: e });
    },
  );
  return loading;
}

/**
 * True when `bytes` start like a DICOM Part 10 file (128-byte preamble, then `DICM`).
 *
 * @remarks Since 0.1.0.
 * @example
 * ```ts
 * import { isDicom } from 'dvme';
 * isDicom(new Uint8Array(132)); // false: no 'DICM' at byte 128
 * ```
 */
export function isDicom(bytes: Uint8Array): boolean {
  return bytes.length >= 132 && bytes[128] === 0x44 && bytes[129] === 0x49 && bytes[130] === 0x43 && bytes[131] === 0x4d;
}

async function inflateRaw(bytes: Uint8Array): Promise<Uint8Array> {
  const stream = new Blob([bytes.slice()]).stream().pipeThrough(new DecompressionStream('deflate-raw'));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

/** Parses the file, inflating the data set of a deflated transfer syntax first (the parser's inflater must be synchronous). */
async function parse(parser: Parser, bytes: Uint8Array): Promise<DicomParser.DataSet> {
  let deflatedAt: number | undefined;
  const probe = (_b: Uint8Array, position: number): Uint8Array => {
    deflatedAt = position;
    throw new Error('deflated');
  };
  try {
    return parser.parseDicom(bytes, { inflater: probe } as DicomParser.ParseDicomOptions);
  } catch (e) {
    if (deflatedAt === undefined) throw e;
  }
  const at = deflatedAt;
  const inflated = await inflateRaw(bytes.subarray(at));
  const whole = new Uint8Array(at + inflated.length);
  whole.set(bytes.subarray(0, at));
  whole.set(inflated, at);
  return parser.parseDicom(bytes, { inflater: () => whole } as DicomParser.ParseDicomOptions);
}

/** The stored values of the first frame, as numbers, masked to Bits Stored and sign-extended. */
function storedValues(ds: DicomParser.DataSet, frame: Uint8Array, n: number, bitsAllocated: number, bitsStored: number, signed: boolean, bigEndian: boolean): Float32Array {
  const view = new DataView(frame.buffer, frame.byteOffset, frame.byteLength);
  const out = new Float32Array(n);
  const bytesPer = bitsAllocated / 8;
  const mask = bitsStored >= 32 ? 0xffffffff : 2 ** bitsStored - 1;
  const sign = 2 ** (bitsStored - 1);
  for (let i = 0; i < n; i++) {
    let v = bytesPer === 1 ? view.getUint8(i) : bytesPer === 2 ? view.getUint16(i * 2, !bigEndian) : view.getUint32(i * 4, !bigEndian);
    v = bitsStored >= 32 ? v : v % (mask + 1);
    if (signed && v >= sign) v -= 2 * sign;
    out[i] = v;
  }
  void ds;
  return out;
}

/**
 * Decodes a DICOM file's first frame to 0-1 pixels with dicom-parser: Rescale Slope / Intercept
 * to modality values, then the window (the file's Window Center / Width by default), then
 * inversion for MONOCHROME1, so that bright is dense for every file.
 *
 * @param bytes - the whole file (Part 10, with the `DICM` preamble).
 * @param options - `window` (see {@link IntensityWindow}), `name` for messages.
 * @throws `ImageDecodeError` for a file dicom-parser cannot read, a transfer syntax not read
 * here (JPEG lossless, JPEG-LS, JPEG 2000, RLE: convert with `gdcmconv --raw`), or pixel
 * layouts other than 8-32-bit grayscale and 8-bit RGB; `BackendUnavailableError` without
 * dicom-parser, or for JPEG baseline without a platform image decoder.
 * @remarks Since 0.1.0. Reads implicit and explicit VR little endian, explicit VR big endian,
 * deflated explicit VR little endian and 8-bit JPEG baseline. Modality LUT sequences and
 * non-linear VOI LUT functions are not applied (the linear window is).
 * @example
 * ```ts
 * import { decodeDicom } from 'dvme/node';
 * import { readFile } from 'node:fs/promises';
 * const dicom = await decodeDicom(await readFile('chest.dcm'), { window: 'file' });
 * dicom.image.data; // Float32Array of 0-1, bright = dense
 * ```
 */
export async function decodeDicom(bytes: Uint8Array, options: { readonly window?: IntensityWindow; readonly name?: string } = {}): Promise<DicomImage> {
  const name = options.name;
  const window = checkWindow('decodeDicom', options.window ?? 'file');
  const fail = (what: string, cause?: unknown): never => {
    throw new ImageDecodeError(`Cannot decode ${name ? JSON.stringify(name) : 'the DICOM bytes'}: ${what}`, { ...(name ? { file: name } : {}), cause });
  };
  if (!isDicom(bytes)) fail("it lacks the DICOM Part 10 preamble ('DICM' at byte 128); is it a DICOM file?");
  const parser = await loadDicomParser();
  let ds: DicomParser.DataSet;
  try {
    ds = await parse(parser, bytes);
  } catch (e) {
    return fail(`dicom-parser cannot read it (${e instanceof Error ? e.message : String(e)}). The file is damaged or not DICOM Part 10.`, e);
  }
  const ts = ds.string('x00020010') ?? '1.2.840.10008.1.2';
  if (!Object.hasOwn(TRANSFER_SYNTAXES, ts)) {
    fail(
      `its transfer syntax ${ts} is compressed in a way dvme does not decode (read: ${Object.entries(TRANSFER_SYNTAXES).map(([k, v]) => `${v} ${k}`).join('; ')}). ` +
        'Convert it first, e.g. gdcmconv --raw in.dcm out.dcm or dcmdjpeg.',
    );
  }
  const rows = ds.uint16('x00280010') ?? 0;
  const cols = ds.uint16('x00280011') ?? 0;
  const samples = ds.uint16('x00280002') ?? 1;
  const bitsAllocated = ds.uint16('x00280100') ?? 0;
  const bitsStored = ds.uint16('x00280101') ?? bitsAllocated;
  const signed = ds.uint16('x00280103') === 1;
  const photometric = (ds.string('x00280004') ?? 'MONOCHROME2').trim().toUpperCase();
  const frames = Number.parseInt(ds.string('x00280008') ?? '1', 10) || 1;
  const pixel = ds.elements.x7fe00010;
  if (!pixel) fail('it has no Pixel Data (7FE0,0010): it is not an image (a report or a structured document?).');
  if (rows <= 0 || cols <= 0) fail(`its Rows x Columns are ${rows} x ${cols}.`);
  const n = rows * cols;
  let values: Float32Array;
  if (ts === '1.2.840.10008.1.2.4.50') {
    const frame = parser.readEncapsulatedPixelDataFromFragments(ds, pixel!, 0);
    const jpeg = await decodePlatformImage(frame, { ...(name ? { name } : {}) });
    if (jpeg.width !== cols || jpeg.height !== rows) fail(`its JPEG frame is ${jpeg.width} x ${jpeg.height}, but Rows x Columns say ${cols} x ${rows}.`);
    if (samples === 3) return { image: { data: Float32Array.from(jpeg.data, (v) => v / 255), width: cols, height: rows, channels: jpeg.channels === 1 ? 1 : 3 }, values: Float32Array.from(jpeg.data), window: undefined, photometricInterpretation: photometric, transferSyntax: ts, bitsStored, frames };
    values = Float32Array.from({ length: n }, (_, i) => jpeg.data[i * jpeg.channels] as number);
  } else {
    if (![8, 16, 32].includes(bitsAllocated) || bitsStored < 1 || bitsStored > bitsAllocated) fail(`Bits Allocated ${bitsAllocated} / Bits Stored ${bitsStored} are not read here (8, 16 or 32 allocated).`);
    const size = n * samples * (bitsAllocated / 8);
    const p = pixel!;
    if (p.encapsulatedPixelData || p.dataOffset + size > ds.byteArray.length) fail(`its Pixel Data holds ${p.length} bytes, fewer than the ${size} of ${rows} x ${cols} x ${samples} samples of ${bitsAllocated} bits.`);
    const frame = ds.byteArray.subarray(p.dataOffset, p.dataOffset + size);
    if (samples === 3) {
      if (bitsAllocated !== 8) fail(`it is RGB with ${bitsAllocated}-bit samples; only 8-bit RGB is read.`);
      const planar = ds.uint16('x00280006') === 1;
      const rgb = new Float32Array(n * 3);
      for (let i = 0; i < n; i++) for (let c = 0; c < 3; c++) rgb[i * 3 + c] = (frame[planar ? c * n + i : i * 3 + c] as number) / 255;
      return { image: { data: rgb, width: cols, height: rows, channels: 3 }, values: rgb.map((v) => v * 255), window: undefined, photometricInterpretation: photometric, transferSyntax: ts, bitsStored, frames };
    }
    if (samples !== 1) fail(`it has ${samples} samples per pixel; dvme reads 1 (grayscale) or 3 (RGB).`);
    values = storedValues(ds, frame, n, bitsAllocated, bitsStored, signed, ts === '1.2.840.10008.1.2.2');
  }
  if (photometric !== 'MONOCHROME1' && photometric !== 'MONOCHROME2') fail(`its Photometric Interpretation is ${photometric}; grayscale images are MONOCHROME1 or MONOCHROME2.`);
  const slope = ds.floatString('x00281053') ?? 1;
  const intercept = ds.floatString('x00281052') ?? 0;
  if (slope !== 1 || intercept !== 0) for (let i = 0; i < n; i++) values[i] = (values[i] as number) * slope + intercept;
  let used: DicomImage['window'];
  if (window === 'file') {
    const center = ds.floatString('x00281050', 0);
    const width = ds.floatString('x00281051', 0);
    used = center !== undefined && width !== undefined && Number.isFinite(center) && width >= 1 ? { center, width } : 'minmax';
  } else if (window === 'full') {
    const lo = signed ? -(2 ** (bitsStored - 1)) : 0;
    const hi = signed ? 2 ** (bitsStored - 1) - 1 : 2 ** bitsStored - 1;
    used = { center: (lo * slope + intercept + hi * slope + intercept) / 2 + 0.5, width: (hi - lo) * Math.abs(slope) + 1 };
  } else used = window;
  const data = applyWindow(values, used, { invert: photometric === 'MONOCHROME1' });
  return { image: { data, width: cols, height: rows, channels: 1 }, values, window: used, photometricInterpretation: photometric, transferSyntax: ts, bitsStored, frames };
}

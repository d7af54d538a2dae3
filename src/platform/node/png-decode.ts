import { constants } from 'node:buffer';
import { inflateSync } from 'node:zlib';
import type { DecodedImageFile } from '../../image/image-file.js';
import { DecodeContext } from './decode-context.js';

/** Samples per pixel in the file, by PNG colour type. */
const SAMPLES: Readonly<Record<number, number>> = { 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 };
/** Bit depths the PNG specification allows, by colour type. */
const DEPTHS: Readonly<Record<number, readonly number[]>> = { 0: [1, 2, 4, 8, 16], 2: [8, 16], 3: [1, 2, 4, 8], 4: [8, 16], 6: [8, 16] };
const COLOUR_NAMES: Readonly<Record<number, string>> = { 0: 'grayscale', 2: 'RGB', 3: 'palette', 4: 'gray + alpha', 6: 'RGBA' };
/** Adam7 passes: first column, first row, column step, row step. */
const ADAM7 = [
  [0, 0, 8, 8], [4, 0, 8, 8], [0, 4, 4, 8], [2, 0, 4, 4], [0, 2, 2, 4], [1, 0, 2, 2], [0, 1, 1, 2],
] as const;
const SIGNATURE = [137, 80, 78, 71, 13, 10, 26, 10];

const CRC_TABLE = (() => {
  const table = new Int32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c;
  }
  return table;
})();

function crc32(bytes: Uint8Array, start: number, end: number): number {
  let c = -1;
  for (let i = start; i < end; i++) c = (CRC_TABLE[(c ^ (bytes[i] as number)) & 0xff] as number) ^ (c >>> 8);
  return (c ^ -1) >>> 0;
}

/** @internal True when `bytes` start with the PNG signature. */
export function isPng(bytes: Uint8Array): boolean {
  return bytes.length >= 8 && SIGNATURE.every((b, i) => bytes[i] === b);
}

interface Header {
  readonly width: number;
  readonly height: number;
  readonly depth: 1 | 2 | 4 | 8 | 16;
  readonly colour: number;
  readonly interlaced: boolean;
}

interface Chunks {
  readonly header: Header;
  readonly palette: Uint8Array | undefined;
  readonly alpha: Uint8Array | undefined;
  readonly idat: Uint8Array;
}

function readHeader(ctx: DecodeContext, data: Uint8Array): Header {
  if (data.length !== 13) ctx.fail(`its IHDR chunk has ${data.length} bytes instead of 13`);
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const width = view.getUint32(0);
  const height = view.getUint32(4);
  const [depth, colour, compression, filter, interlace] = [8, 9, 10, 11, 12].map((i) => data[i] as number) as [number, number, number, number, number];
  if (width === 0 || height === 0 || width > 0x7fffffff || height > 0x7fffffff) ctx.fail(`its header declares a ${width} x ${height} image`);
  const allowed = DEPTHS[colour];
  if (!allowed) ctx.fail(`its header declares colour type ${colour}; PNG defines 0, 2, 3, 4 and 6`);
  if (!allowed.includes(depth)) ctx.fail(`its header declares ${depth}-bit ${COLOUR_NAMES[colour]} samples; PNG allows ${allowed.join(', ')} bits`);
  if (compression !== 0 || filter !== 0) ctx.fail(`its header declares compression method ${compression} and filter method ${filter}; PNG defines only 0`);
  if (interlace > 1) ctx.fail(`its header declares interlace method ${interlace}; PNG defines 0 (none) and 1 (Adam7)`);
  ctx.checkPixels(width, height);
  const header: Header = { width, height, depth: depth as Header['depth'], colour, interlaced: interlace === 1 };
  // Peak memory: the inflated scanlines, the unfiltered copy of them, and the output (a
  // palette may gain alpha, so it counts 4 channels).
  const scanlines = passesOf(header).reduce((sum, p) => sum + p.height * (Math.ceil((p.width * (SAMPLES[colour] as number) * depth) / 8) + 1), 0);
  const outChannels = colour === 0 ? 1 : colour === 2 ? 3 : 4;
  const output = width * height * outChannels * (ctx.pixelType === 'float32' ? 4 : 1);
  ctx.checkDecodedBytes(width, height, `${depth}-bit ${COLOUR_NAMES[colour]}`, 2 * scanlines + output);
  return header;
}

/** Walks the chunks, checking each CRC, and keeps the ones that decoding needs. */
function readChunks(ctx: DecodeContext, bytes: Uint8Array): Chunks {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let header: Header | undefined;
  let palette: Uint8Array | undefined;
  let alpha: Uint8Array | undefined;
  const idat: Uint8Array[] = [];
  let idatBytes = 0;
  let pos = 8;
  while (pos < bytes.length) {
    if (pos + 12 > bytes.length) ctx.truncated(`it ends inside the chunk header at byte ${pos}`);
    const length = view.getUint32(pos);
    const type = String.fromCharCode(...bytes.subarray(pos + 4, pos + 8));
    if (!/^[A-Za-z]{4}$/.test(type)) ctx.fail(`the chunk at byte ${pos} has no valid type (bytes ${Array.from(bytes.subarray(pos + 4, pos + 8)).join(' ')}): the file is corrupt`);
    const end = pos + 8 + length;
    if (length > 0x7fffffff || end + 4 > bytes.length) ctx.truncated(`its ${type} chunk at byte ${pos} needs ${length + 12} bytes but ${bytes.length - pos} remain`);
    if (crc32(bytes, pos + 4, end) !== view.getUint32(end)) ctx.fail(`its ${type} chunk at byte ${pos} fails its CRC check: the file is corrupt`);
    const data = bytes.subarray(pos + 8, end);
    if (header === undefined && type !== 'IHDR') ctx.fail(`its first chunk is ${type}, not IHDR`);
    if (type === 'IHDR') {
      if (header) ctx.fail('it has a second IHDR chunk');
      header = readHeader(ctx, data);
    } else if (type === 'PLTE') {
      if (length === 0 || length % 3 !== 0 || length > 768) ctx.fail(`its PLTE chunk has ${length} bytes; a palette has 1 to 256 RGB entries`);
      palette = data;
    } else if (type === 'tRNS') {
      alpha = data;
    } else if (type === 'IDAT') {
      idat.push(data);
      idatBytes += length;
    } else if (type === 'IEND') {
      break;
    } else if (type === 'CgBI') {
      ctx.fail("it is an Apple-optimised PNG (CgBI chunk), which only Apple's decoders read; convert it with a standard PNG tool");
    } else if (type.charCodeAt(0) < 97) {
      // Upper-case first letter: a critical chunk, which a decoder must understand to be correct.
      ctx.fail(`it has a critical chunk ${type} that PNG decoders do not know`);
    }
    pos = end + 4;
  }
  if (!header) ctx.truncated('it has no IHDR chunk');
  if (idatBytes === 0) ctx.truncated('it has no image data (IDAT chunk)');
  if (header.colour === 3 && !palette) ctx.fail('it is a palette image without a PLTE chunk');
  const joined = new Uint8Array(idatBytes);
  let at = 0;
  for (const part of idat) {
    joined.set(part, at);
    at += part.length;
  }
  // tRNS is only applied to palettes: a colour key of a gray or RGB image is dropped with alpha anyway.
  return { header, palette, alpha: header.colour === 3 ? alpha : undefined, idat: joined };
}

interface Pass {
  readonly x0: number;
  readonly y0: number;
  readonly dx: number;
  readonly dy: number;
  readonly width: number;
  readonly height: number;
}

function passesOf({ width, height, interlaced }: Header): Pass[] {
  const layout = interlaced ? ADAM7 : ([[0, 0, 1, 1]] as const);
  return layout
    .map(([x0, y0, dx, dy]) => ({ x0, y0, dx, dy, width: Math.ceil((width - x0) / dx), height: Math.ceil((height - y0) / dy) }))
    .filter((p) => p.width > 0 && p.height > 0);
}

function paeth(a: number, b: number, c: number): number {
  const p = a + b - c;
  const pa = Math.abs(p - a);
  const pb = Math.abs(p - b);
  const pc = Math.abs(p - c);
  return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
}

/** Undoes the row filters of one pass in place; `raw` holds its rows, each after its filter byte. */
function unfilter(ctx: DecodeContext, raw: Uint8Array, at: number, rows: number, rowBytes: number, bpp: number): Uint8Array {
  const out = new Uint8Array(rows * rowBytes);
  for (let y = 0; y < rows; y++) {
    const kind = raw[at] as number;
    const src = at + 1;
    const o = y * rowBytes;
    const up = o - rowBytes;
    for (let i = 0; i < rowBytes; i++) {
      const x = raw[src + i] as number;
      const a = i >= bpp ? (out[o + i - bpp] as number) : 0;
      const b = y > 0 ? (out[up + i] as number) : 0;
      let v: number;
      if (kind === 0) v = x;
      else if (kind === 1) v = x + a;
      else if (kind === 2) v = x + b;
      else if (kind === 3) v = x + ((a + b) >> 1);
      else if (kind === 4) v = x + paeth(a, b, i >= bpp && y > 0 ? (out[up + i - bpp] as number) : 0);
      else ctx.fail(`row ${y} of its image data has filter type ${kind}; PNG defines 0 to 4: the file is corrupt`);
      out[o + i] = v;
    }
    at += rowBytes + 1;
  }
  return out;
}

/**
 * @internal Decodes a PNG: every colour type and bit depth of the specification, Adam7
 * interlacing, palettes with transparency. Throws an `ImageDecodeError` (through `ctx`) for
 * anything else.
 */
export function decodePng(ctx: DecodeContext, bytes: Uint8Array): DecodedImageFile {
  const { header, palette, alpha, idat } = readChunks(ctx, bytes);
  const { width, height, depth, colour } = header;
  const spp = SAMPLES[colour] as number;
  const bpp = Math.max(1, (spp * depth) >> 3);
  const passes = passesOf(header);
  const rowBytes = (w: number) => Math.ceil((w * spp * depth) / 8);
  const expected = passes.reduce((sum, p) => sum + p.height * (rowBytes(p.width) + 1), 0);
  if (expected > constants.MAX_LENGTH) ctx.fail(`its ${width} x ${height} image needs ${expected} bytes, more than Node can hold in one buffer`);
  let raw: Uint8Array;
  try {
    // The header's size bounds the output, so a hostile stream cannot inflate past it.
    raw = inflateSync(idat, { maxOutputLength: expected });
  } catch (e) {
    if ((e as { code?: unknown }).code === 'ERR_BUFFER_TOO_LARGE') {
      ctx.fail(`its image data inflates to more than the ${expected} bytes a ${width} x ${height} image needs: the file is corrupt`);
    }
    ctx.fail(`its compressed image data is corrupt or truncated (zlib: ${(e as Error).message})`, e);
  }
  if (raw.length < expected) ctx.truncated(`its image data holds ${raw.length} of the ${expected} bytes a ${width} x ${height} image needs`);

  const outChannels = colour === 0 ? 1 : colour === 2 || (colour === 3 && !alpha) ? 3 : 4;
  const float = ctx.pixelType === 'float32';
  const out = float ? new Float32Array(width * height * outChannels) : new Uint8Array(width * height * outChannels);
  const max = 2 ** depth - 1;
  // One sample to the output scale: 16-bit keeps its high byte, as Pillow reads 16-bit RGB(A)
  // (or full precision as float); 1-, 2- and 4-bit gray scales up to 8 bits as the PNG
  // specification says.
  const level =
    depth === 16
      ? float ? (v: number) => v / 65535 : (v: number) => v >> 8
      : float ? (v: number) => (v * (255 / max)) / 255 : (v: number) => v * (255 / max);
  const byte = float ? (v: number) => v / 255 : (v: number) => v;
  const samples = new Array<number>(spp);
  let at = 0;
  for (const pass of passes) {
    const rb = rowBytes(pass.width);
    const rows = unfilter(ctx, raw, at, pass.height, rb, bpp);
    at += pass.height * (rb + 1);
    for (let py = 0; py < pass.height; py++) {
      const row = py * rb;
      const y = pass.y0 + py * pass.dy;
      for (let px = 0; px < pass.width; px++) {
        for (let k = 0; k < spp; k++) {
          const s = px * spp + k;
          samples[k] =
            depth === 8 ? (rows[row + s] as number)
            : depth === 16 ? ((rows[row + 2 * s] as number) << 8) | (rows[row + 2 * s + 1] as number)
            : ((rows[row + ((s * depth) >> 3)] as number) >> (8 - depth - ((s * depth) & 7))) & max;
        }
        const o = ((y * width) + pass.x0 + px * pass.dx) * outChannels;
        const [s0, s1, s2, s3] = samples as [number, number, number, number];
        if (colour === 0) out[o] = level(s0);
        else if (colour === 2 || colour === 6) {
          out[o] = level(s0);
          out[o + 1] = level(s1);
          out[o + 2] = level(s2);
          if (colour === 6) out[o + 3] = level(s3);
        } else if (colour === 4) {
          out[o] = out[o + 1] = out[o + 2] = level(s0);
          out[o + 3] = level(s1);
        } else {
          // Indices past the palette are black, as libpng makes them.
          const p = palette as Uint8Array;
          const inside = 3 * s0 + 2 < p.length;
          out[o] = byte(inside ? (p[3 * s0] as number) : 0);
          out[o + 1] = byte(inside ? (p[3 * s0 + 1] as number) : 0);
          out[o + 2] = byte(inside ? (p[3 * s0 + 2] as number) : 0);
          if (alpha) out[o + 3] = byte(s0 < alpha.length ? (alpha[s0] as number) : 255);
        }
      }
    }
  }
  return { data: out, width, height, channels: outChannels, format: 'png', bitDepth: depth };
}

import { deflateSync } from 'node:zlib';
import { concatBytes } from '../../../src/io/concat-bytes.js';

const SAMPLES: Record<number, number> = { 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 };

function crc32(bytes: Uint8Array): number {
  let c = -1;
  for (const b of bytes) {
    c ^= b;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  }
  return (c ^ -1) >>> 0;
}

/** One PNG chunk with its length and CRC. */
export function pngChunk(type: string, data: Uint8Array): Uint8Array {
  const out = new Uint8Array(12 + data.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, data.length);
  out.set(new TextEncoder().encode(type), 4);
  out.set(data, 8);
  view.setUint32(8 + data.length, crc32(out.subarray(4, 8 + data.length)));
  return out;
}

export interface PngParts {
  width?: number;
  height?: number;
  depth?: number;
  colour?: number;
  interlace?: number;
  /** Filtered scanlines before compression; default: all zero (filter 0) for the header's size. */
  raw?: Uint8Array;
  /** Zero bytes appended to `raw`. */
  extra?: number;
  /** Compressed data instead of deflate(raw). */
  idat?: Uint8Array;
  /** Chunks between IHDR and IDAT. */
  chunks?: [string, Uint8Array][];
  /** A chunk type written before IHDR. */
  first?: string;
  /** Split the compressed data over two IDAT chunks. */
  split?: boolean;
  /** Repeat or cut `raw` to exactly the size the header needs (Adam7 included). */
  fit?: boolean;
}

const ADAM7 = [[0, 0, 8, 8], [4, 0, 8, 8], [0, 4, 4, 8], [2, 0, 4, 4], [0, 2, 2, 4], [1, 0, 2, 2], [0, 1, 1, 2]];

/** Bytes of filtered scanlines that a header needs. */
export function rawSize(width: number, height: number, depth: number, colour: number, interlace: number): number {
  const passes = interlace === 1 ? ADAM7 : [[0, 0, 1, 1]];
  let total = 0;
  for (const [x0, y0, dx, dy] of passes as [number, number, number, number][]) {
    const w = Math.ceil((width - x0) / dx);
    const h = Math.ceil((height - y0) / dy);
    if (w > 0 && h > 0) total += h * (1 + Math.ceil((w * (SAMPLES[colour] ?? 1) * depth) / 8));
  }
  return total;
}

/** A hand-made PNG (1 x 1 8-bit RGB unless told otherwise), valid CRCs, for decoder tests. */
export function pngWith(p: PngParts = {}): Uint8Array {
  const { width = 1, height = 1, depth = 8, colour = 2, interlace = 0 } = p;
  const header = new Uint8Array(13);
  const view = new DataView(header.buffer);
  view.setUint32(0, width);
  view.setUint32(4, height);
  header.set([depth, colour, 0, 0, interlace], 8);
  const size = rawSize(width, height, depth, colour, interlace);
  let raw = p.raw ?? new Uint8Array(size);
  if (p.fit) raw = Uint8Array.from({ length: size }, (_, i) => (raw.length === 0 ? 0 : (raw[i % raw.length] as number)));
  const full = new Uint8Array(raw.length + (p.extra ?? 0));
  full.set(raw);
  const data = p.idat ?? new Uint8Array(deflateSync(full));
  const half = p.split ? data.length >> 1 : data.length;
  const parts = [
    Uint8Array.of(137, 80, 78, 71, 13, 10, 26, 10),
    ...(p.first ? [pngChunk(p.first, new Uint8Array(0))] : []),
    pngChunk('IHDR', header),
    ...(p.chunks ?? []).map(([type, d]) => pngChunk(type, d)),
    pngChunk('IDAT', data.subarray(0, half)),
    ...(p.split ? [pngChunk('IDAT', data.subarray(half))] : []),
    pngChunk('IEND', new Uint8Array(0)),
  ];
  return concatBytes(parts);
}

import { readFileSync } from 'node:fs';

/** test/fixtures/images/, written by scripts/fixtures/image_decode_reference.py. */
export const IMAGES_DIR = new URL('../../fixtures/images/', import.meta.url);

interface Slice {
  offset: number;
  length: number;
}

export interface ImageReference {
  width: number;
  height: number;
  channels: 1 | 3 | 4;
  bitDepth: number;
  pilMode: string;
  /** What Pillow decodes, as dvme returns it (palette looked up, LA as RGBA, '1' as 0 / 255). */
  pil: Slice;
  /** The 16-bit samples the script encoded (files it wrote from 16-bit data only). */
  source?: Slice;
}

const json = JSON.parse(readFileSync(new URL('reference.json', IMAGES_DIR), 'utf8')) as { pillow: string; files: Record<string, ImageReference> };
const bin = readFileSync(new URL('reference.bin', IMAGES_DIR));
const values = new Uint16Array(bin.buffer.slice(bin.byteOffset, bin.byteOffset + bin.byteLength));

export const PILLOW_VERSION = json.pillow;
export const references = json.files;

/** The reference samples of a slice. */
export function samples(slice: Slice): Uint16Array {
  return values.subarray(slice.offset, slice.offset + slice.length);
}

/** The bytes of a fixture file. */
export function imageFile(name: string): Uint8Array {
  return new Uint8Array(readFileSync(new URL(name, IMAGES_DIR)));
}

export const pngNames = Object.keys(references).filter((n) => n.endsWith('.png'));
export const jpegNames = Object.keys(references).filter((n) => n.endsWith('.jpg'));

import { deflateRawSync, constants as zlib } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { ImageDecodeError, InvalidArgumentError } from '../../../src/errors/index.js';
import { decodeImage, readImages } from '../../../src/platform/node/decode-image.js';
import { imageFile } from './image-fixtures.js';
import { pngChunk, pngWith, rawSize } from './png-builder.js';

/**
 * A valid PNG whose scanlines are all zero, `width` x `height` at `depth` bits and `colour`,
 * compressed without ever holding the scanlines: one megabyte of zeros deflated with a full
 * flush is a self-contained run of blocks, repeated as often as the image needs (a 16-bit
 * RGBA 10000 x 10000 image is 800 MB of scanlines in about 780 KB).
 */
function zeroPng(width: number, height: number, depth: number, colour: number): Uint8Array {
  const size = rawSize(width, height, depth, colour, 0);
  const step = 1 << 20;
  const block = deflateRawSync(new Uint8Array(step), { finishFlush: zlib.Z_FULL_FLUSH });
  const tail = deflateRawSync(new Uint8Array(size % step));
  const count = Math.floor(size / step);
  const idat = new Uint8Array(2 + count * block.length + tail.length + 4);
  idat.set([0x78, 0x9c]);
  for (let i = 0; i < count; i++) idat.set(block, 2 + i * block.length);
  idat.set(tail, 2 + count * block.length);
  // Adler-32 of `size` zeros: a = 1, b = size mod 65521.
  new DataView(idat.buffer).setUint32(idat.length - 4, ((size % 65521) << 16 >>> 0) + 1);
  const header = new Uint8Array(13);
  new DataView(header.buffer).setUint32(0, width);
  new DataView(header.buffer).setUint32(4, height);
  header.set([depth, colour, 0, 0, 0], 8);
  const parts = [Uint8Array.of(137, 80, 78, 71, 13, 10, 26, 10), pngChunk('IHDR', header), pngChunk('IDAT', idat), pngChunk('IEND', new Uint8Array(0))];
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** A fixture JPEG whose frame header (SOF) is rewritten to declare `width` x `height`. */
function jpegDeclaring(name: string, width: number, height: number): Uint8Array {
  const bytes = imageFile(name).slice();
  for (let pos = 2; pos + 4 < bytes.length; pos += 2 + ((bytes[pos + 2]! << 8) | bytes[pos + 3]!)) {
    const marker = bytes[pos + 1]!;
    if (marker === 0xc0 || marker === 0xc2) {
      const view = new DataView(bytes.buffer);
      view.setUint16(pos + 5, height);
      view.setUint16(pos + 7, width);
      return bytes;
    }
  }
  throw new Error(`no SOF in ${name}`);
}

/** Decodes `bytes`, returning the error, the time taken and how much ArrayBuffer memory grew. */
async function measure(bytes: Uint8Array, options: Parameters<typeof decodeImage>[1] = {}) {
  const before = process.memoryUsage().arrayBuffers;
  const started = performance.now();
  let error: unknown;
  let kept: unknown;
  try {
    kept = await decodeImage(bytes, options);
  } catch (e) {
    error = e;
  }
  const ms = performance.now() - started;
  const grownBytes = process.memoryUsage().arrayBuffers - before;
  return { error, ms, grownBytes, kept };
}

describe('decodeImage refuses images whose decoding would cost more than maxDecodedBytes (issue #14)', () => {
  it('refuses a tiny JPEG declaring 10000 x 10000 from its header, in well under a second', async () => {
    const bytes = jpegDeclaring('adobe0-rgb-420.jpg', 10_000, 10_000);
    expect(bytes.length).toBeLessThan(1000);
    const { error, ms, grownBytes } = await measure(bytes);
    expect(ImageDecodeError.is(error), String(error)).toBe(true);
    expect((error as Error).message).toMatch(/10000 x 10000.* \d+ bytes to decode, more than maxDecodedBytes \(1073741824\); pass a larger maxDecodedBytes/);
    expect(ms).toBeLessThan(1000);
    expect(grownBytes).toBeLessThan(32 * 2 ** 20);
  });

  it.each(['uint8', 'float32'] as const)('refuses a 780 KB 16-bit RGBA PNG of 10000 x 10000 (%s) before inflating it', async (pixelType) => {
    const bytes = zeroPng(10_000, 10_000, 16, 6);
    expect(bytes.length).toBeLessThan(1_000_000);
    const { error, ms, grownBytes } = await measure(bytes, { pixelType });
    expect(ImageDecodeError.is(error), String(error)).toBe(true);
    expect((error as Error).message).toMatch(/16-bit RGBA.*more than maxDecodedBytes/);
    expect(ms).toBeLessThan(1000);
    expect(grownBytes).toBeLessThan(32 * 2 ** 20);
  });

  it('decodes what fits the budget, refuses it under a lower one, and readImages takes the option too', async () => {
    const bytes = zeroPng(1000, 1000, 16, 6);
    const image = await decodeImage(bytes);
    expect(image).toMatchObject({ width: 1000, height: 1000, channels: 4, bitDepth: 16 });
    const { error } = await measure(bytes, { maxDecodedBytes: 10_000_000 });
    expect((error as Error).message).toMatch(/more than maxDecodedBytes \(10000000\)/);
    const { error: jpegError } = await measure(imageFile('rgb-444.jpg'), { maxDecodedBytes: 1000 });
    expect((jpegError as Error).message).toMatch(/maxDecodedBytes \(1000\)/);
    const files = await readImages([new URL('../../fixtures/images/rgb8.png', import.meta.url).pathname], { maxDecodedBytes: 2 ** 20 });
    expect(files).toHaveLength(1);
    await expect(readImages([new URL('../../fixtures/images/rgb8.png', import.meta.url).pathname], { maxDecodedBytes: 10 })).rejects.toThrow(/maxDecodedBytes \(10\)/);
  });

  it('raising maxDecodedBytes lets a large trusted image through', async () => {
    const bytes = jpegDeclaring('adobe0-rgb-420.jpg', 2000, 2000);
    const { error: refused } = await measure(bytes, { maxDecodedBytes: 50_000_000 });
    expect((refused as Error).message).toMatch(/maxDecodedBytes/);
    // Past the budget, jpeg-js decodes it (and finds the scan data far too short, as it is).
    const { error } = await measure(bytes, { maxDecodedBytes: 2 ** 31 });
    expect((error as Error | undefined)?.message ?? '').not.toMatch(/maxDecodedBytes/);
  });

  it('refuses a maxDecodedBytes that is not a positive integer', async () => {
    for (const bad of [0, -1, 1.5, '1e9', Number.POSITIVE_INFINITY]) {
      await expect(decodeImage(pngWith(), { maxDecodedBytes: bad as number })).rejects.toThrow(InvalidArgumentError);
    }
  });
});

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ImageDecodeError } from '../../../src/errors/index.js';
import { decodeImage } from '../../../src/platform/node/decode-image.js';
import { mutate, type Mutation } from '../io/fixtures.js';
import { mutationArb } from '../io/mutation-arbitrary.js';
import { imageFile, jpegNames, pngNames } from './image-fixtures.js';
import { pngChunk, pngWith } from './png-builder.js';

/** Slowest decode seen, so a near-hang shows even when it ends. */
let slowestMs = 0;
/** How many hostile inputs decoded, so the fuzzing is seen to reach past the first checks. */
let decoded = 0;

/** Hostile bytes must decode to a well-formed image or throw ImageDecodeError: nothing else. */
async function decodeOrTypedError(bytes: Uint8Array): Promise<void> {
  const t0 = performance.now();
  try {
    const image = await decodeImage(bytes, { maxPixels: 1 << 20 });
    expect(image.data.length).toBe(image.width * image.height * image.channels);
    decoded++;
  } catch (e) {
    if (!ImageDecodeError.is(e)) throw e;
    expect((e as Error).message).toMatch(/^Cannot decode the image bytes: /);
  } finally {
    slowestMs = Math.max(slowestMs, performance.now() - t0);
  }
}

/** Mutations of the chunk data of a PNG, with every CRC made valid again so the decoder goes past it. */
function mutateChunksKeepingCrcs(png: Uint8Array, m: Mutation): Uint8Array {
  const chunks: [string, Uint8Array][] = [];
  const view = new DataView(png.buffer, png.byteOffset, png.byteLength);
  for (let pos = 8; pos + 12 <= png.length; ) {
    const length = view.getUint32(pos);
    chunks.push([String.fromCharCode(...png.subarray(pos + 4, pos + 8)), png.slice(pos + 8, pos + 8 + length)]);
    pos += 12 + length;
  }
  const body = new Uint8Array(chunks.reduce((n, [, d]) => n + d.length, 0));
  let at = 0;
  for (const [, d] of chunks) {
    body.set(d, at);
    at += d.length;
  }
  const edited = mutate(body, { ...m, truncateAt: null });
  const parts = [png.subarray(0, 8)];
  at = 0;
  for (const [type, d] of chunks) {
    parts.push(pngChunk(type, edited.subarray(at, at + d.length)));
    at += d.length;
  }
  const out = new Uint8Array(parts.reduce((n, x) => n + x.length, 0));
  at = 0;
  for (const x of parts) {
    out.set(x, at);
    at += x.length;
  }
  return m.truncateAt === null ? out : out.subarray(0, m.truncateAt % (out.length + 1));
}

const pngs = pngNames.map(imageFile);
const jpegs = jpegNames.map(imageFile);

describe('decodeImage on hostile input: decodes or throws ImageDecodeError, never crashes or hangs', () => {
  it('random truncations and byte edits of the PNG fixtures', async () => {
    await fc.assert(
      fc.asyncProperty(fc.nat(pngs.length - 1), mutationArb, async (i, m) => decodeOrTypedError(mutate(pngs[i]!, m))),
      { numRuns: 400 },
    );
  });

  it('edits of PNG chunk data behind valid CRCs (reaching zlib, filters, palettes)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.nat(pngs.length - 1), mutationArb, async (i, m) => decodeOrTypedError(mutateChunksKeepingCrcs(pngs[i]!, m))),
      { numRuns: 400 },
    );
  });

  it('random headers over random scanlines (every filter byte, sample layout and palette)', async () => {
    const header = fc.record({
      width: fc.integer({ min: 0, max: 40 }),
      height: fc.integer({ min: 0, max: 40 }),
      depth: fc.constantFrom(1, 2, 3, 4, 8, 16),
      colour: fc.constantFrom(0, 1, 2, 3, 4, 6),
      interlace: fc.constantFrom(0, 1, 1, 2),
    });
    const extra = fc.array(fc.tuple(fc.constantFrom('PLTE', 'tRNS', 'gAMA', 'IEND'), fc.uint8Array({ maxLength: 40 })), { maxLength: 3 });
    // Bytes 0-4 make every filter byte valid, and `fit` gives the size the header needs, so
    // pixels get decoded too; the rest have random lengths.
    const scanlines = fc.oneof(
      fc.record({ raw: fc.uint8Array({ maxLength: 3000 }), fit: fc.constant(false) }),
      fc.record({ raw: fc.uint8Array({ minLength: 1, maxLength: 300 }).map((a) => a.map((b) => b % 5)), fit: fc.constant(true) }),
    );
    await fc.assert(
      fc.asyncProperty(header, scanlines, extra, async (h, data, chunks) => decodeOrTypedError(pngWith({ ...h, ...data, chunks }))),
      { numRuns: 400 },
    );
  });

  it('random truncations and byte edits of the JPEG fixtures (baseline, progressive, gray)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.nat(jpegs.length - 1), mutationArb, async (i, m) => decodeOrTypedError(mutate(jpegs[i]!, m))),
      { numRuns: 400 },
    );
  });

  it('took at most two seconds for any one of them, and decoded some', () => {
    expect(slowestMs).toBeLessThan(2000);
    expect(decoded).toBeGreaterThan(50);
  });
});

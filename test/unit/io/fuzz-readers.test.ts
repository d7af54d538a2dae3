import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { readNpz } from '../../../src/data/npz.js';
import { parseNpy } from '../../../src/data/npy.js';
import { DvmeError } from '../../../src/errors/index.js';
import { readCheckpoint } from '../../../src/io/checkpoint.js';
import { flattenTensors } from '../../../src/io/flatten-tensors.js';
import { parseSafetensors } from '../../../src/io/safetensors.js';
import { listZipEntries, readZipEntry } from '../../../src/io/zip.js';
import { decodeImage } from '../../../src/platform/node/decode-image.js';
import { imageFile } from '../platform/image-fixtures.js';
import { fixture, mutate } from './fixtures.js';
import { mutationArb } from './mutation-arbitrary.js';

/** Per input: slower or hungrier than this is a hang or a bomb, whatever it ends with. */
const MAX_MS = 1000;
const MAX_GROWTH_BYTES = 64 * 2 ** 20;
/** Runs per reader: enough to reach past the first checks, few enough for < 20 s in all. */
const RUNS = 60;

interface Reader {
  readonly name: string;
  readonly bytes: () => Uint8Array;
  readonly read: (bytes: Uint8Array) => Promise<unknown>;
}

async function readAllZipEntries(bytes: Uint8Array): Promise<number> {
  let total = 0;
  for (const entry of listZipEntries(bytes)) total += (await readZipEntry(bytes, entry)).length;
  return total;
}

/** Untrusted images get a budget far under the default, as docs/security.md advises. */
const imageOptions = { maxPixels: 1 << 22, maxDecodedBytes: 32 * 2 ** 20 };

const READERS: readonly Reader[] = [
  { name: 'torch zip checkpoint', bytes: () => fixture('torch_zip.pt'), read: async (b) => flattenTensors((await readCheckpoint(b)).root) },
  { name: 'torch legacy checkpoint', bytes: () => fixture('torch_legacy.pt'), read: async (b) => flattenTensors((await readCheckpoint(b)).root) },
  { name: 'nested torch zip (DINO-like)', bytes: () => fixture('dino_like.pth'), read: async (b) => flattenTensors((await readCheckpoint(b)).root) },
  { name: 'zip (deflated .npz)', bytes: () => fixture('compressed.npz'), read: readAllZipEntries },
  { name: 'npz', bytes: () => fixture('plain.npz'), read: readNpz },
  { name: 'safetensors', bytes: () => fixture('tensors.safetensors'), read: async (b) => parseSafetensors(b) },
  { name: 'npy', bytes: () => fixture('f4.npy'), read: async (b) => parseNpy(b) },
  { name: 'PNG (16-bit, interlaced)', bytes: () => imageFile('rgba16-interlaced.png'), read: (b) => decodeImage(b, imageOptions) },
  { name: 'PNG (palette)', bytes: () => imageFile('palette4-trns.png'), read: (b) => decodeImage(b, imageOptions) },
  { name: 'JPEG (baseline 4:2:0)', bytes: () => imageFile('rgb-420.jpg'), read: (b) => decodeImage(b, imageOptions) },
  { name: 'JPEG (progressive)', bytes: () => imageFile('rgb-progressive.jpg'), read: (b) => decodeImage(b, imageOptions) },
];

/** One hostile input: a valid result or a typed DvmeError, in bounded time and memory. */
async function check(reader: Reader, bytes: Uint8Array, outcomes: { ok: number; typed: number }): Promise<void> {
  const before = process.memoryUsage().arrayBuffers;
  const started = performance.now();
  try {
    await reader.read(bytes);
    outcomes.ok++;
  } catch (e) {
    if (!DvmeError.is(e)) throw new Error(`${reader.name}: untyped ${String(e)}`, { cause: e });
    outcomes.typed++;
  }
  const ms = performance.now() - started;
  expect(ms, `${reader.name} took ${ms.toFixed(0)} ms`).toBeLessThan(MAX_MS);
  expect(process.memoryUsage().arrayBuffers - before, `${reader.name} grew memory`).toBeLessThan(MAX_GROWTH_BYTES);
}

describe('hostile files: every reader gives a result or a typed DvmeError, quickly and without large allocations (fuzz)', () => {
  it.each(READERS.map((r) => [r.name, r] as const))('%s', async (_, reader) => {
    const valid = reader.bytes();
    const outcomes = { ok: 0, typed: 0 };
    await check(reader, valid, outcomes);
    expect(outcomes.ok, 'the unmutated fixture reads').toBe(1);
    await fc.assert(
      fc.asyncProperty(mutationArb, async (m) => check(reader, mutate(valid, m), outcomes)),
      { numRuns: RUNS, seed: 14 },
    );
    // Random bytes behind the file's own first bytes reach the format's checks, not only the signature test.
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 256 }), async (tail) => {
        const head = valid.subarray(0, 16);
        const bytes = new Uint8Array(head.length + tail.length);
        bytes.set(head);
        bytes.set(tail, head.length);
        await check(reader, bytes, outcomes);
      }),
      { numRuns: RUNS / 2, seed: 14 },
    );
    expect(outcomes.typed, 'some mutations are refused').toBeGreaterThan(0);
  });
});

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CheckpointFormatError } from '../../../src/errors/index.js';
import { listZipEntries, readZipEntry, readZipEntrySync } from '../../../src/io/zip.js';
import { fixture, mutate, onlyFormatErrors } from './fixtures.js';
import { mutationArb } from './mutation-arbitrary.js';
import { writeZip, zipClaimingSize } from './zip-writer.js';

describe('listZipEntries', () => {
  it('lists numpy savez archives, which carry ZIP64 extra fields', () => {
    const entries = listZipEntries(fixture('plain.npz'));
    expect(entries.map((e) => [e.name, e.method])).toEqual([
      ['images.npy', 0],
      ['labels.npy', 0],
      ['x.npy', 0],
    ]);
    for (const e of entries) expect(e.size).toBe(e.compressedSize);
  });

  it('finds the archive folder and 64-byte-aligned storages of torch.save files', () => {
    const names = listZipEntries(fixture('torch_zip.pt')).map((e) => e.name);
    expect(names).toContain('torch_zip/data.pkl');
    expect(names.some((n) => n.startsWith('torch_zip/data/'))).toBe(true);
  });

  it('reads ZIP64 end-of-directory records and extra fields', async () => {
    const data = new TextEncoder().encode('hello zip64');
    const bytes = await writeZip([{ name: 'a/b.bin', data }, { name: 'c', data, deflate: true }], { zip64: true });
    const entries = listZipEntries(bytes);
    expect(entries.map((e) => [e.name, e.size, e.method])).toEqual([['a/b.bin', 11, 0], ['c', 11, 8]]);
    expect(readZipEntrySync(bytes, entries[0])).toEqual(data);
    expect(await readZipEntry(bytes, entries[1])).toEqual(data);
  });

  it('rejects non-zip bytes with CheckpointFormatError', () => {
    expect(() => listZipEntries(new Uint8Array(100))).toThrow(CheckpointFormatError);
    expect(() => listZipEntries(new Uint8Array(0))).toThrow(/End Of Central Directory/);
  });
});

describe('readZipEntry', () => {
  it('reads stored entries as views and deflated ones through DecompressionStream', async () => {
    const plain = fixture('plain.npz');
    const compressed = fixture('compressed.npz');
    const a = listZipEntries(plain);
    const b = listZipEntries(compressed);
    expect(b.every((e) => e.method === 8)).toBe(true);
    for (let i = 0; i < a.length; i++) {
      const stored = readZipEntrySync(plain, a[i]);
      expect(stored.buffer).toBe(plain.buffer);
      expect(await readZipEntry(compressed, b[i])).toEqual(new Uint8Array(stored));
    }
  });

  it('refuses deflated entries in the sync reader and lying sizes in the async one', async () => {
    const bytes = fixture('compressed.npz');
    const [entry] = listZipEntries(bytes);
    expect(() => readZipEntrySync(bytes, entry)).toThrow(/readZipEntry/);
    await expect(readZipEntry(bytes, { ...entry, size: entry.size + 1 })).rejects.toThrow(/not the declared/);
    await expect(readZipEntry(bytes, { ...entry, size: entry.size - 1 })).rejects.toThrow(/past its declared size/);
    // A header claiming a petabyte is refused before any allocation.
    await expect(readZipEntry(bytes, { ...entry, size: 2 ** 50 })).rejects.toThrow(/maximum ratio/);
    await expect(readZipEntry(bytes, { ...entry, method: 12 })).rejects.toThrow(/method 12/);
  });

  it('only ever throws CheckpointFormatError on corrupted archives (property)', async () => {
    const zip64 = await writeZip([{ name: 'x', data: new Uint8Array(40) }, { name: 'y', data: new Uint8Array(40), deflate: true }], { zip64: true });
    const sources = [fixture('plain.npz'), fixture('compressed.npz'), zip64];
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(0, 1, 2), mutationArb, async (which, m) => {
        const bytes = mutate(sources[which], m);
        await onlyFormatErrors(async () => {
          for (const e of listZipEntries(bytes)) await readZipEntry(bytes, e);
        });
      }),
      { numRuns: 300 },
    );
  });
});

describe('readZipEntry on entries larger than memory can hold (issue #14)', () => {
  it('refuses an entry declaring 5 GiB (within the deflate ratio of its 5.3 MB) with a typed error, not a RangeError', async () => {
    const size = 5 * 2 ** 30;
    const bytes = zipClaimingSize('huge.npy', Math.ceil(size / 1000), size);
    const [entry] = listZipEntries(bytes);
    expect(entry!.size).toBe(size);
    const error = await readZipEntry(bytes, entry!).catch((e: unknown) => e);
    expect(CheckpointFormatError.is(error)).toBe(true);
    expect((error as Error).message).toMatch(/"huge\.npy" inflates to 5368709120 bytes .*at most 4294967296 bytes.* split/);
  });
});

import { existsSync, readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { readNpz } from '../../../src/data/npz.js';
import { expected, expectSameValues, fixture, mutate, onlyFormatErrors, type ExpectedTensor } from '../io/fixtures.js';
import { mutationArb } from '../io/mutation-arbitrary.js';
import { zipClaimingSize } from '../io/zip-writer.js';
import { CheckpointFormatError } from '../../../src/errors/index.js';

const want = expected.npz as Record<string, ExpectedTensor>;

describe('readNpz', () => {
  it.each(['plain.npz', 'compressed.npz'])('reads %s (np.savez / np.savez_compressed)', async (file) => {
    const arrays = await readNpz(fixture(file));
    expect([...arrays.keys()]).toEqual(['images', 'labels', 'x']);
    for (const [key, w] of Object.entries(want)) {
      const a = arrays.get(key)!;
      expect(a.dtype).toBe(w.dtype);
      expect(a.shape).toEqual(w.shape);
      expectSameValues(a.data, w.values, key);
    }
  });

  it('only ever throws CheckpointFormatError on corrupted archives (property)', async () => {
    const sources = [fixture('plain.npz'), fixture('compressed.npz')];
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(0, 1), mutationArb, async (i, m) => onlyFormatErrors(() => readNpz(mutate(sources[i], m)))),
      { numRuns: 300 },
    );
  });

  // The real MedMNIST file lives outside the repository; it is never copied in.
  const retina = new URL('../../../../shared/data/retinamnist.npz', import.meta.url);
  it.skipIf(!existsSync(retina))('reads the real ../shared/data/retinamnist.npz (skipped only when that file is absent)', async () => {
    const arrays = await readNpz(new Uint8Array(readFileSync(retina)));
    const shapes = Object.fromEntries([...arrays].map(([k, a]) => [k, [a.dtype, a.shape]]));
    expect(shapes).toEqual({
      train_images: ['uint8', [1080, 28, 28, 3]],
      val_images: ['uint8', [120, 28, 28, 3]],
      test_images: ['uint8', [400, 28, 28, 3]],
      train_labels: ['uint8', [1080, 1]],
      val_labels: ['uint8', [120, 1]],
      test_labels: ['uint8', [400, 1]],
    });
    const counts = [0, 0, 0, 0, 0];
    for (const label of arrays.get('train_labels')!.data) counts[label]++;
    expect(counts).toEqual([486, 128, 206, 194, 66]);
  });
});

describe('readNpz on a member larger than memory can hold (issue #14)', () => {
  it('refuses a 5.3 MB .npz whose member declares 5 GiB with a CheckpointFormatError naming size and limit', async () => {
    const error = await readNpz(zipClaimingSize('x.npy', 5_400_000, 5 * 2 ** 30)).catch((e: unknown) => e);
    expect(CheckpointFormatError.is(error)).toBe(true);
    expect((error as Error).message).toMatch(/5368709120 bytes.*4294967296/);
  });
});

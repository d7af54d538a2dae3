import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CheckpointFormatError } from '../../../src/errors/index.js';
import { readCheckpoint } from '../../../src/io/checkpoint.js';
import { flattenTensors } from '../../../src/io/flatten-tensors.js';
import { toFloat32 } from '../../../src/io/raw-tensor.js';
import { readTorchCheckpoint } from '../../../src/io/torch-checkpoint.js';
import { listZipEntries, readZipEntrySync } from '../../../src/io/zip.js';
import { writeZip } from './zip-writer.js';
import { expected, expectTensor, fixture, mutate, onlyFormatErrors, type ExpectedTensor } from './fixtures.js';
import { mutationArb } from './mutation-arbitrary.js';

const stateDict = expected['torch_zip.pt'] as Record<string, ExpectedTensor>;

describe.each([
  ['torch_zip.pt', 'torch-zip'],
  ['torch_legacy.pt', 'torch-legacy'],
])('%s', (file, format) => {
  it(`is detected as ${format} and every tensor equals torch's values exactly`, async () => {
    const { format: detected, root } = await readCheckpoint(fixture(file));
    expect(detected).toBe(format);
    expect(root).toBeInstanceOf(Map);
    const tensors = flattenTensors(root);
    // state_dict order (expected.json sorts its keys, so spell it out).
    expect([...tensors.keys()]).toEqual([
      'conv.weight', 'conv.bias', 'half', 'bf16', 'steps', 'scalar', 'view.full', 'view.row',
      'view.cols', 'transposed', 'flags', 'bytes', 'empty',
    ]);
    for (const [name, want] of Object.entries(stateDict)) expectTensor(tensors.get(name), want, name);
  });

  it('shares storage between views and copies only non-contiguous tensors', async () => {
    const bytes = fixture(file);
    const tensors = flattenTensors(await readTorchCheckpoint(bytes));
    const full = tensors.get('view.full')!;
    const row = tensors.get('view.row')!;
    expect(full.bytes.buffer).toBe(bytes.buffer);
    expect(row.bytes.buffer).toBe(bytes.buffer);
    expect(row.bytes.byteOffset - full.bytes.byteOffset).toBe(6 * 4);
    expect(tensors.get('transposed')!.bytes.buffer).not.toBe(bytes.buffer);
    expect(tensors.get('scalar')!.shape).toEqual([]);
  });
});

describe('DINO- and VISSL-shaped checkpoints', () => {
  it('reads teacher, student, argparse args, epoch and numpy scalars', async () => {
    const want = expected['dino_like.pth'] as {
      tensors: Record<string, ExpectedTensor>;
      args: Record<string, unknown>;
      epoch: number;
      best_acc: number;
      seen: number;
    };
    const { root } = await readCheckpoint(fixture('dino_like.pth'));
    const top = root as Map<string, unknown>;
    expect(top.get('epoch')).toBe(want.epoch);
    expect(top.get('best_acc')).toBe(want.best_acc);
    expect(top.get('seen')).toBe(want.seen);
    expect(top.get('tags')).toEqual(new Set([1, 2]));
    const args = top.get('args') as Record<string, unknown>;
    expect(Object.getPrototypeOf(args)).toBeNull();
    expect({ ...args }).toEqual(want.args);
    const all = flattenTensors(root);
    for (const [name, t] of Object.entries(want.tensors)) expectTensor(all.get(name), t, name);
    const teacher = flattenTensors(root, 'teacher');
    expect([...teacher.keys()]).toEqual(['conv1.weight', 'bn1.running_mean', 'bn1.num_batches_tracked']);
  });

  it('reaches the VISSL trunk through its nested dicts (pickle protocol 4)', async () => {
    const want = expected['vissl_like.torch'] as Record<string, ExpectedTensor>;
    const { root } = await readCheckpoint(fixture('vissl_like.torch'));
    const all = flattenTensors(root);
    for (const [name, t] of Object.entries(want)) expectTensor(all.get(name), t, name);
    const trunk = flattenTensors(root, 'classy_state_dict.base_model.model.trunk');
    expect([...trunk.keys()]).toEqual(['_feature_blocks.conv1.weight', '_feature_blocks.bn1.weight']);
  });
});

describe('readTorchCheckpoint', () => {
  it('reads a torch zip whose archive was re-packed with deflate and ZIP64 records', async () => {
    const original = fixture('torch_zip.pt');
    const entries = listZipEntries(original).map((e) => ({
      name: e.name.replace(/^torch_zip\//, 'renamed/'),
      data: readZipEntrySync(original, e),
      deflate: true,
    }));
    const repacked = await writeZip(entries, { zip64: true });
    const tensors = flattenTensors(await readTorchCheckpoint(repacked));
    for (const [name, want] of Object.entries(stateDict)) expectTensor(tensors.get(name), want, name);
  });

  it('refuses big-endian zip checkpoints', async () => {
    const original = fixture('torch_zip.pt');
    const entries = listZipEntries(original).map((e) => ({ name: e.name, data: readZipEntrySync(original, e) }));
    entries.push({ name: 'torch_zip/byteorder', data: new TextEncoder().encode('big') });
    await expect(readTorchCheckpoint(await writeZip(entries))).rejects.toThrow(/big-endian/);
  });
});

describe('readCheckpoint', () => {
  it('detects safetensors and returns its tensor map as the root', async () => {
    const { format, root } = await readCheckpoint(fixture('tensors.safetensors'));
    expect(format).toBe('safetensors');
    expect([...flattenTensors(root).keys()]).toContain('w16');
  });

  it('refuses a torch-zip archive whose pickle calls os.system', async () => {
    await expect(readCheckpoint(fixture('evil_zip.pt'))).rejects.toThrow(CheckpointFormatError);
    await expect(readCheckpoint(fixture('evil_zip.pt'))).rejects.toThrow(/"posix\.system".*could run code/);
  });

  it.each([
    ['empty input', new Uint8Array(0), /Unrecognised checkpoint/],
    ['a plain pickle', fixture('evil.pkl'), /plain pickle/],
    ['an .npy file', fixture('f4.npy'), /parseNpy/],
    ['gzip', new Uint8Array([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0]), /gzip/],
    ['a zip without data.pkl', fixture('plain.npz'), /data\.pkl.*readNpz/],
  ])('rejects %s with a clear CheckpointFormatError', async (_, bytes, message) => {
    await expect(readCheckpoint(bytes)).rejects.toThrow(CheckpointFormatError);
    await expect(readCheckpoint(bytes)).rejects.toThrow(message);
  });

  it('only ever throws CheckpointFormatError on corrupted checkpoints (property)', async () => {
    const sources = ['torch_zip.pt', 'torch_legacy.pt', 'dino_like.pth', 'vissl_like.torch', 'tensors.safetensors'].map(fixture);
    await fc.assert(
      fc.asyncProperty(fc.nat(sources.length - 1), mutationArb, async (i, m) =>
        onlyFormatErrors(async () => {
          const { root } = await readCheckpoint(mutate(sources[i], m));
          for (const t of flattenTensors(root).values()) toFloat32(t);
        }),
      ),
      { numRuns: 600 },
    );
  });

  it('only ever throws CheckpointFormatError when the data.pkl of a torch zip is corrupted (property)', async () => {
    const valid = fixture('torch_zip.pt');
    const pkl = listZipEntries(valid).find((e) => e.name.endsWith('data.pkl'))!;
    await fc.assert(
      fc.asyncProperty(fc.array(fc.tuple(fc.nat(pkl.size - 1), fc.nat(255)), { minLength: 1, maxLength: 4 }), async (edits) => {
        const bytes = new Uint8Array(valid);
        for (const [pos, v] of edits) bytes[pkl.offset + pos] = v;
        await onlyFormatErrors(async () => {
          for (const t of flattenTensors(await readTorchCheckpoint(bytes)).values()) toFloat32(t);
        });
      }),
      { numRuns: 500 },
    );
  });

  it('only ever throws CheckpointFormatError on random bytes (property)', async () => {
    const prefixes = [[], [0x50, 0x4b, 0x03, 0x04], [0x80, 0x02, 0x8a, 0x0a]];
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...prefixes), fc.uint8Array({ maxLength: 200 }), async (prefix, rest) =>
        onlyFormatErrors(() => readCheckpoint(Uint8Array.from([...prefix, ...rest]))),
      ),
      { numRuns: 500 },
    );
  });
});

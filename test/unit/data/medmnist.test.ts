import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadMedMnist, medMnistUrl, MEDMNIST_INFO } from '../../../src/data/medmnist.js';
import { parseMedMnist } from '../../../src/data/medmnist.js';
import type { NdArray } from '../../../src/data/npy.js';
import { CheckpointFormatError, InvalidArgumentError, ShapeError } from '../../../src/errors/index.js';
import { nodePlatform } from '../../../src/platform/node/node-platform.js';
import { registerPlatform } from '../../../src/host/platform.js';

// The shared folder sits next to the repository (see ../shared/data/README.md); it is not part
// of the package, so the tests that read it skip, saying so, where it is absent.
const dataDir = join(import.meta.dirname, '../../../../shared/data');
const retinaFile = join(dataDir, 'retinamnist.npz');
const pneumoniaFile = join(dataDir, 'pneumoniamnist.npz');
const haveData = existsSync(retinaFile) && existsSync(pneumoniaFile);
const title = (name: string) => (haveData ? name : `${name} (skipped: ${dataDir} lacks retinamnist.npz / pneumoniamnist.npz)`);

const counts = (labels: Int32Array) => Array.from(labels).reduce<Record<number, number>>((m, v) => ((m[v] = (m[v] ?? 0) + 1), m), {});

let tmp: string;
beforeAll(() => {
  registerPlatform(nodePlatform);
  tmp = mkdtempSync(join(tmpdir(), 'dvme-medmnist-'));
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('MedMNIST info and URLs', () => {
  it('knows the 12 2D datasets with their task, classes and licence', () => {
    expect(Object.keys(MEDMNIST_INFO)).toHaveLength(12);
    expect(MEDMNIST_INFO.retinamnist).toMatchObject({ task: 'multiclass', ordinal: true, channels: 3, license: 'CC BY 4.0' });
    expect(MEDMNIST_INFO.chestmnist.classes).toHaveLength(14);
    expect(MEDMNIST_INFO.dermamnist.license).toBe('CC BY-NC 4.0');
    expect(MEDMNIST_INFO.pneumoniamnist.citation).toMatch(/Yang J.*MedMNIST v2.*Kermany/);
    expect(Object.isFrozen(MEDMNIST_INFO.retinamnist.classes)).toBe(true);
  });

  it('builds the Zenodo URLs, with the size suffix above 28 px', () => {
    expect(medMnistUrl('retinamnist')).toBe('https://zenodo.org/records/10519652/files/retinamnist.npz');
    expect(medMnistUrl('pneumoniamnist', 224)).toBe('https://zenodo.org/records/10519652/files/pneumoniamnist_224.npz');
    expect(() => medMnistUrl('retinamnist', 32 as never)).toThrow(InvalidArgumentError);
    expect(() => medMnistUrl('organmnist3d' as never)).toThrow(/Unknown MedMNIST dataset "organmnist3d"/);
  });
});

describe('loadMedMnist with a wrong path', () => {
  it('names the path it tried, what is wrong and how to fix it (an InvalidArgumentError, not a raw ENOENT)', async () => {
    const fix = 'Pass the path of retinamnist.npz, or of the folder holding it; or leave path out to download it.';
    const missing = join(tmp, 'no-such-folder');
    const a = await loadMedMnist('retinamnist', { path: missing }).catch((e: unknown) => e);
    expect(InvalidArgumentError.is(a)).toBe(true);
    expect((a as Error).message).toBe(
      `loadMedMnist: ${JSON.stringify(join(missing, 'retinamnist.npz'))} cannot be read: there is no such file or folder (ENOENT). ${fix}`,
    );
    const b = await loadMedMnist('retinamnist', { path: join(tmp, 'missing.npz') }).catch((e: unknown) => e);
    expect((b as Error).message).toBe(`loadMedMnist: ${JSON.stringify(join(tmp, 'missing.npz'))} cannot be read: there is no such file or folder (ENOENT). ${fix}`);
    // A folder named like a file.
    mkdirSync(join(tmp, 'folder.npz'));
    const c = await loadMedMnist('retinamnist', { path: join(tmp, 'folder.npz') }).catch((e: unknown) => e);
    expect((c as Error).message).toBe(`loadMedMnist: ${JSON.stringify(join(tmp, 'folder.npz'))} cannot be read: it is a folder, not a file (EISDIR). ${fix}`);
    expect(InvalidArgumentError.is(c)).toBe(true);
  });

  it('reads a file whose name does not end in .npz as the file, not as a folder', async () => {
    writeFileSync(join(tmp, 'retina.data'), 'not a zip');
    await expect(loadMedMnist('retinamnist', { path: join(tmp, 'retina.data') })).rejects.toThrow(/retina\.data is not a \.npz|zip/i);
  });
});

describe.skipIf(!haveData)(title('loadMedMnist on the real files'), () => {
  it('reads RetinaMNIST from a file path: RGB images, grades 0-4 as Int32Array', async () => {
    const r = await loadMedMnist('retinamnist', { path: retinaFile });
    expect(r.size).toBe(28);
    expect(r.train.images.shape).toEqual([1080, 28, 28, 3]);
    expect(r.train.images.data).toBeInstanceOf(Uint8Array);
    expect(r.val.labels.length).toBe(120);
    expect(r.test.images.shape).toEqual([400, 28, 28, 3]);
    expect(r.train.labels).toBeInstanceOf(Int32Array);
    expect(counts(r.train.labels)).toEqual({ 0: 486, 1: 128, 2: 206, 3: 194, 4: 66 });
    expect(counts(r.test.labels)).toEqual({ 0: 174, 1: 46, 2: 92, 3: 68, 4: 20 });
    expect(r.info.title).toBe('RetinaMNIST');
  });

  it('reads PneumoniaMNIST from a folder: grayscale [n, 28, 28], binary labels', async () => {
    const p = await loadMedMnist('pneumoniamnist', { path: `${dataDir}/` });
    expect(p.train.images.shape).toEqual([4708, 28, 28]);
    expect(counts(p.train.labels)).toEqual({ 0: 1214, 1: 3494 });
    expect(counts(p.val.labels)).toEqual({ 0: 135, 1: 389 });
    expect(counts(p.test.labels)).toEqual({ 0: 234, 1: 390 });
    expect(p.info.task).toBe('binary');
  });

  it('says so when a file holds another dataset or another size', async () => {
    await expect(loadMedMnist('retinamnist', { path: pneumoniaFile })).rejects.toThrow(ShapeError);
    await expect(loadMedMnist('retinamnist', { path: pneumoniaFile })).rejects.toThrow(/must be \[n, h, w, 3\] \(RGB\).*another dataset/);
    await expect(loadMedMnist('retinamnist', { path: retinaFile, size: 64 })).rejects.toThrow(/28 x 28; expected 64 x 64/);
  });

  it('downloads from Zenodo through download(): checks the recorded sha256 and caches the file', async () => {
    const bytes = new Uint8Array(readFileSync(retinaFile));
    const urls: string[] = [];
    const fakeFetch = (async (url: string) => {
      urls.push(url);
      return new Response(bytes, { status: 200, headers: { 'content-length': String(bytes.length) } });
    }) as unknown as typeof fetch;
    const progress: number[] = [];
    const r = await loadMedMnist('retinamnist', { fetch: fakeFetch, cacheDir: tmp, onProgress: (loaded) => progress.push(loaded) });
    expect(urls).toEqual(['https://zenodo.org/records/10519652/files/retinamnist.npz']);
    expect(r.test.labels.length).toBe(400);
    expect(progress.at(-1)).toBe(bytes.length);
    // Offline now works from the cache, with no request made.
    const again = await loadMedMnist('retinamnist', { fetch: fakeFetch, cacheDir: tmp, offline: true });
    expect(again.train.labels.length).toBe(1080);
    expect(urls).toHaveLength(1);
  });

  it('rejects a download whose sha256 differs from the official retinamnist.npz', async () => {
    const wrong = new Uint8Array(readFileSync(pneumoniaFile));
    const fakeFetch = (async () => new Response(wrong, { status: 200 })) as unknown as typeof fetch;
    const dir = join(tmp, 'bad');
    await expect(loadMedMnist('retinamnist', { fetch: fakeFetch, cacheDir: dir })).rejects.toThrow(/sha256/);
    await expect(loadMedMnist('retinamnist', { cacheDir: dir, offline: true })).rejects.toThrow(/offline/);
  });
});

describe('parseMedMnist validation', () => {
  const u8 = (shape: number[]): NdArray => ({ data: new Uint8Array(shape.reduce((a, b) => a * b, 1)), shape, dtype: 'uint8' });
  const arrays = (over: Record<string, NdArray> = {}) =>
    new Map<string, NdArray>(
      Object.entries({
        train_images: u8([4, 28, 28]),
        train_labels: u8([4, 1]),
        val_images: u8([2, 28, 28]),
        val_labels: u8([2, 1]),
        test_images: u8([3, 28, 28]),
        test_labels: u8([3, 1]),
        ...over,
      }),
    );

  it('accepts a well-formed archive', () => {
    const p = parseMedMnist('pneumoniamnist', arrays(), 'x.npz');
    expect(p.test.images.shape).toEqual([3, 28, 28]);
    expect(p.train.labels).toEqual(new Int32Array(4));
  });

  it('names missing arrays and what the file holds', () => {
    const a = arrays();
    a.delete('val_labels');
    expect(() => parseMedMnist('pneumoniamnist', a, 'x.npz')).toThrow(CheckpointFormatError);
    expect(() => parseMedMnist('pneumoniamnist', a, 'x.npz')).toThrow(/lacks val_labels \(it holds train_images/);
  });

  it('checks dtypes, label counts, label ranges and square sizes', () => {
    const f32: NdArray = { shape: [4, 28, 28], data: new Float32Array(4 * 28 * 28), dtype: 'float32' };
    expect(() => parseMedMnist('pneumoniamnist', arrays({ train_images: f32 }), 'x.npz')).toThrow(/uint8 pixels; they are float32/);
    expect(() => parseMedMnist('pneumoniamnist', arrays({ train_labels: u8([5, 1]) }), 'x.npz')).toThrow(ShapeError);
    const bad = u8([4, 1]);
    (bad.data as Uint8Array)[2] = 7;
    expect(() => parseMedMnist('pneumoniamnist', arrays({ train_labels: bad }), 'x.npz')).toThrow(/train_labels\[2\] is 7; PneumoniaMNIST labels are integers 0..1/);
    expect(() => parseMedMnist('pneumoniamnist', arrays({ test_images: u8([3, 28, 27]) }), 'x.npz')).toThrow(/28 x 27/);
    expect(() => parseMedMnist('pneumoniamnist', arrays({ test_images: u8([3, 64, 64]) }), 'x.npz')).toThrow(/like the other splits/);
  });

  it('gives ChestMNIST its 14 findings per image as rows', () => {
    const c = parseMedMnist(
      'chestmnist',
      arrays({ train_labels: u8([4, 14]), val_labels: u8([2, 14]), test_labels: u8([3, 14]) }),
      'chest.npz',
    );
    expect(c.train.labels).toHaveLength(4);
    expect(c.train.labels[0]).toHaveLength(14);
    expect(() => parseMedMnist('chestmnist', arrays(), 'chest.npz')).toThrow(/row of 14 findings/);
  });
});

import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DatasetError, ImageDecodeError, InvalidArgumentError } from '../../../src/errors/index.js';
import { registerPlatform } from '../../../src/host/platform.js';
import { ImageDataset } from '../../../src/dataset/image-dataset.js';
import { parseCsv } from '../../../src/dataset/csv.js';
import { nodePlatform } from '../../../src/platform/node/node-platform.js';
import { pngWith } from '../platform/png-builder.js';

let root: string;
/** A 2 x 1 8-bit gray PNG whose two pixels are `v` and `255 - v`. */
const png = (v: number) => pngWith({ width: 2, height: 1, colour: 0, raw: Uint8Array.of(0, v, 255 - v) });
const medical = join(import.meta.dirname, '../../fixtures/medical');

beforeAll(() => {
  registerPlatform(nodePlatform);
  root = mkdtempSync(join(tmpdir(), 'dvme-dataset-'));
  // folder/<class>/: 3 normal, 2 pneumonia, a DICOM, and a README that is no image.
  for (const [cls, n] of [['normal', 3], ['pneumonia', 2]] as const) {
    mkdirSync(join(root, 'folder', cls), { recursive: true });
    for (let i = 0; i < n; i++) writeFileSync(join(root, 'folder', cls, `im${i}.png`), png(10 * i));
  }
  writeFileSync(join(root, 'folder', 'pneumonia', 'ct.dcm'), readFileSync(join(medical, 'ct-explicit-le.dcm')));
  writeFileSync(join(root, 'folder', 'README.txt'), 'not an image');
  // split/<split>/<class>/
  for (const s of ['train', 'test']) {
    mkdirSync(join(root, 'split', s, 'a'), { recursive: true });
    writeFileSync(join(root, 'split', s, 'a', 'x.png'), png(1));
  }
  writeFileSync(join(root, 'folder', 'multi.csv'), 'path,labels,split\nnormal/im0.png,effusion|mass,train\n"normal/im1.png",mass,val\nnormal/im2.png,,test\n');
  writeFileSync(join(root, 'folder', 'items.json'), JSON.stringify({ classes: ['normal', 'pneumonia'], items: [{ path: 'normal/im0.png', label: 'normal' }, { path: 'pneumonia/im1.png', label: 1 }] }));
  writeFileSync(join(root, 'folder', 'bad.csv'), 'path,label\nnormal/im0.png,normal\nnormal/missing.png,normal\npneumonia/im0.png,covid\n');
  writeFileSync(join(root, 'folder', 'broken.csv'), 'path,label\nREADME.txt,normal\nnormal/im0.png,normal\n');
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('ImageDataset', () => {
  it('fromFolder: classes from the folder names, sorted ids, images decoded lazily (PNG and DICOM)', async () => {
    const d = await ImageDataset.fromFolder(join(root, 'folder'));
    expect(d.classes).toEqual(['normal', 'pneumonia']);
    expect(d.task).toBe('binary');
    expect(d.items.map((i) => [i.id, i.label])).toEqual([
      ['normal/im0.png', 0], ['normal/im1.png', 0], ['normal/im2.png', 0],
      ['pneumonia/ct.dcm', 1], ['pneumonia/im0.png', 1], ['pneumonia/im1.png', 1],
    ]);
    expect(d.classCounts()).toEqual({ normal: 3, pneumonia: 3 });
    const { images, indices, skipped } = await d.load([1, 3]);
    expect(indices).toEqual([1, 3]);
    expect(skipped).toEqual([]);
    expect([...images[0]!.data]).toEqual([10, 245]);
    expect([images[1]!.width, images[1]!.height, images[1]!.channels]).toEqual([4, 3, 1]);
    expect(images[1]!.data).toBeInstanceOf(Float32Array);
    await expect(d.load([6])).rejects.toThrow(InvalidArgumentError);
  });

  it('fromFolder: split folders above the classes give each image its split', async () => {
    const d = await ImageDataset.fromFolder(join(root, 'split'));
    expect(d.items.map((i) => [i.id, i.split, i.label])).toEqual([['test/a/x.png', 'test', 0], ['train/a/x.png', 'train', 0]]);
    await expect(ImageDataset.fromFolder(join(root, 'folder', 'normal'))).rejects.toThrow(DatasetError);
  });

  it('fromManifest: CSV with multi-label and split columns, JSON with fixed classes', async () => {
    const m = await ImageDataset.fromManifest(join(root, 'folder', 'multi.csv'));
    expect(m.task).toBe('multilabel');
    expect(m.classes).toEqual(['effusion', 'mass']);
    expect(m.items.map((i) => [i.label, i.split])).toEqual([[[1, 1], 'train'], [[0, 1], 'val'], [[0, 0], 'test']]);
    expect(m.classCounts()).toEqual({ effusion: 1, mass: 2 });
    const j = await ImageDataset.fromManifest(join(root, 'folder', 'items.json'));
    expect(j.items.map((i) => i.label)).toEqual([0, 1]);
    expect([...(await j.load([1])).images[0]!.data]).toEqual([10, 245]);
  });

  it('unknown labels and missing files: a DatasetError naming the image, or skipped and listed', async () => {
    const bad = join(root, 'folder', 'bad.csv');
    await expect(ImageDataset.fromManifest(bad, { classes: ['normal', 'pneumonia'] })).rejects.toSatisfy(
      (e) => DatasetError.is(e) && e.item === 'pneumonia/im0.png' && /covid/.test(e.message),
    );
    const d = await ImageDataset.fromManifest(bad, { classes: ['normal', 'pneumonia'], onError: 'skip' });
    expect(d.skipped.map((s) => s.id)).toEqual(['pneumonia/im0.png']);
    const loaded = await d.load([0, 1]);
    expect(loaded.indices).toEqual([0]);
    expect(loaded.skipped[0]!.id).toBe('normal/missing.png');
    expect(loaded.skipped[0]!.reason).toMatch(/no such file/);
    const failing = await ImageDataset.fromManifest(bad, { classes: ['normal', 'pneumonia', 'covid'] });
    await expect(failing.load([1])).rejects.toSatisfy((e) => DatasetError.is(e) && e.item === 'normal/missing.png');
  });

  it('unreadable images: ImageDecodeError, or skipped and listed', async () => {
    const broken = join(root, 'folder', 'broken.csv');
    await expect((await ImageDataset.fromManifest(broken)).load([0])).rejects.toSatisfy((e) => ImageDecodeError.is(e));
    const loaded = await (await ImageDataset.fromManifest(broken, { onError: 'skip' })).load([0, 1]);
    expect(loaded.indices).toEqual([1]);
    expect(loaded.skipped).toHaveLength(1);
  });

  it('withSplits: seeded, stratified, reproducible; keeps given splits', async () => {
    const d = await ImageDataset.fromFolder(join(root, 'folder'));
    const a = d.withSplits({ test: 1 / 3, seed: 7 });
    const b = d.withSplits({ test: 1 / 3, seed: 7 });
    expect(a.items).toEqual(b.items);
    // round(3 / 3) = 1 test image per class of 3.
    expect(a.classCounts('test')).toEqual({ normal: 1, pneumonia: 1 });
    expect(a.classCounts('train')).toEqual({ normal: 2, pneumonia: 2 });
    const seeds = new Set(Array.from({ length: 8 }, (_, s) => JSON.stringify(d.withSplits({ test: 1 / 3, seed: s }).items.map((i) => i.split))));
    expect(seeds.size).toBeGreaterThan(1);
    const m = await ImageDataset.fromManifest(join(root, 'folder', 'multi.csv'));
    expect(m.withSplits({ val: 0.5 }).items.map((i) => i.split)).toEqual(['train', 'val', 'test']);
    expect(() => d.withSplits({ val: 0.5, test: 0.5 })).toThrow(InvalidArgumentError);
    expect(a.listingSha256()).not.toBe(d.listingSha256());
    expect(d.listingSha256()).toBe((await ImageDataset.fromFolder(join(root, 'folder'))).listingSha256());
  });
});

describe('parseCsv', () => {
  it('reads RFC 4180 quoting, CRLF and a BOM', () => {
    expect(parseCsv('\ufeffa,b\r\n"x, y","say ""hi"""\n\n1,\n', 't')).toEqual([['a', 'b'], ['x, y', 'say "hi"'], ['1', '']]);
    expect(() => parseCsv('a\n"open', 't')).toThrow(DatasetError);
  });
});

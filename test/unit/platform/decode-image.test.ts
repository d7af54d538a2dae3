import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { AbortError, ImageDecodeError, InvalidArgumentError } from '../../../src/errors/index.js';
import { decodeImage, readImages } from '../../../src/platform/node/decode-image.js';
import { IMAGES_DIR, imageFile, jpegNames, PILLOW_VERSION, pngNames, references, samples } from './image-fixtures.js';
import { pngWith } from './png-builder.js';

const dir = fileURLToPath(IMAGES_DIR);

/** Decodes and expects an ImageDecodeError whose message matches `pattern`. */
async function decodeError(bytes: Uint8Array, pattern: RegExp, name?: string): Promise<ImageDecodeError> {
  const e = await decodeImage(bytes, name === undefined ? {} : { name }).then(
    () => expect.fail('decoded'),
    (err: unknown) => err,
  );
  expect(ImageDecodeError.is(e), String(e)).toBe(true);
  expect((e as Error).message).toMatch(pattern);
  return e as ImageDecodeError;
}

describe(`decodeImage: PNG equals Pillow ${PILLOW_VERSION} exactly`, () => {
  it.each(pngNames)('%s', async (name) => {
    const ref = references[name]!;
    const image = await decodeImage(`${dir}${name}`);
    expect(image).toMatchObject({ width: ref.width, height: ref.height, channels: ref.channels, format: 'png', bitDepth: ref.bitDepth });
    expect(image.data).toBeInstanceOf(Uint8Array);
    const pil = samples(ref.pil);
    if (ref.bitDepth !== 16) {
      expect(Array.from(image.data)).toEqual(Array.from(pil));
      return;
    }
    // 16-bit: full precision as float32; uint8 keeps each sample's high byte.
    const full = await decodeImage(imageFile(name), { pixelType: 'float32' });
    expect(full.data).toBeInstanceOf(Float32Array);
    const values = Array.from(full.data, (v) => Math.round(v * 65535));
    // Pillow keeps 16-bit gray (mode 'I') but reads 16-bit RGB(A) as their high bytes, so those
    // are checked against the samples the script encoded.
    const pil16 = ref.pilMode === 'I';
    const encoded = pil16 ? pil : samples(ref.source!);
    if (ref.source) expect(Array.from(samples(ref.source))).toEqual(Array.from(encoded));
    expect(values).toEqual(Array.from(encoded));
    // uint8 16-bit RGB(A) is exactly Pillow's 8-bit reading; for gray, whose 8-bit conversion
    // in Pillow ('I' to 'L') clips at 255, the high bytes of Pillow's 16-bit samples.
    expect(Array.from(image.data)).toEqual(pil16 ? Array.from(pil, (v) => v >> 8) : Array.from(pil));
  });

  it("pixelType 'float32' of an 8-bit file is its bytes / 255", async () => {
    const bytes = await decodeImage(imageFile('palette4-trns.png'));
    const floats = await decodeImage(imageFile('palette4-trns.png'), { pixelType: 'float32' });
    expect(Array.from(floats.data)).toEqual(Array.from(bytes.data, (v) => Math.fround(v / 255)));
  });

  it('takes a Uint8Array, an ArrayBuffer or a path alike', async () => {
    const bytes = imageFile('rgb8.png');
    const fromPath = await decodeImage(`${dir}rgb8.png`);
    const fromBuffer = await decodeImage(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer);
    expect(fromBuffer).toEqual(fromPath);
    expect(await decodeImage(bytes)).toEqual(fromPath);
  });
});

// Measured on these fixtures (jpeg-js's IDCT against libjpeg-turbo's ISLOW, with libjpeg's fancy
// upsampling and fixed-point colour conversion done by dvme): RGB max 3 levels, mean <= 0.158;
// grayscale, stored RGB and Adobe CMYK max 1, mean <= 0.089. The bounds sit a little above.
const JPEG_TOLERANCE = { rgb: { max: 4, mean: 0.2 }, gray: { max: 2, mean: 0.1 } };

describe(`decodeImage: JPEG within ${JSON.stringify(JPEG_TOLERANCE)} of Pillow ${PILLOW_VERSION} (libjpeg-turbo)`, () => {
  it.each(jpegNames)('%s', async (name) => {
    const ref = references[name]!;
    const image = await decodeImage(imageFile(name));
    expect(image).toMatchObject({ width: ref.width, height: ref.height, channels: ref.channels, format: 'jpeg', bitDepth: 8 });
    const pil = samples(ref.pil);
    expect(image.data.length).toBe(pil.length);
    let max = 0;
    let sum = 0;
    pil.forEach((v, i) => {
      const d = Math.abs((image.data[i] as number) - v);
      max = Math.max(max, d);
      sum += d;
    });
    const bound = ref.channels === 1 ? JPEG_TOLERANCE.gray : JPEG_TOLERANCE.rgb;
    expect(max).toBeLessThanOrEqual(bound.max);
    expect(sum / pil.length).toBeLessThanOrEqual(bound.mean);
  });

  it('reads the colour space as libjpeg does: JFIF, then the Adobe transform, then component ids', async () => {
    // The same stored YCbCr samples, read as YCbCr or as RGB: the two differ by up to ~150 levels,
    // so each fixture above (Pillow's decoding of it) pins the reading.
    const names = ['adobe1-420.jpg', 'adobe0-jfif.jpg', 'adobe0-rgb-420.jpg', 'ids-rgb-422.jpg', 'cmyk.jpg'];
    for (const name of names) expect(jpegNames).toContain(name);
    const asYcc = await decodeImage(imageFile('adobe1-420.jpg'));
    const asRgb = await decodeImage(imageFile('adobe0-rgb-420.jpg'));
    const far = Array.from(asYcc.data).some((v, i) => Math.abs(v - (asRgb.data[i] as number)) > 100);
    expect(far).toBe(true);
    expect((await decodeImage(imageFile('cmyk.jpg'))).channels).toBe(3);
  });

  it('refuses 4 components without an Adobe marker (plain CMYK, which jpeg-js does not read)', async () => {
    const cmyk = imageFile('cmyk.jpg');
    expect([cmyk[2], cmyk[3], String.fromCharCode(...cmyk.subarray(6, 11))]).toEqual([0xff, 0xee, 'Adobe']);
    const length = ((cmyk[4] as number) << 8) | (cmyk[5] as number);
    const plain = new Uint8Array([...cmyk.subarray(0, 2), ...cmyk.subarray(4 + length)]);
    await decodeError(plain, /4 colour components without an Adobe marker \(plain CMYK\)/);
  });

  it('grayscale JPEGs come out as one channel; float32 is bytes / 255', async () => {
    const gray = await decodeImage(imageFile('gray.jpg'));
    const floats = await decodeImage(imageFile('gray.jpg'), { pixelType: 'float32' });
    expect(gray.channels).toBe(1);
    expect(Array.from(floats.data)).toEqual(Array.from(gray.data, (v) => Math.fround(v / 255)));
  });
});

describe('decodeImage: errors name the file and the problem', () => {
  const png = imageFile('rgb8.png');
  const jpg = imageFile('rgb-420.jpg');

  it('names the path, or the given name, on the error and in the message', async () => {
    const tmp = mkdtempSync(join(tmpdir(), 'dvme-decode-'));
    const path = join(tmp, 'cut.png');
    writeFileSync(path, png.subarray(0, 100));
    const e = (await decodeImage(path).catch((err: unknown) => err)) as ImageDecodeError;
    expect(e.file).toBe(path);
    expect(e.message).toContain(JSON.stringify(path));
    expect(e.message).toMatch(/truncated/);
    rmSync(tmp, { recursive: true });
    const named = await decodeError(png.subarray(0, 100), /"upload\.png"/, 'upload.png');
    expect(named.file).toBe('upload.png');
    const anonymous = await decodeError(png.subarray(0, 100), /Cannot decode the image bytes: /);
    expect(anonymous.file).toBeUndefined();
  });

  it('says what other formats are, and that empty files are empty', async () => {
    const dicom = new Uint8Array(200);
    dicom.set([68, 73, 67, 77], 128);
    await decodeError(dicom, /DICOM file; .*decodeDicom/);
    await decodeError(new TextEncoder().encode('GIF89a....'), /GIF file; dvme decodes PNG and JPEG/);
    await decodeError(new TextEncoder().encode('II*\0.......'), /TIFF/);
    await decodeError(new TextEncoder().encode('RIFF\0\0\0\0WEBPVP8 '), /WebP/);
    await decodeError(new Uint8Array(0), /the file is empty/);
    await decodeError(new TextEncoder().encode('<!DOCTYPE html>'), /starts with bytes 3c 21 44 4f .*neither a PNG nor a JPEG/);
  });

  it('PNG: truncation, bad CRCs, corrupt zlib data, bad filters, bad headers', async () => {
    await decodeError(png.subarray(0, 40), /truncated/);
    await decodeError(png.subarray(0, png.length - 20), /truncated/);
    const flipped = png.slice();
    flipped[60] = (flipped[60] as number) ^ 0xff;
    await decodeError(flipped, /CRC check: the file is corrupt/);
    await decodeError(pngWith({ idat: Uint8Array.of(1, 2, 3, 4) }), /compressed image data is corrupt or truncated \(zlib: /);
    await decodeError(pngWith({ raw: Uint8Array.of(7, 1, 2, 3) }), /filter type 7; PNG defines 0 to 4/);
    await decodeError(pngWith({ raw: Uint8Array.of(0) }), /holds 1 of the 4 bytes/);
    await decodeError(pngWith({ raw: new Uint8Array(4), extra: 100 }), /inflates to more than the 4 bytes/);
    await decodeError(pngWith({ depth: 16, colour: 3 }), /16-bit palette samples; PNG allows 1, 2, 4, 8 bits/);
    await decodeError(pngWith({ colour: 5 }), /colour type 5/);
    await decodeError(pngWith({ width: 0 }), /declares a 0 x 1 image/);
    await decodeError(pngWith({ interlace: 2 }), /interlace method 2/);
    await decodeError(pngWith({ colour: 3 }), /palette image without a PLTE chunk/);
    await decodeError(pngWith({ chunks: [['CgBI', new Uint8Array(4)]] }), /Apple-optimised PNG/);
    await decodeError(pngWith({ chunks: [['ABCD', new Uint8Array(0)]] }), /critical chunk ABCD/);
    await decodeError(pngWith({ first: 'IDAT' }), /first chunk is IDAT, not IHDR/);
  });

  it('refuses images over maxPixels before allocating them (a decompression bomb)', async () => {
    // 30000 x 30000 RGBA in a few kilobytes of zeros.
    await decodeError(pngWith({ width: 30000, height: 30000, colour: 6, raw: new Uint8Array(0) }), /30000 x 30000 = 900000000 pixels, more than maxPixels \(100000000\)/);
    await expect(decodeImage(png, { maxPixels: 28 * 28 - 1 })).rejects.toThrow(/more than maxPixels \(783\)/);
    await expect(decodeImage(jpg, { maxPixels: 100 })).rejects.toThrow(/53 x 45 = 2385 pixels, more than maxPixels/);
    expect((await decodeImage(png, { maxPixels: 28 * 28 })).width).toBe(28);
  });

  it('ignores ancillary chunks it does not know, and decodes raw data split over IDAT chunks', async () => {
    const raw = Uint8Array.of(0, 10, 20, 30);
    const image = await decodeImage(pngWith({ raw, chunks: [['tEXt', new TextEncoder().encode('a\0b')]], split: true }));
    expect(Array.from(image.data)).toEqual([10, 20, 30]);
  });

  it('JPEG: truncation, unsupported kinds', async () => {
    await decodeError(jpg.subarray(0, jpg.length - 2), /no end-of-image marker.*truncated/);
    await decodeError(jpg.subarray(0, 300), /truncated/);
    await decodeError(jpg.subarray(0, 3), /truncated/);
    const at = Array.from(jpg).findIndex((b, i) => b === 0xff && jpg[i + 1] === 0xc0); // baseline frame header
    expect(at).toBeGreaterThan(0);
    const twelve = jpg.slice();
    twelve[at + 4] = 12;
    await decodeError(twelve, /12-bit JPEG; dvme decodes 8-bit JPEGs only/);
    const lossless = jpg.slice();
    lossless[at + 1] = 0xc3;
    await decodeError(lossless, /lossless JPEG, which dvme does not decode/);
    const arithmetic = jpg.slice();
    arithmetic[at + 1] = 0xc9;
    await decodeError(arithmetic, /arithmetic-coded JPEG/);
    const twoComponents = jpg.slice();
    twoComponents[at + 9] = 2;
    await decodeError(twoComponents, /2 colour components/);
  });

  it('bad arguments are InvalidArgumentErrors; missing files are Node errors', async () => {
    await expect(decodeImage(42 as never)).rejects.toThrow(InvalidArgumentError);
    await expect(decodeImage(png, { pixelType: 'uint16' as never })).rejects.toThrow(/pixelType must be one of 'uint8', 'float32'/);
    await expect(decodeImage(png, { maxPixels: 0 })).rejects.toThrow(/maxPixels must be a positive integer/);
    await expect(decodeImage(`${dir}missing.png`)).rejects.toThrow(/ENOENT/);
  });
});

describe('readImages', () => {
  const tmp = mkdtempSync(join(tmpdir(), 'dvme-read-'));
  afterAll(() => rmSync(tmp, { recursive: true }));
  const paths = ['rgb8.png', 'gray.jpg', 'gray16.png'].map((n) => `${dir}${n}`);

  it('decodes files in order, reporting progress', async () => {
    const progress: [number, number][] = [];
    const images = await readImages(paths, { onProgress: (done, total) => progress.push([done, total]) });
    expect(images.map((i) => [i.format, i.width, i.height, i.channels])).toEqual([
      ['png', 28, 28, 3],
      ['jpeg', 53, 45, 1],
      ['png', 23, 17, 1],
    ]);
    expect(progress).toEqual([[1, 3], [2, 3], [3, 3]]);
    for (const [i, p] of paths.entries()) expect(images[i]).toEqual(await decodeImage(p));
    const floats = await readImages(paths, { pixelType: 'float32' });
    expect(floats.every((i) => i.data instanceof Float32Array)).toBe(true);
  });

  it('names the first file that fails', async () => {
    const bad = join(tmp, 'notes.txt');
    writeFileSync(bad, 'not an image');
    const e = (await readImages([paths[0]!, bad, paths[1]!]).catch((err: unknown) => err)) as ImageDecodeError;
    expect(ImageDecodeError.is(e)).toBe(true);
    expect(e.file).toBe(bad);
  });

  it('stops between files when the signal fires, and checks its arguments first', async () => {
    const controller = new AbortController();
    const run = readImages(paths, { onProgress: (done) => done === 1 && controller.abort(new Error('enough')), signal: controller.signal });
    const e = (await run.catch((err: unknown) => err)) as AbortError;
    expect(AbortError.is(e)).toBe(true);
    expect(e.message).toMatch(/aborted after 1 of 3 files/);
    await expect(readImages('a.png' as never)).rejects.toThrow(/paths must be an array of file paths/);
    await expect(readImages([], { maxPixels: -1 })).rejects.toThrow(InvalidArgumentError);
    expect(await readImages([])).toEqual([]);
  });
});

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { BackendUnavailableError, ImageDecodeError, InvalidArgumentError } from '../../../src/errors/index.js';
import { registerPlatform } from '../../../src/host/platform.js';
import { decodeDicom } from '../../../src/medical-image/dicom.js';
import { applyWindow } from '../../../src/medical-image/window.js';
import { decodeMedicalImage } from '../../../src/dataset/decode-dataset-image.js';
import { nodePlatform } from '../../../src/platform/node/node-platform.js';

// Fixtures and expected values: scripts/fixtures/medical_images.py (numpy and PIL, no dvme).
const dir = join(import.meta.dirname, '../../fixtures/medical');
const file = (name: string) => new Uint8Array(readFileSync(join(dir, name)));
const expected = JSON.parse(readFileSync(join(dir, 'expected.json'), 'utf8')) as Record<string, { values: number[]; image: number[]; width: number; height: number; [k: string]: unknown }>;

function close(actual: ArrayLike<number>, want: readonly number[], tol: number) {
  expect(actual.length).toBe(want.length);
  const worst = Math.max(...want.map((v, i) => Math.abs((actual[i] as number) - v)));
  expect(worst).toBeLessThanOrEqual(tol);
}

beforeAll(() => registerPlatform(nodePlatform));

describe('applyWindow', () => {
  it('is the DICOM linear VOI function (hand-computed points)', () => {
    // c = 40, w = 400: 0 at or below -160, 1 above 239, and (v - 39.5) / 399 + 0.5 between.
    const y = applyWindow([-1000, -160, -159, 40, 239, 240], { center: 40, width: 400 });
    close(y, [0, 0, 1 / 399 * (-159 - 39.5) + 0.5, 0.5 / 399 + 0.5, (239 - 39.5) / 399 + 0.5, 1], 1e-7);
    close(applyWindow([2, 4, 6], 'minmax'), [0, 0.5, 1], 0);
    close(applyWindow([2, 4, 6], 'minmax', { invert: true }), [1, 0.5, 0], 0);
    close(applyWindow([0, 65535], 'full'), [0, 1], 0);
    expect(() => applyWindow([1], { center: 1, width: 0 })).toThrow(InvalidArgumentError);
  });
});

describe('decodeDicom', () => {
  it.each(['ct-explicit-le.dcm', 'xray-mono1-implicit.dcm', 'mr-big-endian.dcm', 'deflated.dcm'])(
    '%s: modality values and the windowed image equal numpy\'s',
    async (name) => {
      const want = expected[name]!;
      const d = await decodeDicom(file(name), { name });
      expect([d.image.width, d.image.height, d.image.channels]).toEqual([want.width, want.height, 1]);
      close(d.values, want.values, 0);
      close(d.image.data, want.image, 1e-6);
    },
  );

  it('applies rescale intercept and the file window (CT in HU), or a window given instead', async () => {
    const d = await decodeDicom(file('ct-explicit-le.dcm'));
    expect(d.window).toEqual({ center: 40, width: 400 });
    expect(d.values[0]).toBe(-2048 - 1024); // stored -2048 (12-bit signed) - 1024
    expect(d.photometricInterpretation).toBe('MONOCHROME2');
    const lung = await decodeDicom(file('ct-explicit-le.dcm'), { window: { center: -600, width: 1500 } });
    close(lung.image.data, expected['ct-explicit-le.dcm']!.lung as number[], 1e-6);
  });

  it('inverts MONOCHROME1 so that bright is dense', async () => {
    const d = await decodeDicom(file('xray-mono1-implicit.dcm'));
    expect(d.window).toBe('minmax');
    expect(d.image.data[0]).toBe(1); // the lowest value is the brightest after inversion
    expect(d.image.data[5]).toBe(0);
  });

  it('decodes JPEG baseline frames through the platform decoder (within 1/255 of libjpeg)', async () => {
    const want = expected['jpeg-baseline.dcm']!;
    const d = await decodeDicom(file('jpeg-baseline.dcm'));
    close(d.values, want.values, 1);
    close(d.image.data, want.image, 1 / 255 + 1e-6);
  });

  it('refuses transfer syntaxes it does not decode, and non-DICOM bytes, with ImageDecodeError', async () => {
    await expect(decodeDicom(file('jpeg-ls.dcm'), { name: 'jpeg-ls.dcm' })).rejects.toThrow(/1\.2\.840\.10008\.1\.2\.4\.80.*gdcmconv --raw/);
    await expect(decodeDicom(file('gray16.png'))).rejects.toSatisfy((e) => ImageDecodeError.is(e));
    const truncated = file('ct-explicit-le.dcm').subarray(0, 300);
    await expect(decodeDicom(truncated)).rejects.toSatisfy((e) => ImageDecodeError.is(e));
  });
});

describe('decodeMedicalImage', () => {
  const want = expected['gray16.png'] as unknown as Record<string, number[]> & { width: number; height: number };

  it('keeps 16-bit PNG samples at full depth and windows them (min-max by default)', async () => {
    const png = file('gray16.png');
    const a = await decodeMedicalImage(png, 'gray16.png');
    expect([a.width, a.height, a.channels]).toEqual([want.width, want.height, 1]);
    close(a.data, want.minmax!, 1e-7);
    close((await decodeMedicalImage(png, 'gray16.png', { center: 2048, width: 4096 })).data, want.window_2048_4096!, 1e-7);
    close((await decodeMedicalImage(png, 'gray16.png', 'full')).data, want.full!, 1e-7);
    // Samples 0 and 1 (and 255 and 256) stay apart: no cut to 8 bits.
    expect(a.data[1]).toBeGreaterThan(a.data[0] as number);
    expect(a.data[3]).toBeGreaterThan(a.data[2] as number);
  });

  it('routes DICOM bytes to decodeDicom, and needs a platform decoder for PNG', async () => {
    const d = await decodeMedicalImage(file('ct-explicit-le.dcm'), 'ct.dcm');
    close(d.data, expected['ct-explicit-le.dcm']!.image, 1e-6);
    registerPlatform({ name: 'bare' });
    try {
      await expect(decodeMedicalImage(file('gray16.png'), 'x.png')).rejects.toSatisfy((e) => BackendUnavailableError.is(e));
    } finally {
      registerPlatform(nodePlatform);
    }
  });
});

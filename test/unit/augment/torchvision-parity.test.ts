import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { AugmentImage } from '../../../src/augment/augmentation.js';
import { adjustBrightness, adjustContrast, adjustHue, adjustSaturation } from '../../../src/augment/color-ops.js';
import { centerCropBox, cropImage, sampleResizedCropBox } from '../../../src/augment/crop.js';
import { hflip, rot90, vflip } from '../../../src/augment/flip.js';
import { rotateImage } from '../../../src/augment/rotate.js';
import { colorJitter, resize, seededRandom } from '../../../src/index.js';
import { resampleImage } from '../../../src/augment/resample.js';

interface PixelCase {
  op: string;
  image: string;
  params: Record<string, unknown>;
  shape: [number, number, number];
  expected: number[];
}
interface Fixture {
  images: Record<string, { shape: [number, number, number]; data: number[] }>;
  pixels: PixelCase[];
  sampling: {
    resizedCrop: { height: number; width: number; scale: [number, number]; ratio: [number, number]; uniforms: number[]; used: number; box: number[] }[];
    colorJitter: { options: Record<string, number | [number, number]>; uniforms: number[]; used: number; expected: number[] }[];
  };
}

const fixture = JSON.parse(
  readFileSync(join(import.meta.dirname, '../../fixtures/augment/torchvision.json'), 'utf8'),
) as Fixture;

const image = (name: string): AugmentImage => {
  const { shape, data } = fixture.images[name];
  return { data: Float32Array.from(data), height: shape[0], width: shape[1], channels: shape[2] };
};

/** A random stream that replays the fixture's uniforms and counts how many were drawn. */
function replay(uniforms: number[]): { random: () => number; used: () => number } {
  let i = 0;
  return { random: () => uniforms[i++], used: () => i };
}

/** Tolerances, in units of the [0, 1] value range: exact ops copy float32 values. */
const TOLERANCE: Record<string, number> = { resize: 1e-5, resizedCrop: 1e-5, rotate: 1e-5, brightness: 1e-6, contrast: 1e-6, saturation: 1e-6, hue: 1e-5 };

function run(c: PixelCase): AugmentImage {
  const img = image(c.image);
  const p = c.params as Record<string, never>;
  switch (c.op) {
    case 'hflip':
      return hflip(img);
    case 'vflip':
      return vflip(img);
    case 'rot90':
      return rot90(img, p.k);
    case 'centerCrop': {
      const [h, w] = p.size as [number, number];
      return cropImage(img, centerCropBox(img.height, img.width, h, w));
    }
    case 'crop': {
      const [top, left, height, width] = p.box as number[];
      return cropImage(img, { top, left, height, width });
    }
    case 'resize':
      return resize(p.size, { interpolation: p.interpolation, antialias: p.antialias, maxSize: p.maxSize })(img, () => 0);
    case 'resizedCrop': {
      const [top, left, height, width] = p.box as number[];
      const [oh, ow] = p.size as number[];
      return resampleImage(cropImage(img, { top, left, height, width }), oh, ow, p.interpolation, p.antialias);
    }
    case 'rotate':
      return rotateImage(img, p.angle, p.interpolation, p.fill);
    case 'brightness':
      return adjustBrightness(img, p.factor, 1);
    case 'contrast':
      return adjustContrast(img, p.factor, 1);
    case 'saturation':
      return adjustSaturation(img, p.factor, 1);
    case 'hue':
      return adjustHue(img, p.factor, 1);
    default:
      throw new Error(`unknown op ${c.op}`);
  }
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

describe('augmentations against torchvision.transforms.functional (scripts/fixtures/augment_reference.py)', () => {
  it('the fixture covers every pixel op', () => {
    const ops = new Set(fixture.pixels.map((c) => c.op));
    for (const op of ['hflip', 'vflip', 'rot90', 'centerCrop', 'crop', 'resize', 'resizedCrop', 'rotate', 'brightness', 'contrast', 'saturation', 'hue']) {
      expect(ops.has(op), op).toBe(true);
    }
  });

  for (const c of fixture.pixels) {
    const tol = TOLERANCE[c.op];
    it(`${c.op} ${c.image} ${JSON.stringify(c.params)} ${tol === undefined ? 'exactly' : `within ${tol}`}`, () => {
      const out = run(c);
      expect([out.height, out.width, out.channels]).toEqual(c.shape);
      const expected = Float32Array.from(c.expected);
      if (tol === undefined) expect(out.data).toEqual(expected);
      else expect(maxAbsDiff(out.data, expected)).toBeLessThanOrEqual(tol);
    });
  }
});

describe("sampling follows torchvision's code on the same uniforms", () => {
  it('RandomResizedCrop.get_params: same box and same number of draws, fallbacks included', () => {
    const fallbacks = fixture.sampling.resizedCrop.filter((c) => c.used === 20).length;
    expect(fallbacks).toBeGreaterThanOrEqual(3);
    for (const c of fixture.sampling.resizedCrop) {
      const stream = replay(c.uniforms);
      const box = sampleResizedCropBox(c.height, c.width, c.scale, c.ratio, stream.random);
      expect([box.top, box.left, box.height, box.width], JSON.stringify(c)).toEqual(c.box);
      expect(stream.used()).toBe(c.used);
    }
  });

  it('ColorJitter.forward: same order, factors and pixels within 1e-5', () => {
    for (const c of fixture.sampling.colorJitter) {
      const stream = replay(c.uniforms);
      const out = colorJitter(c.options)(image('rgb'), stream.random);
      expect(stream.used()).toBe(c.used);
      expect(maxAbsDiff(out.data, c.expected)).toBeLessThanOrEqual(1e-5);
    }
  });

  it('seededRandom replays: the same seed gives the same stream', () => {
    const a = seededRandom(9);
    const b = seededRandom(9);
    const xs = Array.from({ length: 5 }, () => a());
    expect(Array.from({ length: 5 }, () => b())).toEqual(xs);
    expect(new Set(xs).size).toBe(5);
  });
});

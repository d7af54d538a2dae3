import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { AugmentImage } from '../../../src/augment/augmentation.js';
import { sampleResizedCropBox } from '../../../src/augment/crop.js';
import { rotateImage } from '../../../src/augment/rotate.js';
import {
  centerCrop,
  colorJitter,
  compose,
  randomHorizontalFlip,
  randomResizedCrop,
  randomRotate90,
  randomRotation,
  randomVerticalFlip,
  resize,
  seededRandom,
} from '../../../src/index.js';

const imageArb = (channels?: number): fc.Arbitrary<AugmentImage> =>
  fc
    .record({ h: fc.integer({ min: 1, max: 12 }), w: fc.integer({ min: 1, max: 12 }), c: channels === undefined ? fc.constantFrom(1, 3) : fc.constant(channels) })
    .chain(({ h, w, c }) =>
      fc.float32Array({ minLength: h * w * c, maxLength: h * w * c, min: 0, max: 1, noNaN: true, noDefaultInfinity: true }).map((data) => ({ data, height: h, width: w, channels: c })),
    );

const always = (): number => 0; // below any p > 0: the flip happens

describe('augmentation properties', () => {
  it('every transform is deterministic for a seed and leaves its input untouched', () => {
    const augment = compose(
      randomResizedCrop(7, { scale: [0.3, 1] }),
      randomHorizontalFlip(),
      randomVerticalFlip(),
      randomRotate90(),
      randomRotation(20, { interpolation: 'bilinear' }),
      colorJitter({ brightness: 0.3, contrast: 0.3, saturation: 0.3, hue: 0.1 }),
    );
    fc.assert(
      fc.property(imageArb(3), fc.integer(), (img, seed) => {
        const copy = Float32Array.from(img.data);
        const a = augment(img, seededRandom(seed));
        const b = augment(img, seededRandom(seed));
        expect(a.data).toEqual(b.data);
        expect(img.data).toEqual(copy);
        expect([a.height, a.width, a.channels]).toEqual([7, 7, 3]);
      }),
      { numRuns: 40 },
    );
  });

  it('flips are involutions; four quarter turns are the identity', () => {
    fc.assert(
      fc.property(imageArb(), (img) => {
        const h = randomHorizontalFlip(1);
        const v = randomVerticalFlip(1);
        expect(h(h(img, always), always)).toEqual(img);
        expect(v(v(img, always), always)).toEqual(img);
        const turn = randomRotate90({ ks: [1] });
        let out = img;
        for (let i = 0; i < 4; i++) out = turn(out, always);
        expect(out).toEqual(img);
        const once = turn(img, always);
        expect([once.height, once.width]).toEqual([img.width, img.height]);
      }),
      { numRuns: 50 },
    );
  });

  it('a quarter turn moves the top-right pixel to the top-left (counter-clockwise, as torch.rot90)', () => {
    const img = { data: Float32Array.from([1, 2, 3, 4, 5, 6]), height: 2, width: 3, channels: 1 };
    expect(Array.from(randomRotate90({ ks: [1] })(img, always).data)).toEqual([3, 6, 2, 5, 1, 4]);
  });

  it('p = 0 never flips, p = 1 always does', () => {
    fc.assert(
      fc.property(imageArb(), fc.integer(), (img, seed) => {
        expect(randomHorizontalFlip(0)(img, seededRandom(seed))).toBe(img);
        expect(randomVerticalFlip(1)(img, seededRandom(seed)).data).not.toBe(img.data);
      }),
      { numRuns: 20 },
    );
  });

  it('resized-crop boxes lie inside the image and respect scale and ratio when not falling back', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 300 }),
        fc.integer({ min: 1, max: 300 }),
        fc.double({ min: 0.01, max: 1, noNaN: true }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        fc.integer(),
        (h, w, lo, spread, seed) => {
          const scale: [number, number] = [lo * 0.9, Math.min(1, lo + spread)];
          const ratio: [number, number] = [3 / 4, 4 / 3];
          const box = sampleResizedCropBox(h, w, scale, ratio, seededRandom(seed));
          expect(box.top).toBeGreaterThanOrEqual(0);
          expect(box.left).toBeGreaterThanOrEqual(0);
          expect(box.height).toBeGreaterThanOrEqual(1);
          expect(box.width).toBeGreaterThanOrEqual(1);
          expect(box.top + box.height).toBeLessThanOrEqual(h);
          expect(box.left + box.width).toBeLessThanOrEqual(w);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('sampled crop areas stay in their range and spread over it; angles map u to [min, max]', () => {
    const random = seededRandom(2024);
    const areas: number[] = [];
    for (let i = 0; i < 2000; i++) {
      const b = sampleResizedCropBox(200, 200, [0.2, 0.6], [1, 1], random);
      areas.push((b.height * b.width) / 40000);
    }
    // Square boxes of rounded side: area fraction within rounding of [0.2, 0.6].
    expect(Math.min(...areas)).toBeGreaterThanOrEqual(0.19);
    expect(Math.max(...areas)).toBeLessThanOrEqual(0.61);
    const mean = areas.reduce((s, a) => s + a, 0) / areas.length;
    expect(mean).toBeGreaterThan(0.38);
    expect(mean).toBeLessThan(0.42);
    // The angle is low + (high - low) * u for the stream's next u, as torch's uniform_(low, high).
    const img: AugmentImage = { data: Float32Array.from({ length: 5 * 6 }, (_, i) => (i * 7) % 11), height: 5, width: 6, channels: 1 };
    for (const u of [0, 0.25, 0.999]) {
      const out = randomRotation([-10, 20], { interpolation: 'bilinear' })(img, () => u);
      expect(out.data).toEqual(rotateImage(img, -10 + 30 * u, 'bilinear', [0]).data);
    }
  });

  it('seededRandom gives floats in [0, 1) with mean near 1/2', () => {
    const r = seededRandom(-7);
    let sum = 0;
    for (let i = 0; i < 10000; i++) {
      const u = r();
      expect(u >= 0 && u < 1).toBe(true);
      sum += u;
    }
    expect(Math.abs(sum / 10000 - 0.5)).toBeLessThan(0.01);
  });

  it('output shapes: resize by the shorter edge, centre crop, rotation keeps the size', () => {
    fc.assert(
      fc.property(imageArb(), fc.integer({ min: 1, max: 20 }), (img, s) => {
        const r = resize(s)(img, always);
        expect(Math.min(r.height, r.width)).toBe(s);
        expect(r.data.length).toBe(r.height * r.width * r.channels);
        const c = centerCrop([s, s + 1])(img, always);
        expect([c.height, c.width, c.channels]).toEqual([s, s + 1, img.channels]);
        const rot = randomRotation(45)(img, seededRandom(s));
        expect([rot.height, rot.width]).toEqual([img.height, img.width]);
      }),
      { numRuns: 50 },
    );
  });

  it('a rotation by 0 degrees and a jitter with all factors 1 leave the image as it was', () => {
    fc.assert(
      fc.property(imageArb(3), fc.integer(), (img, seed) => {
        expect(randomRotation([0, 0], { interpolation: 'bilinear' })(img, seededRandom(seed)).data).toEqual(img.data);
        const out = colorJitter({ brightness: [1, 1], contrast: [1, 1], saturation: [1, 1], hue: [0, 0] })(img, seededRandom(seed));
        expect(out.data).toEqual(img.data);
      }),
      { numRuns: 30 },
    );
  });
});

import { describe, expect, it } from 'vitest';
import {
  InvalidArgumentError,
  ShapeError,
  centerCrop,
  colorJitter,
  compose,
  randomHorizontalFlip,
  randomResizedCrop,
  randomRotate90,
  randomRotation,
  resize,
  seededRandom,
  type AugmentImage,
  type Augmentation,
} from '../../../src/index.js';

const gray: AugmentImage = { data: Float32Array.from({ length: 16 }, (_, i) => i / 16), height: 4, width: 4, channels: 1 };
const rgb: AugmentImage = { data: Float32Array.from({ length: 48 }, (_, i) => (i % 7) / 7), height: 4, width: 4, channels: 3 };

function thrown(f: () => unknown): Error {
  try {
    f();
  } catch (e) {
    return e as Error;
  }
  throw new Error('expected a throw');
}

describe('augmentation errors', () => {
  it('colour jitter refuses 1-channel images with a ShapeError that names the opt-in', () => {
    const e = thrown(() => colorJitter({ brightness: 0.2 })(gray, seededRandom(0)));
    expect(ShapeError.is(e)).toBe(true);
    expect(e.message).toMatch(/3 channels.*received 1 channel.*allowSingleChannel: true/s);
    // Asked for: brightness and contrast apply, as torchvision does on 1 channel.
    const out = colorJitter({ brightness: [2, 2], allowSingleChannel: true })(gray, seededRandom(0));
    expect(out.data[3]).toBeCloseTo(Math.min(1, (2 * 3) / 16), 6);
    expect(ShapeError.is(thrown(() => colorJitter({ allowSingleChannel: true })({ ...rgb, data: new Float32Array(32), channels: 2 }, seededRandom(0))))).toBe(true);
  });

  it('bad parameters are InvalidArgumentErrors that quote the value received', () => {
    const cases: [() => unknown, RegExp][] = [
      [() => randomHorizontalFlip(1.5), /p must be a probability.*1\.5/],
      [() => resize(0), /size must be a positive integer.*0/],
      [() => resize([3, 2.5]), /\[3,2\.5\]/],
      [() => resize(8, { interpolation: 'lanczos' as never }), /interpolation must be one of.*"lanczos"/],
      [() => resize(8, { interpolation: 'nearest', antialias: true }), /antialias is only defined/],
      [() => resize(8, { maxSize: 8 }), /maxSize.*8/],
      [() => centerCrop(-1), /size must be/],
      [() => randomResizedCrop(8, { scale: [0.9, 0.1] }), /scale must be \[min, max\].*\[0\.9,0\.1\]/],
      [() => randomResizedCrop(8, { ratio: [0, 1] }), /ratio must be/],
      [() => randomRotation(-5), /degrees must be a non-negative number.*-5/],
      [() => randomRotation([10, -10]), /degrees/],
      [() => randomRotation(10, { fill: [Number.NaN] }), /fill must be/],
      [() => randomRotate90({ ks: [] }), /ks must be a non-empty array/],
      [() => colorJitter({ brightness: -0.1 }), /brightness must be a non-negative number.*-0\.1/],
      [() => colorJitter({ hue: 0.6 }), /hue range must lie in \[-0\.5, 0\.5\]/],
      [() => colorJitter({ maxValue: 0 }), /maxValue must be a finite positive number/],
      [() => compose(randomHorizontalFlip(), 3 as unknown as Augmentation), /argument 1 must be an augmentation/],
      [() => seededRandom(0.5), /seed must be a safe integer/],
    ];
    for (const [f, message] of cases) {
      const e = thrown(f);
      expect(InvalidArgumentError.is(e), String(message)).toBe(true);
      expect(e.message).toMatch(message);
    }
  });

  it('malformed images and a fill of the wrong length are ShapeError / InvalidArgumentError when applied', () => {
    const flip = randomHorizontalFlip();
    expect(ShapeError.is(thrown(() => flip({ ...rgb, data: new Float32Array(5) }, seededRandom(0))))).toBe(true);
    expect(ShapeError.is(thrown(() => flip({ ...rgb, data: [1, 2] as unknown as Float32Array }, seededRandom(0))))).toBe(true);
    expect(ShapeError.is(thrown(() => flip({ ...rgb, height: 0 }, seededRandom(0))))).toBe(true);
    const e = thrown(() => randomRotation(10, { fill: [0, 0] })(rgb, seededRandom(0)));
    expect(InvalidArgumentError.is(e)).toBe(true);
    expect(e.message).toMatch(/fill has 2 values but the image has 3 channels/);
  });
});

import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { InvalidArgumentError, ShapeError } from '../../../src/errors/index.js';
import { resolvePreprocessSpec, type PreprocessSpecInit } from '../../../src/image/preprocess-spec.js';
import { planResize, preprocessImages } from '../../../src/image/preprocess.js';

interface FixtureCase {
  name: string;
  input: { shape: number[]; data: number[] };
  spec: PreprocessSpecInit;
  output: { shape: number[]; data: number[] };
}
const fixture = JSON.parse(
  readFileSync(join(import.meta.dirname, '../../fixtures/backbone/preprocess/torchvision.json'), 'utf8'),
) as { cases: FixtureCase[] };

const plain: PreprocessSpecInit = { inputSize: 2, mean: [0, 0, 0], std: [1, 1, 1], resize: 'none' };

beforeAll(async () => {
  await tf.setBackend('cpu');
});

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs((a[i] as number) - (b[i] as number)));
  return m;
}

describe('preprocessImages against torchvision (scripts/fixtures/preprocess_reference.py)', () => {
  it.each(fixture.cases.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    const before = tf.memory().numTensors;
    const x = preprocessImages({ data: Uint8Array.from(c.input.data), shape: c.input.shape }, c.spec);
    expect(x.shape).toEqual(c.output.shape);
    expect(x.dtype).toBe('float32');
    // float32 resampling summed in another order: seen up to 5e-6 on values of order 2.
    expect(maxAbsDiff(x.dataSync(), c.output.data)).toBeLessThan(1e-5);
    x.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });
});

describe('planResize (torchvision Resize(int) + CenterCrop arithmetic)', () => {
  const spec = (inputSize: [number, number], cropFraction = 0.875) =>
    resolvePreprocessSpec('t', { inputSize, mean: [0, 0, 0], std: [1, 1, 1], cropFraction });

  it('resizes the shorter side to floor(size / cropFraction) and centres the crop', () => {
    expect(planResize('t', 28, 28, spec([224, 224]), 'shorter-then-crop')).toEqual({
      resizeTo: [256, 256],
      crop: { top: 16, left: 16, height: 224, width: 224 },
    });
    // long side: int(256 * 640 / 480) = 341; left = round((341 - 224) / 2) = round(58.5) = 58 (half to even).
    expect(planResize('t', 480, 640, spec([224, 224]), 'shorter-then-crop')).toEqual({
      resizeTo: [256, 341],
      crop: { top: 16, left: 58, height: 224, width: 224 },
    });
    // round(2.5) = 2 and round(3.5) = 4, as Python rounds.
    expect(planResize('t', 5, 7, spec([6, 6], 0.75), 'shorter-then-crop').crop).toEqual({ top: 1, left: 2, height: 6, width: 6 });
    expect(planResize('t', 9, 4, spec([4, 4], 0.8), 'shorter-then-crop')).toEqual({
      resizeTo: [11, 5],
      crop: { top: 4, left: 0, height: 4, width: 4 },
    });
  });

  it('skips steps that would do nothing', () => {
    expect(planResize('t', 256, 256, spec([224, 224]), 'shorter-then-crop').resizeTo).toBeNull();
    expect(planResize('t', 224, 224, spec([224, 224], 1), 'shorter-then-crop')).toEqual({ resizeTo: null, crop: null });
    expect(planResize('t', 224, 224, spec([224, 224]), 'direct')).toEqual({ resizeTo: null, crop: null });
    expect(planResize('t', 28, 30, spec([224, 224]), 'direct')).toEqual({ resizeTo: [224, 224], crop: null });
  });

  it("'none' demands the model size and says how to fix it", () => {
    expect(planResize('t', 224, 224, spec([224, 224]), 'none')).toEqual({ resizeTo: null, crop: null });
    expect(() => planResize('t', 28, 28, spec([224, 224]), 'none')).toThrow(ShapeError);
    expect(() => planResize('t', 28, 28, spec([224, 224]), 'none')).toThrow(/already be 224 x 224; received 28 x 28.*resize: 'direct'/);
  });

  it('refuses a crop larger than the resized image (torchvision would pad)', () => {
    expect(() => planResize('t', 100, 400, spec([300, 100]), 'shorter-then-crop')).toThrow(ShapeError);
  });
});

describe('preprocessImages on hand-computed inputs', () => {
  it('repeats grayscale to RGB and normalises per channel', () => {
    const x = preprocessImages(
      { data: Uint8Array.from([0, 51, 102, 255]), shape: [1, 2, 2] },
      { ...plain, mean: [0.1, 0.2, 0.3], std: [0.5, 1, 2] },
    );
    expect(x.shape).toEqual([1, 2, 2, 3]);
    const v = [0, 0.2, 0.4, 1];
    const expected = v.flatMap((p) => [(p - 0.1) / 0.5, (p - 0.2) / 1, (p - 0.3) / 2]);
    expect(maxAbsDiff(x.dataSync(), expected)).toBeLessThan(1e-6);
    x.dispose();
  });

  it('takes [n, h, w, 1] tensors, int32 as 0-255 and float32 as 0-1, and drops alpha', () => {
    const fromInt = preprocessImages(tf.tensor4d([255, 0, 0, 255], [1, 2, 2, 1], 'int32'), plain);
    const fromFloat = preprocessImages(tf.tensor4d([1, 0, 0, 1], [1, 2, 2, 1]), plain);
    expect(Array.from(fromInt.dataSync())).toEqual(Array.from(fromFloat.dataSync()));
    const rgba = preprocessImages({ data: Uint8Array.from([255, 0, 0, 9, 0, 255, 0, 9, 0, 0, 255, 9, 0, 0, 0, 9]), shape: [1, 2, 2, 4] }, plain);
    expect(Array.from(rgba.dataSync())).toEqual([1, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0]);
    tf.dispose([fromInt, fromFloat, rgba]);
  });

  it('takes one HWC image as a Tensor3D and keeps the caller\'s tensor', () => {
    const image = tf.fill([4, 4, 3], 0.5);
    const x = preprocessImages(image, { ...plain, resize: 'shorter-then-crop', cropFraction: 0.5 });
    expect(x.shape).toEqual([1, 2, 2, 3]);
    expect(maxAbsDiff(x.dataSync(), new Array(12).fill(0.5))).toBeLessThan(1e-7);
    expect(image.isDisposed).toBe(false);
    tf.dispose([image, x]);
  });

  it('crops the centre box: a 4 x 4 ramp cropped to 2 x 2 keeps rows and columns 1..2', () => {
    const ramp = Float32Array.from({ length: 16 }, (_, i) => i / 15);
    const x = preprocessImages({ data: ramp, shape: [1, 4, 4, 1] }, { ...plain, resize: 'shorter-then-crop', cropFraction: 0.5 });
    const red = Array.from(x.dataSync()).filter((_, i) => i % 3 === 0);
    expect(maxAbsDiff(red, [5, 6, 9, 10].map((i) => i / 15))).toBeLessThan(1e-7);
    x.dispose();
  });
});

describe('preprocessImages input checks', () => {
  const cases: Array<[string, () => unknown, RegExp]> = [
    ['0-255 floats read as 0-1', () => preprocessImages(tf.fill([1, 2, 2, 3], 200), plain), /range: '0-255'/],
    ['normalised images', () => preprocessImages({ data: new Float32Array(12).fill(-1.5), shape: [1, 2, 2, 3] }, plain), /already normalised/],
    ['NaN', () => preprocessImages({ data: new Float32Array(12).fill(NaN), shape: [1, 2, 2, 3] }, plain), /NaN/],
    ['int16 without a range', () => preprocessImages({ data: new Int16Array(12), shape: [1, 2, 2, 3] }, plain), /no implied scale/],
    ['an unknown range', () => preprocessImages(tf.zeros([1, 2, 2, 3]), plain, { range: '0-65535' as never }), /range must be/],
    ['a bool tensor', () => preprocessImages(tf.zeros([1, 2, 2, 3], 'bool'), plain), /int32 \(0-255\) or float32/],
  ];
  it.each(cases)('rejects %s with InvalidArgumentError', (_name, run, message) => {
    const before = tf.memory().numTensors;
    let error: unknown;
    try {
      run();
    } catch (e) {
      error = e;
    }
    expect(InvalidArgumentError.is(error)).toBe(true);
    expect((error as Error).message).toMatch(message);
    // The test's own input tensor is the only one allowed to remain.
    expect(tf.memory().numTensors).toBeLessThanOrEqual(before + 1);
  });

  it('accepts an explicit range that overrides the element type', () => {
    const x = preprocessImages(tf.fill([1, 2, 2, 3], 255), plain, { range: '0-255' });
    expect(Array.from(x.dataSync())).toEqual(new Array(12).fill(1));
    x.dispose();
  });

  const shapes: Array<[string, () => unknown, RegExp]> = [
    ['2 channels', () => preprocessImages(tf.zeros([1, 2, 2, 2]), plain), /1, 3 or 4 channels/],
    ['a rank-2 tensor', () => preprocessImages(tf.zeros([2, 2]) as never, plain), /\[n, h, w, c\]/],
    ['a grayscale batch as Tensor3D', () => preprocessImages(tf.zeros([5, 28, 28]), plain), /tf.expandDims/],
    ['data of the wrong length', () => preprocessImages({ data: new Uint8Array(11), shape: [1, 2, 2, 3] }, plain), /needs 12 values; data has 11/],
    ['a rank-2 array shape', () => preprocessImages({ data: new Uint8Array(4), shape: [2, 2] }, plain), /\[n, h, w\]/],
    ['a wrong size with resize none', () => preprocessImages({ data: new Uint8Array(27), shape: [1, 3, 3, 3] }, plain), /already be 2 x 2/],
  ];
  it.each(shapes)('rejects %s with ShapeError', (_name, run, message) => {
    expect(run).toThrow(ShapeError);
    expect(run).toThrow(message);
  });
});

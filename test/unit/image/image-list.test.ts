import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import fc from 'fast-check';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Backbone } from '../../../src/backbone/backbone.js';
import type { Interpolation, ResizeMode } from '../../../src/image/preprocess-spec.js';
import { runSpans } from '../../../src/image/image-runs.js';
import type { DecodedImage, SingleImage } from '../../../src/image/images.js';
import { preprocessImages } from '../../../src/image/preprocess.js';
import { InvalidArgumentError, ShapeError } from '../../../src/errors/index.js';
import { currentPlatform, registerPlatform } from '../../../src/host/platform.js';

const norm = { mean: [0.5, 0.4, 0.3], std: [0.2, 0.3, 0.4] } as const;

/** conv -> relu -> global average pool -> dense(5): a small real LayersModel. */
function tinyModel(): tfl.LayersModel {
  const input = tfl.input({ shape: [8, 8, 3] });
  const conv = tfl.layers.conv2d({ filters: 6, kernelSize: 3, activation: 'relu', kernelInitializer: tfl.initializers.glorotUniform({ seed: 1 }) });
  const dense = tfl.layers.dense({ units: 5, kernelInitializer: tfl.initializers.glorotUniform({ seed: 2 }) });
  return tfl.model({ inputs: input, outputs: dense.apply(tfl.layers.globalAveragePooling2d({}).apply(conv.apply(input))) as tfl.SymbolicTensor });
}

function backbone(resize: ResizeMode = 'shorter-then-crop', interpolation: Interpolation = 'bilinear'): Backbone {
  return Backbone.fromModel(tinyModel(), { id: 'tiny', inputSize: 8, ...norm, resize, interpolation });
}

/** A deterministic image of any size, channel count and element type. */
function image(width: number, height: number, channels: 1 | 3 | 4, seed: number, float = false): DecodedImage {
  const n = width * height * channels;
  const bytes = Uint8Array.from({ length: n }, (_, i) => (i * 37 + seed * 101 + ((i / 7) | 0) * 13) % 256);
  return { data: float ? Float32Array.from(bytes, (v) => v / 255) : bytes, width, height, channels };
}

/** The same image as a one-image array, which the batch path has always taken. */
function asArray(m: DecodedImage): { data: DecodedImage['data']; shape: number[] } {
  return { data: m.data, shape: [1, m.height, m.width, m.channels ?? 4] };
}

async function rows(b: Backbone, images: Parameters<Backbone['embed']>[0], batchSize = 16): Promise<number[]> {
  return Array.from((await b.embed(images, { as: 'array', batchSize })).data);
}

beforeAll(async () => {
  await tf.setBackend('cpu');
});
afterEach(() => {
  tf.disposeVariables();
});

describe('embed: one decoded image', () => {
  it.each([
    ['RGBA bytes (ImageData: Uint8ClampedArray, no channels)', { data: new Uint8ClampedArray(image(9, 7, 4, 1).data), width: 9, height: 7 }],
    ['RGB bytes', image(9, 7, 3, 2)],
    ['grayscale bytes', image(12, 10, 1, 3)],
    ['float32 0-1', image(10, 13, 3, 4, true)],
  ] as [string, DecodedImage][])('%s equals the same pixels as { data, shape: [1, h, w, c] }', async (_name, m) => {
    const b = backbone();
    expect(await rows(b, m)).toEqual(await rows(b, asArray(m)));
    b.dispose();
  });
});

describe('embed: a list of images of different sizes', () => {
  it.each([
    ['shorter-then-crop', 'bilinear'],
    ['shorter-then-crop', 'bicubic'],
    ['direct', 'bilinear'],
  ] as [ResizeMode, Interpolation][])('equals embedding each image on its own (%s, %s), for any batch size', async (resize, interpolation) => {
    const b = backbone(resize, interpolation);
    const list: DecodedImage[] = [image(9, 9, 3, 1), image(9, 9, 3, 2), image(20, 11, 1, 3), image(9, 9, 4, 4), image(12, 30, 3, 5, true), image(9, 9, 3, 6)];
    const alone = (await Promise.all(list.map((m) => rows(b, m)))).flat();
    const before = tf.memory().numTensors;
    for (const batchSize of [1, 2, 4, 16]) {
      const got = await rows(b, list, batchSize);
      expect(got).toEqual(alone);
    }
    expect(tf.memory().numTensors).toBe(before);
    b.dispose();
  });

  it('property: any list of sizes, channels and element types embeds as its images one by one', async () => {
    const b = backbone();
    const img = fc.record({
      w: fc.integer({ min: 6, max: 14 }),
      h: fc.integer({ min: 6, max: 14 }),
      c: fc.constantFrom<1 | 3 | 4>(1, 3, 4),
      seed: fc.nat(50),
      float: fc.boolean(),
    });
    await fc.assert(
      fc.asyncProperty(fc.array(img, { maxLength: 7 }), fc.integer({ min: 1, max: 4 }), async (specs, batchSize) => {
        const list = specs.map((s) => image(s.w, s.h, s.c, s.seed, s.float));
        const alone = (await Promise.all(list.map((m) => rows(b, m)))).flat();
        expect(await rows(b, list, batchSize)).toEqual(alone);
      }),
      { numRuns: 25 },
    );
    b.dispose();
  });

  it('an empty list is [0, d]; progress counts images', async () => {
    const b = backbone();
    expect((await b.embed([], { as: 'array' })).shape).toEqual([0, 5]);
    const progress: number[] = [];
    await b.embed([image(9, 9, 3, 1), image(10, 9, 3, 2), image(9, 9, 3, 3)], { batchSize: 2, onProgress: (done) => progress.push(done) });
    expect(progress).toEqual([2, 3]);
    b.dispose();
  });

  it('preprocessImages of a list stacks its images preprocessed one by one', () => {
    const list = [image(9, 9, 3, 1), image(20, 11, 1, 2), image(12, 9, 4, 3, true)];
    const spec = { inputSize: 8, ...norm, resize: 'shorter-then-crop' } as const;
    const before = tf.memory().numTensors;
    const all = preprocessImages(list, spec);
    const one = list.map((m) => preprocessImages(m, spec));
    expect(all.shape).toEqual([3, 8, 8, 3]);
    expect(Array.from(all.dataSync())).toEqual(one.flatMap((t) => Array.from(t.dataSync())));
    tf.dispose([all, ...one]);
    expect(tf.memory().numTensors).toBe(before);
  });
});

describe('embed: what a list may not hold, said before any work', () => {
  const b = () => backbone();
  const cases: [string, unknown, RegExp, typeof InvalidArgumentError][] = [
    ['a tensor', [image(9, 9, 3, 1), tf.zeros([9, 9, 3])], /image 1 is a tf\.Tensor; .*tf\.stack/, InvalidArgumentError],
    ['RGB data without channels', [{ data: new Uint8Array(9 * 9 * 3), width: 9, height: 9 }], /image 0 is 9 x 9 with 4 channels \(RGBA, the default\), which needs 324 values; its data has 243\. That is 9 x 9 x 3: pass channels: 3\./, ShapeError],
    ['channels 2', [{ data: new Uint8Array(9 * 9 * 2), width: 9, height: 9, channels: 2 }], /channels 2; it must be 1, 3 or 4/, ShapeError],
    ['a fractional width', [{ data: new Uint8Array(0), width: 0.5, height: 9 }], /width 0\.5; it must be a positive integer/, ShapeError],
    ['Int16Array data', [{ data: new Int16Array(9 * 9 * 4), width: 9, height: 9 }], /holds a Int16Array; .*Uint8Array, Uint8ClampedArray \(0-255\) or Float32Array/, InvalidArgumentError],
    ['0-255 floats', [{ data: new Float32Array(9 * 9 * 3).fill(200), width: 9, height: 9, channels: 3 }], /\(image 0\): Float32Array images are read as 0-1 pixels.*range: '0-255'/, InvalidArgumentError],
    ['null', [image(9, 9, 3, 1), null], /image 1 is null/, InvalidArgumentError],
    ['a plain object', [{ width: 9, height: 9 }], /image 0 is a Object object\. Browser images .* need the 'dvme\/browser' entrypoint/, InvalidArgumentError],
    ['a number', 7, /the image is number/, InvalidArgumentError],
  ];
  it.each(cases)('%s', async (_name, images, message, Type) => {
    const backboneUnderTest = b();
    const before = tf.memory().numTensors;
    const err = await backboneUnderTest.embed(images as SingleImage[]).catch((e: unknown) => e);
    expect(Type.is(err), String(err)).toBe(true);
    expect((err as Error).message).toMatch(message);
    expect(tf.memory().numTensors).toBe(before);
    backboneUnderTest.dispose();
  });

  it("resize 'none' names the first image of the wrong size", async () => {
    const backboneUnderTest = b();
    const list = [image(8, 8, 3, 1), image(8, 8, 3, 2), image(9, 8, 3, 3)];
    await expect(backboneUnderTest.embed(list, { resize: 'none' })).rejects.toThrow(/\(image 2\): with resize 'none' images must already be 8 x 8; received 8 x 9/);
    backboneUnderTest.dispose();
  });
});

describe('embed: images of a registered platform (Platform.openImage)', () => {
  /** A runtime's own image object: the platform knows how to read it. */
  class RuntimeImage {
    reads = 0;
    constructor(readonly w: number, readonly h: number, readonly rgba: Uint8Array) {}
  }
  const previous = currentPlatform();
  const use = (fail = false) =>
    registerPlatform({
      name: 'test-runtime',
      openImage: (x) =>
        x instanceof RuntimeImage
          ? {
              width: x.w,
              height: x.h,
              read: () => {
                x.reads++;
                if (fail) throw new InvalidArgumentError('cannot read');
                return x.rgba;
              },
            }
          : undefined,
    });
  afterEach(() => registerPlatform(previous ?? { name: 'none' }));

  it('reads them batch by batch, as RGBA bytes, mixed with decoded images', async () => {
    use();
    const model = backbone();
    const decoded = [image(9, 9, 4, 1), image(12, 10, 4, 2), image(9, 11, 4, 3)];
    const runtime = decoded.map((m) => new RuntimeImage(m.width, m.height, m.data as Uint8Array));
    const list = [runtime[0]!, decoded[1]!, runtime[2]!] as unknown as SingleImage[];
    const readsAfterFirstBatch: number[] = [];
    const got = await model.embed(list, { as: 'array', batchSize: 1, onProgress: () => readsAfterFirstBatch.push(runtime[2]!.reads) });
    expect(Array.from(got.data)).toEqual(await rows(model, decoded));
    expect(readsAfterFirstBatch).toEqual([0, 0, 1]); // read when its batch ran, not before
    await expect(model.embed(list, { range: '0-1' })).rejects.toThrow(/platform image, whose pixels are 8-bit/);
    model.dispose();
  });

  it('a read that throws mid-embed leaks no tensor', async () => {
    use(true);
    const model = backbone();
    const before = tf.memory().numTensors;
    const list = [image(9, 9, 4, 1), new RuntimeImage(9, 9, new Uint8Array(9 * 9 * 4))] as unknown as SingleImage[];
    await expect(model.embed(list, { batchSize: 1 })).rejects.toThrow('cannot read');
    expect(tf.memory().numTensors).toBe(before);
    model.dispose();
  });

  it('a read of the wrong length is a ShapeError', async () => {
    registerPlatform({ name: 'short', openImage: () => ({ width: 9, height: 9, read: () => new Uint8Array(10) }) });
    const model = backbone();
    await expect(model.embed([{} as DecodedImage])).rejects.toThrow(/read 10 values for image 0, 9 x 9; expected 324 \(RGBA\)/);
    model.dispose();
  });
});

describe('runSpans', () => {
  it('cuts [start, end) at run boundaries, relative to each run', () => {
    const runs = [{ start: 0, count: 2 }, { start: 2, count: 1 }, { start: 3, count: 4 }];
    const spans = (s: number, e: number) => runSpans(runs, s, e).map(({ index, from, to }) => [index, from, to]);
    expect(spans(0, 7)).toEqual([[0, 0, 2], [1, 0, 1], [2, 0, 4]]);
    expect(spans(1, 4)).toEqual([[0, 1, 2], [1, 0, 1], [2, 0, 1]]);
    expect(spans(5, 7)).toEqual([[2, 2, 4]]);
    expect(spans(3, 3)).toEqual([]);
    expect(runSpans([], 0, 0)).toEqual([]);
  });
});

import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { afterEach, beforeAll, describe, expect, expectTypeOf, it } from 'vitest';
import { AbortError } from '../../../src/errors/index.js';
import { Backbone } from '../../../src/backbone/backbone.js';
import type { EmbeddingMatrix } from '../../../src/data/embedding-matrix.js';
import type { ImageInput } from '../../../src/image/images.js';
import type { NdArray } from '../../../src/data/npy.js';
import { DisposedError, DvmeError, InvalidArgumentError, ShapeError } from '../../../src/errors/index.js';

const norm = { mean: [0.5, 0.4, 0.3], std: [0.2, 0.3, 0.4] } as const;

/** conv -> relu -> global average pool -> dense(5): a small real LayersModel. */
function tinyModel(seed = 1): tfl.LayersModel {
  const input = tfl.input({ shape: [8, 8, 3] });
  const conv = tfl.layers.conv2d({ filters: 6, kernelSize: 3, activation: 'relu', kernelInitializer: tfl.initializers.glorotUniform({ seed }), name: 'conv' });
  const pool = tfl.layers.globalAveragePooling2d({ name: 'pool' });
  const dense = tfl.layers.dense({ units: 5, kernelInitializer: tfl.initializers.glorotUniform({ seed: seed + 1 }), name: 'head' });
  return tfl.model({ inputs: input, outputs: dense.apply(pool.apply(conv.apply(input))) as tfl.SymbolicTensor });
}

/** Seven 5 x 5 RGB images with varied content, so a batch mix-up would show. */
function images(n = 7): { data: Uint8Array; shape: number[] } {
  const data = Uint8Array.from({ length: n * 5 * 5 * 3 }, (_, i) => (i * 37 + Math.floor(i / 75) * 11) % 256);
  return { data, shape: [n, 5, 5, 3] };
}

function backbone(): Backbone {
  return Backbone.fromModel(tinyModel(), { id: 'tiny', inputSize: 8, ...norm });
}

beforeAll(async () => {
  await tf.setBackend('cpu');
});
afterEach(() => {
  tf.disposeVariables();
});

describe('Backbone.fromModel', () => {
  it('reads embeddingDim from a LayersModel and freezes a resolved config', () => {
    const b = backbone();
    expect(b.embeddingDim).toBe(5);
    expect(b.config).toEqual({
      id: 'tiny', inputSize: [8, 8], mean: [0.5, 0.4, 0.3], std: [0.2, 0.3, 0.4],
      resize: 'direct', cropFraction: 0.875, interpolation: 'bilinear', embedding: 'output', embeddingDim: 5,
    });
    expect(Object.isFrozen(b.config) && Object.isFrozen(b.config.inputSize)).toBe(true);
    b.dispose();
  });

  it('finds the width of a plain function by one blank forward, and pools feature maps', async () => {
    const before = tf.memory().numTensors;
    const b = Backbone.fromModel((x) => tf.mul(x, 2), { inputSize: [3, 4], ...norm });
    expect(b.embeddingDim).toBe(3);
    expect(tf.memory().numTensors).toBe(before);
    const e = await b.embed({ data: new Uint8Array(2 * 3 * 4 * 3).fill(255), shape: [2, 3, 4, 3] }, { as: 'array' });
    const expected = [0, 1, 2].map((c) => (2 * (1 - norm.mean[c]!)) / norm.std[c]!);
    expect(e.shape).toEqual([2, 3]);
    e.data.forEach((v, i) => expect(v).toBeCloseTo(expected[i % 3]!, 5));
  });

  it('rejects models it cannot run and configs without a mean', () => {
    expect(() => Backbone.fromModel(42 as never, { inputSize: 8, ...norm })).toThrow(InvalidArgumentError);
    expect(() => Backbone.fromModel((x) => x, { inputSize: 8, mean: [0, 0] as never, std: [1, 1, 1] })).toThrow(/three finite/);
    expect(() => Backbone.fromModel((x) => tf.sum(x, [1, 2, 3]), { inputSize: 8, ...norm })).toThrow(ShapeError);
    expect(() => Backbone.fromModel((x) => x, { inputSize: 8, ...norm, resize: 'stretch' as never })).toThrow(/resize must be one of/);
    const model = tinyModel();
    expect(() => Backbone.fromModel(model, { inputSize: 224, ...norm })).toThrow(/does not match the model's input \[8, 8\]/);
    model.dispose();
  });
});

describe('Backbone.embed', () => {
  it('returns a float32 [n, d] tensor the caller owns, and nothing else stays behind', async () => {
    const b = backbone();
    const before = tf.memory().numTensors;
    const e = await b.embed(images());
    expect(e.shape).toEqual([7, 5]);
    expect(e.dtype).toBe('float32');
    expect(tf.memory().numTensors).toBe(before + 1);
    e.dispose();
    expect(tf.memory().numTensors).toBe(before);
    b.dispose();
  });

  it('gives the same embeddings for batch sizes 1, 3 and 16', async () => {
    const b = backbone();
    const [one, three, sixteen] = await Promise.all([1, 3, 16].map((batchSize) => b.embed(images(), { batchSize, as: 'array' })));
    expect(Array.from(three!.data)).toEqual(Array.from(one!.data));
    expect(Array.from(sixteen!.data)).toEqual(Array.from(one!.data));
    // Every image embedded differently: batches were not mixed up or repeated.
    const rows = new Set(Array.from({ length: 7 }, (_, i) => one!.data.subarray(i * 5, i * 5 + 5).join(',')));
    expect(rows.size).toBe(7);
    b.dispose();
  });

  it("as: 'array' holds exactly the tensor's values", async () => {
    const b = backbone();
    const t = await b.embed(images(), { batchSize: 4 });
    const m = await b.embed(images(), { batchSize: 4, as: 'array' });
    expect(m.shape).toEqual([7, 5]);
    expect(m.data).toBeInstanceOf(Float32Array);
    expect(Array.from(m.data)).toEqual(Array.from(t.dataSync()));
    t.dispose();
    b.dispose();
  });

  it.each([Float64Array, Int16Array, Uint16Array, Uint32Array, Int8Array].map((T) => [T.name, T] as const))(
    'embeds %s pixels like the same values in a Uint8Array',
    async (_name, Type) => {
      const b = backbone();
      const ref = images();
      const expected = await b.embed(ref, { batchSize: 4, as: 'array' });
      const other = { data: new Type(Array.from(ref.data, (v) => v % 128)), shape: ref.shape };
      const uint8 = { data: Uint8Array.from(other.data), shape: ref.shape };
      const got = await b.embed(other, { batchSize: 4, as: 'array', range: '0-255' });
      const want = await b.embed(uint8, { batchSize: 4, as: 'array' });
      expect(Array.from(got.data)).toEqual(Array.from(want.data));
      expect(expected.shape).toEqual(got.shape);
      b.dispose();
    },
  );

  it('reports progress after every batch', async () => {
    const b = backbone();
    const calls: Array<[number, number]> = [];
    const e = await b.embed(images(), { batchSize: 3, onProgress: (done, total) => calls.push([done, total]) });
    expect(calls).toEqual([[3, 7], [6, 7], [7, 7]]);
    e.dispose();
    b.dispose();
  });

  it('embeds an empty batch to [0, d] and one Tensor3D image to [1, d], leaving inputs alone', async () => {
    const b = backbone();
    const none = await b.embed({ data: new Uint8Array(0), shape: [0, 5, 5, 3] }, { as: 'array' });
    expect(none.shape).toEqual([0, 5]);
    const image = tf.randomUniform([8, 8, 3]) as tf.Tensor3D;
    const one = await b.embed(image);
    expect(one.shape).toEqual([1, 5]);
    expect(image.isDisposed).toBe(false);
    tf.dispose([image, one]);
    b.dispose();
  });

  it('validates its options', async () => {
    const b = backbone();
    await expect(b.embed(images(), { batchSize: 0 })).rejects.toThrow(/batchSize must be a positive integer/);
    await expect(b.embed(images(), { as: 'list' as never })).rejects.toThrow(/as must be one of 'tensor', 'array'/);
    await expect(b.embed(images(), { resize: 'none' })).rejects.toThrow(ShapeError);
    b.dispose();
  });

  it('accepts readNpz arrays as they are', () => {
    expectTypeOf<NdArray>().toMatchTypeOf<ImageInput>();
  });

  it('types its result after `as`', () => {
    const b = backbone();
    expectTypeOf(b.embed).toBeFunction();
    if (Math.random() > 2) {
      expectTypeOf(b.embed(images())).resolves.toEqualTypeOf<tf.Tensor2D>();
      expectTypeOf(b.embed(images(), { as: 'array' })).resolves.toEqualTypeOf<EmbeddingMatrix>();
      // @ts-expect-error 'rows' is not an output form
      void b.embed(images(), { as: 'rows' });
    }
    b.dispose();
  });
});

describe('abort, errors and dispose leave no tensors behind', () => {
  it('stops between batches when the signal fires, with an AbortError carrying the reason', async () => {
    const b = backbone();
    const before = tf.memory().numTensors;
    const controller = new AbortController();
    const calls: number[] = [];
    const error = await b
      .embed(images(), { batchSize: 2, signal: controller.signal, onProgress: (done) => (calls.push(done), done === 2 && controller.abort('user')) })
      .catch((e: unknown) => e);
    expect(AbortError.is(error)).toBe(true);
    expect(DvmeError.is(error)).toBe(true);
    expect((error as Error).name).toBe('AbortError');
    expect((error as Error).message).toMatch(/aborted after 2 of 7 images/);
    expect((error as Error).cause).toBe('user');
    expect(calls).toEqual([2]);
    expect(tf.memory().numTensors).toBe(before);
    b.dispose();
  });

  it('sees an abort fired by a timer while it runs, and a signal aborted before it starts', async () => {
    let forwards = 0;
    const b = Backbone.fromModel({ forward: (x) => (forwards++, tf.mean(x, [1, 2])) }, { inputSize: 5, ...norm, resize: 'none' });
    const before = tf.memory().numTensors;
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 0);
    await expect(b.embed(images(), { batchSize: 1, signal: controller.signal })).rejects.toThrow(AbortError);
    expect(forwards).toBeGreaterThan(0);
    expect(forwards).toBeLessThan(7);
    forwards = 0;
    await expect(b.embed(images(), { signal: AbortSignal.abort() })).rejects.toThrow(/aborted before it started/);
    expect(forwards).toBe(0);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('frees every intermediate when the model throws mid-way', async () => {
    let calls = 0;
    const b = Backbone.fromModel(
      {
        forward: (x) => {
          if (++calls === 2) throw new Error('boom');
          return tf.mean(tf.mul(x, 2), [1, 2]);
        },
      },
      { inputSize: 8, ...norm, embeddingDim: 3 },
    );
    const before = tf.memory().numTensors;
    await expect(b.embed(images(), { batchSize: 3 })).rejects.toThrow('boom');
    expect(tf.memory().numTensors).toBe(before);
  });

  it('throws ShapeError when the model output does not match embeddingDim, without leaking', async () => {
    const b = Backbone.fromModel((x) => tf.mean(x, [1, 2]), { inputSize: 8, ...norm, embeddingDim: 4 });
    const before = tf.memory().numTensors;
    await expect(b.embed(images())).rejects.toThrow(/expected \[b, 4\]/);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('dispose frees the weights, is idempotent, and later embeds throw DisposedError', async () => {
    const before = tf.memory().numTensors;
    const b = backbone();
    expect(tf.memory().numTensors).toBe(before + 4);
    b.dispose();
    b.dispose();
    expect(b.isDisposed).toBe(true);
    expect(tf.memory().numTensors).toBe(before);
    const error = await b.embed(images()).catch((e: unknown) => e);
    expect(DisposedError.is(error)).toBe(true);
    expect((error as Error).message).toMatch(/Backbone\(tiny\)\.embed: this backbone was disposed/);
  });

  it('a dispose during embed stops it at the next batch', async () => {
    const before = tf.memory().numTensors;
    const b = backbone();
    await expect(b.embed(images(), { batchSize: 2, onProgress: () => b.dispose() })).rejects.toThrow(DisposedError);
    expect(tf.memory().numTensors).toBe(before);
  });
});

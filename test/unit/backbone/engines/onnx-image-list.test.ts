import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadTorchStateDict } from '../../../../src/backbone/arch/load-weights.js';
import { buildResNet, type ResNetConfig } from '../../../../src/backbone/arch/resnet.js';
import { Backbone } from '../../../../src/backbone/backbone.js';
import type { ResizeMode } from '../../../../src/image/preprocess-spec.js';
import type { DecodedImage } from '../../../../src/image/images.js';
import { ShapeError } from '../../../../src/errors/index.js';
import { loadParityFixture, relativeMaxError } from '../arch/fixture.js';
import { ORT_MISSING, ort, provider } from './ort.js';

const DIR = fileURLToPath(new URL('../../../fixtures/engine/', import.meta.url));
const IMAGENET = { mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] } as const;
const resnet = loadParityFixture('resnet-tiny');

function image(width: number, height: number, channels: 1 | 3 | 4, seed: number, float = false): DecodedImage {
  const bytes = Uint8Array.from({ length: width * height * channels }, (_, i) => (i * 31 + seed * 97 + ((i / 5) | 0) * 7) % 256);
  return { data: float ? Float32Array.from(bytes, (v) => v / 255) : bytes, width, height, channels };
}

/** Sizes, channel counts and element types mixed, as a folder of PNG and JPEG files is. */
const mixed = [image(40, 40, 3, 1), image(40, 40, 3, 2), image(57, 33, 1, 3), image(40, 40, 4, 4), image(35, 61, 3, 5, true), image(40, 40, 3, 6)];

const bits = (a: Float32Array) => Array.from(new Uint32Array(a.buffer, a.byteOffset, a.length));

async function onnxBackbone(file: string, resize: ResizeMode): Promise<Backbone> {
  return Backbone.fromOnnx(readFileSync(`${DIR}${file}`), { ...IMAGENET, resize, runtime: provider });
}

describe.skipIf(!ort)(`ONNX engine: lists of images of different sizes${ORT_MISSING}`, () => {
  beforeAll(async () => {
    await tf.setBackend('cpu');
  });

  it.each(['shorter-then-crop', 'direct'] as ResizeMode[])(
    'embed(list) equals embedding each image alone, and the tfjs engine on the same list (%s)',
    async (resize) => {
      const b = await onnxBackbone('resnet-tiny.onnx', resize);
      const alone = new Float32Array((await Promise.all(mixed.map(async (m) => Array.from((await b.embed(m, { as: 'array' })).data)))).flat());
      for (const batchSize of [1, 4, 16]) {
        const list = await b.embed(mixed, { as: 'array', batchSize });
        expect(list.shape).toEqual([mixed.length, b.embeddingDim]);
        // One session call per run of equal sizes, and onnxruntime's CPU kernels compute each
        // image of a batch on its own: the same bits as alone.
        expect(bits(list.data)).toEqual(bits(alone));
      }
      const tfjs = buildResNet({ ...(resnet.config as Partial<ResNetConfig>), inputSize: null });
      loadTorchStateDict(tfjs, resnet.state());
      const reference = Backbone.fromModel(tfjs, { ...b.config });
      const before = tf.memory().numTensors;
      const viaTfjs = await reference.embed(mixed, { as: 'array', batchSize: 4 });
      expect(tf.memory().numTensors).toBe(before);
      expect(relativeMaxError(viaTfjs.data, alone)).toBeLessThan(1e-4);
      reference.dispose();
      b.dispose();
    },
  );

  it('a model exported with a fixed batch of 1 takes mixed lists too', async () => {
    const fixed = await onnxBackbone('resnet-tiny-nhwc-b1.onnx', 'shorter-then-crop');
    const free = await onnxBackbone('resnet-tiny.onnx', 'shorter-then-crop');
    const a = await fixed.embed(mixed, { as: 'array', batchSize: 3 });
    const b = await free.embed(mixed, { as: 'array', batchSize: 3 });
    expect(relativeMaxError(a.data, b.data)).toBeLessThan(1e-4);
    fixed.dispose();
    free.dispose();
  });

  it("checks every image before running: resize 'none' names the first one of the wrong size", async () => {
    const b = await onnxBackbone('resnet-tiny.onnx', 'none');
    const list = [image(32, 32, 3, 1), image(32, 31, 3, 2)];
    await expect(b.embed(list)).rejects.toThrow(ShapeError);
    await expect(b.embed(list)).rejects.toThrow(/\(image 1\): with resize 'none' images must already be 32 x 32; received 31 x 32/);
    expect((await b.embed([], { as: 'array' })).shape).toEqual([0, b.embeddingDim]);
    b.dispose();
  });
});

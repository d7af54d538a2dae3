import { describe, expect, it } from 'vitest';
import { Backbone } from '../../../../src/backbone/backbone.js';
import { buildBackboneOnnx } from '../../../../src/backbone/engines/onnx/backbone-graph.js';
import { GraphBuilder } from '../../../../src/backbone/engines/onnx/graph-builder.js';
import { encodeOnnxModel, type OnnxElementType } from '../../../../src/backbone/engines/onnx/onnx-model.js';
import { spliceImageFront, summarizeOnnxModel } from '../../../../src/backbone/engines/onnx/onnx-splice.js';
import { loadParityFixture, relativeMaxError } from '../arch/fixture.js';
import { ORT_MISSING, ort, provider } from './ort.js';

// dvme's preprocessing ends in an If, whose output shape onnxruntime cannot infer; without a
// declared shape every value after it has unknown dims and onnxruntime's memory planning and
// fusions fall back (ResNet-50, batch 16: 0.93x of a bare session; 0.99x with the declaration,
// `npm run bench -- backbone`). These tests pin the declaration itself.

const IMAGENET = { mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] } as const;
const PREPROCESS = { ...IMAGENET, interpolation: 'bilinear' } as const;

/** A model that averages its image over space: `[batch, 3]`. */
function poolModel(type: OnnxElementType, shape: ReadonlyArray<number | string>, layout: 'NCHW' | 'NHWC', input = 'image'): Uint8Array {
  const g = new GraphBuilder('pool');
  const x = g.input(input, type, shape);
  const f = type === 'float32' ? x : g.op('Cast', [x], { to: { kind: 'int', value: 1 } });
  // Made with dvme's own GraphBuilder, so its constant and node names are those the spliced
  // front would make up (dvme_const_int64_0, Cast_node): the splice must steer clear of them.
  const y = g.op('ReduceMean', [f, g.int64(layout === 'NCHW' ? [2, 3] : [1, 2])], { keepdims: { kind: 'int', value: 0 } }, { outputs: ['features'] });
  g.output(y, 'float32', [shape[0]!, 3]);
  return encodeOnnxModel({ irVersion: 9, opsets: [{ domain: '', version: 18 }], producer: 'test', graph: g.build() });
}

function splice(bytes: Uint8Array, layout: 'NCHW' | 'NHWC', inputSize: readonly [number, number]) {
  const summary = summarizeOnnxModel(bytes);
  return summarizeOnnxModel(spliceImageFront(bytes, summary, { input: summary.inputs[0]!, output: 'features', outputRank: 2, layout, inputSize, preprocess: PREPROCESS }));
}

describe('the model input after dvme preprocessing has a declared shape', () => {
  it('buildBackboneOnnx declares [batch, 3, h, w] on the value its trunk reads, and nothing without a front', () => {
    const resnet = loadParityFixture('resnet-tiny');
    const spec = { family: 'resnet', config: resnet.config, inputSize: [40, 48] } as const;
    const withFront = summarizeOnnxModel(buildBackboneOnnx(resnet.state(), { ...spec, preprocess: PREPROCESS }).bytes);
    const declared = [...withFront.valueInfo.values()];
    expect(declared).toHaveLength(1);
    expect(declared[0]).toMatchObject({ elemType: 1, shape: ['batch', 3, 40, 48] });
    // A value the graph computes (the front's output), not an input.
    expect(withFront.names.has(declared[0]!.name)).toBe(true);
    expect(withFront.inputs.map((i) => i.name)).not.toContain(declared[0]!.name);
    const bare = summarizeOnnxModel(buildBackboneOnnx(resnet.state(), { ...spec, preprocess: null }).bytes);
    expect(bare.valueInfo.size).toBe(0);
  });

  it.each([
    ['NCHW, named batch', ['N', 3, 'h', 'w'], 'NCHW', ['N', 3, 24, 20]],
    ['NHWC, fixed batch 1', [1, 'h', 'w', 3], 'NHWC', [1, 24, 20, 3]],
    ['NCHW, unnamed batch', [-1, 3, 24, 20], 'NCHW', ['dvme_batch', 3, 24, 20]],
    ['NCHW, batch written as 0', [0, 3, 24, 20], 'NCHW', ['dvme_batch', 3, 24, 20]],
  ] as const)('a spliced model (%s) gets its own batch dim and the size dvme resamples to', (_, shape, layout, want) => {
    const spliced = splice(poolModel('float32', shape.map((d) => (d === -1 ? '' : d)), layout), layout, [24, 20]);
    expect(spliced.valueInfo.get('image')).toMatchObject({ elemType: 1, shape: want.map((d) => d) });
  });

  it("a model with an input of the same name as one of dvme's pixel inputs is refused by name", () => {
    const g = new GraphBuilder('two_inputs');
    const x = g.input('image', 'float32', ['batch', 3, 8, 8]);
    const extra = g.input('pixels_u8', 'float32', ['batch', 3]);
    const pooled = g.op('ReduceMean', [x, g.int64([2, 3])], { keepdims: { kind: 'int', value: 0 } });
    g.output(g.op('Add', [pooled, extra], {}, { outputs: ['features'] }), 'float32', ['batch', 3]);
    const bytes = encodeOnnxModel({ irVersion: 9, opsets: [{ domain: '', version: 18 }], producer: 'test', graph: g.build() });
    const summary = summarizeOnnxModel(bytes);
    const image = summary.inputs.find((i) => i.name === 'image')!;
    expect(() => spliceImageFront(bytes, summary, { input: image, output: 'features', outputRank: 2, layout: 'NCHW', inputSize: [8, 8], preprocess: PREPROCESS })).toThrow(
      "Backbone.fromOnnx: the model already has a value named 'pixels_u8', which dvme's preprocessing needs.",
    );
  });

  it("a model whose image input itself has the name of one of dvme's pixel inputs is refused by name", () => {
    const summary = summarizeOnnxModel(poolModel('float32', ['batch', 3, 8, 8], 'NCHW', 'resample'));
    expect(() => spliceImageFront(poolModel('float32', ['batch', 3, 8, 8], 'NCHW', 'resample'), summary, { input: summary.inputs[0]!, output: 'features', outputRank: 2, layout: 'NCHW', inputSize: [8, 8], preprocess: PREPROCESS })).toThrow(
      "the model already has a value named 'resample'",
    );
  });

  it('a float16 model: the float32 front output is declared, and the Cast to half infers from it', () => {
    const spliced = splice(poolModel('float16', ['batch', 3, 16, 16], 'NCHW'), 'NCHW', [16, 16]);
    const declared = [...spliced.valueInfo.values()];
    expect(declared).toHaveLength(1);
    expect(declared[0]).toMatchObject({ elemType: 1, shape: ['batch', 3, 16, 16] });
    expect(declared[0]!.name).not.toBe('image');
  });
});

describe.skipIf(!ort)(`declared shapes run in onnxruntime${ORT_MISSING}`, () => {
  const image = (w: number, h: number, seed: number) => ({
    data: Uint8Array.from({ length: w * h * 3 }, (_, i) => (i * 31 + seed * 17) % 256),
    width: w,
    height: h,
    channels: 3 as const,
  });
  // Resampled (9 x 7 -> 16 x 16) and exact-size images in one call: the declared shape holds
  // for every branch of the front's If.
  const list = [image(16, 16, 1), image(9, 7, 2), image(16, 16, 3)];

  it('a float16-input model embeds as its float32 twin (within half precision), for every batch size', async () => {
    const options = { ...PREPROCESS, resize: 'direct', runtime: provider } as const;
    const half = await Backbone.fromOnnx(poolModel('float16', ['batch', 3, 16, 16], 'NCHW'), options);
    const single = await Backbone.fromOnnx(poolModel('float32', ['batch', 3, 16, 16], 'NCHW'), options);
    try {
      const want = await single.embed(list, { as: 'array' });
      for (const batchSize of [1, 2, 3]) {
        const got = await half.embed(list, { as: 'array', batchSize });
        expect(got.shape).toEqual([3, 3]);
        expect(relativeMaxError(got.data, want.data)).toBeLessThan(2e-3);
      }
    } finally {
      half.dispose();
      single.dispose();
    }
  });
});

import { describe, expect, it } from 'vitest';
import type { ViTConfig } from '../../../../src/backbone/arch/vit.js';
import { buildBackboneOnnx } from '../../../../src/backbone/engines/onnx/backbone-graph.js';
import { CheckpointFormatError, InvalidArgumentError } from '../../../../src/errors/index.js';
import { loadParityFixture, relativeMaxError } from '../arch/fixture.js';
import { ORT_MISSING, ort } from './ort.js';

/** NHWC fixture images to the NCHW batch the bare graph takes. */
function nchw(t: { shape: readonly number[]; data: Float32Array }) {
  const [b, h, w, c] = t.shape;
  const out = new Float32Array(t.data.length);
  for (let i = 0; i < b; i++) for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) for (let k = 0; k < c; k++) out[((i * c + k) * h + y) * w + x] = t.data[((i * h + y) * w + x) * c + k];
  return new ort!.Tensor('float32', out, [b, c, h, w]);
}

async function embed(bytes: Uint8Array, input: { shape: readonly number[]; data: Float32Array }): Promise<Float32Array> {
  const session = await ort!.InferenceSession.create(bytes);
  try {
    return (await session.run({ image: nchw(input) })).embedding.data as Float32Array;
  } finally {
    await session.release();
  }
}

describe.skipIf(!ort)(`ONNX graphs built from PyTorch state dicts match PyTorch (float64 references)${ORT_MISSING}`, () => {
  const resnet = loadParityFixture('resnet-tiny');
  const vit = loadParityFixture('vit-tiny');

  it.each(resnet.cases)('ResNet, BatchNorm folded, case %s: within 1e-4 relative', async (c) => {
    const input = resnet.get(`input/${c}`);
    const { bytes, embeddingDim } = buildBackboneOnnx(resnet.state(), { family: 'resnet', config: resnet.config, inputSize: [input.shape[1], input.shape[2]], preprocess: null });
    expect(embeddingDim).toBe(32 * (resnet.config.width as number));
    expect(relativeMaxError(await embed(bytes, input), resnet.get(`output/${c}/avgpool`).data)).toBeLessThan(1e-4);
  });

  const vitCases = vit.cases.flatMap((c) => vit.modes.flatMap((m) => [true, false].map((contribOps) => [c, m, contribOps] as const)));
  it.each(vitCases)('ViT case %s, %s, fused attention %s (position embeddings resampled at build time): within 1e-4 relative', async (c, mode, contribOps) => {
    const input = vit.get(`input/${c}`);
    const last = /^lastBlocksCls(\d)$/.exec(mode);
    const config: Partial<ViTConfig> = { ...vit.config, embedding: last ? 'lastBlocksCls' : (mode as ViTConfig['embedding']), nLastBlocks: last ? Number(last[1]) : 4 };
    const { bytes } = buildBackboneOnnx(vit.state(), { family: 'vit', config, inputSize: [input.shape[1], input.shape[2]], preprocess: null, contribOps });
    expect(relativeMaxError(await embed(bytes, input), vit.get(`output/${c}/${mode}`).data)).toBeLessThan(1e-4);
  });
});

describe('buildBackboneOnnx errors', () => {
  const resnet = loadParityFixture('resnet-tiny');
  it('names a missing weight and the expected shape', () => {
    const state = resnet.state();
    state.delete('layer2.0.bn2.running_var');
    expect(() => buildBackboneOnnx(state, { family: 'resnet', config: resnet.config, inputSize: [32, 32], preprocess: null })).toThrow(CheckpointFormatError);
    expect(() => buildBackboneOnnx(state, { family: 'resnet', config: resnet.config, inputSize: [32, 32], preprocess: null })).toThrow(/'layer2\.0\.bn2\.running_var'.*\[12\]/);
  });

  it('names a weight of the wrong shape', () => {
    expect(() => buildBackboneOnnx(resnet.state(), { family: 'resnet', config: { ...resnet.config, width: 8 }, inputSize: [32, 32], preprocess: null })).toThrow(
      /'conv1\.weight' has shape \[4, 3, 7, 7\].*expected \[8, 3, 7, 7\]/,
    );
  });

  it('rejects a bad family, input size or state', () => {
    const spec = { family: 'resnet', config: resnet.config, inputSize: [32, 32], preprocess: null } as const;
    expect(() => buildBackboneOnnx(resnet.state(), { ...spec, family: 'vgg' } as never)).toThrow(InvalidArgumentError);
    expect(() => buildBackboneOnnx(resnet.state(), { ...spec, inputSize: [0, 32] })).toThrow(/inputSize must be two positive integers/);
    expect(() => buildBackboneOnnx({} as never, spec)).toThrow(/state must be a Map/);
  });
});

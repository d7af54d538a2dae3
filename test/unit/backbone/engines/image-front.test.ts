import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { resolvePreprocessSpec, type PreprocessSpecInit } from '../../../../src/image/preprocess-spec.js';
import { planResize } from '../../../../src/image/preprocess.js';
import { GraphBuilder } from '../../../../src/backbone/engines/onnx/graph-builder.js';
import { imageFrontGraph } from '../../../../src/backbone/engines/onnx/image-front.js';
import { encodeOnnxModel } from '../../../../src/backbone/engines/onnx/onnx-model.js';
import { frontFeeds } from '../../../../src/backbone/engines/onnx-engine.js';
import { bilinearWeightMatrix, denseResampleIsCheaper } from '../../../../src/image/resample-matrices.js';
import { ORT_MISSING, ort } from './ort.js';

interface Case {
  name: string;
  input: { shape: number[]; data: number[] };
  spec: PreprocessSpecInit;
  output: { shape: number[]; data: number[] };
}
const FIXTURE = fileURLToPath(new URL('../../../fixtures/backbone/preprocess/torchvision.json', import.meta.url));
const cases = (JSON.parse(readFileSync(FIXTURE, 'utf8')) as { cases: Case[] }).cases;

async function frontSession(spec: PreprocessSpecInit, opset: number, layout: 'NCHW' | 'NHWC') {
  const g = new GraphBuilder('front');
  const out = imageFrontGraph(g, resolvePreprocessSpec('test', spec), { opset, layout });
  g.output(out, 'float32');
  const bytes = encodeOnnxModel({ irVersion: opset >= 19 ? 9 : 8, opsets: [{ domain: '', version: opset }], producer: 'test', graph: g.build() });
  return { session: await ort!.InferenceSession.create(bytes), out };
}

/** max |a - b| / max |b| with `a` in `layout` and `b` NHWC. */
function error(a: Float32Array, [n, c, h, w]: readonly number[], layout: 'NCHW' | 'NHWC', b: readonly number[]): number {
  let err = 0;
  let scale = 0;
  for (let i = 0; i < n; i++) {
    for (let k = 0; k < c; k++) {
      for (let y = 0; y < h; y++) {
        for (let x = 0; x < w; x++) {
          const e = b[((i * h + y) * w + x) * c + k];
          const at = layout === 'NCHW' ? ((i * c + k) * h + y) * w + x : ((i * h + y) * w + x) * c + k;
          err = Math.max(err, Math.abs(a[at] - e));
          scale = Math.max(scale, Math.abs(e));
        }
      }
    }
  }
  return err / scale;
}

describe.skipIf(!ort)(`the preprocessing front inside the graph matches torchvision${ORT_MISSING}`, () => {
  const grid = cases.flatMap((c) => ([20, 13] as const).flatMap((opset) => (['dense', 'resize'] as const).map((path) => [c.name, opset, path] as const)));
  it.each(grid)('%s, opset %i, %s resampling: uint8 and float inputs within 5e-6 relative', async (name, opset, path) => {
    const c = cases.find((x) => x.name === name)!;
    const spec = resolvePreprocessSpec('test', c.spec);
    const [n, h, w, ch = 1] = c.input.shape;
    const plan = planResize('test', h, w, spec, spec.resize);
    for (const layout of ['NCHW', 'NHWC'] as const) {
      const { session, out } = await frontSession(c.spec, opset, layout);
      const batches = [
        { count: n, u8: Uint8Array.from(c.input.data), f32: undefined, divisor: 1 },
        { count: n, u8: undefined, f32: Float32Array.from(c.input.data), divisor: 255 },
        { count: n, u8: undefined, f32: Float32Array.from(c.input.data, (v) => v / 255), divisor: 1 },
      ];
      for (const batch of batches) {
        const y = (await session.run(frontFeeds(ort! as never, batch, [h, w, ch], plan, spec.interpolation, path) as never))[out];
        const [oh, ow] = spec.inputSize;
        expect(y.dims).toEqual(layout === 'NCHW' ? [n, 3, oh, ow] : [n, oh, ow, 3]);
        expect(error(y.data as Float32Array, [n, 3, oh, ow], layout, c.output.data)).toBeLessThan(5e-6);
      }
      await session.release();
    }
  });
});

describe('resampling matrices', () => {
  it('have rows that sum to 1 and clamp at the edges (PyTorch bilinear, align_corners=False)', () => {
    const m = bilinearWeightMatrix(3, 7);
    for (let o = 0; o < 7; o++) expect(m.slice(o * 3, o * 3 + 3).reduce((a, b) => a + b)).toBeCloseTo(1, 12);
    expect([...m.slice(0, 3)]).toEqual([1, 0, 0]); // source position < 0 clamps to pixel 0
    expect([...m.slice(18, 21)]).toEqual([0, 0, 1]);
  });

  it('are chosen for small images and not for large ones, where dense products would multiply mostly zeros', () => {
    const plan = (rh: number, rw: number) => ({ resizeTo: [rh, rw] as [number, number], crop: { top: 16, left: 16, height: 224, width: 224 } });
    expect(denseResampleIsCheaper(28, 28, plan(256, 256), 'bicubic')).toBe(true);
    expect(denseResampleIsCheaper(2000, 1500, plan(341, 256), 'bicubic')).toBe(false);
    expect(denseResampleIsCheaper(2000, 1500, plan(341, 256), 'bilinear')).toBe(false);
    expect(denseResampleIsCheaper(224, 224, { resizeTo: null, crop: null }, 'bilinear')).toBe(false);
  });
});

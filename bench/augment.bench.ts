/**
 * `npm run bench -- augment`: dvme's augmentation pixel ops on one 256 x 256 RGB float image
 * beside torchvision's functional transforms on the same image (torch float32 CHW tensors),
 * run in the same process tree; every output value is compared.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { AugmentImage } from '../src/augment/augmentation.js';
import { adjustContrast, adjustHue } from '../src/augment/color-ops.js';
import { hflip } from '../src/augment/flip.js';
import { resampleImage } from '../src/augment/resample.js';
import { rotateImage } from '../src/augment/rotate.js';
import { seededRandom } from '../src/augment/seeded-random.js';
import { runPython, time, writeFloat64, type BenchGroup, type BenchRow } from './harness.js';

const SIZE = 256;
const WARMUP = 3;
const RUNS = 15;
/**
 * PyTorch computes sampling positions and blends in float32, dvme in float64: on 256 px uniform
 * noise (the worst local contrast) positions differ by ~1e-5 px and values by up to ~3e-5.
 */
const TOLERANCE = 1e-4;

/** The ops, in the order bench/augment_reference.py runs them under the same names. */
const OPS: Record<string, (img: AugmentImage) => AugmentImage> = {
  'resize 224 bilinear antialias': (img) => resampleImage(img, 224, 224, 'bilinear', true),
  'resize 224 bicubic': (img) => resampleImage(img, 224, 224, 'bicubic', false),
  hflip: (img) => hflip(img),
  'rotate 15 bilinear fill 0': (img) => rotateImage(img, 15, 'bilinear', [0, 0, 0]),
  'adjust_contrast 1.3': (img) => adjustContrast(img, 1.3, 1),
  'adjust_hue 0.1': (img) => adjustHue(img, 0.1, 1),
};

interface ReferenceOutput {
  versions: Record<string, string>;
  results: Record<string, { ms: number }>;
}

export const group: BenchGroup = {
  name: 'augment',
  description: `augmentation ops on a ${SIZE} x ${SIZE} x 3 float image vs torchvision.transforms.functional; median of ${RUNS} runs after ${WARMUP} warm-up`,
  async run(ctx) {
    const random = seededRandom(20261206);
    const data = Float32Array.from({ length: SIZE * SIZE * 3 }, () => random());
    const image: AugmentImage = { data, height: SIZE, width: SIZE, channels: 3 };
    writeFloat64(join(ctx.tmp, 'image.bin'), Float64Array.from(data));
    const script = fileURLToPath(new URL('./augment_reference.py', import.meta.url));
    const ref = runPython(script, [ctx.tmp, String(SIZE), String(WARMUP), String(RUNS)]);
    let out: ReferenceOutput | undefined;
    if (!ref.ok) ctx.log(`Python reference unavailable: ${ref.reason}. Showing dvme's numbers only.`);
    else {
      out = ref.output as ReferenceOutput;
      ctx.log(`reference: ${Object.entries(out.versions).map(([k, v]) => `${k} ${v}`).join(', ')}`);
    }
    return Object.entries(OPS).map(([name, op], i): BenchRow => {
      const t = time(() => op(image), { warmup: WARMUP, runs: RUNS });
      const sum = t.result.data.reduce((s, v) => s + v, 0);
      const r = out?.results[name];
      if (!r) return { metric: name, n: t.result.data.length, dvmeMs: t.medianMs, dvmeValue: sum };
      const expected = new Float64Array(readFileSync(join(ctx.tmp, `out${i}.bin`)).buffer.slice(0));
      let maxAbsDiff = 0;
      let refSum = 0;
      for (let k = 0; k < expected.length; k++) {
        maxAbsDiff = Math.max(maxAbsDiff, Math.abs(expected[k] - t.result.data[k]));
        refSum += expected[k];
      }
      return { metric: name, n: t.result.data.length, dvmeMs: t.medianMs, referenceMs: r.ms, dvmeValue: sum, referenceValue: refSum, maxAbsDiff, tolerance: TOLERANCE };
    });
  },
};

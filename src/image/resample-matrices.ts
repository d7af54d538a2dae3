import { bicubicWeightMatrix } from './bicubic.js';
import type { Interpolation } from './preprocess-spec.js';
import type { ResizePlan } from './preprocess.js';

/**
 * @internal One axis of PyTorch's bilinear `F.interpolate(size=out, align_corners=False)` as an
 * `out x in` matrix (row-major): source positions below 0 clamp to 0 and the right tap clamps to
 * the last pixel, as `upsample_bilinear2d` does.
 */
export function bilinearWeightMatrix(inSize: number, outSize: number): Float64Array {
  const m = new Float64Array(outSize * inSize);
  const scale = inSize / outSize;
  for (let o = 0; o < outSize; o++) {
    const src = Math.max(scale * (o + 0.5) - 0.5, 0);
    const i0 = Math.floor(src);
    const l1 = src - i0;
    const i1 = i0 < inSize - 1 ? i0 + 1 : i0;
    m[o * inSize + i0] += 1 - l1;
    m[o * inSize + i1] += l1;
  }
  return m;
}

/**
 * @internal The resampling of an image as two matrices, `rows` `[outH, h]` and `cols`
 * `[w, outW]` (already transposed), so that `rows @ x @ cols` resizes and crops one channel.
 */
export interface ResampleMatrices {
  readonly rows: Float32Array;
  readonly cols: Float32Array;
  readonly outH: number;
  readonly outW: number;
}

const cache = new Map<string, Float32Array>();
const CACHE_ENTRIES = 32;

/** Rows `[start, start + length)` of one axis' weights, transposed when `transpose`. */
function axis(filter: Interpolation, inSize: number, outSize: number, start: number, length: number, transpose: boolean): Float32Array {
  const key = `${filter}:${inSize}:${outSize}:${start}:${length}:${transpose}`;
  let m = cache.get(key);
  if (m === undefined) {
    const full = filter === 'bicubic' ? bicubicWeightMatrix(inSize, outSize) : bilinearWeightMatrix(inSize, outSize);
    m = new Float32Array(length * inSize);
    for (let o = 0; o < length; o++) {
      for (let i = 0; i < inSize; i++) m[transpose ? i * length + o : o * inSize + i] = full[(start + o) * inSize + i];
    }
    // Image sizes repeat (a dataset has a few); a bound keeps odd ones from piling up.
    if (cache.size >= CACHE_ENTRIES) cache.delete(cache.keys().next().value as string);
    cache.set(key, m);
  }
  return m;
}

/**
 * Relative cost of onnxruntime's `Resize` per output pixel, in multiply-adds of its GEMM
 * (measured with onnxruntime 1.30 on x64: its cubic kernel is not separable and costs about
 * as much as 500 GEMM multiply-adds per pixel; linear about 30).
 */
const RESIZE_COST = { bicubic: 500, bilinear: 30 } as const;

/**
 * @internal Whether the two dense matrix products cost less than onnxruntime's `Resize`: true
 * for the small images dvme mostly sees (MedMNIST's 28 px, 96 px patches), false for large ones,
 * where dense matrices would multiply mostly zeros.
 */
export function denseResampleIsCheaper(h: number, w: number, plan: ResizePlan, filter: Interpolation): boolean {
  if (!plan.resizeTo) return false;
  const [rh, rw] = plan.resizeTo;
  const { height, width } = plan.crop ?? { height: rh, width: rw };
  const dense = h * w * width + height * h * width;
  return dense <= rh * rw * RESIZE_COST[filter];
}

/**
 * @internal The matrices of `plan` for an `h x w` image, the crop folded in (cropped rows are
 * never computed); `null` when the plan does not resize.
 */
export function resampleMatrices(h: number, w: number, plan: ResizePlan, filter: Interpolation): ResampleMatrices | null {
  if (!plan.resizeTo) return null;
  const [rh, rw] = plan.resizeTo;
  const crop = plan.crop ?? { top: 0, left: 0, height: rh, width: rw };
  return {
    rows: axis(filter, h, rh, crop.top, crop.height, false),
    cols: axis(filter, w, rw, crop.left, crop.width, true),
    outH: crop.height,
    outW: crop.width,
  };
}

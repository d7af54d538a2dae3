import { bicubicWeightMatrix } from '../image/bicubic.js';
import { bilinearWeightMatrix } from '../image/resample-matrices.js';
import type { AugmentImage } from './augmentation.js';

/**
 * How an interpolating augmentation samples between pixels, as torchvision's
 * `InterpolationMode` (`NEAREST`, `BILINEAR`, `BICUBIC`).
 *
 * @remarks Since 0.1.0.
 * @example
 * ```ts
 * import { resize, type AugmentInterpolation } from 'dvme';
 * const mode: AugmentInterpolation = 'bicubic';
 * const toSmall = resize(32, { interpolation: mode });
 * ```
 */
export type AugmentInterpolation = 'nearest' | 'bilinear' | 'bicubic';

/** One axis of a separable resampling: output `o` reads `len[o]` inputs from `start[o]`. */
interface Taps {
  readonly start: Int32Array;
  readonly len: Int32Array;
  readonly weights: Float64Array;
  readonly stride: number;
}

function tapsOf(dense: Float64Array, inSize: number, outSize: number): Taps {
  const start = new Int32Array(outSize);
  const len = new Int32Array(outSize);
  let stride = 1;
  for (let o = 0; o < outSize; o++) {
    let first = inSize;
    let last = -1;
    for (let i = 0; i < inSize; i++) {
      if (dense[o * inSize + i] !== 0) {
        first = Math.min(first, i);
        last = i;
      }
    }
    if (last < 0) first = last = 0;
    start[o] = first;
    len[o] = last - first + 1;
    stride = Math.max(stride, len[o]);
  }
  const weights = new Float64Array(outSize * stride);
  for (let o = 0; o < outSize; o++) {
    for (let k = 0; k < len[o]; k++) weights[o * stride + k] = dense[o * inSize + start[o] + k];
  }
  return { start, len, weights, stride };
}

/** PyTorch's antialiased filters (UpSampleKernel.cpp); its bicubic uses a = -0.5 here, as PIL. */
function aaFilter(mode: 'bilinear' | 'bicubic', x: number): number {
  const t = Math.abs(x);
  if (mode === 'bilinear') return t < 1 ? 1 - t : 0;
  const a = -0.5;
  if (t < 1) return ((a + 2) * t - (a + 3)) * t * t + 1;
  if (t < 2) return (((t - 5) * t + 8) * t - 4) * a;
  return 0;
}

/**
 * `F.interpolate(..., antialias=True)` weights (`_compute_weights_aa`): a filter stretched by the
 * downscale factor, truncated at the borders and renormalised, not clamped to the edge pixel.
 */
function antialiasMatrix(mode: 'bilinear' | 'bicubic', inSize: number, outSize: number): Float64Array {
  const m = new Float64Array(outSize * inSize);
  const scale = inSize / outSize;
  const interpSize = mode === 'bilinear' ? 2 : 4;
  const support = scale >= 1 ? (interpSize / 2) * scale : interpSize / 2;
  const invScale = scale >= 1 ? 1 / scale : 1;
  for (let o = 0; o < outSize; o++) {
    const center = scale * (o + 0.5);
    const xmin = Math.max(Math.trunc(center - support + 0.5), 0);
    const xsize = Math.min(Math.trunc(center + support + 0.5), inSize) - xmin;
    let total = 0;
    for (let j = 0; j < xsize; j++) total += aaFilter(mode, (j + xmin - center + 0.5) * invScale);
    for (let j = 0; j < xsize; j++) {
      const w = aaFilter(mode, (j + xmin - center + 0.5) * invScale);
      m[o * inSize + xmin + j] = total !== 0 ? w / total : w;
    }
  }
  return m;
}

/** PyTorch's `nearest` mode: input `floor(o * in / out)` in float32, as `nearest_idx` computes it. */
function nearestMatrix(inSize: number, outSize: number): Float64Array {
  const m = new Float64Array(outSize * inSize);
  const scale = Math.fround(inSize / outSize);
  for (let o = 0; o < outSize; o++) m[o * inSize + Math.min(Math.floor(Math.fround(o * scale)), inSize - 1)] = 1;
  return m;
}

const tapCache = new Map<string, Taps>();
let scratch = new Float64Array(0);
// Image and crop sizes repeat within a dataset; the bound keeps odd ones from piling up.
const TAP_CACHE_ENTRIES = 128;

function axisTaps(mode: AugmentInterpolation, antialias: boolean, inSize: number, outSize: number): Taps {
  const key = `${mode}:${antialias}:${inSize}:${outSize}`;
  let taps = tapCache.get(key);
  if (taps === undefined) {
    taps = computeTaps(mode, antialias, inSize, outSize);
    if (tapCache.size >= TAP_CACHE_ENTRIES) tapCache.delete(tapCache.keys().next().value as string);
    tapCache.set(key, taps);
  }
  return taps;
}

function computeTaps(mode: AugmentInterpolation, antialias: boolean, inSize: number, outSize: number): Taps {
  let dense: Float64Array;
  if (mode === 'nearest') dense = nearestMatrix(inSize, outSize);
  else if (antialias) dense = antialiasMatrix(mode, inSize, outSize);
  else dense = mode === 'bicubic' ? bicubicWeightMatrix(inSize, outSize) : bilinearWeightMatrix(inSize, outSize);
  return tapsOf(dense, inSize, outSize);
}

/**
 * @internal Resizes an HWC image to `outHeight x outWidth` as torchvision's `F.resize` on a float
 * tensor (`F.interpolate(align_corners=False, antialias=...)`), computed in float64.
 */
export function resampleImage(
  image: AugmentImage,
  outHeight: number,
  outWidth: number,
  mode: AugmentInterpolation,
  antialias: boolean,
): AugmentImage {
  const { data, height: h, width: w, channels: c } = image;
  const vt = axisTaps(mode, antialias, h, outHeight);
  const ht = axisTaps(mode, antialias, w, outWidth);
  const row = w * c;
  // A reused scratch buffer: a fresh megabyte-sized array per image costs more than the sums.
  if (scratch.length < outHeight * row) scratch = new Float64Array(outHeight * row);
  const mid = scratch;
  mid.fill(0, 0, outHeight * row);
  const { start: vStart, len: vLen, weights: vW, stride: vStride } = vt;
  for (let o = 0; o < outHeight; o++) {
    const base = o * row;
    for (let k = 0; k < vLen[o]; k++) {
      const wt = vW[o * vStride + k];
      const src = (vStart[o] + k) * row;
      for (let j = 0; j < row; j++) mid[base + j] += wt * data[src + j];
    }
  }
  const out = new Float32Array(outHeight * outWidth * c);
  const { start: hStart, len: hLen, weights: hW, stride: hStride } = ht;
  for (let o = 0; o < outHeight; o++) {
    for (let p = 0; p < outWidth; p++) {
      const dst = (o * outWidth + p) * c;
      const first = o * row + hStart[p] * c;
      const taps = hLen[p];
      const wBase = p * hStride;
      for (let ch = 0; ch < c; ch++) {
        let acc = 0;
        for (let k = 0; k < taps; k++) acc += hW[wBase + k] * mid[first + k * c + ch];
        out[dst + ch] = acc;
      }
    }
  }
  return { data: out, height: outHeight, width: outWidth, channels: c };
}

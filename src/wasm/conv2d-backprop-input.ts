import * as tf from '@tensorflow/tfjs-core';
import { replaceKernel, type Attrs, type Info, type Original, type Run } from './kernel-run.js';

/**
 * @internal The gradient of a 2-D convolution with respect to its input (tfjs-core's
 * `Conv2DBackpropInput`, NHWC, no dilation) on a backend's fast kernels. tfjs-backend-wasm
 * (4.22) computes it with a scalar loop, 5-10 times slower than the forward convolution's
 * XNNPACK; here it is the transposed convolution written as the forward kind:
 * - 1x1, no padding: `dx = dy W^T`, one matrix product; at stride `s` its rows are spread onto
 *   every `s`-th pixel (the rest are zeros) by a reshape, a zero pad and a slice;
 * - non-overlapping patches (kernel = stride, no padding: a ViT's patch embedding): one product
 *   `dy W^T` whose rows are the patches, put in place by a transpose;
 * - any other kernel: `dy` (dilated with `s - 1` zeros between pixels when strided) is
 *   convolved at stride 1 with the filter flipped in space and with input and output channels
 *   swapped, padded by `k - 1 - pad` on each side (`Conv2D`, XNNPACK); strides over 2x2 and
 *   strided cases with few input channels (a stem) keep the backend's loop.
 * Same values up to float32 summation order. Returns `undefined` for a case it does not cover
 * (the caller then runs the backend's own kernel).
 */
export function conv2dBackpropInputVia(run: Run, dispose: (t: Info) => void, dy: Info, filter: Info, attrs: Attrs): Info | undefined {
  const { strides, pad, dimRoundingMode, inputShape } = attrs as {
    strides: [number, number] | number;
    pad: 'valid' | 'same' | number | tf.backend_util.ExplicitPadding;
    dimRoundingMode?: 'floor' | 'round' | 'ceil';
    inputShape: [number, number, number, number];
  };
  if (attrs.dataFormat !== undefined && attrs.dataFormat !== 'NHWC') return undefined;
  const filterShape = filter.shape as [number, number, number, number];
  const info = tf.backend_util.computeConv2DInfo(inputShape, filterShape, strides, 1, pad, dimRoundingMode, false, 'channelsLast');
  const { batchSize: n, inHeight: h, inWidth: w, outHeight: oh, outWidth: ow, strideHeight: sh, strideWidth: sw, filterHeight: kh, filterWidth: kw, inChannels: ci, outChannels: co } = info;
  const { top, bottom, left, right } = info.padInfo;
  const temps: Info[] = [];
  const keep = (t: Info): Info => (temps.push(t), t);
  // dy spread onto a grid of stride (sh, sw): [n, (oh - 1) * sh + 1 + extraH, ..., c] with zeros between.
  const spread = (x: Info, c: number, rows: number, cols: number): Info => {
    if (sh === 1 && sw === 1 && rows === oh && cols === ow) return x;
    const six = keep(run('Reshape', { x }, { shape: [n, oh, 1, ow, 1, c] }));
    const padded = keep(run('PadV2', { x: six }, { paddings: [[0, 0], [0, 0], [0, sh - 1], [0, 0], [0, sw - 1], [0, 0]], constantValue: 0 }));
    const grid = keep(run('Reshape', { x: padded }, { shape: [n, oh * sh, ow * sw, c] }));
    return keep(run('Slice', { x: grid }, { begin: [0, 0, 0, 0], size: [n, rows, cols, c] }));
  };
  try {
    if (kh === 1 && kw === 1 && top + bottom + left + right === 0) {
      if ((oh - 1) * sh + 1 > h || (ow - 1) * sw + 1 > w) return undefined;
      const a = keep(run('Reshape', { x: dy }, { shape: [1, n * oh * ow, co] }));
      const wT = keep(run('Transpose', { x: keep(run('Reshape', { x: filter }, { shape: [ci, co] })) }, { perm: [1, 0] }));
      const b = keep(run('Reshape', { x: wT }, { shape: [1, co, ci] }));
      const z = keep(run('BatchMatMul', { a, b }, { transposeA: false, transposeB: false }));
      const z4 = keep(run('Reshape', { x: z }, { shape: [n, oh, ow, ci] }));
      return run('Reshape', { x: spread(z4, ci, h, w) }, { shape: [n, h, w, ci] });
    }
    if (kh === sh && kw === sw && top + bottom + left + right === 0 && oh * sh === h && ow * sw === w) {
      // Non-overlapping patches (a ViT's patch embedding): every input pixel has one tap.
      const a = keep(run('Reshape', { x: dy }, { shape: [1, n * oh * ow, co] }));
      const b = keep(run('Reshape', { x: filter }, { shape: [1, kh * kw * ci, co] }));
      const z = keep(run('BatchMatMul', { a, b }, { transposeA: false, transposeB: true }));
      const patches = keep(run('Reshape', { x: z }, { shape: [n, oh, ow, kh, kw * ci] }));
      const rowsFirst = keep(run('Transpose', { x: patches }, { perm: [0, 1, 3, 2, 4] }));
      return run('Reshape', { x: rowsFirst }, { shape: [n, h, w, ci] });
    }
    // Dilating dy wastes (sh * sw - 1) / (sh * sw) of the work on zeros, and XNNPACK is slow
    // with few output channels (a stem's 3): such cases keep the backend's loop.
    if (sh * sw > 4 || (sh * sw > 1 && ci < 16)) return undefined;
    const rows = (oh - 1) * sh + 1;
    const cols = (ow - 1) * sw + 1;
    const padTop = kh - 1 - top;
    const padLeft = kw - 1 - left;
    const padBottom = h + kh - 1 - rows - padTop;
    const padRight = w + kw - 1 - cols - padLeft;
    if (Math.min(padTop, padLeft, padBottom, padRight) < 0) return undefined;
    // Flipping both spatial axes reverses the kh * kw taps: a gather of whole [co, ci] blocks
    // in reverse order (tfjs-wasm's Reverse goes element by element, several times slower).
    const taps = keep(run('Reshape', { x: filter }, { shape: [kh * kw, ci, co] }));
    const tapsT = keep(run('Transpose', { x: taps }, { perm: [0, 2, 1] }));
    const order = keep(run('Range', {}, { start: kh * kw - 1, stop: -1, step: -1, dtype: 'int32' }));
    const gathered = keep(run('GatherV2', { x: tapsT, indices: order }, { axis: 0, batchDims: 0 }));
    const swapped = keep(run('Reshape', { x: gathered }, { shape: [kh, kw, co, ci] }));
    const x = spread(dy, co, rows, cols);
    const paddings = [[0, 0], [padTop, padBottom], [padLeft, padRight], [0, 0]];
    return run('Conv2D', { x, filter: swapped }, { strides: [1, 1], pad: paddings, dataFormat: 'NHWC', dilations: [1, 1], dimRoundingMode: undefined });
  } finally {
    for (const t of temps) dispose(t);
  }
}

const registered = new Set<string>();

/**
 * @internal Replaces `Conv2DBackpropInput` of `backendName` (default `'wasm'`) with
 * {@link conv2dBackpropInputVia}, the backend's own kernel running the cases it does not cover.
 * Idempotent; returns whether it is (now) in place.
 */
export function registerConv2dBackpropInput(backendName = 'wasm'): boolean {
  if (registered.has(backendName)) return true;
  const ok = replaceKernel('Conv2DBackpropInput', backendName, ['Conv2DBackpropInput', 'Reshape', 'Transpose', 'BatchMatMul', 'PadV2', 'Slice', 'Range', 'GatherV2', 'Conv2D'], ({ run, original, dispose }, inputs, attrs) =>
    conv2dBackpropInputVia(run, dispose, inputs.dy as Info, inputs.filter as Info, attrs) ?? (original as Original)(inputs, attrs),
  );
  if (ok) registered.add(backendName);
  return ok;
}

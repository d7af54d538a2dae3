import * as tf from '@tensorflow/tfjs-core';
import { replaceKernel, type Attrs, type Info, type Run } from './kernel-run.js';

/**
 * @internal The gradient of a 2-D convolution with respect to its filter (tfjs-core's
 * `Conv2DBackpropFilter`, NHWC, no dilation), built from a backend's own kernels as im2col and
 * one matrix product: the input is zero-padded (PadV2), every filter tap's strided window is
 * cut out (StridedSlice) and the taps are stacked along channels (Concat), giving the
 * `[n * outH * outW, kh * kw * inC]` patch matrix whose product with the output gradient
 * `[n * outH * outW, outC]` (BatchMatMul, transposed A) is the HWIO filter gradient. 1x1
 * stride-1 convolutions (most of a ResNet bottleneck) need no patches at all.
 *
 * tfjs-backend-wasm 4.22 ships no `Conv2DBackpropFilter`, so convolutions cannot train on it
 * as shipped; this runs on its XNNPACK-backed matrix product instead.
 */
export function conv2dBackpropFilterVia(run: Run, dispose: (info: Info) => void, x: Info, dy: Info, attrs: Attrs): Info {
  const { strides, pad, dimRoundingMode, filterShape } = attrs as {
    strides: [number, number] | number;
    pad: 'valid' | 'same' | number | tf.backend_util.ExplicitPadding;
    dimRoundingMode?: 'floor' | 'round' | 'ceil';
    filterShape: [number, number, number, number];
  };
  if (attrs.dataFormat !== undefined && attrs.dataFormat !== 'NHWC') {
    throw new Error(`Conv2DBackpropFilter via im2col supports NHWC only; received ${String(attrs.dataFormat)}.`);
  }
  const info = tf.backend_util.computeConv2DInfo(x.shape as [number, number, number, number], filterShape, strides, 1, pad, dimRoundingMode, false, 'channelsLast');
  const { batchSize: n, outHeight: oh, outWidth: ow, strideHeight: sh, strideWidth: sw, filterHeight: kh, filterWidth: kw, inChannels: ci, outChannels: co } = info;
  const { top, bottom, left, right } = info.padInfo;
  const temps: Info[] = [];
  const keep = (t: Info): Info => (temps.push(t), t);
  try {
    let cols: Info;
    if (kh === 1 && kw === 1 && sh === 1 && sw === 1 && top + bottom + left + right === 0) {
      cols = x;
    } else {
      const padded = top + bottom + left + right === 0 ? x : keep(run('PadV2', { x }, { paddings: [[0, 0], [top, bottom], [left, right], [0, 0]], constantValue: 0 }));
      const taps: Info[] = [];
      for (let i = 0; i < kh; i++) {
        for (let j = 0; j < kw; j++) {
          const begin = [0, i, j, 0];
          const end = [n, i + (oh - 1) * sh + 1, j + (ow - 1) * sw + 1, ci];
          taps.push(keep(run('StridedSlice', { x: padded }, { begin, end, strides: [1, sh, sw, 1], beginMask: 0, endMask: 0, ellipsisMask: 0, newAxisMask: 0, shrinkAxisMask: 0 })));
        }
      }
      cols = taps.length === 1 ? taps[0] : keep(run('Concat', taps as unknown as Record<string, Info>, { axis: 3 })) // Concat takes an array;
    }
    const m = n * oh * ow;
    const k = kh * kw * ci;
    const a = keep(run('Reshape', { x: cols }, { shape: [1, m, k] }));
    const b = keep(run('Reshape', { x: dy }, { shape: [1, m, co] }));
    // cols^T dy transposes the patch matrix (m x k); (dy^T cols)^T transposes dy (m x co) and
    // the product (k x co) instead. The second moves less whenever k > co, as in every 3x3
    // convolution; on a fast-path BatchMatMul either transpose is one copy.
    if (m * k <= m * co + k * co) {
      const product = keep(run('BatchMatMul', { a, b }, { transposeA: true, transposeB: false }));
      return run('Reshape', { x: product }, { shape: [kh, kw, ci, co] });
    }
    const productT = keep(run('BatchMatMul', { a: b, b: a }, { transposeA: true, transposeB: false }));
    const product = keep(run('Transpose', { x: keep(run('Reshape', { x: productT }, { shape: [co, k] })) }, { perm: [1, 0] }));
    return run('Reshape', { x: product }, { shape: [kh, kw, ci, co] });
  } finally {
    for (const t of temps) dispose(t);
  }
}

/**
 * @internal Registers {@link conv2dBackpropFilterVia} as `Conv2DBackpropFilter` for `backendName`
 * (default `'wasm'`) when that backend has none, so that convolutions train there. Idempotent;
 * returns whether the kernel is (now) available.
 */
export function registerConv2dBackpropFilter(backendName = 'wasm'): boolean {
  if (tf.getKernel('Conv2DBackpropFilter', backendName) !== undefined) return true;
  return replaceKernel('Conv2DBackpropFilter', backendName, ['PadV2', 'StridedSlice', 'Concat', 'Reshape', 'BatchMatMul', 'Transpose'], ({ run, dispose }, inputs, attrs) =>
    conv2dBackpropFilterVia(run, dispose, inputs.x as Info, inputs.dy as Info, attrs),
  );
}

import * as tf from '@tensorflow/tfjs-core';
import { replaceKernel, type Attrs, type Info, type Run } from './kernel-run.js';

type Pad = 'valid' | 'same' | number | tf.backend_util.ExplicitPadding;

interface DepthwiseAttrs {
  readonly strides: [number, number] | number;
  readonly pad: Pad;
  readonly dilations?: [number, number] | number;
  readonly dimRoundingMode?: 'floor' | 'round' | 'ceil';
}

const SLICE_ATTRS = { beginMask: 0, endMask: 0, ellipsisMask: 0, newAxisMask: 0, shrinkAxisMask: 0 };

function convInfo(xShape: number[], filterShape: number[], attrs: DepthwiseAttrs, kernel: string): tf.backend_util.Conv2DInfo {
  const info = tf.backend_util.computeConv2DInfo(
    xShape as [number, number, number, number],
    filterShape as [number, number, number, number],
    attrs.strides,
    attrs.dilations ?? 1,
    attrs.pad,
    attrs.dimRoundingMode,
    true,
    'channelsLast',
  );
  if (info.dilationHeight !== 1 || info.dilationWidth !== 1) {
    throw new Error(`${kernel} on wasm (dvme's kernel) supports dilation 1 only; received dilations ${String(attrs.dilations)}. Train dilated depthwise convolutions on the cpu backend.`);
  }
  return info;
}

/**
 * @internal The gradient of a depthwise convolution with respect to its filter
 * (`DepthwiseConv2dNativeBackpropFilter`, NHWC, dilation 1) from a backend's own element-wise
 * kernels: for every filter tap, the tap's strided window of the zero-padded input (StridedSlice)
 * times the output gradient, summed over the batch and positions. Memory stays at one window
 * per tap (an im2col of all taps would be `kh * kw` times the input).
 */
export function depthwiseBackpropFilterVia(run: Run, dispose: (info: Info) => void, x: Info, dy: Info, attrs: Attrs): Info {
  const { filterShape } = attrs as { filterShape: [number, number, number, number] };
  const info = convInfo(x.shape, filterShape, attrs as unknown as DepthwiseAttrs, 'DepthwiseConv2dNativeBackpropFilter');
  const { batchSize: n, outHeight: oh, outWidth: ow, strideHeight: sh, strideWidth: sw, filterHeight: kh, filterWidth: kw, inChannels: c } = info;
  const m = filterShape[3];
  const { top, bottom, left, right } = info.padInfo;
  const temps: Info[] = [];
  const keep = (t: Info): Info => (temps.push(t), t);
  try {
    const padded = top + bottom + left + right === 0 ? x : keep(run('PadV2', { x }, { paddings: [[0, 0], [top, bottom], [left, right], [0, 0]], constantValue: 0 }));
    const rows = n * oh * ow;
    const g = keep(run('Reshape', { x: dy }, { shape: [rows, c, m] }));
    const taps: Info[] = [];
    for (let i = 0; i < kh; i++) {
      for (let j = 0; j < kw; j++) {
        const end = [n, i + (oh - 1) * sh + 1, j + (ow - 1) * sw + 1, c];
        const window = keep(run('StridedSlice', { x: padded }, { begin: [0, i, j, 0], end, strides: [1, sh, sw, 1], ...SLICE_ATTRS }));
        const flat = keep(run('Reshape', { x: window }, { shape: [rows, c, 1] }));
        const product = keep(run('Multiply', { a: flat, b: g }));
        taps.push(keep(run('Sum', { x: product }, { axis: [0], keepDims: true })));
      }
    }
    const stacked = taps.length === 1 ? (taps[0] as Info) : keep(run('Concat', taps as unknown as Record<string, Info>, { axis: 0 }));
    return run('Reshape', { x: stacked }, { shape: [kh, kw, c, m] });
  } finally {
    for (const t of temps) dispose(t);
  }
}

/**
 * @internal The gradient of a depthwise convolution with respect to its input
 * (`DepthwiseConv2dNativeBackpropInput`, NHWC, dilation 1) as one forward depthwise convolution
 * (the backend's fast kernel): the output gradient, dilated by the stride (zeros between rows and
 * columns, by padding a reshaped view), correlated with the spatially flipped filter over a
 * `kh - 1` border, then cropped to the input's padding window. Channel multipliers above 1
 * correlate every (channel, multiplier) pair and sum over the multiplier.
 */
export function depthwiseBackpropInputVia(run: Run, dispose: (info: Info) => void, dy: Info, filter: Info, attrs: Attrs): Info {
  const { inputShape } = attrs as { inputShape: [number, number, number, number] };
  const info = convInfo(inputShape, filter.shape, attrs as unknown as DepthwiseAttrs, 'DepthwiseConv2dNativeBackpropInput');
  const { batchSize: n, inHeight: h, inWidth: w, outHeight: oh, outWidth: ow, strideHeight: sh, strideWidth: sw, filterHeight: kh, filterWidth: kw, inChannels: c } = info;
  const m = filter.shape[3] as number;
  const { top, bottom, left, right } = info.padInfo;
  const cm = c * m;
  const temps: Info[] = [];
  const keep = (t: Info): Info => (temps.push(t), t);
  try {
    // Dilate: [n, oh, ow, cm] -> [n, oh * sh, ow * sw, cm] with the gradient at multiples of the stride.
    let g = dy;
    if (sh > 1) {
      const v = keep(run('Reshape', { x: g }, { shape: [n, oh, 1, ow * cm] }));
      const p = keep(run('PadV2', { x: v }, { paddings: [[0, 0], [0, 0], [0, sh - 1], [0, 0]], constantValue: 0 }));
      g = keep(run('Reshape', { x: p }, { shape: [n, oh * sh, ow, cm] }));
    }
    if (sw > 1) {
      const v = keep(run('Reshape', { x: g }, { shape: [n * oh * sh, ow, 1, cm] }));
      const p = keep(run('PadV2', { x: v }, { paddings: [[0, 0], [0, 0], [0, sw - 1], [0, 0]], constantValue: 0 }));
      g = keep(run('Reshape', { x: p }, { shape: [n, oh * sh, ow * sw, cm] }));
    }
    // The padded input is (h + top + bottom) rows; a valid correlation over that many rows plus kh - 1.
    const hp = h + top + bottom;
    const wp = w + left + right;
    let rowsAfter = hp - oh * sh;
    let colsAfter = wp - ow * sw;
    if (rowsAfter < 0 || colsAfter < 0) {
      // Trailing dilation zeros past the padded input (a filter smaller than its stride): drop them.
      g = keep(run('Slice', { x: g }, { begin: [0, 0, 0, 0], size: [n, oh * sh + Math.min(0, rowsAfter), ow * sw + Math.min(0, colsAfter), cm] }));
      rowsAfter = Math.max(0, rowsAfter);
      colsAfter = Math.max(0, colsAfter);
    }
    const reversed = keep(run('Reverse', { x: filter }, { dims: [0, 1] }));
    const flipped = keep(run('Reshape', { x: reversed }, { shape: [kh, kw, cm, 1] }));
    const conv = keep(
      run('DepthwiseConv2dNative', { x: g, filter: flipped }, { strides: [1, 1], dilations: [1, 1], pad: [[0, 0], [kh - 1, rowsAfter], [kw - 1, colsAfter], [0, 0]] }),
    );
    let full = conv;
    if (m > 1) {
      const split = keep(run('Reshape', { x: conv }, { shape: [n, hp, wp, c, m] }));
      full = keep(run('Sum', { x: split }, { axis: [4], keepDims: false }));
    }
    if (top === 0 && left === 0 && hp === h && wp === w) return run('Identity', { x: full });
    return run('Slice', { x: full }, { begin: [0, top, left, 0], size: [n, h, w, c] });
  } finally {
    for (const t of temps) dispose(t);
  }
}

const NEEDS = ['PadV2', 'StridedSlice', 'Concat', 'Reshape', 'Multiply', 'Sum', 'Slice', 'Reverse', 'Identity', 'DepthwiseConv2dNative'];

/**
 * @internal Registers {@link depthwiseBackpropFilterVia} and {@link depthwiseBackpropInputVia}
 * as `DepthwiseConv2dNativeBackpropFilter` / `DepthwiseConv2dNativeBackpropInput` for
 * `backendName` (default `'wasm'`) where it has none, so MobileNets and EfficientNets train
 * there (tfjs-backend-wasm 4.22 ships neither). Idempotent; returns whether both kernels are
 * (now) available.
 */
export function registerDepthwiseBackprop(backendName = 'wasm'): boolean {
  const filter =
    tf.getKernel('DepthwiseConv2dNativeBackpropFilter', backendName) !== undefined ||
    replaceKernel('DepthwiseConv2dNativeBackpropFilter', backendName, NEEDS, ({ run, dispose }, inputs, attrs) =>
      depthwiseBackpropFilterVia(run, dispose, inputs.x as Info, inputs.dy as Info, attrs),
    );
  const input =
    tf.getKernel('DepthwiseConv2dNativeBackpropInput', backendName) !== undefined ||
    replaceKernel('DepthwiseConv2dNativeBackpropInput', backendName, NEEDS, ({ run, dispose }, inputs, attrs) =>
      depthwiseBackpropInputVia(run, dispose, inputs.dy as Info, inputs.filter as Info, attrs),
    );
  return filter && input;
}

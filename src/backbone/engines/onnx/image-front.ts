import type { PreprocessSpec } from '../../../image/preprocess-spec.js';
import { attr, type GraphBuilder } from './graph-builder.js';

/**
 * @internal Names of the inputs every dvme graph takes: raw pixels in either element type (the
 * unused one is fed as an empty batch) and the per-call resampling, so that one session serves
 * every image size, pixel type and filter without being rebuilt.
 */
export const FRONT_INPUTS = Object.freeze({
  /** `uint8 [b, h, w, c]`, 0-255 pixels. */
  u8: 'pixels_u8',
  /** `float32 [b, h, w, c]`, pixels on the scale `f32Divisor` brings to 0-1. */
  f32: 'pixels_f32',
  /** `float32 [1]`: 1 for 0-1 floats, 255 for 0-255 floats. */
  f32Divisor: 'pixels_f32_divisor',
  /** `bool [1]`: resample (true) or only crop (false). */
  resample: 'resample',
  /** `bool [1]`: resample with the two matrices (true) or with onnxruntime's `Resize` and a crop (false). */
  dense: 'resample_dense',
  /** `int64 [2]`: `[h, w]` that `Resize` resamples to. */
  resizeTo: 'resize_to',
  /** `float32 [outH, h]`: row weights of the resize, crop included (empty when not resampling). */
  rows: 'resample_rows',
  /** `float32 [w, outW]`: column weights, transposed (empty when not resampling). */
  cols: 'resample_cols',
  /** `int64 [4]`: `[top, left, bottom, right]` of the crop, unless the matrices include it. */
  crop: 'crop_box',
});

/** @internal Where the front's output goes. */
export interface ImageFrontOptions {
  /** Default-domain opset of the graph (13 or more). @defaultValue 20 */
  readonly opset?: number;
  /** Layout of the returned image. @defaultValue `'NCHW'` */
  readonly layout?: 'NCHW' | 'NHWC';
  /** Name of the returned value (an existing model's input, when splicing). */
  readonly output?: string;
}

/**
 * @internal Appends dvme's preprocessing to `g` and returns the normalised float image: the
 * same steps as `preprocessBatch` (torchvision's ToTensor, Resize without antialiasing,
 * CenterCrop, Normalize), in the same order, but inside onnxruntime: multi-threaded, and with
 * no copy through tfjs. Valid from opset 13.
 *
 * Resampling is two matrix products with weights computed in TypeScript (PyTorch's bilinear or
 * bicubic kernel, edge clamping, the crop folded in): exact to float64 weights, multi-threaded
 * by onnxruntime's GEMM, and ten times faster than onnxruntime's cubic `Resize` for the small
 * images dvme mostly sees. Dense matrices grow with the input, so large images go through
 * `Resize` instead (the caller decides, per call); an `If` skips both for images that need no
 * resize. RGBA loses alpha; a grayscale image is resampled once and then broadcast to RGB by
 * the mean subtraction, which is exact and three times cheaper.
 */
export function imageFrontGraph(
  g: GraphBuilder,
  spec: Pick<PreprocessSpec, 'mean' | 'std' | 'interpolation'>,
  options: ImageFrontOptions = {},
): string {
  const { layout = 'NCHW', opset = 20 } = options;
  const saved = g.scope;
  g.scope = 'dvme_preprocess';
  const u8 = g.input(FRONT_INPUTS.u8, 'uint8', ['batch_u8', 'height', 'width', 'channels']);
  const f32 = g.input(FRONT_INPUTS.f32, 'float32', ['batch_f32', 'height', 'width', 'channels']);
  const divisor = g.input(FRONT_INPUTS.f32Divisor, 'float32', [1]);
  const resample = g.input(FRONT_INPUTS.resample, 'bool', [1]);
  const dense = g.input(FRONT_INPUTS.dense, 'bool', [1]);
  const resizeTo = g.input(FRONT_INPUTS.resizeTo, 'int64', [2]);
  const rows = g.input(FRONT_INPUTS.rows, 'float32', ['rows_out', 'rows_in']);
  const cols = g.input(FRONT_INPUTS.cols, 'float32', ['cols_in', 'cols_out']);
  const crop = g.input(FRONT_INPUTS.crop, 'int64', [4]);
  // Dropping alpha and moving to NCHW happen on the bytes, before they become 4-byte floats.
  const toNchw = (t: string) => g.op('Transpose', [g.op('Slice', [t, g.int64([0]), g.int64([3]), g.int64([3])])], { perm: attr.ints(0, 3, 1, 2) });
  const fromU8 = g.op('Div', [g.op('Cast', [toNchw(u8)], { to: attr.int(1) }), g.float([255], [])]);
  const fromF32 = g.op('Div', [toNchw(f32), divisor]);
  const nchw = g.op('Concat', [fromU8, fromF32], { axis: attr.int(0) });
  let x: string;
  const cropOf = (b: GraphBuilder, t: string) =>
    b.op('Slice', [t, b.op('Slice', [crop, b.int64([0]), b.int64([2])]), b.op('Slice', [crop, b.int64([2]), b.int64([4])]), b.int64([2, 3])]);
  const cubic = spec.interpolation === 'bicubic';
  // half_pixel with a = -0.75 and no antialiasing is F.interpolate(align_corners=False).
  const mode = {
    mode: attr.string(cubic ? 'cubic' : 'linear'),
    coordinate_transformation_mode: attr.string('half_pixel'),
    ...(cubic ? { cubic_coeff_a: attr.float(-0.75) } : {}),
  };
  const resized = (b: GraphBuilder) => {
    if (opset >= 18) return b.op('Resize', [nchw, '', '', resizeTo], { axes: attr.ints(2, 3), ...mode });
    const batchAndChannels = b.op('Slice', [b.op('Shape', [nchw]), b.int64([0]), b.int64([2])]);
    return b.op('Resize', [nchw, '', '', b.op('Concat', [batchAndChannels, resizeTo], { axis: attr.int(0) })], mode);
  };
  const matrices = g.branch('matrices', (b) => b.op('MatMul', [rows, b.op('MatMul', [nchw, cols])]), 'float32');
  const resize = g.branch('resize', (b) => cropOf(b, resized(b)), 'float32');
  const resampled = g.branch('resample', (b) => b.op('If', [dense], { then_branch: attr.graph(matrices), else_branch: attr.graph(resize) }), 'float32');
  const cropped = g.branch('crop', (b) => cropOf(b, nchw), 'float32');
  x = g.op('If', [resample], { then_branch: attr.graph(resampled), else_branch: attr.graph(cropped) });
  x = g.op('Sub', [x, g.float([...spec.mean], [1, 3, 1, 1])]);
  const last = layout === 'NCHW' && options.output ? { outputs: [options.output] } : {};
  x = g.op('Div', [x, g.float([...spec.std], [1, 3, 1, 1])], {}, last);
  if (layout === 'NHWC') {
    x = g.op('Transpose', [x], { perm: attr.ints(0, 2, 3, 1) }, options.output ? { outputs: [options.output] } : {});
  }
  g.scope = saved;
  return x;
}

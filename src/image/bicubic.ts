import { InvalidArgumentError, ShapeError } from '../errors/index.js';

/**
 * Keys' cubic convolution parameter. PyTorch uses -0.75 (OpenCV's choice), not the -0.5 of
 * PIL or TensorFlow's `resizeBicubic`, which is why tf.image cannot stand in for it.
 */
const A = -0.75;

function nearCoefficient(x: number): number {
  return ((A + 2) * x - (A + 3)) * x * x + 1;
}

function farCoefficient(x: number): number {
  return ((A * x - 5 * A) * x + 8 * A) * x - 4 * A;
}

function checkSize(name: string, value: number): void {
  if (!Number.isInteger(value) || value < 1) {
    throw new InvalidArgumentError(`${name} must be a positive integer; received ${value}.`);
  }
}

/**
 * The `outSize x inSize` matrix (row-major) of one axis of PyTorch's bicubic resampling,
 * `F.interpolate(mode='bicubic', align_corners=False)`: row `o` holds the weights that output
 * pixel `o` gives to each input pixel. Bicubic resampling is separable, so a 2-D resize is this
 * matrix applied to the rows and then to the columns; as a matrix it is also differentiable,
 * which lets a layer resample trainable position embeddings.
 *
 * @param inSize - input length along the axis.
 * @param outSize - output length along the axis.
 * @param scaleFactor - the `scale_factor` the caller passed to `F.interpolate`, if any. PyTorch
 *   steps through the input by `1 / scaleFactor` when one is given, and by `inSize / outSize`
 *   only when `size` was given instead; the two differ whenever `inSize * scaleFactor` is not
 *   an integer (DINO's `+ 0.1` trick relies on exactly that).
 * @returns weights in float64; border taps are clamped to the edge pixel, as PyTorch does.
 *
 * @internal
 * @remarks Since 0.1.0.
 * @example
 * ```ts
 * import { bicubicWeightMatrix } from './bicubic.js'; // internal, not exported by dvme
 * const m = bicubicWeightMatrix(4, 6, 6.1 / 4); // 6 x 4, each row sums to 1
 * ```
 */
export function bicubicWeightMatrix(
  inSize: number,
  outSize: number,
  scaleFactor?: number,
): Float64Array {
  checkSize('inSize', inSize);
  checkSize('outSize', outSize);
  if (scaleFactor !== undefined && !(Number.isFinite(scaleFactor) && scaleFactor > 0)) {
    throw new InvalidArgumentError(
      `scaleFactor must be a finite positive number or undefined; received ${scaleFactor}.`,
    );
  }
  const step = scaleFactor === undefined ? inSize / outSize : 1 / scaleFactor;
  const m = new Float64Array(outSize * inSize);
  for (let o = 0; o < outSize; o++) {
    // Pixel centres, align_corners=False; no clamping of the source index for cubic.
    const src = step * (o + 0.5) - 0.5;
    const base = Math.floor(src);
    const t = src - base;
    const taps = [
      farCoefficient(t + 1),
      nearCoefficient(t),
      nearCoefficient(1 - t),
      farCoefficient(2 - t),
    ];
    for (let k = 0; k < 4; k++) {
      const i = Math.min(Math.max(base - 1 + k, 0), inSize - 1);
      m[o * inSize + i] += taps[k];
    }
  }
  return m;
}

/**
 * Resize an HWC image (or any channels-last grid) bicubically, exactly as PyTorch's
 * `F.interpolate(x, size | scale_factor, mode='bicubic', align_corners=False)` does on the
 * same data in NCHW.
 *
 * @param data - row-major `[height, width, channels]` values.
 * @param shape - `[height, width, channels]`.
 * @param outSize - `[outHeight, outWidth]`; with `scaleFactor` it must be
 *   `floor(in * scale)` per axis, as PyTorch derives it.
 * @param scaleFactor - `[scaleHeight, scaleWidth]` when imitating a call made with
 *   `scale_factor` (see {@link bicubicWeightMatrix}).
 * @returns row-major `[outHeight, outWidth, channels]`, computed in float64.
 *
 * @internal
 * @remarks Since 0.1.0.
 * @example
 * ```ts
 * import { resizeBicubic } from './bicubic.js'; // internal, not exported by dvme
 * const up = resizeBicubic(new Float32Array(16), [4, 4, 1], [8, 8]); // 8 x 8 x 1
 * ```
 */
export function resizeBicubic(
  data: ArrayLike<number>,
  shape: readonly [number, number, number],
  outSize: readonly [number, number],
  scaleFactor?: readonly [number, number],
): Float32Array {
  const [h, w, c] = shape;
  const [oh, ow] = outSize;
  checkSize('channels', c);
  if (data.length !== h * w * c) {
    throw new ShapeError(
      `resizeBicubic: data has ${data.length} values but shape [${shape.join(', ')}] needs ` +
        `${h * w * c}.`,
    );
  }
  const wh = bicubicWeightMatrix(h, oh, scaleFactor?.[0]);
  const ww = bicubicWeightMatrix(w, ow, scaleFactor?.[1]);
  const rows = new Float64Array(oh * w * c);
  for (let o = 0; o < oh; o++) {
    for (let i = 0; i < h; i++) {
      const wt = wh[o * h + i];
      if (wt === 0) continue;
      for (let j = 0; j < w * c; j++) rows[o * w * c + j] += wt * data[i * w * c + j];
    }
  }
  const out = new Float32Array(oh * ow * c);
  for (let o = 0; o < oh; o++) {
    for (let p = 0; p < ow; p++) {
      for (let ch = 0; ch < c; ch++) {
        let acc = 0;
        for (let j = 0; j < w; j++) acc += ww[p * w + j] * rows[(o * w + j) * c + ch];
        out[(o * ow + p) * c + ch] = acc;
      }
    }
  }
  return out;
}

/**
 * The `scale_factor` DINO's `interpolate_pos_encoding` passes to `F.interpolate` to resample a
 * `nativeGrid x nativeGrid` position-embedding grid to `gridHeight x gridWidth` patches, or
 * `null` when DINO returns the embeddings unchanged (native grid count and a square image).
 *
 * @param nativeGrid - patches per side at the training size (224 / 16 = 14 for ViT-S/16).
 * @param gridHeight - patch rows of the input (`floor(H / patch)`).
 * @param gridWidth - patch columns of the input (`floor(W / patch)`).
 * @param squareImage - whether the input image has H === W: DINO tests the image, not the
 *   grid, so a 230 x 224 image resamples its 14 x 14 grid to 14 x 14 (by 14.1 / 14), which is
 *   not the identity.
 *
 * @internal
 * @remarks Since 0.1.0.
 * @example
 * ```ts
 * import { dinoPositionScale } from './bicubic.js'; // internal, not exported by dvme
 * dinoPositionScale(28, 12, 12, true); // [12.1 / 28, 12.1 / 28]: ViT-S/8 on 96 x 96 patches
 * ```
 */
export function dinoPositionScale(
  nativeGrid: number,
  gridHeight: number,
  gridWidth: number,
  squareImage: boolean,
): [number, number] | null {
  if (gridHeight * gridWidth === nativeGrid * nativeGrid && squareImage) return null;
  // The 0.1 keeps floor(nativeGrid * scale) from landing one short through float error
  // (facebookresearch/dino#8); as a side effect it also shifts every sampling position.
  return [(gridHeight + 0.1) / nativeGrid, (gridWidth + 0.1) / nativeGrid];
}

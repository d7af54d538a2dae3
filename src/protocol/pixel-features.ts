import type { ImageArray } from '../image/images.js';
import type { EmbeddingMatrix } from '../data/embedding-matrix.js';
import { InvalidArgumentError, ShapeError } from '../errors/index.js';
import { describe } from '../validation/describe.js';

/**
 * Raw pixels as embeddings: every image flattened into one row, 8-bit values divided by 255.
 * The baseline "source" of a linear evaluation: a backbone earns its place by beating it.
 *
 * @remarks Since 0.1.0. `Uint8Array` / `Uint8ClampedArray` pixels are scaled to 0-1; other
 * arrays are taken as they are (already 0-1).
 * @param images - `[n, h, w]` or `[n, h, w, c]`, as {@link loadMedMnist} returns them.
 * @returns `[n, h * w * c]` float32 rows.
 * @throws {@link ShapeError} when `shape` does not fit `data`.
 * @example
 * ```ts
 * import { pixelFeatures } from 'dvme';
 * const m = pixelFeatures({ data: Uint8Array.of(0, 255, 51, 102), shape: [2, 1, 2] });
 * m.shape; // [2, 2]
 * m.data; // Float32Array [0, 1, 0.2, 0.4]
 * ```
 */
export function pixelFeatures(images: ImageArray): EmbeddingMatrix {
  if (typeof images !== 'object' || images === null || !ArrayBuffer.isView(images.data) || !Array.isArray(images.shape)) {
    throw new InvalidArgumentError(`pixelFeatures: images must be { data: TypedArray, shape: [n, ...] }; received ${describe(images)}.`);
  }
  const [n, ...rest] = images.shape;
  const width = rest.reduce((a, b) => a * b, 1);
  if (!Number.isInteger(n) || rest.length === 0 || n * width !== images.data.length) {
    throw new ShapeError(`pixelFeatures: shape [${images.shape.join(', ')}] does not fit ${images.data.length} values.`);
  }
  const eightBit = images.data instanceof Uint8Array || images.data instanceof Uint8ClampedArray;
  const data = Float32Array.from(images.data as ArrayLike<number>, (v) => (eightBit ? v / 255 : v));
  return { data, shape: [n, width] };
}

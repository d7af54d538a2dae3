/**
 * Turns the scores of one block of rows into per-row loss gradients. `z` holds X_block W^T
 * (row-major [rows, k], intercept not added); the callback writes dLoss/dz into `g` (same
 * shape) and keeps whatever loss total it needs itself.
 *
 * @internal
 */
export type BlockLoss = (row0: number, rows: number, z: Float64Array, g: Float64Array) => void;

/**
 * The two matrix products of one objective evaluation, `Z = X W^T` and `grad = G^T X`, done
 * block by block so that each block of X is read from memory once for both.
 *
 * @internal
 */
export interface LinearKernel {
  /** `'wasm-simd'` or `'js'`, for diagnostics and benchmarks. */
  readonly name: string;
  /** Features per row of X. */
  readonly d: number;
  /** True when `pass(..., fast = true)` is cheaper and less exact than `fast = false`. */
  readonly hasFast: boolean;
  /**
   * Computes `grad = G^T X` (`k x d`, row-major, overwritten) where each block's G comes from
   * `loss` applied to that block's `X W^T`. `w` is `k x d`, row-major. With `fast`, products
   * round to f32 within a block of rows; otherwise they are f64 throughout.
   */
  pass(w: Float64Array, fast: boolean, loss: BlockLoss, grad: Float64Array): void;
  /** Releases the copy of X (idempotent). */
  dispose(): void;
}

/** Rows per block: about 256 KiB of X, so a block read by the forward product is still in L2
 *  when the backward product reads it again. A multiple of 4 (the kernels' row unrolling). */
export function blockRows(rowBytes: number): number {
  const rows = Math.floor(262144 / rowBytes / 4) * 4;
  return Math.min(256, Math.max(4, rows));
}

/**
 * Plain TypeScript kernel in f64: the fallback where WebAssembly SIMD is missing or X does not
 * fit a 32-bit linear memory, and the reference the WebAssembly kernel is tested against.
 *
 * @internal
 */
export class JsLinearKernel implements LinearKernel {
  readonly name = 'js';
  readonly hasFast = false;
  private x: Float32Array | undefined;
  private readonly block: number;
  private readonly z: Float64Array;
  private readonly g: Float64Array;

  constructor(x: Float32Array, private readonly n: number, readonly d: number, private readonly k: number) {
    this.x = x;
    this.block = blockRows(Math.max(1, d) * 4);
    this.z = new Float64Array(this.block * k);
    this.g = new Float64Array(this.block * k);
  }

  pass(w: Float64Array, _fast: boolean, loss: BlockLoss, grad: Float64Array): void {
    const { n, d, k, z, g } = this;
    const x = this.x as Float32Array;
    grad.fill(0);
    for (let row0 = 0; row0 < n; row0 += this.block) {
      const rows = Math.min(this.block, n - row0);
      for (let r = 0; r < rows; r++) {
        const xo = (row0 + r) * d;
        for (let c = 0; c < k; c++) z[r * k + c] = dot(x, xo, w, c * d, d);
      }
      loss(row0, rows, z, g);
      for (let r = 0; r < rows; r++) {
        const xo = (row0 + r) * d;
        for (let c = 0; c < k; c++) {
          const gc = g[r * k + c];
          if (gc === 0) continue;
          const go = c * d;
          for (let j = 0; j < d; j++) grad[go + j] += gc * x[xo + j];
        }
      }
    }
  }

  dispose(): void {
    this.x = undefined;
  }
}

/** Dot product of `a[ao..ao+len)` and `b[bo..bo+len)` with four partial sums (for speed). */
export function dot(a: Float32Array, ao: number, b: Float64Array, bo: number, len: number): number {
  let s0 = 0;
  let s1 = 0;
  let s2 = 0;
  let s3 = 0;
  let j = 0;
  for (; j + 4 <= len; j += 4) {
    s0 += a[ao + j] * b[bo + j];
    s1 += a[ao + j + 1] * b[bo + j + 1];
    s2 += a[ao + j + 2] * b[bo + j + 2];
    s3 += a[ao + j + 3] * b[bo + j + 3];
  }
  for (; j < len; j++) s0 += a[ao + j] * b[bo + j];
  return s0 + s1 + (s2 + s3);
}

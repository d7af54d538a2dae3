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
   *
   * `sumZero` (ignored when k = 1) promises that the rows of W sum to zero and that `loss`
   * writes rows of G that sum to zero (softmax residuals do); then the last class is not
   * multiplied out but derived, z[:, k-1] = -sum of the other scores and grad[k-1] = -sum of the
   * other rows, saving 1/k of the work.
   */
  pass(w: Float64Array, fast: boolean, loss: BlockLoss, grad: Float64Array, sumZero?: boolean): void;
  /** Releases the copy of X (idempotent). */
  dispose(): void;
}

/**
 * Rows per block: about 256 KiB of X, so a block read by the forward product is still in L2
 * when the backward product reads it again. A multiple of 4 (the kernels' row unrolling).
 *
 * @internal
 */
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

  pass(w: Float64Array, _fast: boolean, loss: BlockLoss, grad: Float64Array, sumZeroAsked = false): void {
    const { n, d, k, z, g } = this;
    const sumZero = sumZeroAsked && k >= 2;
    const x = this.x as Float32Array;
    const kc = sumZero ? k - 1 : k;
    grad.fill(0);
    for (let row0 = 0; row0 < n; row0 += this.block) {
      const rows = Math.min(this.block, n - row0);
      for (let r = 0; r < rows; r += 2) {
        const xo = (row0 + r) * d;
        if (r + 1 < rows) {
          for (let c = 0; c < kc; c++) dot2(x, xo, w, c * d, d, z, r * k + c, k);
        } else {
          for (let c = 0; c < kc; c++) z[r * k + c] = dot(x, xo, w, c * d, d);
        }
      }
      if (sumZero) deriveLastScore(z, rows, k);
      loss(row0, rows, z, g);
      // Four rows per sweep over a gradient row: a quarter of the gradient loads and stores.
      let r = 0;
      for (; r + 4 <= rows; r += 4) {
        const o0 = (row0 + r) * d;
        const [o1, o2, o3] = [o0 + d, o0 + 2 * d, o0 + 3 * d];
        for (let c = 0; c < kc; c++) {
          const a0 = g[r * k + c];
          const a1 = g[(r + 1) * k + c];
          const a2 = g[(r + 2) * k + c];
          const a3 = g[(r + 3) * k + c];
          const go = c * d;
          for (let j = 0; j < d; j++) grad[go + j] += a0 * x[o0 + j] + a1 * x[o1 + j] + a2 * x[o2 + j] + a3 * x[o3 + j];
        }
      }
      for (; r < rows; r++) {
        const xo = (row0 + r) * d;
        for (let c = 0; c < kc; c++) {
          const gc = g[r * k + c];
          const go = c * d;
          for (let j = 0; j < d; j++) grad[go + j] += gc * x[xo + j];
        }
      }
    }
    if (sumZero) deriveLastGradient(grad, k, d);
  }

  dispose(): void {
    this.x = undefined;
  }
}

/** z[r, k-1] = -sum_{c < k-1} z[r, c] for the first `rows` rows (see `LinearKernel.pass`). @internal */
export function deriveLastScore(z: Float64Array, rows: number, k: number): void {
  for (let r = 0; r < rows; r++) {
    let sum = 0;
    for (let c = 0; c < k - 1; c++) sum += z[r * k + c];
    z[r * k + k - 1] = -sum;
  }
}

/** grad[k-1, :] = -sum_{c < k-1} grad[c, :] (see `LinearKernel.pass`). @internal */
export function deriveLastGradient(grad: Float64Array, k: number, d: number): void {
  const last = (k - 1) * d;
  for (let j = 0; j < d; j++) {
    let sum = 0;
    for (let c = 0; c < k - 1; c++) sum += grad[c * d + j];
    grad[last + j] = -sum;
  }
}

/**
 * Two dot products sharing the loads of `b`: rows `a[ao..)` and `a[ao+len..)` against
 * `b[bo..bo+len)`, written to `out[at]` and `out[at + step]`.
 */
function dot2(
  a: Float32Array,
  ao: number,
  b: Float64Array,
  bo: number,
  len: number,
  out: Float64Array,
  at: number,
  step: number,
): void {
  const ao2 = ao + len;
  let s0 = 0;
  let s1 = 0;
  let t0 = 0;
  let t1 = 0;
  let j = 0;
  for (; j + 2 <= len; j += 2) {
    const b0 = b[bo + j];
    const b1 = b[bo + j + 1];
    s0 += a[ao + j] * b0;
    s1 += a[ao + j + 1] * b1;
    t0 += a[ao2 + j] * b0;
    t1 += a[ao2 + j + 1] * b1;
  }
  if (j < len) {
    s0 += a[ao + j] * b[bo + j];
    t0 += a[ao2 + j] * b[bo + j];
  }
  out[at] = s0 + s1;
  out[at + step] = t0 + t1;
}

/** Dot product of `a[ao..ao+len)` and `b[bo..bo+len)` with four partial sums (for speed). @internal */
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

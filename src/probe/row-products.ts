import { FEATURE_ALIGN, TUNING, compileKernels } from '../wasm/lbfgs-kernels.js';

/**
 * @internal The two products a linear head's training step needs, on rows picked by index:
 * `Z = X[idx] W^T` and `grad = G^T X[idx]`. Implemented by WebAssembly SIMD (f32 products, as
 * PyTorch's float32 matmul) and by plain TypeScript (f64, where SIMD is missing).
 */
export interface RowProducts {
  /** `'wasm-simd'` or `'js'`. */
  readonly name: string;
  /** Sets W (`[k, d]` row-major) for the next products. */
  setWeights(w: Float32Array): void;
  /**
   * `z[r, c] = x_{idx[r]} . w_c` over training rows `idx` (row-major `[idx.length, k]`); the
   * rows stay selected for the next {@link RowProducts.backward}.
   */
  forward(idx: Int32Array, z: Float64Array): void;
  /** `grad[c, :] = sum_r g[r, c] x_r` over the rows of the last forward (`grad` overwritten). */
  backward(g: Float64Array, grad: Float64Array): void;
  /** `z = X_val W^T` over every validation row. */
  forwardValidation(z: Float64Array): void;
  /** Hands the memory back for the next fit's products; this object is not used afterwards. */
  release(): void;
}

const align = (v: number, to: number): number => Math.ceil(v / to) * to;
/** Validation rows per kernel call, so the score buffers stay small. */
const CHUNK = 256;
/** 4 GiB less one page: the most a 32-bit linear memory can address. */
const MAX_BYTES = 2 ** 32 - 65536;

type Kernel = (x: number, rows: number, out: number) => void;

/** @internal The plain TypeScript products, in f64. */
export class JsRowProducts implements RowProducts {
  readonly name = 'js';
  private w: Float32Array = new Float32Array(0);
  private idx: Int32Array = new Int32Array(0);

  constructor(
    private readonly x: Float32Array,
    private readonly xVal: Float32Array | undefined,
    private readonly d: number,
    private readonly k: number,
  ) {}

  setWeights(w: Float32Array): void {
    this.w = w;
  }

  release(): void {}

  forward(idx: Int32Array, z: Float64Array): void {
    this.idx = idx;
    this.products(this.x, idx.length, (r) => idx[r] * this.d, z);
  }

  forwardValidation(z: Float64Array): void {
    const xv = this.xVal as Float32Array;
    this.products(xv, xv.length / this.d, (r) => r * this.d, z);
  }

  private products(x: Float32Array, rows: number, offset: (r: number) => number, z: Float64Array): void {
    const { w, d, k } = this;
    for (let r = 0; r < rows; r++) {
      const o = offset(r);
      for (let c = 0; c < k; c++) {
        let s = 0;
        for (let j = 0, wo = c * d; j < d; j++) s += x[o + j] * w[wo + j];
        z[r * k + c] = s;
      }
    }
  }

  backward(g: Float64Array, grad: Float64Array): void {
    const { x, d, k, idx } = this;
    grad.fill(0);
    for (let r = 0; r < idx.length; r++) {
      const o = idx[r] * d;
      for (let c = 0; c < k; c++) {
        const gc = g[r * k + c];
        if (gc === 0) continue;
        for (let j = 0, go = c * d; j < d; j++) grad[go + j] += gc * x[o + j];
      }
    }
  }
}

/**
 * @internal The WebAssembly SIMD products (the L-BFGS kernels of `src/wasm/lbfgs-kernels.ts`,
 * f32 mode): X and the validation rows are copied once into the kernel's memory, each batch's
 * rows are gathered into a scratch block, then one forward and one backward call run on it.
 */
class WasmRowProducts implements RowProducts {
  readonly name = 'wasm-simd';
  private rows = 0;

  constructor(
    private readonly memory: WebAssembly.Memory,
    private readonly fns: Record<string, Kernel>,
    private readonly at: { w32: number; grad: number; z: number; g32: number; x: number; batch: number; val: number },
    private readonly stride: number,
    private readonly nVal: number,
    private readonly d: number,
    private readonly k: number,
  ) {}

  setWeights(w: Float32Array): void {
    const { d, k } = this;
    const dp = this.stride / 4;
    const wv = new Float32Array(this.memory.buffer, this.at.w32, k * dp);
    for (let c = 0; c < k; c++) wv.set(w.subarray(c * d, c * d + d), c * dp);
  }

  release(): void {
    keepMemory(this.memory);
  }

  forward(idx: Int32Array, z: Float64Array): void {
    const dp = this.stride / 4;
    const all = new Float32Array(this.memory.buffer);
    const [x0, b0] = [this.at.x / 4, this.at.batch / 4];
    for (let r = 0; r < idx.length; r++) all.copyWithin(b0 + r * dp, x0 + idx[r] * dp, x0 + (idx[r] + 1) * dp);
    this.rows = idx.length;
    this.run('fwd32', this.at.batch, idx.length, this.at.z, 8);
    z.set(new Float64Array(this.memory.buffer, this.at.z, idx.length * this.k));
  }

  forwardValidation(z: Float64Array): void {
    const k = this.k;
    for (let r0 = 0; r0 < this.nVal; r0 += CHUNK) {
      const rows = Math.min(CHUNK, this.nVal - r0);
      this.run('fwd32', this.at.val + r0 * this.stride, rows, this.at.z, 8);
      z.set(new Float64Array(this.memory.buffer, this.at.z, rows * k), r0 * k);
    }
  }

  backward(g: Float64Array, grad: Float64Array): void {
    const { d, k, rows } = this;
    const dp = this.stride / 4;
    const g32 = new Float32Array(this.memory.buffer, this.at.g32, rows * k);
    // f32 subnormals (confident rows' residuals) slow SIMD arithmetic down and change nothing.
    for (let t = 0; t < rows * k; t++) g32[t] = Math.abs(g[t]) < 1e-30 ? 0 : g[t];
    const acc = new Float64Array(this.memory.buffer, this.at.grad, k * dp);
    acc.fill(0);
    this.run('bwd32', this.at.batch, rows, this.at.g32, 4);
    for (let c = 0; c < k; c++) grad.set(acc.subarray(c * dp, c * dp + d), c * d);
  }

  /** Runs kernel `name` on `rows` rows from `x`: the unrolled copy on a multiple of its rows, `x1` on the rest. */
  private run(name: string, x: number, rows: number, out: number, outBytes: number): void {
    const unroll = TUNING.f32.rows;
    const main = rows - (rows % unroll);
    if (main > 0) this.fns[name](x, main, out);
    if (main < rows) this.fns[`${name}x1`](x + main * this.stride, rows - main, out + main * this.k * outBytes);
  }
}

/**
 * @internal Row-major rows `[n, d]`: one array, or one `[n, d_j]` block per source whose rows
 * side by side make a row (`sum d_j = d`), read without concatenating them first.
 */
export type RowBlocks = Float32Array | readonly Float32Array[];

/** The row count of `x` and its blocks with their widths. */
function blocksOf(x: RowBlocks, d: number): { n: number; parts: { data: Float32Array; w: number }[] } {
  const arrays = x instanceof Float32Array ? [x] : x;
  const n = arrays.length === 1 ? arrays[0].length / Math.max(d, 1) : arrays.reduce((a, b) => a + b.length, 0) / Math.max(d, 1);
  return { n, parts: arrays.map((data) => ({ data, w: n > 0 ? data.length / n : 0 })) };
}

/** Writes the rows of `x` into `dst` at row stride `dp` (>= d), zeros in each row's padding. */
function copyRows(x: RowBlocks, d: number, dst: Float32Array, dp: number): void {
  const { n, parts } = blocksOf(x, d);
  if (parts.length === 1 && dp === d) {
    dst.set(parts[0].data.subarray(0, n * d));
    return;
  }
  let offset = 0;
  for (const { data, w } of parts) {
    for (let i = 0; i < n; i++) dst.set(data.subarray(i * w, i * w + w), i * dp + offset);
    offset += w;
  }
  // The kernels read whole padded rows, and a reused memory holds the last fit's values there.
  if (dp > d) for (let i = 0; i < n; i++) dst.fill(0, i * dp + d, (i + 1) * dp);
}

/**
 * The kernel memory of the last finished fit, kept for the next one (up to `KEEP_BYTES`): the
 * first write to fresh WebAssembly memory costs a page fault per 4 KiB, more than half of a
 * small fit's time (ConcatProbe on 546 x 5632 rows: 85 of 200 ms), and an evaluation protocol
 * runs hundreds of fits on rows of the same size.
 */
let idle: WebAssembly.Memory | undefined;
const KEEP_BYTES = 2 ** 29;
const PAGE = 65536;

function keepMemory(memory: WebAssembly.Memory): void {
  if (memory.buffer.byteLength <= KEEP_BYTES) idle = memory;
}

/** A memory of at least `bytes`: the kept one (grown if need be), else a fresh one. */
function takeMemory(bytes: number): WebAssembly.Memory {
  const pages = Math.ceil(bytes / PAGE);
  const kept = idle;
  idle = undefined;
  if (kept) {
    try {
      const have = kept.buffer.byteLength / PAGE;
      if (pages > have) kept.grow(pages - have);
      return kept;
    } catch {
      // Could not grow: a fresh one below.
    }
  }
  return new WebAssembly.Memory({ initial: pages });
}

/** `x` as one row-major array (a copy only when it comes in blocks). */
function joined(x: RowBlocks, d: number): Float32Array {
  if (x instanceof Float32Array) return x;
  const out = new Float32Array(blocksOf(x, d).n * d);
  copyRows(x, d, out, d);
  return out;
}

/**
 * @internal The fastest {@link RowProducts} here: WebAssembly SIMD, else TypeScript.
 * `x` is `[n, d]` and `xVal` `[nVal, d]` (each one array or per-source blocks); `batch` is the
 * most rows of one forward.
 */
export async function createRowProducts(
  x: RowBlocks,
  xVal: RowBlocks | undefined,
  d: number,
  k: number,
  batch: number,
): Promise<RowProducts> {
  const fallback = () => new JsRowProducts(joined(x, d), xVal && joined(xVal, d), d, k);
  if (typeof WebAssembly !== 'object' || typeof WebAssembly.compile !== 'function') return fallback();
  const stride = align(Math.max(d, 1), FEATURE_ALIGN) * 4;
  const dp = stride / 4;
  const n = blocksOf(x, d).n;
  const nVal = xVal ? blocksOf(xVal, d).n : 0;
  const block = Math.max(batch, CHUNK);
  // The kernels address f64 copies of W too (unused here): w64 sits between w32 and grad.
  const w32 = 0;
  const grad = w32 + 3 * k * stride;
  const z = grad + 2 * k * stride;
  const g32 = z + block * k * 8;
  const xAt = align(g32 + block * k * 4, 64);
  const batchAt = xAt + n * stride;
  const val = batchAt + batch * stride;
  const bytes = val + nVal * stride;
  if (bytes > MAX_BYTES) return fallback();
  let memory: WebAssembly.Memory;
  let instance: WebAssembly.Instance;
  try {
    const module = await compileKernels({ k, stride, w32, w64: w32 + k * stride, grad });
    if (!module) return fallback();
    memory = takeMemory(bytes);
    instance = await WebAssembly.instantiate(module, { env: { memory } });
  } catch {
    return fallback();
  }
  // W's padding columns zeroed (setWeights writes the d real ones); copyRows zeroes the rows'.
  new Float32Array(memory.buffer, w32, (grad - w32) / 4).fill(0);
  copyRows(x, d, new Float32Array(memory.buffer, xAt, n * dp), dp);
  if (xVal) copyRows(xVal, d, new Float32Array(memory.buffer, val, nVal * dp), dp);
  const at = { w32, grad, z, g32, x: xAt, batch: batchAt, val };
  return new WasmRowProducts(memory, instance.exports as Record<string, Kernel>, at, stride, nVal, d, k);
}

import { type BlockLoss, type LinearKernel, blockRows, deriveLastGradient, deriveLastScore } from './linear-kernel.js';
import { FEATURE_ALIGN, type KernelLayout, TUNING, compileKernels } from '../../wasm/lbfgs-kernels.js';

type Kernel = (x: number, rows: number, out: number) => void;

/** `fwd32`, `fwd32x1`, `bwd32`, ... and, for k >= 2, the same with an `s` suffix (last class skipped). */
type Exports = Record<string, Kernel>;

/** 4 GiB less one page: the most a 32-bit linear memory can address. */
const MAX_BYTES = 2 ** 32 - 65536;

const align = (v: number, to: number): number => Math.ceil(v / to) * to;

/** The kernels' layout plus the JavaScript-side buffers: scores, G (f64 and f32) and X. */
type Layout = KernelLayout & { readonly z: number; readonly g64: number; readonly g32: number; readonly x: number };

/**
 * WebAssembly SIMD kernel holding its own copy of X (f32, rows zero-padded to a multiple of
 * `FEATURE_ALIGN` features) in a linear memory, so each evaluation streams X once, with no
 * per-iteration upload.
 *
 * @internal
 */
class WasmLinearKernel implements LinearKernel {
  readonly name = 'wasm-simd';
  readonly hasFast = true;
  private memory: WebAssembly.Memory | undefined;
  private readonly dp: number;
  private readonly block: number;

  constructor(
    memory: WebAssembly.Memory,
    private readonly fns: Exports,
    private readonly L: Layout,
    private readonly n: number,
    readonly d: number,
    private readonly tuning: typeof TUNING,
  ) {
    this.memory = memory;
    this.dp = L.stride / 4;
    this.block = blockRows(L.stride);
  }

  pass(w: Float64Array, fast: boolean, loss: BlockLoss, grad: Float64Array, sumZeroAsked = false): void {
    if (!this.memory) throw new Error('internal: kernel used after dispose');
    const { L, dp, d, n, block } = this;
    const { k, stride } = L;
    const sumZero = sumZeroAsked && k >= 2;
    const buf = this.memory.buffer;
    const wv = fast ? new Float32Array(buf, L.w32, k * dp) : new Float64Array(buf, L.w64, k * dp);
    for (let c = 0; c < k; c++) wv.set(w.subarray(c * d, c * d + d), c * dp);
    const acc = new Float64Array(buf, L.grad, k * dp);
    acc.fill(0);
    const z = new Float64Array(buf, L.z, block * k);
    const g = new Float64Array(buf, L.g64, block * k);
    const g32 = new Float32Array(buf, L.g32, block * k);
    const p = fast ? '32' : '64';
    const s = sumZero ? 's' : '';
    const fns = this.fns;
    const [fwd, fwd1, bwd, bwd1] = [fns[`fwd${p}${s}`], fns[`fwd${p}x1${s}`], fns[`bwd${p}${s}`], fns[`bwd${p}x1${s}`]];
    const unroll = fast ? this.tuning.f32.rows : this.tuning.f64.rows;
    const gAddr = fast ? L.g32 : L.g64;
    const gBytes = fast ? 4 : 8;
    for (let row0 = 0; row0 < n; row0 += block) {
      const rows = Math.min(block, n - row0);
      const main = rows - (rows % unroll);
      const xp = L.x + row0 * stride;
      if (main > 0) fwd(xp, main, L.z);
      if (main < rows) fwd1(xp + main * stride, rows - main, L.z + main * k * 8);
      if (sumZero) deriveLastScore(z, rows, k);
      loss(row0, rows, z, g);
      if (fast) {
        // Flush what would be f32 subnormals (softmax tails of confident rows) to zero: SIMD
        // arithmetic on subnormals is many times slower on some CPUs, and they change nothing.
        for (let t = 0; t < rows * k; t++) g32[t] = Math.abs(g[t]) < 1e-30 ? 0 : g[t];
      }
      if (main > 0) bwd(xp, main, gAddr);
      if (main < rows) bwd1(xp + main * stride, rows - main, gAddr + main * k * gBytes);
    }
    for (let c = 0; c < k; c++) grad.set(acc.subarray(c * dp, c * dp + d), c * d);
    if (sumZero) deriveLastGradient(grad, k, d);
  }

  dispose(): void {
    this.memory = undefined;
  }
}

/**
 * Compiles the kernels for `k` outputs and `d` features and copies X into a fresh linear
 * memory. Resolves to `undefined` where WebAssembly SIMD is unavailable or X is too large for a
 * 32-bit memory, so the caller can fall back to the TypeScript kernel.
 *
 * @internal
 */
export async function createWasmKernel(
  x: Float32Array,
  n: number,
  d: number,
  k: number,
  tuning = TUNING,
): Promise<LinearKernel | undefined> {
  if (typeof WebAssembly !== 'object' || typeof WebAssembly.compile !== 'function') return undefined;
  const dp = align(Math.max(d, 1), FEATURE_ALIGN);
  const stride = dp * 4;
  const block = blockRows(stride);
  const w32 = 0;
  const w64 = w32 + k * stride;
  const grad = w64 + 2 * k * stride;
  const z = grad + 2 * k * stride;
  const g64 = z + block * k * 8;
  const g32 = g64 + block * k * 8;
  const xAddr = align(g32 + block * k * 4, 64);
  const bytes = xAddr + n * stride;
  if (bytes > MAX_BYTES) return undefined;
  const layout = { k, stride, w32, w64, grad, z, g64, g32, x: xAddr };
  let memory: WebAssembly.Memory;
  let instance: WebAssembly.Instance;
  try {
    const module = await compileKernels(layout, tuning);
    if (!module) return undefined; // no SIMD in this engine
    memory = new WebAssembly.Memory({ initial: Math.ceil(bytes / 65536) });
    instance = await WebAssembly.instantiate(module, { env: { memory } });
  } catch {
    return undefined; // the engine refused the allocation: use the TypeScript kernel
  }
  const xs = new Float32Array(memory.buffer, xAddr, n * dp);
  if (dp === d) xs.set(x.subarray(0, n * d));
  else for (let i = 0; i < n; i++) xs.set(x.subarray(i * d, i * d + d), i * dp);
  return new WasmLinearKernel(memory, instance.exports as Exports, layout, n, d, tuning);
}

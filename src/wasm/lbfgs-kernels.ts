import { FunctionBody, I32, V128, encodeModule } from './encoder.js';

/**
 * Byte addresses of the buffers inside the kernel's linear memory. The kernels are specialised
 * to one layout, one class count and one row stride, so every address below is a constant
 * folded into load/store offsets.
 *
 * @internal
 */
export interface KernelLayout {
  /** Number of output columns (1 for binary logistic, the class count for softmax). */
  readonly k: number;
  /** Bytes per row of X as stored (f32, zero-padded to a multiple of `FEATURE_ALIGN` features). */
  readonly stride: number;
  /** W as f32, `k` rows of `stride` bytes. */
  readonly w32: number;
  /** W as f64, `k` rows of `2 * stride` bytes. */
  readonly w64: number;
  /** Gradient accumulator (f64), `k` rows of `2 * stride` bytes. */
  readonly grad: number;
}

/**
 * Register blocking of one precision. `rows`: rows per forward pass, and per backward loop
 * iteration (callers cut blocks to multiples of it; `x1` kernels take the rest). `fwdClasses`:
 * classes per forward pass (accumulators = rows x fwdClasses). `bwdChunks`: 16-byte chunks of
 * features per backward pass, `bwdClasses`: classes per backward pass.
 *
 * @internal
 */
export interface KernelTuning {
  readonly rows: number;
  readonly fwdClasses: number;
  readonly bwdChunks: number;
  readonly bwdClasses: number;
}

/**
 * Chosen by CPU-time measurement of one evaluation (10,000 x 2048, k = 1, 3, 5, 8) on x64 V8
 * (Node 20), which gives WebAssembly 16 xmm registers; neighbouring settings were within 10%.
 * The forward pass keeps 8 f32 accumulators (4 rows x 2 classes) in registers. The backward
 * pass is best with 4 chunks x 5 classes although that spills: the spilled accumulators stay in
 * L1, and wide chunks reload (and, in f64, convert) each row of X fewer times. About 15 ms
 * (f32) and 25 ms (f64) per evaluation at k = 5 with the last class derived.
 *
 * @internal
 */
export const TUNING: { readonly f32: KernelTuning; readonly f64: KernelTuning } = {
  f32: { rows: 4, fwdClasses: 2, bwdChunks: 4, bwdClasses: 5 },
  f64: { rows: 2, fwdClasses: 5, bwdChunks: 4, bwdClasses: 5 },
};

/** Row padding, in features, that every backward tuning's chunk step divides. @internal */
export const FEATURE_ALIGN = 16;

const HIGH_HALF = [8, 9, 10, 11, 12, 13, 14, 15, 8, 9, 10, 11, 12, 13, 14, 15];

/**
 * `forward(x, rows, z)`: z[r, c] = x_r . w_c for `rows` rows starting at byte address `x`,
 * written as f64 to `z` (row-major [rows, k]). `rowsPerPass` rows share each load of W; `rows`
 * must be a multiple of it (a second copy with one row per pass handles the remainder). Only the
 * first `classes` columns are computed (the caller derives the last one when it can).
 */
function forward(L: KernelLayout, f64: boolean, rowsPerPass: number, group: number, classes: number): FunctionBody {
  const { k, stride } = L;
  const f = new FunctionBody(3);
  const [xPtr, rowCount, zPtr] = [0, 1, 2];
  const p = f.local(I32);
  const end = f.local(I32);
  const jb = f.local(I32);
  const a = f.local(I32);
  const jw = f.local(I32);
  const wv = f.local(V128);
  const xs = Array.from({ length: rowsPerPass * (f64 ? 2 : 1) }, () => f.local(V128));
  f.get(xPtr).set(p);
  f.get(xPtr).get(rowCount).i32Const(stride).i32Mul().i32Add().set(end);
  f.loop();
  for (let c0 = 0; c0 < classes; c0 += group) {
    const cs = Math.min(group, classes - c0);
    const acc = Array.from({ length: rowsPerPass * cs }, () => f.local(V128));
    for (const v of acc) f.v128Zero().set(v);
    f.i32Const(0).set(jb);
    f.loop();
    f.get(p).get(jb).i32Add().set(a);
    if (f64) f.get(jb).get(jb).i32Add().set(jw);
    for (let r = 0; r < rowsPerPass; r++) {
      if (!f64) {
        f.get(a).v128Load(r * stride).set(xs[r]);
      } else {
        // Four f32 features become two f64x2 halves; W is read in f64.
        f.get(a).v128Load(r * stride).set(xs[2 * r + 1]);
        f.get(xs[2 * r + 1]).f64x2PromoteLowF32x4().set(xs[2 * r]);
        f.get(xs[2 * r + 1]).get(xs[2 * r + 1]).shuffle(HIGH_HALF).f64x2PromoteLowF32x4().set(xs[2 * r + 1]);
      }
    }
    for (let c = 0; c < cs; c++) {
      for (let h = 0; h < (f64 ? 2 : 1); h++) {
        if (f64) f.get(jw).v128Load(L.w64 + (c0 + c) * 2 * stride + 16 * h).set(wv);
        else f.get(jb).v128Load(L.w32 + (c0 + c) * stride).set(wv);
        for (let r = 0; r < rowsPerPass; r++) {
          const v = acc[r * cs + c];
          f.get(v).get(xs[f64 ? 2 * r + h : r]).get(wv);
          if (f64) f.f64x2Mul().f64x2Add();
          else f.f32x4Mul().f32x4Add();
          f.set(v);
        }
      }
    }
    f.get(jb).i32Const(16).i32Add().tee(jb).i32Const(stride).i32LtU().brIf(0).end();
    for (let r = 0; r < rowsPerPass; r++) {
      for (let c = 0; c < cs; c++) {
        const v = acc[r * cs + c];
        f.get(zPtr);
        if (f64) {
          f.get(v).f64x2ExtractLane(0).get(v).f64x2ExtractLane(1).f64Add();
        } else {
          // Lanes are summed in f64 so the last rounding step is not f32's.
          f.get(v).f32x4ExtractLane(0).f64PromoteF32().get(v).f32x4ExtractLane(1).f64PromoteF32().f64Add();
          f.get(v).f32x4ExtractLane(2).f64PromoteF32().get(v).f32x4ExtractLane(3).f64PromoteF32().f64Add();
          f.f64Add();
        }
        f.f64Store((r * k + c0 + c) * 8);
      }
    }
  }
  f.get(zPtr).i32Const(rowsPerPass * k * 8).i32Add().set(zPtr);
  f.get(p).i32Const(rowsPerPass * stride).i32Add().tee(p).get(end).i32LtU().brIf(0).end();
  return f;
}

/**
 * `backward(x, rows, g)`: grad[c, :] += sum_r g[r, c] * x_r over `rows` rows starting at `x`;
 * `g` is row-major [rows, k] (f32 or f64 to match the kernel). Each feature chunk is summed
 * over the block in registers and added once to the f64 accumulator, so the f32 kernel rounds
 * only within a block, never across the whole data set. Only the first `classes` rows of grad
 * are accumulated.
 */
function backward(
  L: KernelLayout,
  f64: boolean,
  chunks: number,
  group: number,
  unroll: number,
  classes: number,
): FunctionBody {
  const { k, stride } = L;
  const f = new FunctionBody(3);
  const [xPtr, rowCount, gPtr] = [0, 1, 2];
  const p = f.local(I32);
  const end = f.local(I32);
  const jb = f.local(I32);
  const q = f.local(I32);
  const jw = f.local(I32);
  const s = f.local(V128);
  const halves = f64 ? 2 : 1;
  const xs = Array.from({ length: chunks * halves }, () => f.local(V128));
  const gBytes = f64 ? 8 : 4;
  f.i32Const(0).set(jb);
  f.loop();
  for (let c0 = 0; c0 < classes; c0 += group) {
    const cs = Math.min(group, classes - c0);
    const acc = Array.from({ length: cs * chunks * halves }, () => f.local(V128));
    for (const v of acc) f.v128Zero().set(v);
    f.get(xPtr).get(jb).i32Add().tee(p).get(rowCount).i32Const(stride).i32Mul().i32Add().set(end);
    f.get(gPtr).set(q);
    f.loop();
    for (let u = 0; u < unroll; u++) {
      for (let j = 0; j < chunks; j++) {
        const off = u * stride + 16 * j;
        if (!f64) {
          f.get(p).v128Load(off).set(xs[j]);
        } else {
          f.get(p).v128Load(off).set(xs[2 * j + 1]);
          f.get(xs[2 * j + 1]).f64x2PromoteLowF32x4().set(xs[2 * j]);
          f.get(xs[2 * j + 1]).get(xs[2 * j + 1]).shuffle(HIGH_HALF).f64x2PromoteLowF32x4().set(xs[2 * j + 1]);
        }
      }
      for (let c = 0; c < cs; c++) {
        f.get(q);
        if (f64) f.v128Load64Splat((u * k + c0 + c) * gBytes);
        else f.v128Load32Splat((u * k + c0 + c) * gBytes);
        f.set(s);
        for (let t = 0; t < chunks * halves; t++) {
          const v = acc[c * chunks * halves + t];
          f.get(v).get(s).get(xs[t]);
          if (f64) f.f64x2Mul().f64x2Add();
          else f.f32x4Mul().f32x4Add();
          f.set(v);
        }
      }
    }
    f.get(q).i32Const(unroll * k * gBytes).i32Add().set(q);
    f.get(p).i32Const(unroll * stride).i32Add().tee(p).get(end).i32LtU().brIf(0).end();
    f.get(jb).get(jb).i32Add().set(jw);
    for (let c = 0; c < cs; c++) {
      for (let j = 0; j < chunks; j++) {
        const off = L.grad + (c0 + c) * 2 * stride + 32 * j;
        for (let h = 0; h < 2; h++) {
          f.get(jw).get(jw).v128Load(off + 16 * h);
          if (f64) {
            f.get(acc[c * chunks * 2 + 2 * j + h]);
          } else {
            const v = acc[c * chunks + j];
            if (h === 0) f.get(v).f64x2PromoteLowF32x4();
            else f.get(v).get(v).shuffle(HIGH_HALF).f64x2PromoteLowF32x4();
          }
          f.f64x2Add().v128Store(off + 16 * h);
        }
      }
    }
  }
  f.get(jb).i32Const(16 * chunks).i32Add().tee(jb).i32Const(stride).i32LtU().brIf(0).end();
  return f;
}

/**
 * Encodes the kernels for one layout: `fwd32`, `bwd32`, `fwd64`, `bwd64` take row counts that
 * are multiples of their tuning's `rows`; the `...x1` twins take any count. With `k >= 2` there
 * are also `...s` variants that skip the last class (see `LinearKernel.pass`'s `sumZero`).
 * `L.stride` must be a multiple of `FEATURE_ALIGN` features.
 *
 * @internal
 */
export function encodeKernels(L: KernelLayout, tuning = TUNING): Uint8Array<ArrayBuffer> {
  const sig = [I32, I32, I32];
  const fns = [];
  for (const [suffix, f64, t] of [['32', false, tuning.f32], ['64', true, tuning.f64]] as const) {
    if (FEATURE_ALIGN % (4 * t.bwdChunks) !== 0) {
      throw new Error(`internal: bwdChunks ${t.bwdChunks} does not divide the row padding`);
    }
    for (const [skip, classes] of L.k >= 2 ? [['', L.k], ['s', L.k - 1]] as const : [['', L.k]] as const) {
      const { rows, fwdClasses, bwdChunks, bwdClasses } = t;
      fns.push(
        { name: `fwd${suffix}${skip}`, params: sig, body: forward(L, f64, rows, fwdClasses, classes) },
        { name: `fwd${suffix}x1${skip}`, params: sig, body: forward(L, f64, 1, fwdClasses, classes) },
        { name: `bwd${suffix}${skip}`, params: sig, body: backward(L, f64, bwdChunks, bwdClasses, rows, classes) },
        { name: `bwd${suffix}x1${skip}`, params: sig, body: backward(L, f64, bwdChunks, bwdClasses, 1, classes) },
      );
    }
  }
  return encodeModule(fns);
}

/** Compiled modules by layout and tuning: a protocol fits hundreds of heads of a few shapes. */
const compiled = new Map<string, Promise<WebAssembly.Module | undefined>>();
const CACHE_SIZE = 16;

/**
 * {@link encodeKernels} compiled, from a small cache (encoding and compiling cost 10-40 ms, a
 * fit of a small head about as much); `undefined` where the engine has no WebAssembly SIMD.
 *
 * @internal
 */
export function compileKernels(L: KernelLayout, tuning = TUNING): Promise<WebAssembly.Module | undefined> {
  const key = JSON.stringify([L.k, L.stride, L.w32, L.w64, L.grad, tuning]);
  let module = compiled.get(key);
  if (!module) {
    const code = encodeKernels(L, tuning);
    module = WebAssembly.validate(code) ? WebAssembly.compile(code) : Promise.resolve(undefined);
    // A failed compile is not kept: the next fit tries again.
    module.catch(() => compiled.delete(key));
    if (compiled.size >= CACHE_SIZE) compiled.delete(compiled.keys().next().value as string);
    compiled.set(key, module);
  }
  return module;
}

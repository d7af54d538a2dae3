import { FunctionBody, I32, V128, encodeModule } from './encoder.js';

/**
 * WebAssembly SIMD code of attention over one-dimensional tokens (head width 1), where the
 * scores of a sample are an outer product `s_ij = a_i k_j` (`a = q * scale`). Every function
 * walks the query rows of one sample and, per row, the keys four at a time; nothing of size
 * tokens x tokens is ever stored.
 *
 * A row's maximum is exact without a pass over the row: `max_j a_i k_j = a_i kmax` if `a_i >= 0`,
 * else `a_i kmin`. The caller supplies the keys as `kdMax_j = (k_j - kmax) log2 e` and
 * `kdMin_j = (k_j - kmin) log2 e`, so that `exp(s_ij - max_j s_ij) = 2^(a_i kd_j)` with
 * `a_i kd_j <= 0`: one product per pair, and no cancellation between a large score and its
 * row's maximum.
 *
 * Keys are padded to a multiple of four with `kd = v = 0`: each padding key adds exactly 1 to
 * the row sum `l_i` (the caller subtracts it) and nothing to any other result.
 *
 * @internal
 */

/**
 * 2^f on [-1/2, 1/2] as `1 + f (c1 + f (c2 + ...))`: a relative-error minimax fit with the
 * constant term held at 1, so that a row's largest score gives exactly 1 as `exp(0)` does.
 * Evaluated in float32 it is within 2.3 ulp of 2^f (0.7 ulp on average), below the rounding
 * already in the exponent `a_i kd_j` (|t| 2^-24, i.e. 4 ulp of the result at t = -8).
 *
 * @internal
 */
export const EXP2_COEFFICIENTS: readonly number[] = [
  0.6931470632553101, 0.24022217094898224, 0.0555061511695385, 0.009672933258116245, 0.001330221421085298,
];

/**
 * Exponents below this give 0 in the range-tested functions. PyTorch keeps such terms (down to
 * float32's 1e-45), but a term under 2^-64 of its row's largest (which is 1) cannot move a
 * float32 sum of up to 2^32 terms, and flushing them keeps products out of the subnormal range,
 * which is many times slower on some CPUs. A result can differ only where it is made of such
 * terms alone, by less than 2^-64 of its factors. Samples whose exponents all lie at or above it
 * (`max |a| (kmax - kmin) log2 e <= 64`, most of them) run the `...InRange` functions, which
 * skip the test.
 *
 * @internal
 */
export const EXP2_FLOOR = -64;

/** 1.5 * 2^23: adding it rounds |t| < 2^22 to an integer held in the low mantissa bits. */
const SHIFTER = 12582912;

/** The constants of {@link emitExp2}, each held in a local for the whole function. */
interface ExpConstants {
  readonly shifter: number;
  readonly floor: number | undefined;
  readonly one: number;
  readonly coefficients: readonly number[];
}

function expConstants(f: FunctionBody, rangeTest: boolean): ExpConstants {
  const local = (v: number) => {
    const l = f.local(V128);
    f.f32x4Const(v).set(l);
    return l;
  };
  return {
    shifter: local(SHIFTER),
    floor: rangeTest ? local(EXP2_FLOOR) : undefined,
    one: local(1),
    coefficients: EXP2_COEFFICIENTS.map(local),
  };
}

/**
 * Leaves `2^t` on the stack for `t` in local `t` (with a floor: 0 where `t < EXP2_FLOOR`);
 * `j` and `r` are scratch locals. 2^t = 2^n 2^f with n = round(t) and f = t - n, exact; 2^n is
 * added to the exponent bits of the polynomial's value, which is valid down to n = -125.
 */
function emitExp2(f: FunctionBody, c: ExpConstants, t: number, j: number, r: number): void {
  f.get(t).get(c.shifter).f32x4Add().set(j);
  f.get(t).get(j).get(c.shifter).f32x4Sub().f32x4Sub().set(r); // f = t - (j - shifter)
  const k = c.coefficients;
  f.get(k[k.length - 1]);
  for (let i = k.length - 2; i >= 0; i--) f.get(r).f32x4Mul().get(k[i]).f32x4Add();
  f.get(r).f32x4Mul().get(c.one).f32x4Add();
  f.get(j).i32Const(23).i32x4Shl().i32x4Add();
  if (c.floor !== undefined) f.get(t).get(c.floor).f32x4Ge().v128And();
}

const HIGH_HALF = [8, 9, 10, 11, 12, 13, 14, 15, 8, 9, 10, 11, 12, 13, 14, 15];

/** Bytes of keys whose products a row sums in float32 lanes before adding them up in float64. */
const BLOCK_BYTES = 512;

/**
 * The loop over the keys of one row, in blocks of `BLOCK_BYTES`: `body` runs per four keys
 * (byte offset in local `col`) and adds into the f32x4 locals `acc`; after each block they are
 * added into f64x2 pairs (returned, one pair per accumulator), so that no float32 sum runs over
 * more than 32 terms.
 */
function emitBlockedKeys(f: FunctionBody, colBytes: number, col: number, acc: readonly number[], body: () => void): number[][] {
  const wide = acc.map(() => [f.local(V128), f.local(V128)]);
  const blockEnd = f.local(I32);
  for (const [lo, hi] of wide) f.v128Zero().set(lo).v128Zero().set(hi);
  f.i32Const(0).set(col);
  f.loop();
  f.get(col).i32Const(BLOCK_BYTES).i32Add().tee(blockEnd).get(colBytes).get(blockEnd).get(colBytes).i32LtU().select().set(blockEnd);
  for (const a of acc) f.v128Zero().set(a);
  f.loop();
  body();
  f.get(col).i32Const(16).i32Add().tee(col).get(blockEnd).i32LtU().brIf(0).end();
  acc.forEach((a, i) => {
    const [lo, hi] = wide[i];
    f.get(lo).get(a).f64x2PromoteLowF32x4().f64x2Add().set(lo);
    f.get(hi).get(a).get(a).shuffle(HIGH_HALF).f64x2PromoteLowF32x4().f64x2Add().set(hi);
  });
  f.get(col).get(colBytes).i32LtU().brIf(0).end();
  return wide;
}

/** Leaves the sum of the four f64 lanes of the pair `[lo, hi]` on the stack. */
function emitWideSum(f: FunctionBody, [lo, hi]: readonly number[]): void {
  f.get(lo).get(hi).f64x2Add().tee(lo).f64x2ExtractLane(0).get(lo).f64x2ExtractLane(1).f64Add();
}

/** Per row: splats `a_i` (at `aPtr`) into `va` and sets `base` to `kdMax` if `a_i >= 0`, else `kdMin`. */
function emitRowStart(f: FunctionBody, aPtr: number, kdMax: number, kdMin: number, va: number, base: number): void {
  f.get(kdMax).get(kdMin).get(aPtr).f32Load().f32Const(0).f32Ge().select().set(base);
  f.get(aPtr).v128Load32Splat().set(va);
}

/**
 * `forward(rows, colBytes, a, kdMax, kdMin, v, out)`: for each of `rows` rows (f32 `a_i` at
 * `a`), writes `l_i = sum_j 2^(a_i kd_j)` and `n_i = sum_j 2^(a_i kd_j) v_j` as two f64 to
 * `out`. `colBytes` is the padded key count times 4.
 */
function forward(rangeTest: boolean): FunctionBody {
  const f = new FunctionBody(7);
  const [rows, colBytes, aPtr, kdMax, kdMin, vPtr, out] = [0, 1, 2, 3, 4, 5, 6];
  const c = expConstants(f, rangeTest);
  const [end, base, col] = [f.local(I32), f.local(I32), f.local(I32)];
  const [va, t, j, r, l, n] = Array.from({ length: 6 }, () => f.local(V128));
  f.get(aPtr).get(rows).i32Const(4).i32Mul().i32Add().set(end);
  f.loop();
  emitRowStart(f, aPtr, kdMax, kdMin, va, base);
  const [l64, n64] = emitBlockedKeys(f, colBytes, col, [l, n], () => {
    f.get(va).get(base).get(col).i32Add().v128Load().f32x4Mul().set(t);
    emitExp2(f, c, t, j, r);
    f.tee(r).get(l).f32x4Add().set(l);
    f.get(r).get(vPtr).get(col).i32Add().v128Load().f32x4Mul().get(n).f32x4Add().set(n);
  });
  f.get(out);
  emitWideSum(f, l64);
  f.f64Store(0);
  f.get(out);
  emitWideSum(f, n64);
  f.f64Store(8);
  f.get(out).i32Const(16).i32Add().set(out);
  f.get(aPtr).i32Const(4).i32Add().tee(aPtr).get(end).i32LtU().brIf(0).end();
  return f;
}

/**
 * `backward(rows, colBytes, a, c1, c4, kdMax, kdMin, v, dv, dk, dq)`: with `e_ij = 2^(a_i
 * kd_j)` and per-row f32 `c1_i = g_i / l_i`, `c4_i = D_i / l_i` (so that `p_ij = e_ij / l_i`
 * and `dS_ij = e_ij (c1_i v_j - c4_i)`), accumulates the f32 columns `dv_j += c1_i e_ij` and
 * `dk_j += a_i dS_ij`, and writes `sum_j dS_ij kd_j` per row as f64 to `dq`: since
 * `sum_j dS_ij = 0`, that is `log2 e sum_j dS_ij k_j` with the row's extreme key subtracted
 * from every `k_j`, which cancels far less when the row is dominated by that key.
 */
function backward(rangeTest: boolean): FunctionBody {
  const f = new FunctionBody(11);
  const [rows, colBytes, aPtr, c1Ptr, c4Ptr, kdMax, kdMin, vPtr, dvPtr, dkPtr, dqPtr] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
  const c = expConstants(f, rangeTest);
  const [end, base, col, addr] = [f.local(I32), f.local(I32), f.local(I32), f.local(I32)];
  const [va, c1, c4, kd, t, j, e, ds, dq] = Array.from({ length: 9 }, () => f.local(V128));
  f.get(aPtr).get(rows).i32Const(4).i32Mul().i32Add().set(end);
  f.loop();
  emitRowStart(f, aPtr, kdMax, kdMin, va, base);
  f.get(c1Ptr).v128Load32Splat().set(c1);
  f.get(c4Ptr).v128Load32Splat().set(c4);
  const [dq64] = emitBlockedKeys(f, colBytes, col, [dq], () => {
    f.get(base).get(col).i32Add().v128Load().tee(kd).get(va).f32x4Mul().set(t);
    emitExp2(f, c, t, j, e);
    f.set(e);
    // dS = e (c1 v - c4)
    f.get(e).get(c1).get(vPtr).get(col).i32Add().v128Load().f32x4Mul().get(c4).f32x4Sub().f32x4Mul().set(ds);
    // dv += c1 e; dk += a dS; dq += dS kd
    f.get(dvPtr).get(col).i32Add().tee(addr).get(addr).v128Load().get(e).get(c1).f32x4Mul().f32x4Add().v128Store();
    f.get(dkPtr).get(col).i32Add().tee(addr).get(addr).v128Load().get(ds).get(va).f32x4Mul().f32x4Add().v128Store();
    f.get(ds).get(kd).f32x4Mul().get(dq).f32x4Add().set(dq);
  });
  f.get(dqPtr);
  emitWideSum(f, dq64);
  f.f64Store(0);
  f.get(dqPtr).i32Const(8).i32Add().set(dqPtr);
  for (const p of [c1Ptr, c4Ptr]) f.get(p).i32Const(4).i32Add().set(p);
  f.get(aPtr).i32Const(4).i32Add().tee(aPtr).get(end).i32LtU().brIf(0).end();
  return f;
}

/**
 * `flush(count, src, dst)`: `dst[i] += src[i]` (f32 into f64) and `src[i] = 0` for `count`
 * values, a multiple of 4. Column sums run in float32 over a block of rows, then move here.
 */
function flush(): FunctionBody {
  const f = new FunctionBody(3);
  const [count, src, dst] = [0, 1, 2];
  const [end, x] = [f.local(I32), f.local(V128)];
  f.get(src).get(count).i32Const(4).i32Mul().i32Add().set(end);
  f.loop();
  f.get(src).v128Load().set(x);
  f.get(dst).get(dst).v128Load().get(x).f64x2PromoteLowF32x4().f64x2Add().v128Store();
  f.get(dst).get(dst).v128Load(16).get(x).get(x).shuffle(HIGH_HALF).f64x2PromoteLowF32x4().f64x2Add().v128Store(16);
  f.get(src).v128Zero().v128Store();
  f.get(dst).i32Const(32).i32Add().set(dst);
  f.get(src).i32Const(16).i32Add().tee(src).get(end).i32LtU().brIf(0).end();
  return f;
}

/**
 * The module: `forward`, `backward` (exponents below `EXP2_FLOOR` give 0), `forwardInRange`,
 * `backwardInRange` (no such exponents, no test) and `flush`, over a memory imported as
 * `env.memory`.
 *
 * @internal
 */
export function encodeScalarAttention(): Uint8Array<ArrayBuffer> {
  const i32s = (n: number) => new Array<number>(n).fill(I32);
  return encodeModule([
    { name: 'forward', params: i32s(7), body: forward(true) },
    { name: 'backward', params: i32s(11), body: backward(true) },
    { name: 'forwardInRange', params: i32s(7), body: forward(false) },
    { name: 'backwardInRange', params: i32s(11), body: backward(false) },
    { name: 'flush', params: i32s(3), body: flush() },
  ]);
}

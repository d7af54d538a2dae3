import { F32, FunctionBody, I32, V128, encodeModule } from './encoder.js';

/** @internal Adam's scalars for one step, each a float32 constant as the tensor form's ops see it. */
export interface AdamScalars {
  readonly beta1: number;
  readonly oneMinusBeta1: number;
  readonly beta2: number;
  readonly oneMinusBeta2: number;
  /** `sqrt(1 - beta2^t)`. */
  readonly rootBc2: number;
  readonly eps: number;
  /** `lr / (1 - beta1^t)`. */
  readonly rate: number;
}

/**
 * `adam(p, g, m, v, bytes, b1, c1, b2, c2, root, eps, rate)`: over `bytes` (a multiple of 16)
 * from the byte addresses p, g, m, v, in place,
 * `m = m b1 + g c1; v = v b2 + (g g) c2; p = p - (m / (sqrt(v) / root + eps)) rate`,
 * four f32 lanes at a time. Each SIMD operation rounds to float32 exactly as one tensor op.
 */
function encodeAdam(): Uint8Array<ArrayBuffer> {
  const [p, g, m, v, bytes, b1, c1, b2, c2, root, eps, rate] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11];
  const f = new FunctionBody(12);
  const i = f.local(I32);
  const [vb1, vc1, vb2, vc2, vroot, veps, vrate, gv, mv, vv] = Array.from({ length: 10 }, () => f.local(V128));
  for (const [from, to] of [[b1, vb1], [c1, vc1], [b2, vb2], [c2, vc2], [root, vroot], [eps, veps], [rate, vrate]]) {
    f.get(from).f32x4Splat().set(to);
  }
  const at = (base: number) => f.get(base).get(i).i32Add();
  f.loop();
  at(g).v128Load().set(gv);
  // m = m b1 + g c1
  at(m);
  at(m).v128Load().get(vb1).f32x4Mul().get(gv).get(vc1).f32x4Mul().f32x4Add().tee(mv);
  f.v128Store();
  // v = v b2 + (g g) c2
  at(v);
  at(v).v128Load().get(vb2).f32x4Mul().get(gv).get(gv).f32x4Mul().get(vc2).f32x4Mul().f32x4Add().tee(vv);
  f.v128Store();
  // p = p - (m / (sqrt(v) / root + eps)) rate
  at(p);
  at(p).v128Load();
  f.get(mv).get(vv).f32x4Sqrt().get(vroot).f32x4Div().get(veps).f32x4Add().f32x4Div().get(vrate).f32x4Mul();
  f.f32x4Sub().v128Store();
  f.get(i).i32Const(16).i32Add().tee(i).get(bytes).i32LtU().brIf(0).end();
  return encodeModule([{ name: 'adam', params: [I32, I32, I32, I32, I32, F32, F32, F32, F32, F32, F32, F32], body: f }]);
}

let compiled: WebAssembly.Module | null | undefined;

/** The kernel's module, compiled once (synchronously: it is far below browsers' 4 KB limit); `null` without WebAssembly SIMD. */
function adamModule(): WebAssembly.Module | null {
  if (compiled !== undefined) return compiled;
  try {
    const code = encodeAdam();
    compiled = typeof WebAssembly === 'object' && WebAssembly.validate(code) ? new WebAssembly.Module(code) : null;
  } catch {
    compiled = null;
  }
  return compiled;
}

const PAGE = 65536;
const align16 = (n: number): number => Math.ceil(n / 4) * 4;

/**
 * @internal Adam's update of several float32 parameters by one WebAssembly SIMD kernel, the
 * moments kept in the kernel's memory: per parameter, its values and gradient are copied in,
 * one call updates the moments and the values, and the values are read back. Bit for bit the
 * tensor form's result (see `Adam`).
 */
export class AdamKernel {
  private readonly fn: (...args: number[]) => void;
  private readonly memory: WebAssembly.Memory;
  /** Byte address of each parameter's m (v follows it), and of the p and g scratch blocks. */
  private readonly moments: number[];
  private readonly scratchP: number;
  private readonly scratchG: number;

  private constructor(module: WebAssembly.Module, private readonly sizes: readonly number[]) {
    let at = 0;
    this.moments = sizes.map((n) => {
      const here = at;
      at += 2 * align16(n) * 4;
      return here;
    });
    const largest = Math.max(0, ...sizes.map(align16)) * 4;
    [this.scratchP, this.scratchG] = [at, at + largest];
    this.memory = new WebAssembly.Memory({ initial: Math.max(1, Math.ceil((at + 2 * largest) / PAGE)) });
    const instance = new WebAssembly.Instance(module, { env: { memory: this.memory } });
    this.fn = instance.exports.adam as (...args: number[]) => void;
  }

  /** A kernel for parameters of `sizes` values, or `undefined` without WebAssembly SIMD or memory. */
  static create(sizes: readonly number[]): AdamKernel | undefined {
    const module = adamModule();
    if (!module) return undefined;
    try {
      return new AdamKernel(module, sizes);
    } catch {
      return undefined;
    }
  }

  /** Updates parameter `index` (values `p`, gradient `g`, both left unchanged) and returns its new values. */
  update(index: number, p: Float32Array, g: Float32Array, s: AdamScalars): Float32Array {
    const n = this.sizes[index];
    const buf = this.memory.buffer;
    new Float32Array(buf, this.scratchP, n).set(p.subarray(0, n));
    new Float32Array(buf, this.scratchG, n).set(g.subarray(0, n));
    const m = this.moments[index];
    const bytes = align16(n) * 4;
    if (bytes > 0) {
      this.fn(this.scratchP, this.scratchG, m, m + bytes, bytes, s.beta1, s.oneMinusBeta1, s.beta2, s.oneMinusBeta2, s.rootBc2, s.eps, s.rate);
    }
    return new Float32Array(buf, this.scratchP, n);
  }
}

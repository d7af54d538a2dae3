/**
 * A minimal WebAssembly binary encoder: just enough to emit the SIMD kernels in
 * `wasm-kernel.ts` (L-BFGS), `src/fusion/scalar-attention-wasm.ts` (head-width-1 attention) and
 * `adam-kernel.ts` (Adam's update) at
 * run time, so the package ships readable TypeScript rather than an opaque binary blob and needs
 * no compiler toolchain. Opcodes follow the WebAssembly 2.0 core spec (SIMD included).
 *
 * @internal
 */

/** Value type `i32`. @internal */
export const I32 = 0x7f;
/** Value type `f32`. @internal */
export const F32 = 0x7d;
/** Value type `f64`. @internal */
export const F64 = 0x7c;
/** Value type `v128`. @internal */
export const V128 = 0x7b;

/** Unsigned LEB128. */
function uleb(out: number[], value: number): void {
  let v = value >>> 0;
  do {
    const byte = v & 0x7f;
    v >>>= 7;
    out.push(v === 0 ? byte : byte | 0x80);
  } while (v !== 0);
}

/** Signed LEB128 of a 32-bit integer. */
function sleb(out: number[], value: number): void {
  let v = value | 0;
  for (;;) {
    const byte = v & 0x7f;
    v >>= 7;
    const done = (v === 0 && (byte & 0x40) === 0) || (v === -1 && (byte & 0x40) !== 0);
    out.push(done ? byte : byte | 0x80);
    if (done) return;
  }
}

/**
 * Body of one function. Methods append instructions and return `this` so kernels read as
 * stack-machine listings. Locals are numbered after the parameters.
 *
 * @internal
 */
export class FunctionBody {
  readonly code: number[] = [];
  private readonly locals: number[] = [];

  constructor(private readonly paramCount: number) {}

  /** Declares a local of type `type` and returns its index. */
  local(type: number): number {
    this.locals.push(type);
    return this.paramCount + this.locals.length - 1;
  }

  private op(...bytes: number[]): this {
    this.code.push(...bytes);
    return this;
  }

  private simd(opcode: number): this {
    this.code.push(0xfd);
    uleb(this.code, opcode);
    return this;
  }

  private memarg(align: number, offset: number): this {
    uleb(this.code, align);
    uleb(this.code, offset);
    return this;
  }

  get(i: number): this { this.op(0x20); uleb(this.code, i); return this; }
  /** `select`: the first operand if the i32 condition on top is non-zero, else the second. */
  select(): this { return this.op(0x1b); }
  set(i: number): this { this.op(0x21); uleb(this.code, i); return this; }
  tee(i: number): this { this.op(0x22); uleb(this.code, i); return this; }
  i32Const(v: number): this { this.op(0x41); sleb(this.code, v); return this; }
  i32Add(): this { return this.op(0x6a); }
  i32Mul(): this { return this.op(0x6c); }
  i32LtU(): this { return this.op(0x49); }
  f32Load(offset = 0): this { return this.op(0x2a).memarg(2, offset); }
  f32Const(v: number): this {
    this.op(0x43);
    this.code.push(...new Uint8Array(Float32Array.of(v).buffer));
    return this;
  }
  f32Ge(): this { return this.op(0x60); }
  f64Add(): this { return this.op(0xa0); }
  f64PromoteF32(): this { return this.op(0xbb); }
  f64Load(offset = 0): this { return this.op(0x2b).memarg(3, offset); }
  f64Store(offset = 0): this { return this.op(0x39).memarg(3, offset); }
  /** `loop` with an empty block type; the body must end with {@link end}. */
  loop(): this { return this.op(0x03, 0x40); }
  brIf(depth: number): this { this.op(0x0d); uleb(this.code, depth); return this; }
  end(): this { return this.op(0x0b); }

  v128Load(offset = 0): this { return this.simd(0x00).memarg(4, offset); }
  v128Load32Splat(offset = 0): this { return this.simd(0x09).memarg(2, offset); }
  v128Load64Splat(offset = 0): this { return this.simd(0x0a).memarg(3, offset); }
  v128Store(offset = 0): this { return this.simd(0x0b).memarg(4, offset); }
  v128Zero(): this { this.simd(0x0c); this.code.push(...new Array<number>(16).fill(0)); return this; }
  /** `v128.const` of four equal f32 lanes. */
  f32x4Const(v: number): this {
    this.simd(0x0c);
    this.code.push(...new Uint8Array(Float32Array.of(v, v, v, v).buffer));
    return this;
  }
  v128And(): this { return this.simd(0x4e); }
  /** `i8x16.shuffle` of the two operands by the 16 byte-lane indices. */
  shuffle(lanes: readonly number[]): this { this.simd(0x0d); this.code.push(...lanes); return this; }
  f32x4ExtractLane(lane: number): this { return this.simd(0x1f).op(lane); }
  f64x2ExtractLane(lane: number): this { return this.simd(0x21).op(lane); }
  f32x4Splat(): this { return this.simd(0x13); }
  f32x4Ge(): this { return this.simd(0x46); }
  i32x4Shl(): this { return this.simd(0xab); }
  i32x4Add(): this { return this.simd(0xae); }
  f32x4Add(): this { return this.simd(0xe4); }
  f32x4Sub(): this { return this.simd(0xe5); }
  f32x4Mul(): this { return this.simd(0xe6); }
  f32x4Div(): this { return this.simd(0xe7); }
  f32x4Sqrt(): this { return this.simd(0xe3); }
  f64x2Add(): this { return this.simd(0xf0); }
  f64x2Mul(): this { return this.simd(0xf2); }
  f64x2PromoteLowF32x4(): this { return this.simd(0x5f); }

  /** Encoded body: local declarations (one run per local), instructions, `end`. */
  encode(): number[] {
    const out: number[] = [];
    uleb(out, this.locals.length);
    for (const t of this.locals) out.push(1, t);
    out.push(...this.code, 0x0b);
    const sized: number[] = [];
    uleb(sized, out.length);
    return sized.concat(out);
  }
}

/** One exported function: its name, parameter types (no results) and body. @internal */
export interface ExportedFunction {
  readonly name: string;
  readonly params: readonly number[];
  readonly body: FunctionBody;
}

function section(out: number[], id: number, content: number[]): void {
  out.push(id);
  uleb(out, content.length);
  out.push(...content);
}

function name(out: number[], s: string): void {
  uleb(out, s.length);
  for (let i = 0; i < s.length; i++) out.push(s.charCodeAt(i));
}

/**
 * Encodes a module that imports its memory as `env.memory` and exports `functions`.
 *
 * @internal
 */
export function encodeModule(functions: readonly ExportedFunction[]): Uint8Array<ArrayBuffer> {
  const out = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00];
  const types: number[] = [];
  uleb(types, functions.length);
  for (const f of functions) {
    types.push(0x60);
    uleb(types, f.params.length);
    types.push(...f.params, 0x00);
  }
  section(out, 1, types);
  const imports: number[] = [1];
  name(imports, 'env');
  name(imports, 'memory');
  imports.push(0x02, 0x00, 0x01); // memory, limits without maximum, at least one page
  section(out, 2, imports);
  const funcs: number[] = [];
  uleb(funcs, functions.length);
  functions.forEach((_, i) => uleb(funcs, i));
  section(out, 3, funcs);
  const exports: number[] = [];
  uleb(exports, functions.length);
  functions.forEach((f, i) => {
    name(exports, f.name);
    exports.push(0x00);
    uleb(exports, i);
  });
  section(out, 7, exports);
  const code: number[] = [];
  uleb(code, functions.length);
  for (const f of functions) code.push(...f.body.encode());
  section(out, 10, code);
  return Uint8Array.from(out);
}

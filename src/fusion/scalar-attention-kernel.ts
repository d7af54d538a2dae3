import { EXP2_FLOOR, encodeScalarAttention } from '../wasm/scalar-attention-kernels.js';

type Fn = (...args: number[]) => void;

interface Exports {
  readonly forward: Fn;
  readonly backward: Fn;
  readonly forwardInRange: Fn;
  readonly backwardInRange: Fn;
  readonly flush: Fn;
}

/**
 * Query rows whose float32 column sums (the key and value gradients) are moved into float64
 * after each block: a float32 sum then runs over at most this many rows, not over all tokens.
 */
const FLUSH_ROWS = 16;

/**
 * One sample's buffers in the kernel's memory, as byte addresses and views: per-row values for
 * `n` rows and per-key values for `np` keys (`n` rounded up to a multiple of 4).
 */
class Buffers {
  readonly np: number;
  readonly at: {
    readonly a: number;
    readonly c1: number;
    readonly c4: number;
    readonly kdMax: number;
    readonly kdMin: number;
    readonly v: number;
    readonly dv32: number;
    readonly dk32: number;
    readonly out: number;
    readonly dv64: number;
    readonly dk64: number;
  };
  readonly a: Float32Array;
  readonly c1: Float32Array;
  readonly c4: Float32Array;
  readonly kdMax: Float32Array;
  readonly kdMin: Float32Array;
  readonly v: Float32Array;
  /** f64 results per row: `(l, n)` pairs from `forward`, `dq` sums from `backward`. */
  readonly out: Float64Array;
  readonly dv64: Float64Array;
  readonly dk64: Float64Array;
  /** Whether every exponent of the loaded sample is at least `EXP2_FLOOR`. */
  inRange = false;

  constructor(
    memory: WebAssembly.Memory,
    readonly n: number,
  ) {
    const np = Math.ceil(n / 4) * 4;
    const vec = np * 4;
    const [a, c1, c4, kdMax, kdMin, v, dv32, dk32] = Array.from({ length: 8 }, (_, i) => i * vec);
    const out = 8 * vec; // f64 from here, 16-byte aligned
    const dv64 = out + 16 * np;
    const dk64 = dv64 + 8 * np;
    const bytes = dk64 + 8 * np;
    const have = memory.buffer.byteLength;
    if (bytes > have) memory.grow(Math.ceil((bytes - have) / 65536));
    // Views after any growth: growing detaches the old buffer.
    const buf = memory.buffer;
    this.np = np;
    this.at = { a, c1, c4, kdMax, kdMin, v, dv32, dk32, out, dv64, dk64 };
    this.a = new Float32Array(buf, a, n);
    this.c1 = new Float32Array(buf, c1, n);
    this.c4 = new Float32Array(buf, c4, n);
    this.kdMax = new Float32Array(buf, kdMax, np);
    this.kdMin = new Float32Array(buf, kdMin, np);
    this.v = new Float32Array(buf, v, np);
    this.out = new Float64Array(buf, out, 2 * np);
    this.dv64 = new Float64Array(buf, dv64, np);
    this.dk64 = new Float64Array(buf, dk64, np);
    // Padding keys are kd = v = 0; the f32 column sums start at 0.
    new Float32Array(buf, kdMax, 5 * np).fill(0); // kdMax, kdMin, v, dv32, dk32
  }

  /** Keys added to reach a multiple of 4; each adds exactly 1 (2^0) to every row sum. */
  get padding(): number {
    return this.np - this.n;
  }

  /** Writes sample `s`'s keys (as the two shifted copies), values and `a = q * scale`. */
  load(q: Float32Array, k: Float32Array, v: Float32Array, s: number, scale: number): void {
    const n = this.n;
    const o = s * n;
    let kmax = -Infinity;
    let kmin = Infinity;
    for (let j = 0; j < n; j++) {
      const kj = k[o + j];
      if (kj > kmax) kmax = kj;
      if (kj < kmin) kmin = kj;
    }
    for (let j = 0; j < n; j++) {
      const kj = k[o + j];
      // In f64, rounded once: exp(s_ij - max_j s_ij) = 2^(a_i kd_j).
      this.kdMax[j] = (kj - kmax) * Math.LOG2E;
      this.kdMin[j] = (kj - kmin) * Math.LOG2E;
    }
    let amax = 0;
    for (let i = 0; i < n; i++) {
      const a = (this.a[i] = q[o + i] * scale);
      amax = Math.max(amax, Math.abs(a));
    }
    this.v.set(v.subarray(o, o + n));
    this.inRange = amax * (kmax - kmin) * Math.LOG2E <= -EXP2_FLOOR;
  }
}

/** The forward pass's results, `[batchHeads * tokens]` each. @internal */
export interface ScalarAttentionForward {
  /** `softmax(a_i k_j) v` per row. */
  readonly out: Float32Array;
  /** Per row, `l_i = sum_j exp(s_ij - max_j s_ij)`; the backward pass recomputes P with it. */
  readonly rowSums: Float32Array;
}

/** Gradients with respect to q, k and v, `[batchHeads * tokens]` each. @internal */
export interface ScalarAttentionGradients {
  readonly dq: Float32Array;
  readonly dk: Float32Array;
  readonly dv: Float32Array;
}

/**
 * Exact attention over one-dimensional tokens on flat float32 arrays (`[batchHeads, tokens]`,
 * head width 1), run by the WebAssembly SIMD code of `scalar-attention-wasm.ts` one sample at a
 * time. Its memory holds one sample's keys, values and per-row values (64 bytes per token,
 * whatever the batch) and never an attention map.
 *
 * @internal
 */
export class ScalarAttentionKernel {
  constructor(
    private readonly memory: WebAssembly.Memory,
    private readonly fns: Exports,
  ) {}

  /** Bytes of the kernel's linear memory: it grows with the tokens of one sample, never with the batch. */
  get memoryBytes(): number {
    return this.memory.buffer.byteLength;
  }

  /**
   * `softmax(q k^T * scale) v` for `batchHeads` samples of `tokens` tokens, and each row's
   * softmax denominator. The inputs must be finite (the caller checks).
   */
  forward(q: Float32Array, k: Float32Array, v: Float32Array, batchHeads: number, tokens: number, scale: number): ScalarAttentionForward {
    const n = tokens;
    const out = new Float32Array(batchHeads * n);
    const rowSums = new Float32Array(batchHeads * n);
    const B = new Buffers(this.memory, n);
    const { at } = B;
    const colBytes = B.np * 4;
    const pad = B.padding;
    for (let s = 0; s < batchHeads; s++) {
      B.load(q, k, v, s, scale);
      const fwd = B.inRange ? this.fns.forwardInRange : this.fns.forward;
      fwd(n, colBytes, at.a, at.kdMax, at.kdMin, at.v, at.out);
      for (let i = 0; i < n; i++) {
        const l = B.out[2 * i] - pad;
        out[s * n + i] = B.out[2 * i + 1] / l;
        rowSums[s * n + i] = l;
      }
    }
    return { out, rowSums };
  }

  /**
   * Gradients of `sum(out * dOut)` with respect to q, k, v, recomputing P from `rowSums`
   * (FlashAttention's scheme): `dv = P^T dOut`, `dS = P * (dOut v^T - D)` with `D = dOut * out`,
   * `dq = dS k * scale`, `dk = dS^T q * scale`.
   */
  backward(
    q: Float32Array,
    k: Float32Array,
    v: Float32Array,
    out: Float32Array,
    rowSums: Float32Array,
    dOut: Float32Array,
    batchHeads: number,
    tokens: number,
    scale: number,
  ): ScalarAttentionGradients {
    const n = tokens;
    const dq = new Float32Array(batchHeads * n);
    const dk = new Float32Array(batchHeads * n);
    const dv = new Float32Array(batchHeads * n);
    const B = new Buffers(this.memory, n);
    const { at, np } = B;
    const colBytes = np * 4;
    for (let s = 0; s < batchHeads; s++) {
      const o = s * n;
      B.load(q, k, v, s, scale);
      const bwd = B.inRange ? this.fns.backwardInRange : this.fns.backward;
      for (let i = 0; i < n; i++) {
        const g = dOut[o + i];
        const l = rowSums[o + i];
        B.c1[i] = g / l;
        B.c4[i] = (g * out[o + i]) / l;
      }
      B.dv64.fill(0);
      B.dk64.fill(0);
      for (let r0 = 0; r0 < n; r0 += FLUSH_ROWS) {
        const rows = Math.min(FLUSH_ROWS, n - r0);
        bwd(rows, colBytes, at.a + 4 * r0, at.c1 + 4 * r0, at.c4 + 4 * r0, at.kdMax, at.kdMin, at.v, at.dv32, at.dk32, at.out + 8 * r0);
        this.fns.flush(np, at.dv32, at.dv64);
        this.fns.flush(np, at.dk32, at.dk64);
      }
      for (let i = 0; i < n; i++) {
        dq[o + i] = B.out[i] * Math.LN2 * scale;
        dk[o + i] = B.dk64[i];
        dv[o + i] = B.dv64[i];
      }
    }
    return { dq, dk, dv };
  }
}

/**
 * Compiles the kernel synchronously. `undefined` where WebAssembly SIMD is missing or the
 * engine refuses a synchronous compile (browsers limit it on the main thread), so the caller
 * keeps the tensor-op path.
 *
 * @internal
 */
export function createScalarAttentionKernel(): ScalarAttentionKernel | undefined {
  if (typeof WebAssembly !== 'object' || typeof WebAssembly.Module !== 'function') return undefined;
  try {
    const code = encodeScalarAttention();
    if (!WebAssembly.validate(code)) return undefined; // no SIMD in this engine
    const memory = new WebAssembly.Memory({ initial: 1 });
    const instance = new WebAssembly.Instance(new WebAssembly.Module(code), { env: { memory } });
    return new ScalarAttentionKernel(memory, instance.exports as unknown as Exports);
  } catch {
    return undefined;
  }
}

import { replaceKernel, type Attrs, type Info, type Original, type Run } from './kernel-run.js';
import { heapBackend } from './tfjs-heap.js';

/**
 * @internal Smallest per-matrix work (multiply-adds) for which a batched product is split into
 * one XNNPACK product per matrix: below it the per-call cost (two slices, packing the right
 * operand) outweighs what the fast path saves.
 */
export const SPLIT_BATCH_MIN_WORK = 1 << 16;

const swapLast = (rank: number): number[] => [...Array.from({ length: rank - 2 }, (_, i) => i), rank - 1, rank - 2];
const size = (dims: readonly number[]): number => dims.reduce((p, d) => p * d, 1);

/**
 * @internal tfjs-backend-wasm's `BatchMatMul` (4.22) runs XNNPACK only for a single product
 * with neither operand transposed; every other case (a transposed operand, as in every matrix
 * product's gradient, or a batch, as in attention) falls to a scalar triple loop 10-40 times
 * slower. This gives every case the fast path: a transposed operand is transposed once
 * (`Transpose`, a copy far cheaper than the product), and a batch of equal leading dimensions
 * whose matrices are big enough ({@link SPLIT_BATCH_MIN_WORK}) is cut into single products
 * run one by one and written into one output. On tfjs-backend-wasm each matrix is copied
 * straight out of the heap and each product into its place in the output (its `Slice` copies
 * the whole input per call, which made a batch of b matrices cost b whole copies: a ViT-S/16
 * step at 224 px, batch 16, took 137 s, 87% in these products); elsewhere `Slice` and `Concat`
 * do it. Broadcast batches and small matrices keep the backend's own kernel. Same values up
 * to float32 summation order.
 */
export function batchMatMulViaFastPath(run: Run, original: Original, dispose: (t: Info) => void, a: Info, b: Info, attrs: Attrs): Info {
  const transposeA = attrs.transposeA === true;
  const transposeB = attrs.transposeB === true;
  const ra = a.shape.length;
  const rb = b.shape.length;
  const batchA = size(a.shape.slice(0, -2));
  const batchB = size(b.shape.slice(0, -2));
  const single = batchA === 1 && batchB === 1;
  const m = transposeA ? a.shape[ra - 1] : a.shape[ra - 2];
  const k = transposeA ? a.shape[ra - 2] : a.shape[ra - 1];
  const n = transposeB ? b.shape[rb - 2] : b.shape[rb - 1];
  const sameBatch = ra === rb && a.shape.slice(0, -2).every((d, i) => d === b.shape[i]);
  const split = !single && sameBatch && m * k * n >= SPLIT_BATCH_MIN_WORK;
  if ((single && !transposeA && !transposeB) || (!single && !split)) return original({ a, b }, attrs);
  const temps: Info[] = [];
  const keep = (t: Info): Info => (temps.push(t), t);
  try {
    const aa = transposeA ? keep(run('Transpose', { x: a }, { perm: swapLast(ra) })) : a;
    const bb = transposeB ? keep(run('Transpose', { x: b }, { perm: swapLast(rb) })) : b;
    const plain = { transposeA: false, transposeB: false };
    if (single) return original({ a: aa, b: bb }, plain);
    const batch = batchA;
    const heap = heapBackend();
    if (heap && a.dtype === 'float32' && b.dtype === 'float32') {
      const out = heap.makeOutput([...a.shape.slice(0, -2), m, n], 'float32');
      try {
        for (let i = 0; i < batch; i++) {
          const ai = keep(heap.makeOutput([m, k], 'float32'));
          const bi = keep(heap.makeOutput([k, n], 'float32'));
          // Views after the allocations: a heap that grows detaches the views taken before.
          heap.typedArrayFromHeap(ai).set(heap.typedArrayFromHeap(aa).subarray(i * m * k, (i + 1) * m * k));
          heap.typedArrayFromHeap(bi).set(heap.typedArrayFromHeap(bb).subarray(i * k * n, (i + 1) * k * n));
          const ri = keep(original({ a: ai, b: bi }, plain));
          heap.typedArrayFromHeap(out).set(heap.typedArrayFromHeap(ri), i * m * n);
          dispose(temps.pop() as Info);
          dispose(temps.pop() as Info);
          dispose(temps.pop() as Info);
        }
      } catch (e) {
        dispose(out);
        throw e;
      }
      return out;
    }
    const a3 = keep(run('Reshape', { x: aa }, { shape: [batch, m, k] }));
    const b3 = keep(run('Reshape', { x: bb }, { shape: [batch, k, n] }));
    const outs: Info[] = [];
    for (let i = 0; i < batch; i++) {
      const ai = keep(run('Slice', { x: a3 }, { begin: [i, 0, 0], size: [1, m, k] }));
      const bi = keep(run('Slice', { x: b3 }, { begin: [i, 0, 0], size: [1, k, n] }));
      outs.push(keep(original({ a: ai, b: bi }, plain)));
    }
    const stacked = keep(run('Concat', outs as unknown as Record<string, Info>, { axis: 0 }));
    return run('Reshape', { x: stacked }, { shape: [...a.shape.slice(0, -2), m, n] });
  } finally {
    for (const t of temps) dispose(t);
  }
}

/**
 * @internal Replaces `BatchMatMul` of `backendName` (default `'wasm'`) with
 * {@link batchMatMulViaFastPath} around the backend's own kernel. Idempotent; returns whether
 * the fast path is (now) in place.
 */
export function registerBatchMatMulFastPath(backendName = 'wasm'): boolean {
  if (registered.has(backendName)) return true;
  const ok = replaceKernel('BatchMatMul', backendName, ['BatchMatMul', 'Transpose', 'Reshape', 'Slice', 'Concat'], ({ run, original, dispose }, inputs, attrs) =>
    batchMatMulViaFastPath(run, original as Original, dispose, inputs.a as Info, inputs.b as Info, attrs),
  );
  if (ok) registered.add(backendName);
  return ok;
}

const registered = new Set<string>();

import * as tf from '@tensorflow/tfjs-core';
import { type ScalarAttentionKernel, createScalarAttentionKernel } from './scalar-attention-kernel.js';

/**
 * Backends whose tensors live in JavaScript-visible memory, so that reading them synchronously
 * costs one copy at most. GPU backends (webgl, webgpu) and tfjs-node keep the tensor-op path.
 */
const HOST_BACKENDS: ReadonlySet<string> = new Set(['cpu', 'wasm']);

let kernel: ScalarAttentionKernel | null | undefined;
let enabled = true;

/** The compiled kernel, compiled on first use; `null` where it cannot run. */
function compiled(): ScalarAttentionKernel | null {
  if (kernel === undefined) kernel = createScalarAttentionKernel() ?? null;
  return kernel;
}

/**
 * @internal Turns the head-width-1 WebAssembly kernel on or off (it is on by default), e.g. to
 * time or compare the tensor-op path. Returns the previous setting.
 */
export function setScalarAttentionKernel(on: boolean): boolean {
  const was = enabled;
  enabled = on;
  return was;
}

/**
 * @internal The kernel for attention over `[batchHeads, tokens, 1]` float32 tensors on the
 * active backend, or `undefined` where the tensor-op path must run: head width other than 1,
 * a backend other than cpu / wasm, no WebAssembly SIMD, or the kernel turned off.
 */
export function scalarAttentionKernelFor(q: tf.Tensor3D): ScalarAttentionKernel | undefined {
  if (!enabled || q.shape[2] !== 1 || q.dtype !== 'float32' || !HOST_BACKENDS.has(tf.getBackend())) return undefined;
  return compiled() ?? undefined;
}

/**
 * Magnitudes the kernel takes: below 2^60 (and |scale| <= 1), every score, shifted key and
 * exponent is finite in float32 (|q k| < 2^120). NaN fails the test too.
 */
const KERNEL_RANGE = 2 ** 60;

function inKernelRange(...arrays: Float32Array[]): boolean {
  for (const a of arrays) for (let i = 0; i < a.length; i++) if (!(Math.abs(a[i]) < KERNEL_RANGE)) return false;
  return true;
}

/**
 * @internal `softmax(q k^T * scale) v` over `[batchHeads, tokens, 1]` tensors by the
 * WebAssembly kernel, forward and backward (`tf.customGrad`; the tape keeps q, k, v, the output
 * and the row sums of the softmax, `[batchHeads, tokens, 1]` each). Returns `undefined`, having
 * computed nothing, when an input is not finite or reaches 2^60 in magnitude, or |scale| > 1:
 * the tensor ops then overflow and propagate NaN and infinities as PyTorch does.
 */
export function scalarAttention(
  kernelImpl: ScalarAttentionKernel,
  q: tf.Tensor3D,
  k: tf.Tensor3D,
  v: tf.Tensor3D,
  scale: number,
): tf.Tensor3D | undefined {
  if (!(Math.abs(scale) <= 1)) return undefined;
  const [bh, n] = q.shape;
  const read = (t: tf.Tensor) => t.dataSync() as Float32Array;
  const [qd, kd, vd] = [read(q), read(k), read(v)];
  if (!inKernelRange(qd, kd, vd)) return undefined;
  const attend = tf.customGrad<tf.Tensor3D>((...args: (tf.Tensor | ((save: tf.Tensor[]) => void))[]) => {
    const [q3, k3, v3] = args.slice(0, 3) as tf.Tensor3D[];
    const { out, rowSums } = kernelImpl.forward(qd, kd, vd, bh, n, scale);
    const value = tf.tensor3d(out, [bh, n, 1]);
    (args[3] as (save: tf.Tensor[]) => void)([q3, k3, v3, value, tf.tensor3d(rowSums, [bh, n, 1])]);
    return {
      value,
      gradFunc: (dOut: tf.Tensor3D, saved: tf.Tensor[]) => {
        let g;
        try {
          const [sq, sk, sv, so, sl] = saved.map(read);
          g = kernelImpl.backward(sq, sk, sv, so, sl, read(dOut), bh, n, scale);
        } catch (e) {
          // The tape frees its saved copies only after a backward pass that completes.
          tf.dispose(saved);
          throw e;
        }
        return [g.dq, g.dk, g.dv].map((x) => tf.tensor3d(x, [bh, n, 1]));
      },
    };
  });
  return attend(q, k, v);
}

import * as tf from '@tensorflow/tfjs-core';
import { AdamKernel } from '../wasm/adam-kernel.js';
import { heapBackend } from '../wasm/tfjs-heap.js';

/** Backends whose `dataSync` is a memory copy (no device round trip). */
const HOST_BACKENDS = new Set(['cpu', 'wasm']);

/**
 * @internal Adam (Kingma & Ba 2015) as PyTorch's `torch.optim.Adam` computes it (bias-corrected
 * moments, `eps` added after the square root), with a learning rate passed at every step.
 *
 * tfjs' own AdamOptimizer keeps its rate in a protected field, and ReduceLROnPlateau must change
 * the rate between epochs; the update is a few lines.
 *
 * On the cpu and wasm backends, with WebAssembly SIMD, the moments live in a WebAssembly
 * kernel's memory and each parameter is updated by one kernel call (`src/wasm/adam-kernel.ts`):
 * its values and gradient are read once and its values written once, where the tensor form
 * dispatches thirteen ops per parameter, each a full pass over memory. Every SIMD operation
 * rounds to float32 as the matching tensor op does, in the same order, so both forms give the
 * same bits. Other backends (or no SIMD) keep the tensor form: reading a GPU tensor back would
 * cost more than the ops.
 */
export class Adam {
  private readonly m: tf.Variable[] = [];
  private readonly v: tf.Variable[] = [];
  private readonly kernel: AdamKernel | undefined;
  private t = 0;

  constructor(
    private readonly params: readonly tf.Variable[],
    private readonly beta1 = 0.9,
    private readonly beta2 = 0.999,
    private readonly eps = 1e-8,
    /** `'tensor'` forces the tensor form (tests compare the two). */
    form: 'auto' | 'tensor' = 'auto',
  ) {
    const host = form === 'auto' && HOST_BACKENDS.has(tf.getBackend()) && params.every((p) => p.dtype === 'float32');
    this.kernel = host ? AdamKernel.create(params.map((p) => p.size)) : undefined;
    if (this.kernel) return;
    // tidy frees the zero tensors; the variables (which tidy never disposes) keep the data.
    const zeros = (p: tf.Variable): tf.Variable => tf.tidy(() => tf.variable(tf.zerosLike(p), false));
    this.m = params.map(zeros);
    this.v = params.map(zeros);
  }

  /** Whether the WebAssembly kernel runs the updates. */
  get fused(): boolean {
    return this.kernel !== undefined;
  }

  /** One update of every parameter with its gradient (same order as the parameters). */
  step(grads: readonly tf.Tensor[], lr: number): void {
    this.t++;
    const bc1 = 1 - this.beta1 ** this.t;
    const bc2 = 1 - this.beta2 ** this.t;
    const kernel = this.kernel;
    if (kernel) {
      const f = Math.fround;
      // The scalars as the tensor ops see them: float32 constants.
      const s = {
        beta1: f(this.beta1), oneMinusBeta1: f(1 - this.beta1), beta2: f(this.beta2), oneMinusBeta2: f(1 - this.beta2),
        rootBc2: f(Math.sqrt(bc2)), eps: f(this.eps), rate: f(lr / bc1),
      };
      const heap = heapBackend();
      this.params.forEach((p, i) => {
        let t: tf.Tensor;
        if (heap) {
          // Allocated first: growing the heap would detach views taken before.
          const out = heap.makeOutput(p.shape, 'float32');
          heap.typedArrayFromHeap(out).set(kernel.update(i, heap.typedArrayFromHeap(p), heap.typedArrayFromHeap(grads[i]), s));
          t = tf.engine().makeTensorFromTensorInfo(out);
        } else {
          const next = kernel.update(i, p.dataSync() as Float32Array, grads[i].dataSync() as Float32Array, s);
          // A copy: the cpu backend keeps the array it is given, and next is the kernel's scratch.
          t = tf.tensor(next.slice(), p.shape, 'float32');
        }
        p.assign(t);
        t.dispose();
      });
      return;
    }
    this.params.forEach((p, i) => this.tensorStep(p, grads[i], this.m[i], this.v[i], bc1, bc2, lr));
  }

  /** The update in tensor ops; one tidy per parameter, so the peak is a few copies of the largest one. */
  private tensorStep(p: tf.Variable, g: tf.Tensor, mv: tf.Variable, vv: tf.Variable, bc1: number, bc2: number, lr: number): void {
    tf.tidy(() => {
      const m = tf.add(tf.mul(mv, this.beta1), tf.mul(g, 1 - this.beta1));
      const v = tf.add(tf.mul(vv, this.beta2), tf.mul(tf.square(g), 1 - this.beta2));
      mv.assign(m);
      vv.assign(v);
      const denom = tf.add(tf.div(tf.sqrt(v), Math.sqrt(bc2)), this.eps);
      p.assign(tf.sub(p, tf.mul(tf.div(m, denom), lr / bc1)));
    });
  }

  /** Frees the moment estimates. */
  dispose(): void {
    for (const x of [...this.m, ...this.v]) x.dispose();
  }
}

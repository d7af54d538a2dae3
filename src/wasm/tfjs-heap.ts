import * as tf from '@tensorflow/tfjs-core';

/**
 * @internal What tfjs-backend-wasm offers its own kernels: views of tensors in its heap, fresh
 * outputs there.
 */
export interface HeapBackend {
  typedArrayFromHeap(t: tf.TensorInfo): Float32Array;
  makeOutput(shape: number[], dtype: 'float32'): tf.TensorInfo;
}

/**
 * @internal The active backend as a {@link HeapBackend} when it is one (the wasm backend; found
 * by its methods, so the core imports no backend package), else `undefined`. Reading a tensor
 * through a view and writing a fresh output in place saves the copies of `dataSync` and
 * `tf.tensor` (the wasm backend's `readSync` copies the whole tensor, once per `slice`).
 * Views are valid until the heap grows: take them after `makeOutput`.
 */
export function heapBackend(): HeapBackend | undefined {
  const b = tf.backend() as unknown as Partial<HeapBackend>;
  return typeof b.typedArrayFromHeap === 'function' && typeof b.makeOutput === 'function' ? (b as HeapBackend) : undefined;
}

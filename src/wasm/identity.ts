import * as tf from '@tensorflow/tfjs-core';
import { replaceKernel } from './kernel-run.js';

/**
 * @internal An `Identity` kernel for `backendName` that shares its input's memory (a reference
 * count more), as tfjs-cpu's and tfjs-backend-wasm's own `Reshape` do, instead of copying it
 * as tfjs-backend-wasm 4.22's does. tfjs-core runs `Identity` for `tf.clone` and for every
 * tensor it saves for a backward pass: on wasm each saved activation was a full copy (a third
 * more memory at the forward pass's peak, 5% of a ResNet-50 training step in copies). Sharing is
 * safe because no kernel writes into its inputs (tensors are immutable in tfjs; a variable's
 * `assign` takes new memory). Strings keep the original kernel. Idempotent.
 */
export function registerSharedIdentity(backendName = 'wasm'): boolean {
  if (registered.has(backendName)) return true;
  const ok = replaceKernel('Identity', backendName, ['Identity'], ({ original, backend }, inputs, attrs) => {
    const x = inputs.x as tf.TensorInfo;
    if (x.dtype === 'string' && original) return original(inputs, attrs);
    backend.incRef(x.dataId);
    return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
  });
  if (ok) registered.add(backendName);
  return ok;
}

const registered = new Set<string>();

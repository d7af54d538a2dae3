import { registerBatchMatMulFastPath } from './batch-matmul-fast-path.js';
import { registerConv2dBackpropFilter } from './conv2d-backprop-filter.js';
import { registerConv2dBackpropInput } from './conv2d-backprop-input.js';
import { registerDepthwiseBackprop } from './depthwise-conv2d-backprop.js';
import { guardWasmHeap } from './heap-guard.js';
import { registerSharedIdentity } from './identity.js';

/**
 * @internal What training needs on tfjs-backend-wasm (4.22), registered for `backendName`
 * (default `'wasm'`): the convolution filter gradient and the depthwise gradients it lacks
 * ({@link registerConv2dBackpropFilter}, {@link registerDepthwiseBackprop}),
 * and XNNPACK routes for the input gradient ({@link registerConv2dBackpropInput}) and for the
 * transposed and batched matrix products of every gradient ({@link registerBatchMatMulFastPath}),
 * which it runs with scalar loops; an `Identity` that shares memory instead of copying it
 * ({@link registerSharedIdentity}: every tensor saved for the backward pass is one). Also checks the heap's allocations ({@link guardWasmHeap}):
 * training is where a batch meets wasm32's 4 GiB. Idempotent; returns whether convolutions can
 * train there.
 */
export function registerWasmTrainingKernels(backendName = 'wasm'): boolean {
  guardWasmHeap(backendName);
  registerSharedIdentity(backendName);
  registerBatchMatMulFastPath(backendName);
  registerConv2dBackpropInput(backendName);
  registerDepthwiseBackprop(backendName);
  return registerConv2dBackpropFilter(backendName);
}

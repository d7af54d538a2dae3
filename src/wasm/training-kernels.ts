import { registerBatchMatMulFastPath } from './batch-matmul-fast-path.js';
import { registerConv2dBackpropFilter } from './conv2d-backprop-filter.js';
import { registerConv2dBackpropInput } from './conv2d-backprop-input.js';
import { registerDepthwiseBackprop } from './depthwise-conv2d-backprop.js';

/**
 * @internal What training needs on tfjs-backend-wasm (4.22), registered for `backendName`
 * (default `'wasm'`): the convolution filter gradient and the depthwise gradients it lacks
 * ({@link registerConv2dBackpropFilter}, {@link registerDepthwiseBackprop}),
 * and XNNPACK routes for the input gradient ({@link registerConv2dBackpropInput}) and for the
 * transposed and batched matrix products of every gradient ({@link registerBatchMatMulFastPath}),
 * which it runs with scalar loops. Idempotent; returns whether convolutions can train there.
 */
export function registerWasmTrainingKernels(backendName = 'wasm'): boolean {
  registerBatchMatMulFastPath(backendName);
  registerConv2dBackpropInput(backendName);
  registerDepthwiseBackprop(backendName);
  return registerConv2dBackpropFilter(backendName);
}

import * as tf from '@tensorflow/tfjs-core';
import { backendInfo } from '../../../host/backend.js';

/**
 * tfjs flags that change how a backend computes (packing, float16 textures, convolution
 * algorithms, SIMD, threads), by backend name; each is read when it is registered.
 */
const NUMERIC_FLAGS: Readonly<Record<string, readonly string[]>> = {
  wasm: ['WASM_HAS_SIMD_SUPPORT', 'WASM_HAS_MULTITHREAD_SUPPORT'],
  webgl: [
    'WEBGL_VERSION', 'WEBGL_RENDER_FLOAT32_ENABLED', 'WEBGL_FORCE_F16_TEXTURES', 'WEBGL_PACK', 'WEBGL_PACK_NORMALIZATION',
    'WEBGL_PACK_CLIP', 'WEBGL_PACK_DEPTHWISECONV', 'WEBGL_PACK_BINARY_OPERATIONS', 'WEBGL_PACK_UNARY_OPERATIONS',
    'WEBGL_PACK_ARRAY_OPERATIONS', 'WEBGL_PACK_IMAGE_OPERATIONS', 'WEBGL_PACK_REDUCE', 'WEBGL_LAZILY_UNPACK',
    'WEBGL_CONV_IM2COL', 'WEBGL_EXP_CONV', 'WEBGL_USE_SHAPES_UNIFORMS', 'WEBGL_CPU_FORWARD', 'CPU_HANDOFF_SIZE_THRESHOLD',
  ],
  webgpu: ['WEBGPU_MATMUL_PROGRAM_TYPE', 'WEBGPU_CONV_SEPARATE_IM2COL_SHADER', 'WEBGPU_USE_NAIVE_CONV2D_DEBUG', 'WEBGPU_CPU_FORWARD', 'WEBGPU_CPU_HANDOFF_SIZE_THRESHOLD'],
};

async function backendFlags(backend: string): Promise<Record<string, unknown>> {
  const out: Record<string, unknown> = {};
  const env = tf.env();
  for (const name of NUMERIC_FLAGS[backend] ?? []) {
    try {
      // getAsync: the wasm flags are evaluated asynchronously.
      out[name] = await env.getAsync(name);
    } catch {
      // Not registered by this version of the backend.
    }
  }
  return out;
}

/**
 * @internal What runs a tfjs model, for the embedding cache's fingerprint: last-bit differences
 * between backends must never mix. What is cheaply knowable goes in (backend, package and
 * version, numeric flags, native TensorFlow version); CPU model and GPU driver do not, so
 * records are bit-exact for the machine that wrote them.
 */
export async function tfjsBackendDescription(): Promise<Record<string, unknown>> {
  let gpu: boolean | undefined;
  let tensorflow: string | undefined;
  try {
    // tfjs-node and tfjs-node-gpu register the same backend name; only the binding tells them apart.
    const binding = (tf.backend() as { binding?: { isUsingGpuDevice?: () => boolean; TF_Version?: unknown } }).binding;
    gpu = binding?.isUsingGpuDevice?.();
    tensorflow = typeof binding?.TF_Version === 'string' ? binding.TF_Version : undefined;
  } catch {
    gpu = undefined;
  }
  const backend = tf.getBackend();
  const info = backendInfo();
  return {
    engine: 'tfjs',
    backend,
    tfjs: tf.version_core,
    ...(info.package === undefined ? {} : { backendPackage: info.package }),
    ...(info.version === undefined ? {} : { backendVersion: info.version }),
    ...(tensorflow === undefined ? {} : { tensorflow }),
    ...(gpu === undefined ? {} : { gpu }),
    flags: await backendFlags(backend),
  };
}

import { availableParallelism } from 'node:os';
import { registerEngineProbes } from '../../backbone/engines/engine-select.js';
import { registerOnnxRuntime, type OnnxRuntimeProvider } from '../../backbone/engines/onnx-runtime.js';
import { backendInfo, type BackendInfo } from '../../host/backend.js';

/**
 * @internal Registers onnxruntime-node for the ONNX engine and the probes of `engine: 'auto'`;
 * called by `dvme/node` and `dvme/node-gpu` with their own `initBackend`.
 */
export function registerNodeEngines(initBackend: () => Promise<BackendInfo>, loadNative: () => Promise<unknown>): void {
  const onnxRuntime: OnnxRuntimeProvider = {
    package: 'onnxruntime-node',
    load: () => import('onnxruntime-node'),
    // One intra-op thread per core this process may use (affinity and cgroup aware).
    threads: availableParallelism(),
  };
  registerOnnxRuntime(onnxRuntime);
  registerEngineProbes({
    tfjsNative: async () => {
      // Without tfjs-node the answer is no: say so without starting the wasm backend (and its
      // pool of worker threads) for a caller that only wants the ONNX engine.
      const active = backendInfo();
      if (active.package === undefined) {
        try {
          await loadNative();
        } catch {
          return false;
        }
      }
      return (await initBackend()).backend === 'tensorflow';
    },
    onnx: onnxRuntime,
  });
}

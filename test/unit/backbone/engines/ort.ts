/**
 * onnxruntime-node for the engine tests, when it is installed. It is an optional dependency of
 * dvme: tests that run models skip, saying why, where it is missing.
 */
import type { OnnxRuntimeProvider } from '../../../../src/backbone/engines/onnx-runtime.js';

export const ort = await import('onnxruntime-node').catch(() => undefined);

/** Why the onnxruntime tests are skipped, for the test names; empty when they run. */
export const ORT_MISSING = ort ? '' : ' [skipped: onnxruntime-node is not importable; npm install onnxruntime-node to run]';

export const provider: OnnxRuntimeProvider = { package: 'onnxruntime-node', load: () => import('onnxruntime-node'), threads: 2 };

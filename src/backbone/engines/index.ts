/**
 * Engines: onnxruntime as a faster way to run frozen backbones, the ONNX graph writer and
 * builders behind it, and the choice between engines.
 *
 * @packageDocumentation
 */
export { createOnnxBackboneEngine, type OnnxEngineOptions, type OnnxEngineReport } from './backbone-engine.js';
export {
  decideEngine,
  probeEngines,
  registerEngineProbes,
  registeredEngineProbes,
  selectEngine,
  type EngineAvailability,
  type EngineChoice,
  type EngineDecision,
  type EngineProbes,
} from './engine-select.js';
export type { FromOnnxOptions, OnnxModelSource } from './from-onnx.js';
export { buildBackboneOnnx, type BackboneGraphSpec, type BuiltBackboneOnnx } from './onnx/backbone-graph.js';
export {
  encodeOnnxModel,
  type OnnxAttribute,
  type OnnxElementType,
  type OnnxGraph,
  type OnnxModel,
  type OnnxNode,
  type OnnxTensor,
  type OnnxValueInfo,
} from './onnx/onnx-model.js';
export type { OnnxCacheOptions } from './onnx-cache.js';
export { OnnxEmbeddingEngine } from './onnx-engine.js';
export {
  loadOnnxRuntime,
  registerOnnxRuntime,
  registeredOnnxRuntime,
  type OnnxRuntime,
  type OnnxRuntimeProvider,
  type OnnxSessionOptions,
  type OrtModuleLike,
  type OrtSessionLike,
  type OrtTensorLike,
} from './onnx-runtime.js';

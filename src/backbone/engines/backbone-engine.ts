import { resnetEmbeddingDim } from '../arch/resnet.js';
import { vitEmbeddingDim } from '../arch/vit.js';
import { GRAPH_VERSION, buildBackboneOnnx, type BackboneGraphSpec } from './onnx/backbone-graph.js';
import type { TorchTensor } from '../arch/load-weights.js';
import { cachedOnnxBuild, onnxCacheKey, stateDictDigest, type OnnxCacheOptions } from './onnx-cache.js';
import { textSha256 } from '../text-sha256.js';
import { OnnxEmbeddingEngine } from './onnx-engine.js';
import { loadOnnxRuntime, type OnnxRuntimeProvider, type OnnxSessionOptions } from './onnx-runtime.js';
// Named in the TSDoc below.
import type { BackendUnavailableError, CheckpointFormatError } from '../../errors/index.js';

/**
 * Options of the ONNX engine: which onnxruntime, how its session runs, and where built graphs
 * are cached.
 *
 * @remarks Since 0.1.0.
 * @example
 * ```ts
 * import type { OnnxEngineOptions } from 'dvme';
 * const options: OnnxEngineOptions = { threads: 2, cache: false };
 * ```
 */
export interface OnnxEngineOptions extends OnnxCacheOptions, OnnxSessionOptions {
  /** How to load onnxruntime. @defaultValue the one the platform entrypoint registered */
  readonly runtime?: OnnxRuntimeProvider;
  /** Called when the cache cannot be read or written (the load goes on without it). */
  readonly onCacheError?: (error: unknown) => void;
}

/**
 * How an ONNX engine was made, for logs and benchmarks.
 *
 * @remarks Since 0.1.0.
 * @example
 * ```ts
 * import type { OnnxEngineReport } from 'dvme';
 * const line = (r: OnnxEngineReport) => `${r.runtime}: ${r.cacheHit ? 'cached' : `built in ${r.buildMs.toFixed(0)} ms`}`;
 * ```
 */
export interface OnnxEngineReport {
  /** e.g. `'onnxruntime-node 1.30.0'`. */
  readonly runtime: string;
  /** Key of the graph in the cache. */
  readonly cacheKey: string;
  /** Folder or store of the cache; `undefined` without one. */
  readonly cacheLocation: string | undefined;
  /** Whether the graph came from the cache. */
  readonly cacheHit: boolean;
  /** Time spent hashing the weights and building the graph (0 on a hit that skipped both). */
  readonly buildMs: number;
  /** Time to create the onnxruntime session (its own graph optimisation included). */
  readonly sessionMs: number;
  /** Size of the `.onnx` file. */
  readonly bytes: number;
}

/**
 * Builds (or takes from the cache) the ONNX graph of a ResNet or ViT with dvme's preprocessing
 * in front, and opens an onnxruntime session on it: the engine of
 * `Backbone.fromCheckpoint(arch, source, { engine: 'onnx' })`.
 *
 * @param id - backbone name for messages and the cache key (`'resnet50'`).
 * @param state - weights under PyTorch names, float32.
 * @param spec - architecture, input size and preprocessing (`preprocess` must not be `null`).
 * @param options - runtime, session and cache options.
 * @returns the engine, how it was made, and `weightsKey`: a SHA-256 of the weights (or
 * `options.weightsKey`) and the graph settings, which the embedding cache keys records by.
 * @throws A {@link BackendUnavailableError} when onnxruntime is not installed (with the
 * install command); {@link CheckpointFormatError} for missing or misshapen weights.
 *
 * @remarks Since 0.1.0. The cache key covers the weights' hash (or `weightsKey`), the
 * architecture, input size, embedding mode, mean / std / filter and dvme's graph version.
 * @internal
 */
export async function createOnnxBackboneEngine(
  id: string,
  state: ReadonlyMap<string, TorchTensor>,
  spec: BackboneGraphSpec,
  options: OnnxEngineOptions = {},
): Promise<{ engine: OnnxEmbeddingEngine; report: OnnxEngineReport; weightsKey: string }> {
  const owner = `createOnnxBackboneEngine(${id})`;
  const rt = await loadOnnxRuntime(options.runtime);
  const t0 = performance.now();
  const weights = options.weightsKey ?? (await stateDictDigest(state));
  const description = JSON.stringify({ v: GRAPH_VERSION, contrib: spec.contribOps ?? true, family: spec.family, config: spec.config ?? {}, inputSize: spec.inputSize, mean: spec.preprocess?.mean, std: spec.preprocess?.std, filter: spec.preprocess?.interpolation, weights });
  const embedding = spec.family === 'vit' ? `${spec.config?.embedding ?? 'cls'}${spec.config?.nLastBlocks ?? ''}` : 'avgpool';
  // The weights and everything the graph was built with: also the embedding cache's weights key.
  const weightsKey = textSha256(description);
  const key = onnxCacheKey([id, spec.inputSize.join('x'), embedding, `g${GRAPH_VERSION}`], weightsKey);
  const dim = spec.family === 'vit' ? vitEmbeddingDim(spec.config) : resnetEmbeddingDim(spec.config);
  const built = await cachedOnnxBuild(key, options, () => buildBackboneOnnx(state, spec).bytes, options.onCacheError);
  const buildMs = performance.now() - t0;
  const t1 = performance.now();
  const engine = await OnnxEmbeddingEngine.create(owner, rt, built.bytes, { id, layout: 'NCHW', inputSize: spec.inputSize, embeddingDim: dim, weightsKey }, options);
  const report: OnnxEngineReport = {
    runtime: rt.description,
    cacheKey: key,
    cacheLocation: built.location,
    cacheHit: built.hit,
    buildMs,
    sessionMs: performance.now() - t1,
    bytes: built.bytes.length,
  };
  return { engine, report, weightsKey };
}

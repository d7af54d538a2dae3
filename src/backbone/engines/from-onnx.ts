import { resolveBackboneConfig, type BackboneConfig } from '../config.js';
import { resolveInputSize, type PreprocessSpecInit } from '../../image/preprocess-spec.js';
import { InvalidArgumentError, ShapeError } from '../../errors/index.js';
// Named in the TSDoc below.
import type { BackendUnavailableError, CheckpointFormatError } from '../../errors/index.js';
import { download } from '../../io/download.js';
import { sha256Hex } from '../../io/sha256.js';
import { currentPlatform, readLocalFile } from '../../host/platform.js';
import type { OnnxEngineOptions } from './backbone-engine.js';
import { SPLICED_OUTPUT, spliceImageFront, summarizeOnnxModel, type OnnxValueSummary } from './onnx/onnx-splice.js';
import { OnnxEmbeddingEngine } from './onnx-engine.js';
import { loadOnnxRuntime } from './onnx-runtime.js';

/**
 * Where an ONNX model comes from: a local path (needs `dvme/node`), an `http(s)://` URL
 * (downloaded through dvme's cache), or the file's bytes.
 *
 * @remarks Since 0.1.0.
 * @example
 * ```ts
 * import type { OnnxModelSource } from 'dvme';
 * const source: OnnxModelSource = 'models/resnet50.onnx';
 * ```
 */
export type OnnxModelSource = string | ArrayBuffer | ArrayBufferView;

/**
 * Options of `Backbone.fromOnnx`: the preprocessing the model expects, which value is the
 * embedding, and the engine options.
 *
 * @remarks Since 0.1.0.
 * @example
 * ```ts
 * import { IMAGENET_MEAN, IMAGENET_STD, type FromOnnxOptions } from 'dvme';
 * const options: FromOnnxOptions = {
 *   mean: IMAGENET_MEAN, std: IMAGENET_STD, output: '/avgpool/GlobalAveragePool_output_0',
 * };
 * ```
 */
export interface FromOnnxOptions extends Partial<Omit<PreprocessSpecInit, 'inputSize'>>, Omit<OnnxEngineOptions, 'weightsKey'> {
  /** Required: a wrong mean silently degrades every embedding. */
  readonly mean: PreprocessSpecInit['mean'];
  /** Required, for the same reason as `mean`. */
  readonly std: PreprocessSpecInit['std'];
  /** `[h, w]` or one number; required when the model's input size is not fixed. @defaultValue the model's */
  readonly inputSize?: PreprocessSpecInit['inputSize'];
  /**
   * The value to embed with: a graph output or any intermediate value, by name (netron shows
   * them). A 4-D value is global-average-pooled. @defaultValue the first graph output
   */
  readonly output?: string;
  /** The image input, when the model has several inputs. @defaultValue its only input */
  readonly input?: string;
  /** Layout of the image input (and of a 4-D output). @defaultValue read from the input shape (3 channels first: NCHW) */
  readonly layout?: 'NCHW' | 'NHWC';
  /** Backbone name in messages. @defaultValue `'onnx'` */
  readonly id?: string;
  /** `fetch` for URL sources. @defaultValue the global `fetch` */
  readonly fetch?: typeof fetch;
  /** Cancels a download. */
  readonly signal?: AbortSignal;
}

/** @internal What `Backbone.fromOnnx` wraps. */
export interface LoadedOnnxBackbone {
  readonly engine: OnnxEmbeddingEngine;
  readonly config: BackboneConfig;
}

async function readSource(owner: string, source: unknown, options: FromOnnxOptions): Promise<Uint8Array> {
  if (source instanceof ArrayBuffer) return new Uint8Array(source);
  if (ArrayBuffer.isView(source)) return new Uint8Array(source.buffer, source.byteOffset, source.byteLength);
  if (typeof source !== 'string') {
    throw new InvalidArgumentError(`${owner}: source must be a path, a URL, an ArrayBuffer or a Uint8Array; received ${source === null ? 'null' : typeof source}.`);
  }
  const platform = currentPlatform();
  if (/^https?:\/\//i.test(source) || (platform !== undefined && !platform.readFile)) {
    return download(source, { fetch: options.fetch, signal: options.signal, cacheDir: options.cacheDir, ...(options.cache === undefined ? {} : { cache: options.cache }) });
  }
  return readLocalFile(source);
}

function pickInput(owner: string, inputs: readonly OnnxValueSummary[], wanted: string | undefined): OnnxValueSummary {
  const names = inputs.map((i) => `'${i.name}'`).join(', ');
  if (wanted !== undefined) {
    const found = inputs.find((i) => i.name === wanted);
    if (!found) throw new InvalidArgumentError(`${owner}: the model has no input '${wanted}'; its inputs are ${names}.`);
    return found;
  }
  if (inputs.length !== 1) {
    throw new InvalidArgumentError(`${owner}: the model has ${inputs.length} inputs (${names}); pass input: '<name>' to say which one takes the images (the others cannot be fed).`);
  }
  return inputs[0];
}

function pickLayout(owner: string, input: OnnxValueSummary, wanted: 'NCHW' | 'NHWC' | undefined): 'NCHW' | 'NHWC' {
  const shape = input.shape;
  if (wanted !== undefined) {
    if (wanted !== 'NCHW' && wanted !== 'NHWC') throw new InvalidArgumentError(`${owner}: layout must be 'NCHW' or 'NHWC'; received ${JSON.stringify(wanted)}.`);
    return wanted;
  }
  if (shape?.length === 4 && shape[1] === 3 && shape[3] !== 3) return 'NCHW';
  if (shape?.length === 4 && shape[3] === 3 && shape[1] !== 3) return 'NHWC';
  throw new InvalidArgumentError(
    `${owner}: cannot tell the layout of input '${input.name}' (shape [${(shape ?? ['?']).join(', ')}]); pass layout: 'NCHW' (PyTorch exports) or 'NHWC' (TensorFlow exports).`,
  );
}

function pickInputSize(owner: string, input: OnnxValueSummary, layout: 'NCHW' | 'NHWC', wanted: FromOnnxOptions['inputSize']): [number, number] {
  const shape = input.shape ?? [];
  const [h, w] = layout === 'NCHW' ? [shape[2], shape[3]] : [shape[1], shape[2]];
  const fixed = typeof h === 'number' && typeof w === 'number' && h > 0 && w > 0 ? ([h, w] as [number, number]) : undefined;
  if (wanted === undefined) {
    if (!fixed) throw new InvalidArgumentError(`${owner}: input '${input.name}' has no fixed height and width; pass inputSize (e.g. 224).`);
    return fixed;
  }
  const size = resolveInputSize(owner, wanted);
  if (fixed && (fixed[0] !== size[0] || fixed[1] !== size[1])) {
    throw new ShapeError(`${owner}: inputSize [${size.join(', ')}] does not match the model's input [${fixed.join(', ')}].`);
  }
  return size;
}

/**
 * @internal The body of `Backbone.fromOnnx`: reads the model, splices dvme's preprocessing in
 * front of its image input and pooling behind the chosen output, and opens the session.
 *
 * @throws {@link InvalidArgumentError} for options that do not fit the model (naming what it
 * has); {@link CheckpointFormatError} for a file that is not ONNX or that onnxruntime rejects;
 * {@link BackendUnavailableError} without onnxruntime.
 */
export async function loadOnnxBackboneModel(owner: string, source: OnnxModelSource, options: FromOnnxOptions): Promise<LoadedOnnxBackbone> {
  if (typeof options !== 'object' || options === null) {
    throw new InvalidArgumentError(`${owner}: options must be an object with at least mean and std; received ${JSON.stringify(options)}.`);
  }
  const rt = await loadOnnxRuntime(options.runtime);
  const bytes = await readSource(owner, source, options);
  const summary = summarizeOnnxModel(bytes);
  if (summary.opset < 13) {
    throw new InvalidArgumentError(`${owner}: the model uses opset ${summary.opset}; dvme needs 13 or later (re-export it, e.g. torch.onnx.export(..., opset_version=17)).`);
  }
  const input = pickInput(owner, summary.inputs, options.input);
  const layout = pickLayout(owner, input, options.layout);
  const inputSize = pickInputSize(owner, input, layout, options.inputSize);
  // Validates mean / std / resize options before the session is built.
  const probeConfig = { ...options, id: options.id ?? 'onnx', inputSize, embedding: `output:${options.output ?? summary.outputs[0]?.name}` };
  resolveBackboneConfig(owner, probeConfig, 1);
  const output = options.output ?? summary.outputs[0]?.name;
  if (output === undefined || !summary.names.has(output)) {
    const outs = summary.outputs.map((o) => `'${o.name}'`).join(', ');
    throw new InvalidArgumentError(`${owner}: the model has no value named '${output}'. Its outputs are ${outs}; any intermediate value can be named too (netron lists them).`);
  }
  const declared = summary.outputs.find((o) => o.name === output) ?? summary.valueInfo.get(output);
  const batch = input.shape?.[0];
  const spliced = spliceImageFront(bytes, summary, {
    input,
    output,
    outputRank: declared?.shape ? declared.shape.length : null,
    layout,
    inputSize,
    preprocess: { mean: options.mean, std: options.std, interpolation: options.interpolation ?? 'bilinear' },
  });
  // The SHA-256 of the graph the session runs (the model with dvme's front spliced in) keys the
  // embedding cache. Hashed now, off the main thread where WebCrypto is, so that the graph's
  // bytes need not be kept.
  const weightsKey = sha256Hex(spliced);
  weightsKey.catch(() => undefined);
  const fixedBatch = typeof batch === 'number' && batch > 0 ? { fixedBatch: batch } : {};
  const init = { id: probeConfig.id, layout, inputSize, output: SPLICED_OUTPUT, weightsKey, ...fixedBatch };
  const engine = await OnnxEmbeddingEngine.create(owner, rt, spliced, init, options);
  try {
    return { engine, config: resolveBackboneConfig(owner, probeConfig, engine.embeddingDim) };
  } catch (e) {
    engine.dispose();
    throw e;
  }
}

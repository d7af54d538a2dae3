import type { EmbedOptions } from '../embed-options.js';
import { checkChoice, checkPositiveInteger } from '../../validation/checks.js';
import { RESIZE_MODES, type Interpolation, type PreprocessSpec } from '../../image/preprocess-spec.js';
import { runOwner, runSpans } from '../../image/image-runs.js';
import type { ImageInput } from '../../image/images.js';
import { planResize, type ResizePlan } from '../../image/preprocess.js';
import { DisposedError, InvalidArgumentError, ShapeError } from '../../errors/index.js';
// Named in the TSDoc below.
import type { AbortError } from '../../errors/index.js';
import { embedInBatches, type EmbeddingEngine } from './embedding-engine.js';
import { FRONT_INPUTS } from './onnx/image-front.js';
import { createOnnxSession, type OnnxRuntime, type OnnxSessionOptions, type OrtSessionLike, type OrtTensorLike } from './onnx-runtime.js';
import { toPixelSources, type PixelBatch } from '../../image/pixel-batches.js';
import { denseResampleIsCheaper, resampleMatrices } from '../../image/resample-matrices.js';

/** @internal What the engine needs to know about the graph it runs. */
export interface OnnxEngineInit {
  /** Shown in messages (`'resnet50'`). */
  readonly id: string;
  /** Layout of a rank-4 output that the graph did not pool itself (models of unknown output rank). */
  readonly layout: 'NCHW' | 'NHWC';
  /**
   * A model whose batch size is fixed (exported with batch 1) runs that many images per call;
   * fewer are padded with black images, whose outputs are dropped.
   */
  readonly fixedBatch?: number;
  /** Known output width; otherwise found by running one blank image. */
  readonly embeddingDim?: number;
  /** `[h, w]` of the model input, for that blank image. */
  readonly inputSize: readonly [number, number];
  /** The graph output holding the embedding. @defaultValue `'embedding'` */
  readonly output?: string;
  /**
   * What identifies the graph and its weights for the embedding cache: a digest, or a promise
   * of one still being computed. Without it the backbone cannot use a cache.
   */
  readonly weightsKey?: string | Promise<string>;
}

function int64(ort: OnnxRuntime['ort'], values: readonly number[]): OrtTensorLike {
  return new ort.Tensor('int64', BigInt64Array.from(values, (v) => BigInt(v)), [values.length]);
}

/**
 * @internal The inputs of a dvme graph's preprocessing front for one batch (see
 * `FRONT_INPUTS`); `path` forces one resampling path (for tests).
 */
export function frontFeeds(
  ort: OnnxRuntime['ort'],
  batch: PixelBatch,
  [h, w, c]: readonly [number, number, number],
  plan: ResizePlan,
  filter: Interpolation,
  path: 'auto' | 'dense' | 'resize' = 'auto',
): Record<string, OrtTensorLike> {
  const dense = path === 'auto' ? denseResampleIsCheaper(h, w, plan, filter) : path === 'dense';
  const m = dense ? resampleMatrices(h, w, plan, filter) : null;
  const [rh, rw] = plan.resizeTo ?? [h, w];
  const box = plan.crop ? [plan.crop.top, plan.crop.left, plan.crop.top + plan.crop.height, plan.crop.left + plan.crop.width] : [0, 0, rh, rw];
  const empty = new ort.Tensor('float32', new Float32Array(0), [0, 0]);
  const bool = (v: boolean) => new ort.Tensor('bool', new Uint8Array([v ? 1 : 0]), [1]);
  return {
    // The unused pixel input is an empty batch: one graph serves both element types.
    [FRONT_INPUTS.u8]: new ort.Tensor('uint8', batch.u8 ?? new Uint8Array(0), [batch.u8 ? batch.count : 0, h, w, c]),
    [FRONT_INPUTS.f32]: new ort.Tensor('float32', batch.f32 ?? new Float32Array(0), [batch.f32 ? batch.count : 0, h, w, c]),
    [FRONT_INPUTS.f32Divisor]: new ort.Tensor('float32', new Float32Array([batch.divisor]), [1]),
    [FRONT_INPUTS.resample]: bool(plan.resizeTo !== null),
    [FRONT_INPUTS.dense]: bool(m !== null),
    [FRONT_INPUTS.resizeTo]: int64(ort, [rh, rw]),
    [FRONT_INPUTS.rows]: m ? new ort.Tensor('float32', m.rows, [m.outH, h]) : empty,
    [FRONT_INPUTS.cols]: m ? new ort.Tensor('float32', m.cols, [w, m.outW]) : empty,
    [FRONT_INPUTS.crop]: int64(ort, box),
  };
}

/** `batch` followed by black images up to `size` images of `per` values each. */
function padBatch(batch: PixelBatch, size: number, per: number): PixelBatch {
  const grow = <T extends Uint8Array | Float32Array>(data: T | undefined, make: (n: number) => T): T | undefined => {
    if (data === undefined) return undefined;
    const out = make(size * per);
    out.set(data);
    return out;
  };
  return { ...batch, count: size, u8: grow(batch.u8, (n) => new Uint8Array(n)), f32: grow(batch.f32, (n) => new Float32Array(n)) };
}

/** Logical cores, which onnxruntime sizes its default thread pool from (Node 21+ and browsers). */
function logicalCores(): number | undefined {
  const n = (globalThis as { navigator?: { hardwareConcurrency?: unknown } }).navigator?.hardwareConcurrency;
  return typeof n === 'number' ? n : undefined;
}

/** Global average pooling of an output the graph left as a feature map. */
function poolFeatureMap(t: OrtTensorLike, layout: 'NCHW' | 'NHWC'): { data: Float32Array; dim: number } {
  const [b, d1, d2, d3] = t.dims;
  const x = t.data as Float32Array;
  const [c, spatial] = layout === 'NCHW' ? [d1, d2 * d3] : [d3, d1 * d2];
  const out = new Float32Array(b * c);
  for (let i = 0; i < b; i++) {
    for (let s = 0; s < spatial; s++) {
      for (let k = 0; k < c; k++) {
        const at = layout === 'NCHW' ? (i * c + k) * spatial + s : (i * spatial + s) * c + k;
        out[i * c + k] += x[at];
      }
    }
  }
  for (let i = 0; i < out.length; i++) out[i] /= spatial;
  return { data: out, dim: c };
}

/**
 * A frozen image model running in onnxruntime, from raw pixels to embeddings: preprocessing,
 * inference and pooling are one `session.run` per batch, and pixels reach onnxruntime without
 * passing through tfjs. Made by `Backbone.fromOnnx` and by `Backbone.fromCheckpoint` with
 * `engine: 'onnx'`; a `Backbone` owns it.
 *
 * @remarks Since 0.1.0. The session's input names are those of `imageFrontGraph`
 * (`pixels_u8`, `pixels_f32`, `pixels_f32_divisor`, `resize_to`, `crop_box`), its output
 * `embedding`.
 * @example
 * ```ts
 * import { Backbone } from 'dvme/node';
 * const backbone = await Backbone.fromCheckpoint('resnet50', 'resnet50.pth', { engine: 'onnx' });
 * backbone.engine?.runtime; // 'onnxruntime-node 1.30.0'
 * ```
 */
export class OnnxEmbeddingEngine implements EmbeddingEngine {
  /** Always `'onnx'`. */
  readonly kind = 'onnx' as const;
  /** The onnxruntime package and version that runs the model. */
  readonly runtime: string;
  /** Width of the embedding. */
  readonly embeddingDim: number;
  /**
   * @internal What besides the weights decides the engine's output bits (runtime, version,
   * session settings), for the embedding cache's fingerprint.
   */
  readonly cacheSettings: Readonly<Record<string, unknown>>;
  readonly #session: OrtSessionLike;
  readonly #rt: OnnxRuntime;
  readonly #init: OnnxEngineInit;
  #disposed = false;

  private constructor(session: OrtSessionLike, rt: OnnxRuntime, init: OnnxEngineInit, dim: number, options: OnnxSessionOptions) {
    this.#session = session;
    this.#rt = rt;
    this.#init = init;
    this.runtime = rt.description;
    this.embeddingDim = dim;
    const { threads = rt.provider.threads ?? 0, graphOptimization = 'all', executionProviders = rt.provider.executionProviders ?? [] } = options;
    const { layout, fixedBatch, output } = init;
    this.cacheSettings = Object.freeze({ runtime: rt.description, threads, graphOptimization, executionProviders, layout, fixedBatch, output });
  }

  /**
   * @internal Opens a session on `model` (bytes of a graph with dvme's pixel inputs) and, when
   * the embedding width is not known, finds it from one blank image.
   */
  static async create(owner: string, rt: OnnxRuntime, model: Uint8Array, init: OnnxEngineInit, options: OnnxSessionOptions = {}): Promise<OnnxEmbeddingEngine> {
    const session = await createOnnxSession(owner, rt, model, options);
    try {
      const probe = new OnnxEmbeddingEngine(session, rt, init, init.embeddingDim ?? 0, options);
      if (init.embeddingDim !== undefined) return probe;
      const [h, w] = init.inputSize;
      const count = init.fixedBatch ?? 1;
      const blank: PixelBatch = { count, u8: new Uint8Array(count * h * w * 3), f32: undefined, divisor: 1 };
      const y = await probe.#run(blank, [h, w, 3], { resizeTo: null, crop: null }, 'bilinear');
      return new OnnxEmbeddingEngine(session, rt, init, y.length / count, options);
    } catch (e) {
      await session.release().catch(() => undefined);
      throw e;
    }
  }

  /**
   * Runs one batch; returns `[count, dim]` row-major. A model with a fixed batch size gets
   * fewer images (the last batch, a run of one size in a list) padded with black images, whose
   * outputs are dropped.
   */
  async #run(batch: PixelBatch, [h, w, c]: readonly [number, number, number], plan: ResizePlan, filter: Interpolation): Promise<Float32Array> {
    const fixed = this.#init.fixedBatch;
    const count = batch.count;
    const run = fixed !== undefined && count < fixed ? padBatch(batch, fixed, h * w * c) : batch;
    const feeds = frontFeeds(this.#rt.ort, run, [h, w, c], plan, filter);
    const name = this.#init.output ?? 'embedding';
    const out = (await this.#session.run(feeds, [name]))[name];
    try {
      let rows: Float32Array;
      if (out.dims.length === 4) rows = poolFeatureMap(out, this.#init.layout).data;
      else if (out.dims.length !== 2 || out.dims[0] !== run.count) {
        throw new ShapeError(
          `OnnxEmbeddingEngine(${this.#init.id}): the model returned shape [${out.dims.join(', ')}]; expected [${run.count}, d] or a feature map.`,
        );
      } else {
        // onnxruntime-node hands back a fresh array per call; copying keeps web GPU tensors safe too.
        rows = Float32Array.from(out.data as Float32Array);
      }
      return run === batch ? rows : rows.slice(0, (rows.length / run.count) * count);
    } finally {
      out.dispose?.();
    }
  }

  /**
   * Embeds images in batches, exactly as `Backbone.embed` does (same validation, resize plan,
   * progress and abort points), and returns the `[n, embeddingDim]` embeddings row-major. A list
   * of images of different sizes runs one session call per run of same-size images in a batch.
   *
   * @param owner - the caller, for messages.
   * @param spec - the backbone's preprocessing.
   * @throws A {@link ShapeError} / {@link InvalidArgumentError} for images that do not fit;
   * {@link AbortError} when `options.signal` fires; {@link DisposedError} after `dispose()`.
   *
   * @remarks Since 0.1.0.
   * @example
   * ```ts
   * import { Backbone } from 'dvme/node';
   * const b = await Backbone.fromCheckpoint('resnet50', 'resnet50.pth', { engine: 'onnx' });
   * const images = { data: new Uint8Array(4 * 28 * 28), shape: [4, 28, 28] };
   * const e = await b.engine!.embed('example', images, b.config, { batchSize: 2 }); // Float32Array(4 * 2048)
   * ```
   */
  async embed(owner: string, images: ImageInput, spec: PreprocessSpec, options: EmbedOptions = {}): Promise<Float32Array> {
    this.#assertAlive(owner);
    let batchSize = checkPositiveInteger(owner, 'batchSize', options.batchSize ?? 16);
    if (this.#init.fixedBatch !== undefined) batchSize = this.#init.fixedBatch;
    const mode = checkChoice(owner, 'resize', options.resize ?? spec.resize, RESIZE_MODES);
    const sources = await toPixelSources(owner, images, options.range);
    const plans = sources.runs.map((r) => planResize(runOwner(owner, sources, r), r.height, r.width, spec, mode));
    const d = this.embeddingDim;
    const loop = { owner, count: sources.count, dim: d, batchSize, signal: options.signal, onProgress: options.onProgress };
    // session.run resolves from a native callback, a macrotask already: no extra yield.
    return embedInBatches({ ...loop, yieldBetween: false, assertAlive: () => this.#assertAlive(owner) }, async (start, end, out) => {
      // Images of different sizes (a list) run as one session call per run of equal sizes in the batch.
      for (const { run, index, from, to } of runSpans(sources.runs, start, end)) {
        const shape = [run.height, run.width, run.channels] as const;
        const y = await this.#run(run.batch(from, to), shape, plans[index] as ResizePlan, spec.interpolation);
        if (y.length !== (to - from) * d) {
          throw new ShapeError(`${owner}: the model returned ${y.length / (to - from)} values per image; expected ${d}.`);
        }
        out.set(y, (run.start + from) * d);
      }
    });
  }

  /** @internal The graph's digest, for the embedding cache (see `EmbeddingEngine`). */
  async weightsKey(owner: string): Promise<string> {
    const key = this.#init.weightsKey;
    if (key === undefined) {
      throw new InvalidArgumentError(`${owner}: this ONNX engine was made without a weights key, so an embedding cache cannot key its embeddings.`);
    }
    return key;
  }

  /**
   * @internal What besides the weights decides the output bits: the session settings, and the
   * machine's core count when onnxruntime picks its thread count.
   */
  async describe(): Promise<Record<string, unknown>> {
    const cores = this.cacheSettings.threads === 0 ? logicalCores() : undefined;
    return { engine: 'onnx', ...this.cacheSettings, ...(cores === undefined ? {} : { logicalCores: cores }) };
  }

  /**
   * Stops onnxruntime's profiler (a session made with `profile: true`), which then writes its
   * JSON trace: every operator's time, per run (Node: `<profilePrefix>_<date>.json` in the working
   * directory; open it in `chrome://tracing` or Perfetto).
   *
   * @remarks Since 0.1.0.
   * @example
   * ```ts
   * import { Backbone } from 'dvme/node';
   * const b = await Backbone.fromCheckpoint('resnet50', 'resnet50.pth', { engine: 'onnx', onnx: { profile: true } });
   * await b.embed({ data: new Uint8Array(16 * 224 * 224 * 3), shape: [16, 224, 224, 3] });
   * b.engine?.endProfiling(); // writes onnxruntime_profile__<date>.json
   * ```
   */
  endProfiling(): void {
    this.#session.endProfiling?.();
  }

  /** Whether `dispose()` has been called. */
  get isDisposed(): boolean {
    return this.#disposed;
  }

  /**
   * Releases the session (onnxruntime's copy of the weights). Idempotent.
   *
   * @remarks Since 0.1.0.
   * @example
   * ```ts
   * backbone.engine?.dispose(); // backbone.dispose() does this
   * ```
   */
  dispose(): void {
    if (this.#disposed) return;
    this.#disposed = true;
    // Release is asynchronous in the API but has nothing to report; the weights are freed.
    void this.#session.release().catch(() => undefined);
  }

  #assertAlive(owner: string): void {
    if (this.#disposed) throw new DisposedError(`${owner}: this backbone's ONNX engine was disposed; load the backbone again.`);
  }
}

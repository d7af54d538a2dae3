import { BackendUnavailableError, CheckpointFormatError, InvalidArgumentError } from '../../errors/index.js';

/**
 * The part of an onnxruntime tensor dvme uses; `onnxruntime-node`'s and `onnxruntime-web`'s
 * `Tensor` both fit it.
 *
 * @remarks Since 0.1.0.
 * @example
 * ```ts
 * import type { OrtTensorLike } from 'dvme';
 * const size = (t: OrtTensorLike) => t.dims.reduce((a, b) => a * b, 1);
 * ```
 */
export interface OrtTensorLike {
  readonly dims: readonly number[];
  readonly type: string;
  readonly data: unknown;
  /** Frees the tensor's native memory (onnxruntime-web; absent in onnxruntime-node). */
  dispose?(): void;
}

/**
 * The part of an onnxruntime `InferenceSession` dvme uses.
 *
 * @remarks Since 0.1.0.
 * @example
 * ```ts
 * import type { OrtSessionLike } from 'dvme';
 * const describe = (s: OrtSessionLike) => `${s.inputNames.join(', ')} -> ${s.outputNames.join(', ')}`;
 * ```
 */
export interface OrtSessionLike {
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
  /** Runs the graph on `feeds`, returning the `fetches` outputs (all outputs by default). */
  run(feeds: Record<string, OrtTensorLike>, fetches?: readonly string[]): Promise<Record<string, OrtTensorLike>>;
  /** Frees the session's native resources. */
  release(): Promise<void>;
  /** Ends profiling and writes the profile (when the session was created with profiling on). */
  endProfiling?(): unknown;
}

/**
 * The part of the `onnxruntime-node` / `onnxruntime-web` module dvme uses, checked when the
 * module loads (the packages' own types are not imported, so the core does not depend on them).
 *
 * @remarks Since 0.1.0.
 * @example
 * ```ts
 * import type { OrtModuleLike } from 'dvme';
 * import * as ort from 'onnxruntime-node';
 * const runtime: OrtModuleLike = ort; // what dvme needs of an onnxruntime package
 * ```
 */
export interface OrtModuleLike {
  readonly InferenceSession: {
    /** Creates a session from the bytes of an `.onnx` model. */
    create(model: Uint8Array, options?: object): Promise<OrtSessionLike>;
  };
  readonly Tensor: new (type: string, data: ArrayBufferView, dims: readonly number[]) => OrtTensorLike;
  readonly env?: { readonly versions?: Readonly<Record<string, string | undefined>> };
}

/**
 * How dvme reaches onnxruntime without importing it: the package name (for messages), a
 * loader that imports it, and the thread count and execution providers the platform
 * recommends. `dvme/node` registers `onnxruntime-node`, `dvme/browser` `onnxruntime-web` (with
 * `['webgpu', 'wasm']` where `navigator.gpu` exists, else `['wasm']`).
 *
 * @remarks Since 0.1.0.
 * @example
 * ```ts
 * import { availableParallelism } from 'node:os';
 * import type { OnnxRuntimeProvider } from 'dvme';
 * const provider: OnnxRuntimeProvider = {
 *   package: 'onnxruntime-node',
 *   load: () => import('onnxruntime-node'),
 *   threads: availableParallelism(),
 * };
 * ```
 */
export interface OnnxRuntimeProvider {
  /** npm package name, for messages and the install hint. */
  readonly package: string;
  /** Imports the package; a literal `import()` so bundlers see it. */
  readonly load: () => Promise<unknown>;
  /** Intra-op threads of a session. @defaultValue 0: onnxruntime's own choice */
  readonly threads?: number;
  /**
   * Execution providers of a session whose options name none, best first; onnxruntime drops
   * (with a console warning) those this machine lacks, e.g. `['webgpu', 'wasm']` runs on wasm
   * where WebGPU has no adapter. @defaultValue onnxruntime's default (CPU; wasm in onnxruntime-web)
   */
  readonly executionProviders?: readonly string[];
  /**
   * Explains a session onnxruntime could not create for a reason of the runtime, not of the
   * model (`dvme/browser`: a `.wasm` file that was not found), as the error to throw instead
   * of {@link CheckpointFormatError}; `undefined` when the model is to blame.
   * @defaultValue none: every failure is the model's
   */
  readonly explainStartFailure?: (error: unknown, ort: OrtModuleLike) => Promise<Error | undefined>;
}

/**
 * onnxruntime, loaded: the module and where it came from.
 *
 * @remarks Since 0.1.0.
 * @example
 * ```ts
 * import type { OnnxRuntime } from 'dvme';
 * const describe = (rt: OnnxRuntime) => rt.description; // e.g. 'onnxruntime-node 1.30.0'
 * ```
 */
export interface OnnxRuntime {
  readonly ort: OrtModuleLike;
  readonly provider: OnnxRuntimeProvider;
  /** Package and version, e.g. `'onnxruntime-node 1.30.0'`. */
  readonly description: string;
}

let registered: OnnxRuntimeProvider | undefined;

/**
 * Registers how to load onnxruntime on this platform; the entrypoints call it on import.
 * Calling it again replaces the registration.
 *
 * @remarks Since 0.1.0.
 * @example
 * ```ts
 * import { registerOnnxRuntime } from 'dvme';
 * registerOnnxRuntime({ package: 'onnxruntime-web', load: () => import('onnxruntime-web') });
 * ```
 */
export function registerOnnxRuntime(provider: OnnxRuntimeProvider | undefined): void {
  registered = provider;
}

/**
 * The registered onnxruntime provider, if any.
 *
 * @remarks Since 0.1.0.
 * @internal
 */
export function registeredOnnxRuntime(): OnnxRuntimeProvider | undefined {
  return registered;
}

function firstLine(e: unknown): string {
  return e instanceof Error ? (e.message.split('\n')[0] ?? String(e)) : String(e);
}

/** @internal Why an import failed, in words a user can act on. */
export function describeImportFailure(pkg: string, e: unknown): string {
  // A loader that already said why in words (dvme/browser: a page that cannot import it by name).
  if (BackendUnavailableError.is(e)) return e.message;
  const code = (e as { code?: unknown } | null)?.code;
  const text = firstLine(e);
  // Node sets a code; bundlers and dev servers only say it in words.
  if (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND' || /Cannot find (module|package)|Could not resolve|Failed to resolve module/i.test(text)) {
    const hint = pkg === 'onnxruntime-node' ? '; on Linux x64 add --onnxruntime-node-install=skip to skip its CUDA download' : '';
    return `${pkg} is not installed (npm install ${pkg}${hint})`;
  }
  return `${pkg} is installed but failed to load: ${text}`;
}

const cache = new WeakMap<OnnxRuntimeProvider, Promise<OnnxRuntime>>();

/**
 * Imports onnxruntime through `provider` (default: the registered one) and checks that it
 * looks like onnxruntime. The import happens once per provider.
 *
 * @throws A {@link BackendUnavailableError} when no provider is registered, the package is not
 * installed (with the install command) or fails to load.
 *
 * @remarks Since 0.1.0.
 * @internal
 */
export function loadOnnxRuntime(provider: OnnxRuntimeProvider | undefined = registered): Promise<OnnxRuntime> {
  if (!provider) {
    return Promise.reject(
      new BackendUnavailableError(
        "The ONNX engine needs onnxruntime, and no platform registered it: import from 'dvme/node' (onnxruntime-node) " +
          "or 'dvme/browser' (onnxruntime-web), or call registerOnnxRuntime({ package, load: () => import('onnxruntime-node') }).",
      ),
    );
  }
  let pending = cache.get(provider);
  if (!pending) {
    pending = importRuntime(provider);
    // A failed import may succeed after `npm install`; only successes are kept.
    pending.catch(() => cache.delete(provider));
    cache.set(provider, pending);
  }
  return pending;
}

async function importRuntime(provider: OnnxRuntimeProvider): Promise<OnnxRuntime> {
  let mod: unknown;
  try {
    mod = await provider.load();
  } catch (e) {
    throw new BackendUnavailableError(`The ONNX engine cannot start: ${describeImportFailure(provider.package, e)}.`, { cause: e });
  }
  // CommonJS builds imported from ESM put the API under `default`.
  const candidates = [mod, (mod as { default?: unknown } | null)?.default];
  const ort = candidates.find(
    (m): m is OrtModuleLike =>
      typeof (m as OrtModuleLike | null)?.InferenceSession?.create === 'function' && typeof (m as OrtModuleLike).Tensor === 'function',
  );
  if (!ort) {
    throw new BackendUnavailableError(
      `The ONNX engine cannot start: ${provider.package} loaded but has no InferenceSession.create / Tensor; is it onnxruntime-node or onnxruntime-web >= 1.17?`,
    );
  }
  const versions = ort.env?.versions ?? {};
  const version = versions.node ?? versions.web ?? versions.common;
  return { ort, provider, description: version ? `${provider.package} ${version}` : provider.package };
}

/**
 * Options of the onnxruntime session dvme creates.
 *
 * @remarks Since 0.1.0.
 * @example
 * ```ts
 * import type { OnnxSessionOptions } from 'dvme';
 * const options: OnnxSessionOptions = { threads: 4, profile: true };
 * ```
 */
export interface OnnxSessionOptions {
  /** Intra-op threads. @defaultValue the provider's `threads`, else onnxruntime's choice */
  readonly threads?: number;
  /** @defaultValue `'all'` (onnxruntime's fusions and layout optimisations) */
  readonly graphOptimization?: 'disabled' | 'basic' | 'extended' | 'all';
  /**
   * Records onnxruntime's per-operator profile, written as `<profilePrefix>_<date>.json` (Node:
   * in the working directory) when the engine's `endProfiling()` is called. @defaultValue `false`
   */
  readonly profile?: boolean;
  /** File name prefix of the profile. @defaultValue `'onnxruntime_profile_'` */
  readonly profilePrefix?: string;
  /**
   * Let idle intra-op threads spin for a while before sleeping (onnxruntime's default): a little
   * lower latency between back-to-back batches, but on a machine shared with other work the
   * spinning takes CPU that work (or another session) needs. @defaultValue `true`
   */
  readonly allowSpinning?: boolean;
  /**
   * Execution providers, e.g. `['cuda', 'cpu']` or `['webgpu', 'wasm']`.
   * @defaultValue the provider's `executionProviders`, else onnxruntime's default (CPU / wasm)
   */
  readonly executionProviders?: readonly string[];
}

/** @internal Creates one session with dvme's defaults. */
export async function createOnnxSession(owner: string, runtime: OnnxRuntime, model: Uint8Array, options: OnnxSessionOptions = {}): Promise<OrtSessionLike> {
  const threads = options.threads ?? runtime.provider.threads ?? 0;
  if (!Number.isInteger(threads) || threads < 0) {
    throw new InvalidArgumentError(`${owner}: threads must be a non-negative integer (0: onnxruntime's choice); received ${JSON.stringify(threads)}.`);
  }
  const executionProviders = options.executionProviders ?? runtime.provider.executionProviders;
  const sessionOptions: Record<string, unknown> = {
    graphOptimizationLevel: options.graphOptimization ?? 'all',
    executionMode: 'sequential',
    // One graph, run one batch at a time: inter-op parallelism would only compete for the cores.
    interOpNumThreads: 1,
    ...(threads > 0 ? { intraOpNumThreads: threads } : {}),
    ...(options.profile ? { enableProfiling: true, ...(options.profilePrefix ? { profileFilePrefix: options.profilePrefix } : {}) } : {}),
    ...(executionProviders ? { executionProviders: [...executionProviders] } : {}),
    ...(options.allowSpinning === false ? { extra: { session: { intra_op: { allow_spinning: '0' } } } } : {}),
  };
  try {
    return await runtime.ort.InferenceSession.create(model, sessionOptions);
  } catch (e) {
    const runtimeFault = await runtime.provider.explainStartFailure?.(e, runtime.ort);
    if (runtimeFault) throw runtimeFault;
    // onnxruntime rejects a model for what is in it (an unknown operator, a type mismatch).
    throw new CheckpointFormatError(`${owner}: ${runtime.description} could not load the model: ${firstLine(e)}`, { cause: e });
  }
}

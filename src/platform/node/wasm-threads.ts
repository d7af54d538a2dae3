import * as tf from '@tensorflow/tfjs-core';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import { dirname, join } from 'node:path';
import { Worker as NodeWorker } from 'node:worker_threads';
import { InvalidArgumentError } from '../../errors/index.js';
import type { BackendCandidate } from '../../host/backend.js';
import { keepListenersThroughDispose, watchProcessListeners } from './process-listeners.js';

/**
 * tfjs-backend-wasm versions whose Node start-up dvme has checked step by step (the Blobs it
 * makes, its worker protocol, its thread cap and the factory file beside its bundle).
 */
const TESTED_VERSION = /^4\.22\./;

const THREADS_FLAG = 'WASM_HAS_MULTITHREAD_SUPPORT';

/** Sets tfjs-backend-wasm's threads flag, which exists once the package is loaded. */
function setFlag(value: boolean): void {
  try {
    tf.env().set(THREADS_FLAG, value);
  } catch {
    // Not registered: no tfjs-backend-wasm in this tfjs, so nothing to set.
  }
}

/** tfjs pre-creates 8 pthread workers and never uses more. */
export const MAX_WASM_THREADS = 8;

/**
 * The threaded factory as emscripten wrote it, beside the bundle tfjs loads in Node; each worker
 * evaluates it (the main thread runs the bundled copy of the same build, which Node's workers
 * cannot load from the Blob URL tfjs makes of it).
 */
const FACTORY_FILE = 'wasm-out/tfjs-backend-wasm-threaded-simd.js';
const BUNDLE = /[\\/]@tensorflow[\\/]tfjs-backend-wasm[\\/]dist[\\/]tf-backend-wasm\.node\.js$/;

/**
 * The threaded factory of the very tfjs-backend-wasm `module` is, found through Node's module
 * cache (the loaded bundle's file), so that two installed copies cannot be mixed up.
 */
function factoryFile(module: unknown): string | undefined {
  const exports = (module as { default?: unknown } | null)?.default ?? module;
  const cache = createRequire(`${process.cwd()}/`).cache;
  for (const [file, entry] of Object.entries(cache)) {
    if (!BUNDLE.test(file) || entry?.exports !== exports) continue;
    const candidate = join(dirname(dirname(file)), FACTORY_FILE);
    try {
      return readFileSync(candidate, 'utf8').includes('WasmBackendModuleThreadedSimd') ? candidate : undefined;
    } catch {
      return undefined;
    }
  }
  return undefined;
}

/**
 * The pthread worker script, as a file the workers start from: a `.cjs` file is CommonJS
 * whatever `--input-type` the process has, and a file (unlike `eval: true` with an explicit
 * `execArgv`, which Node refuses for V8 flags such as `--max-old-space-size`) lets the workers
 * inherit the process's flags. It lives in a folder of this process's own (`mkdtemp`: a random
 * name, readable by this user only), so no file another user placed can run in its stead; the
 * folder is removed once the workers have loaded it.
 */
class WorkerScript {
  #dir: string | undefined;
  #file: string | undefined;

  /** The file holding `text`; throws (failing the threaded start, which then runs 1 thread) when it cannot be written. */
  path(text: string): string {
    if (this.#file !== undefined) return this.#file;
    this.#dir = mkdtempSync(join(os.tmpdir(), 'dvme-wasm-worker-'));
    const file = join(this.#dir, 'tfjs-backend-wasm-worker.cjs');
    writeFileSync(file, text, { flag: 'wx', mode: 0o600 });
    this.#file = file;
    return file;
  }

  remove(): void {
    if (this.#dir !== undefined) rmSync(this.#dir, { recursive: true, force: true });
    this.#dir = undefined;
    this.#file = undefined;
  }
}

/** What the wasm module exports that this file uses. */
interface WasmModule {
  setThreadsCount?: (n: number) => void;
  getThreadsCount?: () => number;
  version_wasm?: string;
}

/** @internal Threads asked of the wasm backend, and what came of it. */
export interface WasmThreadsSetup {
  /** Requested threads (after `'auto'` is resolved). */
  readonly requested: number;
  /** Why fewer threads than requested will run, when known before start-up. */
  readonly note?: string;
  /** Whether the threaded start was set up (only then is a failed start worth a 1-thread retry). */
  readonly patched: boolean;
  /** What went wrong in dvme's part of a failed threaded start, when it saw it. */
  failure(): string | undefined;
  /**
   * Undoes the temporary patches; call once the backend has started (`started`) or failed to,
   * which also turns tfjs's threads flag back off for the next try.
   */
  restore(started: boolean): void;
}

/**
 * Threads for the wasm backend: `'auto'` is one per core this process may use (cgroup and
 * affinity aware), at most {@link MAX_WASM_THREADS}.
 *
 * @internal
 */
export function resolveWasmThreads(owner: string, threads: number | 'auto' | undefined): number {
  if (threads === undefined || threads === 'auto') return Math.min(os.availableParallelism(), MAX_WASM_THREADS);
  if (!Number.isInteger(threads) || threads < 1 || threads > MAX_WASM_THREADS) {
    throw new InvalidArgumentError(`${owner}: wasmThreads must be 'auto' or an integer from 1 to ${MAX_WASM_THREADS}; received ${JSON.stringify(threads)}.`);
  }
  return threads;
}

function threadsSupported(): string | undefined {
  if (typeof SharedArrayBuffer !== 'function') return 'SharedArrayBuffer is not available';
  // A module with a shared memory and an atomic instruction (wasm-feature-detect's test).
  const probe = new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0, 1, 4, 1, 96, 0, 0, 3, 2, 1, 0, 5, 4, 1, 3, 1, 1, 10, 11, 1, 9, 0, 65, 0, 254, 16, 2, 0, 26, 11]);
  if (!WebAssembly.validate(probe)) return 'this runtime has no WebAssembly threads';
  return undefined;
}

/**
 * @internal Lets tfjs-backend-wasm start its threaded build in Node, which it does not do by
 * itself (tensorflow/tfjs#3830): its pthread workers are made from Blob URLs, which Node's
 * workers cannot load, and it caps the thread count at half of `os.cpus()`. Until
 * {@link WasmThreadsSetup.restore}, dvme records the Blobs tfjs makes (their text is known when
 * they are made), gives tfjs a `Worker` that starts from the worker script's text, points each
 * worker's `load` message at the package's own factory file, and reports `2 x threads` cpus for
 * the cap. Call before
 * `tf.setBackend('wasm')`; nothing is patched for 1 thread, an untested tfjs version, or a
 * backend that is already running.
 */
export function prepareWasmThreads(module: unknown, threads: number): WasmThreadsSetup {
  const wasm = (typeof module === 'object' && module !== null ? module : {}) as WasmModule;
  const none = (note?: string): WasmThreadsSetup => ({ requested: threads, patched: false, ...(note ? { note } : {}), restore: () => undefined, failure: () => undefined });
  // Probes that throw (a deleted working folder, say) mean one thread, not a failed backend.
  let factory: string | undefined;
  if (threads === 1) {
    wasm.setThreadsCount?.(1);
    if (tf.engine().registry.wasm === undefined) setFlag(false);
    return none();
  }
  if (tf.engine().registry.wasm !== undefined) return none('the wasm backend was already running, with the threads it started with');
  const version = wasm.version_wasm;
  if (typeof version !== 'string' || !TESTED_VERSION.test(version) || typeof wasm.setThreadsCount !== 'function') {
    return none(`dvme starts wasm threads in Node with @tensorflow/tfjs-backend-wasm 4.22 only (found ${version ?? 'an unknown version'}); running 1 thread`);
  }
  const unsupported = threadsSupported();
  if (unsupported) return none(`${unsupported}; running 1 thread`);
  try {
    factory = factoryFile(module);
  } catch {
    factory = undefined;
  }
  if (factory === undefined) return none(`could not find ${FACTORY_FILE} of the loaded @tensorflow/tfjs-backend-wasm (bundled?); running 1 thread`);

  const texts = new WeakMap<Blob, string>();
  const urls = new Map<string, string>();
  const OriginalBlob = globalThis.Blob;
  const createObjectURL = URL.createObjectURL;
  const cpus = os.cpus;
  const workerDescriptor = Object.getOwnPropertyDescriptor(globalThis, 'Worker');
  const created: NodeWorker[] = [];
  const workerScript = new WorkerScript();
  /** Why the threaded start failed, where dvme's part saw it. */
  let failure: string | undefined;

  class RecordingBlob extends OriginalBlob {
    constructor(parts?: BlobPart[], options?: BlobPropertyBag) {
      super(parts, options);
      if (Array.isArray(parts) && parts.every((p) => typeof p === 'string')) texts.set(this, parts.join(''));
    }
  }
  class BlobUrlWorker extends NodeWorker {
    constructor(url: string | URL, options?: ConstructorParameters<typeof NodeWorker>[1]) {
      const script = urls.get(String(url));
      let start: string | URL = url;
      if (script !== undefined) {
        try {
          start = workerScript.path(script);
        } catch (e) {
          failure ??= `could not write the worker script (${e instanceof Error ? e.message : String(e)})`;
          throw e;
        }
      }
      try {
        super(start, options);
      } catch (e) {
        failure ??= `a worker could not start (${e instanceof Error ? e.message : String(e)})`;
        throw e;
      }
      created.push(this);
    }
    /**
     * emscripten refs a worker while a pthread runs on it, so that Node waits for the thread;
     * XNNPACK's pool threads never end, and would keep every process alive. They only work
     * while the main thread waits on them, so they need not hold the process.
     */
    override ref(): void {
      // Deliberately nothing.
    }
    override postMessage(message: unknown, transfer?: Parameters<NodeWorker['postMessage']>[1]): void {
      const m = message as { cmd?: unknown; urlOrBlob?: unknown } | null;
      // The worker reads a string with fs and evaluates it.
      if (m && m.cmd === 'load' && m.urlOrBlob instanceof OriginalBlob) message = { ...m, urlOrBlob: factory };
      try {
        super.postMessage(message, transfer);
      } catch (e) {
        failure ??= `a worker could not start (${e instanceof Error ? e.message : String(e)})`;
        throw e;
      }
    }
  }

  let restored = false;
  const restore = (started: boolean) => {
    if (restored) return;
    restored = true;
    globalThis.Blob = OriginalBlob;
    URL.createObjectURL = createObjectURL;
    (os as { cpus: typeof os.cpus }).cpus = cpus;
    if (workerDescriptor) Object.defineProperty(globalThis, 'Worker', workerDescriptor);
    else delete (globalThis as { Worker?: unknown }).Worker;
    // Every worker has read the script by now: the start waits for all of them to load.
    try {
      workerScript.remove();
    } catch {
      // A leftover temp folder is no reason to fail.
    }
    if (started) return;
    // A failed start must not leave tfjs asking for its threaded build (which cannot start
    // unpatched) on the next try, nor workers that never loaded (emscripten unrefs a worker
    // only once it has) keeping the process alive.
    setFlag(false);
    for (const w of created) void w.terminate();
  };
  try {
    globalThis.Blob = RecordingBlob;
    URL.createObjectURL = (blob: Blob): string => {
      const url = createObjectURL(blob);
      const text = texts.get(blob);
      if (text !== undefined) urls.set(url, text);
      return url;
    };
    // emscripten assigns Node's Worker to the global and then constructs `Worker`: keep ours.
    Object.defineProperty(globalThis, 'Worker', { configurable: true, get: () => BlobUrlWorker, set: () => undefined });
    // tfjs caps its pool at emscripten_num_logical_cores() / 2, which is os.cpus().length in Node.
    (os as { cpus: typeof os.cpus }).cpus = () => Array.from({ length: 2 * threads }, (_, i) => cpus()[i % cpus().length]!);
    setFlag(true);
    wasm.setThreadsCount(threads);
  } catch (e) {
    restore(false);
    wasm.setThreadsCount(1);
    return none(`could not prepare the threaded start (${e instanceof Error ? e.message : String(e)}); running 1 thread`);
  }
  return { requested: threads, patched: true, restore, failure: () => failure };
}

/** @internal Threads the running wasm backend computes with (its pool, main thread included). */
export function wasmThreadsCount(module: unknown): number | undefined {
  const get = (module as WasmModule | null)?.getThreadsCount;
  try {
    return typeof get === 'function' ? get() : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Options of `initBackend` in `dvme/node` and `dvme/node-gpu`.
 *
 * @remarks Since 0.1.0.
 * @example
 * ```ts
 * import { initBackend, type NodeBackendOptions } from 'dvme/node';
 * const options: NodeBackendOptions = { wasmThreads: 2 };
 * const info = await initBackend(options);
 * console.log(info.backend, info.threads); // 'wasm' 2 where tfjs-node is not installed
 * ```
 */
export interface NodeBackendOptions {
  /**
   * Threads of the wasm backend (when tfjs-node is not installed): `'auto'`, one per core this
   * process may use, up to 8; or 1 to 8. tfjs itself runs wasm single-threaded in Node
   * (tensorflow/tfjs#3830); dvme starts its threaded build (docs/performance.md). Read
   * only by the call that starts the backend. @defaultValue `'auto'`
   */
  readonly wasmThreads?: number | 'auto';
}

/** @internal The wasm candidate of `dvme/node`, starting `threads` threads. */
export function nodeWasmCandidate(threads: number): BackendCandidate {
  return {
    backend: 'wasm',
    package: '@tensorflow/tfjs-backend-wasm',
    load: () => import('@tensorflow/tfjs-backend-wasm'),
    prepare(module) {
      // emscripten adds process listeners that rethrow when the module starts (every build).
      const removeAddedListeners = watchProcessListeners();
      const setup = prepareWasmThreads(module, threads);
      let retried = false;
      return {
        finish(started) {
          removeAddedListeners();
          if (started) keepListenersThroughDispose(tf.findBackend('wasm'));
          setup.restore(started);
          if (!started) {
            // A threaded start that failed gets one single-threaded try.
            if (retried || !setup.patched) return {};
            retried = true;
            (module as WasmModule).setThreadsCount?.(1);
            return { retry: true };
          }
          const running = wasmThreadsCount(module);
          const why = retried ? `the threaded start failed${setup.failure() ? `: ${setup.failure()}` : ''}` : (setup.note ?? 'tfjs started fewer');
          const notes = running !== undefined && running < setup.requested ? [`wasm: ${running} of ${setup.requested} threads: ${why}`] : [];
          return { ...(running === undefined ? {} : { threads: running }), notes };
        },
      };
    },
  };
}

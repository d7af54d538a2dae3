import * as tf from '@tensorflow/tfjs-core';
import { guardWasmHeap } from '../wasm/heap-guard.js';
import { BackendUnavailableError } from '../errors/index.js';

/**
 * One tfjs backend an entrypoint may use, with the package that provides it.
 *
 * @remarks Since 0.1.0.
 * @example
 * ```ts
 * import type { BackendCandidate } from 'dvme';
 * const wasm: BackendCandidate = {
 *   backend: 'wasm',
 *   package: '@tensorflow/tfjs-backend-wasm',
 *   load: () => import('@tensorflow/tfjs-backend-wasm'),
 * };
 * ```
 */
export interface BackendCandidate {
  /** tfjs backend name passed to `tf.setBackend` (`'tensorflow'`, `'wasm'`, `'webgl'`, ...). */
  readonly backend: string;
  /** npm package that registers the backend when imported. */
  readonly package: string;
  /** Imports the package; a literal `import()` so bundlers can see it. */
  readonly load: () => Promise<unknown>;
  /**
   * Runs after `load` and before `tf.setBackend` (dvme/node starts wasm threads here, dvme/browser
   * finds the wasm files); the returned `finish` runs once the backend has started or failed, and
   * may add to the report. A `load` or `prepare` that throws a {@link BackendUnavailableError}
   * passes the backend over with that error's message as the reason.
   */
  readonly prepare?: (module: unknown) => BackendPreparation | Promise<BackendPreparation>;
}

/**
 * What a {@link BackendCandidate}'s `prepare` returns.
 *
 * @remarks Since 0.1.0.
 * @example
 * ```ts
 * import type { BackendPreparation } from 'dvme';
 * const nothing: BackendPreparation = { finish: () => ({}) };
 * ```
 */
export interface BackendPreparation {
  /**
   * Called once `tf.setBackend` has succeeded (`started`) or failed; undoes what `prepare` set
   * up for the start and returns what to add to the {@link BackendInfo}. After a failure it may
   * ask for one more plain `tf.setBackend` (`retry`, e.g. wasm with one thread after a failed
   * threaded start); `finish` is then called again with that attempt's outcome.
   */
  finish(started: boolean): Pick<BackendInfo, 'threads' | 'notes'> & {
    readonly retry?: boolean;
    /** After a failure: the reason to report instead of tfjs's (one that says how to fix it). */
    readonly reason?: string;
  };
}

/**
 * Which tfjs backend dvme is running on and how it was chosen.
 *
 * @remarks Since 0.1.0.
 * @example
 * ```ts
 * import { initBackend } from 'dvme/node';
 * const info = await initBackend();
 * console.log(info.backend, info.package); // e.g. 'wasm' '@tensorflow/tfjs-backend-wasm'
 * ```
 */
export interface BackendInfo {
  /** Active tfjs backend name, as `tf.getBackend()` reports it. */
  readonly backend: string;
  /** Package that provided it, when dvme chose it; `undefined` when the app set it itself. */
  readonly package: string | undefined;
  /** That package's version, read from its exports (`version_wasm`, ...), when it has one. */
  readonly version?: string;
  /** The entrypoint that chose it (`'node'`, `'node-gpu'`, `'browser'`), if any. */
  readonly entrypoint: string | undefined;
  /** Candidates tried before this one and why each was passed over. */
  readonly skipped: ReadonlyArray<{ readonly backend: string; readonly package: string; readonly reason: string }>;
  /**
   * Threads the backend computes with, main thread included, where dvme knows it (the wasm
   * backend in Node: `wasmThreads` of `initBackend`).
   */
  readonly threads?: number;
  /** What did not go as asked (fewer threads than requested, and why). */
  readonly notes?: readonly string[];
}

let chosen: BackendInfo | undefined;

/**
 * Reports the active tfjs backend and, when a dvme entrypoint chose it, which package
 * provides it and which faster candidates were unavailable (and why).
 *
 * @remarks Since 0.1.0.
 * @example
 * ```ts
 * import { backendInfo, initBackend } from 'dvme/node';
 * await initBackend();
 * console.log(backendInfo().backend); // 'tensorflow' with tfjs-node, else 'wasm'
 * ```
 */
export function backendInfo(): BackendInfo {
  const backend = tf.getBackend();
  if (chosen && chosen.backend === backend) return chosen;
  return { backend, package: undefined, entrypoint: undefined, skipped: [] };
}

/**
 * Tries the candidates in order: imports each package and activates its backend; the first
 * that works becomes active. Throws {@link BackendUnavailableError} listing every failure and
 * the install command when none does.
 *
 * @remarks Since 0.1.0. Used by the platform entrypoints; exported for apps that want their own
 * order of preference.
 * @example
 * ```ts
 * import { selectBackend } from 'dvme';
 * const info = await selectBackend('my-app', [
 *   { backend: 'wasm', package: '@tensorflow/tfjs-backend-wasm', load: () => import('@tensorflow/tfjs-backend-wasm') },
 * ]);
 * ```
 */
export async function selectBackend(
  entrypoint: string,
  candidates: readonly BackendCandidate[],
): Promise<BackendInfo> {
  const skipped: { backend: string; package: string; reason: string }[] = [];
  // Packages that failed to import as not installed: the only ones the final error says to install.
  const missing = new Set<string>();
  for (const c of candidates) {
    let loaded: unknown;
    try {
      loaded = await c.load();
    } catch (e) {
      const failure = importFailure(c.package, e);
      if (failure.missing) missing.add(c.package);
      skipped.push({ backend: c.backend, package: c.package, reason: failure.reason });
      continue;
    }
    let prepared: BackendPreparation | undefined;
    try {
      prepared = await c.prepare?.(loaded);
    } catch (e) {
      const reason = BackendUnavailableError.is(e) ? e.message : `could not prepare it: ${message(e)}`;
      skipped.push({ backend: c.backend, package: c.package, reason });
      continue;
    }
    let { ok, failure } = await start(c.backend);
    let extra = prepared?.finish(ok) ?? {};
    if (!ok && extra.retry) {
      ({ ok, failure } = await start(c.backend));
      extra = prepared?.finish(ok) ?? {};
    }
    if (!ok) {
      const reason = extra.reason ?? failure ?? 'tfjs could not initialise it on this platform';
      skipped.push({ backend: c.backend, package: c.package, reason });
      continue;
    }
    // tfjs-backend-wasm does not check its heap's allocations: past 4 GiB it would corrupt memory.
    guardWasmHeap(tf.getBackend());
    const version = packageVersion(loaded, c.package);
    chosen = {
      backend: tf.getBackend(),
      package: c.package,
      ...(version === undefined ? {} : { version }),
      entrypoint,
      skipped,
      ...(extra.threads === undefined ? {} : { threads: extra.threads }),
      ...(extra.notes?.length ? { notes: extra.notes } : {}),
    };
    return chosen;
  }
  const tried = skipped.map((s) => `  - ${s.package} (backend '${s.backend}'): ${s.reason}`).join('\n');
  // Only packages that are missing are worth installing; an installed one that failed has its fix above.
  const absent = candidates.map((c) => c.package).filter((p) => missing.has(p));
  const last = absent[absent.length - 1];
  const install =
    last === undefined
      ? ''
      : absent.length === skipped.length
        ? `\nInstall one of them, e.g. npm install ${last}` + (absent.length > 1 ? ` (or ${absent.join(' or ')}).` : '.')
        : `\nOr install another one: npm install ${absent.join(' or ')}.`;
  throw new BackendUnavailableError(`dvme/${entrypoint} found no usable tfjs backend. Tried:\n${tried}${install}`);
}

/** One `tf.setBackend`, its failure as a reason instead of a throw. */
async function start(backend: string): Promise<{ ok: boolean; failure?: string }> {
  try {
    const ok = await tf.setBackend(backend);
    if (ok) await tf.ready();
    return { ok };
  } catch (e) {
    return { ok: false, failure: `initialisation failed: ${message(e)}` };
  }
}

/**
 * The version a tfjs backend package exports: `version_wasm` / `version_webgl` / `version_cpu`
 * (a string), or tfjs-node's `version` (a string, or an object keyed by package name).
 */
function packageVersion(module: unknown, pkg: string): string | undefined {
  if (typeof module !== 'object' || module === null) return undefined;
  for (const [name, value] of Object.entries(module)) if (name.startsWith('version_') && typeof value === 'string') return value;
  const version = (module as { version?: unknown }).version;
  if (typeof version === 'string') return version;
  const own = typeof version === 'object' && version !== null ? (version as Record<string, unknown>)[pkg.replace(/^@[^/]+\//, '')] : undefined;
  return typeof own === 'string' ? own : undefined;
}

function importFailure(pkg: string, e: unknown): { reason: string; missing: boolean } {
  // The loader's own words (dvme/browser: a page that cannot import the package by name).
  if (BackendUnavailableError.is(e)) return { reason: e.message, missing: false };
  const code = (e as { code?: string } | null)?.code;
  // Node sets a code; bundlers and dev servers (Vite, webpack) only say it in words.
  const text = message(e);
  if (
    code === 'ERR_MODULE_NOT_FOUND' ||
    code === 'MODULE_NOT_FOUND' ||
    /Cannot find (module|package)|Could not resolve|Failed to resolve module/i.test(text)
  ) {
    return { reason: `not installed (npm install ${pkg})`, missing: true };
  }
  return { reason: `installed but failed to load: ${text}`, missing: false };
}

function message(e: unknown): string {
  return e instanceof Error ? e.message.split('\n')[0] ?? String(e) : String(e);
}

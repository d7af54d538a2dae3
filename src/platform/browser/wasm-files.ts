import * as tf from '@tensorflow/tfjs-core';
import { BackendUnavailableError } from '../../errors/index.js';
import type { BackendPreparation } from '../../host/backend.js';

const WASM_PACKAGE = '@tensorflow/tfjs-backend-wasm';

/**
 * The URL of the script dvme runs from, taken while the module evaluates: in a bundle, the
 * bundle's own URL (`import.meta.url` in ESM output; `document.currentScript` in a classic
 * script, set only during that first evaluation). webpack rewrites `import.meta.url` to the
 * source file's `file:` URL at build time, so only an http(s) one is taken.
 */
const scriptUrl: string | undefined = (() => {
  const found: unknown[] = [];
  try {
    found.push((import.meta as { url?: unknown }).url);
  } catch {
    // import.meta emptied by a CommonJS build.
  }
  if (typeof document !== 'undefined') found.push((document.currentScript as HTMLScriptElement | null)?.src);
  return found.find((u): u is string => typeof u === 'string' && /^https?:/.test(u));
})();

/** The folder `url` names, as an absolute http(s) URL ending in `/`, or undefined. */
function httpFolder(url: string | undefined, base: string | undefined): string | undefined {
  if (!url) return undefined;
  try {
    const resolved = new URL(url, base);
    if (resolved.protocol !== 'http:' && resolved.protocol !== 'https:') return undefined;
    return new URL('./', resolved).href;
  } catch {
    return undefined;
  }
}

/** @internal The URL relative URLs of this page (or worker) resolve against. */
export function pageBase(): string | undefined {
  return typeof document === 'undefined' ? (globalThis as { location?: { href?: string } }).location?.href : document.baseURI;
}

/** The binary tfjs-backend-wasm 4.x fetches for this browser (its `getPathToWasmBinary`). */
async function wasmFileName(): Promise<string> {
  let simd = true;
  let threads = false;
  try {
    simd = Boolean(await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT'));
    threads = Boolean(await tf.env().getAsync('WASM_HAS_MULTITHREAD_SUPPORT'));
  } catch {
    // The flags are registered by the package; without them, assume the common case.
  }
  if (simd && threads) return 'tfjs-backend-wasm-threaded-simd.wasm';
  return simd ? 'tfjs-backend-wasm-simd.wasm' : 'tfjs-backend-wasm.wasm';
}

/** @internal `HEAD url`: undefined when the file is there (or the server cannot say), else what went wrong. */
export async function probe(url: string): Promise<string | undefined> {
  try {
    const response = await fetch(url, { method: 'HEAD', cache: 'no-store' });
    // 405 / 501: a server that does not answer HEAD; the real fetch will tell.
    if (response.ok || response.status === 405 || response.status === 501) return undefined;
    return `${response.status} ${response.statusText}`.trim();
  } catch (e) {
    return e instanceof Error ? e.message : String(e);
  }
}

function fix(): string {
  return (
    `Serve the .wasm files of node_modules/${WASM_PACKAGE}/dist/ next to your bundle (or the page), ` +
    "or say where they are: initBackend({ wasmPaths: 'https://your.host/wasm/' })."
  );
}

/**
 * @internal The `prepare` of `dvme/browser`'s wasm candidate: finds the `.wasm` file
 * tfjs-backend-wasm is about to fetch before tfjs tries (a failed fetch aborts its start with a
 * message naming no URL, and it cannot be started again in that page) and points the package
 * at it. Where it looks: `wasmPaths` when given, else the folder of the bundle that holds dvme,
 * then the page's folder (tfjs's own default). Nothing found and no `wasmPaths`: tfjs still
 * tries (the app may have called `setWasmPaths` itself), and a failure names the URLs probed.
 */
export async function prepareWasmFiles(module: unknown, wasmPaths: string | undefined): Promise<BackendPreparation> {
  const setWasmPaths = (module as { setWasmPaths?: unknown } | undefined)?.setWasmPaths;
  const file = await wasmFileName();
  const base = pageBase();
  const page = httpFolder('./', base);
  // Without the module (the app imported the package itself) tfjs's default is the only place.
  const folders = wasmPaths !== undefined ? [httpFolder(wasmPaths, base) ?? wasmPaths] : typeof setWasmPaths === 'function' ? [httpFolder(scriptUrl, base), page] : [page];
  const tried: string[] = [];
  for (const folder of new Set(folders)) {
    if (folder === undefined) continue;
    const url = new URL(file, folder).href;
    const failure = await probe(url);
    if (failure === undefined) {
      if (typeof setWasmPaths === 'function') (setWasmPaths as (prefix: string) => void)(folder);
      return { finish: (started) => (started ? {} : { reason: `it found ${url} but could not start from it (see the console). ${fix()}` }) };
    }
    tried.push(`HEAD ${url}: ${failure}`);
  }
  const notFound = `${WASM_PACKAGE} is installed, but its WebAssembly file was not found (${tried.join('; ') || 'no http(s) page to look from'}). ${fix()}`;
  if (wasmPaths !== undefined) throw new BackendUnavailableError(notFound);
  return { finish: (started) => (started ? {} : { reason: notFound }) };
}

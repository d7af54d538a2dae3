/**
 * Imports an optional peer package (a tfjs backend, onnxruntime, tfjs-converter).
 *
 * @remarks Since 0.1.0.
 * @example
 * ```ts
 * import type { PeerLoader } from 'dvme/browser';
 * const wasm: PeerLoader = () => import('@tensorflow/tfjs-backend-wasm');
 * ```
 */
export type PeerLoader = () => Promise<unknown>;

const supplied = new Map<string, PeerLoader>();

/**
 * @internal Imports `specifier` by a name that bundlers cannot see. A literal `import('x')` of
 * an optional peer makes esbuild, Vite and webpack fail the build where `x` is not installed;
 * a name in a variable is left to the runtime: Node resolves it, and so does a browser page
 * with an import map. Bundled pages supply the package instead ({@link supplyPeer}).
 */
export function importByName(specifier: string): Promise<unknown> {
  return import(/* webpackIgnore: true */ /* @vite-ignore */ specifier);
}

/**
 * @internal Says how to import the optional peer `pkg` (from the app's code, where its bundler
 * sees the literal `import()`); `undefined` goes back to importing it by name.
 */
export function supplyPeer(pkg: string, load: PeerLoader | undefined): void {
  if (load) supplied.set(pkg, load);
  else supplied.delete(pkg);
}

/** @internal Whether the app supplied a loader for `pkg`. */
export function isPeerSupplied(pkg: string): boolean {
  return supplied.has(pkg);
}

/** @internal Imports the optional peer `pkg`: through the app's loader if it gave one, else by name. */
export function importPeer(pkg: string): Promise<unknown> {
  const load = supplied.get(pkg);
  return load ? load() : importByName(pkg);
}

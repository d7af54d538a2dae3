import { BackendUnavailableError } from '../errors/index.js';

/**
 * What the platform-neutral core needs from its host and cannot import itself. The platform
 * entrypoints (`dvme/node`, `dvme/browser`) register one on import; an app on another runtime
 * (Deno, a worker, React Native) can register its own with {@link registerPlatform}.
 *
 * @remarks Since 0.1.0.
 * @example
 * ```ts
 * import { registerPlatform } from 'dvme';
 * registerPlatform({
 *   name: 'my-runtime',
 *   readFile: async (path) => new Uint8Array(await (await fetch(path)).arrayBuffer()),
 * });
 * ```
 */
export interface Platform {
  /** Short name, shown in messages (`'node'`, `'browser'`). */
  readonly name: string;
  /** Reads a local file path into bytes. Absent where there is no file system. */
  readonly readFile?: (path: string) => Promise<Uint8Array>;
}

let current: Platform | undefined;

/**
 * Registers the host platform's helpers for the core (file reading and the like). The
 * entrypoints call it on import; calling it again replaces the previous registration.
 *
 * @remarks Since 0.1.0.
 * @example
 * ```ts
 * import { registerPlatform, currentPlatform } from 'dvme';
 * registerPlatform({ name: 'test' });
 * currentPlatform()?.name; // 'test'
 * ```
 */
export function registerPlatform(platform: Platform): void {
  current = platform;
}

/**
 * The registered platform, or `undefined` when the app imported only the core.
 *
 * @remarks Since 0.1.0.
 * @example
 * ```ts
 * import { currentPlatform } from 'dvme/node';
 * currentPlatform()?.name; // 'node'
 * ```
 */
export function currentPlatform(): Platform | undefined {
  return current;
}

/**
 * @internal Reads a local path through the registered platform, or explains how to get one.
 */
export function readLocalFile(path: string): Promise<Uint8Array> {
  const readFile = current?.readFile;
  if (!readFile) {
    throw new BackendUnavailableError(
      `Cannot read the local file ${JSON.stringify(path)}: ${current ? `platform '${current.name}' has no file system` : 'no platform is registered'}. ` +
        `Import from 'dvme/node' instead of 'dvme' to read files in Node, or pass a URL, an ArrayBuffer or a Uint8Array.`,
    );
  }
  return readFile(path);
}

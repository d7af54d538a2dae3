import { readFile, readdir } from 'node:fs/promises';
import { isAbsolute, join, relative, sep } from 'node:path';
import { decodeImage } from './decode-image.js';
import { InvalidArgumentError } from '../../errors/index.js';
import type { Platform } from '../../host/platform.js';
import { openNodeCache } from './node-cache.js';
import { openNodeEmbeddingStore } from './node-embedding-store.js';

/** What each path mistake means, in words; other fs errors pass through unchanged. */
const REASONS: Readonly<Record<string, string>> = {
  ENOENT: 'there is no such file or folder',
  EISDIR: 'it is a folder, not a file',
  ENOTDIR: 'a part of the path is a file, not a folder',
  EACCES: 'permission denied',
  EPERM: 'permission denied',
};

/**
 * @internal Reads a file, turning a wrong path into an {@link InvalidArgumentError} that names it
 * (and the working folder a relative path was resolved from). Callers add their own fix to the
 * message; the Node error, with its `code`, is the `cause`.
 */
async function readLocal(path: string): Promise<Uint8Array> {
  let buf: Buffer;
  try {
    buf = await readFile(path);
  } catch (e) {
    const code = (e as { code?: unknown } | null)?.code;
    const reason = typeof code === 'string' ? REASONS[code] : undefined;
    if (reason === undefined) throw e;
    const where = isAbsolute(path) ? '' : `; relative to the working folder ${process.cwd()}`;
    throw new InvalidArgumentError(`${JSON.stringify(path)} cannot be read: ${reason} (${code}${where}).`, { cause: e });
  }
  return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
}

/** Every file under `dir`, relative and `/`-separated, sorted (code-unit order, as on every OS). */
async function listFiles(dir: string): Promise<string[]> {
  let entries;
  try {
    entries = await readdir(dir, { recursive: true, withFileTypes: true });
  } catch (e) {
    const code = (e as { code?: unknown } | null)?.code;
    const reason = typeof code === 'string' ? REASONS[code] : undefined;
    if (reason === undefined) throw e;
    throw new InvalidArgumentError(`${JSON.stringify(dir)} cannot be listed: ${reason} (${code}).`, { cause: e });
  }
  return entries
    .filter((e) => e.isFile())
    .map((e) => relative(dir, join(e.parentPath, e.name)).split(sep).join('/'))
    .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

/** @internal The Node.js platform helpers, registered by `dvme/node` and `dvme/node-gpu`. */
export const nodePlatform: Platform = {
  name: 'node',
  readFile: readLocal,
  listFiles,
  decodeImage: (bytes, options) => decodeImage(bytes, options),
  openCache: openNodeCache,
  openEmbeddingStore: openNodeEmbeddingStore,
};

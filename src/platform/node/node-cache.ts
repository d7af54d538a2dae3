import { mkdir, open, readFile, rename, rm, stat, writeFile, type FileHandle } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import type { CacheWriter, DownloadCache, DownloadCacheOptions } from '../../host/platform.js';
import type { ResumableCacheWriter } from '../../io/resumable-writer.js';

/**
 * @internal The cache folder: the option, else `$DVME_CACHE_DIR`, else `$XDG_CACHE_HOME/dvme`,
 * else `~/.cache/dvme` (the XDG default, which torch.hub and Hugging Face also follow).
 */
export function nodeCacheDir(options: DownloadCacheOptions = {}): string {
  const env = process.env;
  if (options.dir) return resolve(options.dir);
  if (env.DVME_CACHE_DIR) return resolve(env.DVME_CACHE_DIR);
  if (env.XDG_CACHE_HOME) return resolve(env.XDG_CACHE_HOME, 'dvme');
  return join(homedir(), '.cache', 'dvme');
}

/** @internal Whether a file-system error says the path does not exist. */
export function isMissing(e: unknown): boolean {
  return (e as { code?: unknown } | null)?.code === 'ENOENT';
}

async function readIfPresent(path: string): Promise<Uint8Array | undefined> {
  try {
    const buf = await readFile(path);
    return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
  } catch (e) {
    if (isMissing(e)) return undefined;
    throw e;
  }
}

/**
 * Writes into `<file>.part` beside the final file and renames it into place on commit: rename
 * within a folder is atomic, so a reader sees the whole file or none, and a crash leaves a
 * `.part` that the next download resumes from. `<file>.part.validator` holds the ETag or
 * Last-Modified of the response the `.part` came from, which a resume must present.
 */
class PartFileWriter implements ResumableCacheWriter {
  readonly #final: string;
  readonly #part: string;
  readonly #validatorFile: string;
  readonly #handle: FileHandle;
  #open = true;
  partial: Uint8Array;
  validator: string | undefined;

  constructor(final: string, handle: FileHandle, partial: Uint8Array, validator: string | undefined) {
    this.#final = final;
    this.#part = `${final}.part`;
    this.#validatorFile = `${final}.part.validator`;
    this.#handle = handle;
    this.partial = partial;
    this.validator = validator;
  }

  async recordValidator(validator: string | undefined): Promise<void> {
    if (validator === undefined) await rm(this.#validatorFile, { force: true });
    else await writeFile(this.#validatorFile, validator);
    this.validator = validator;
  }

  async append(chunk: Uint8Array): Promise<void> {
    // Opened with 'a': every write lands at the end, also after a truncate.
    await this.#handle.write(chunk);
  }

  async restart(): Promise<void> {
    await this.#handle.truncate(0);
    this.partial = new Uint8Array(0);
    await this.recordValidator(undefined);
  }

  async commit(bytes: Uint8Array): Promise<void> {
    await this.#handle.sync();
    await this.#closeHandle();
    const { size } = await stat(this.#part);
    // The download verified `bytes`; a .part of another length would mean another writer.
    if (size !== bytes.length) {
      await rm(this.#part, { force: true });
      throw new Error(`${this.#part} holds ${size} bytes instead of ${bytes.length}: was it written by two downloads at once?`);
    }
    await rename(this.#part, this.#final);
    await rm(this.#validatorFile, { force: true });
  }

  async close(keep: boolean): Promise<void> {
    await this.#closeHandle();
    if (keep) return;
    await rm(this.#part, { force: true });
    await rm(this.#validatorFile, { force: true });
  }

  async #closeHandle(): Promise<void> {
    if (!this.#open) return;
    this.#open = false;
    await this.#handle.close();
  }
}

/** @internal A {@link DownloadCache} of plain files under a folder. */
export class NodeFileCache implements DownloadCache {
  readonly location: string;

  constructor(dir: string) {
    this.location = dir;
  }

  /** Keys are checked by `download`; this only joins them under the folder. */
  #path(key: string): string {
    return join(this.location, ...key.split('/'));
  }

  read(key: string): Promise<Uint8Array | undefined> {
    return readIfPresent(this.#path(key));
  }

  async delete(key: string): Promise<void> {
    const path = this.#path(key);
    await rm(path, { force: true });
    await rm(`${path}.part`, { force: true });
    await rm(`${path}.part.validator`, { force: true });
  }

  async begin(key: string): Promise<CacheWriter> {
    const final = this.#path(key);
    await mkdir(dirname(final), { recursive: true });
    const partial = (await readIfPresent(`${final}.part`)) ?? new Uint8Array(0);
    const validator = await readIfPresent(`${final}.part.validator`);
    const handle = await open(`${final}.part`, 'a');
    return new PartFileWriter(final, handle, partial, validator && new TextDecoder().decode(validator));
  }
}

/** @internal `Platform.openCache` of `dvme/node`. */
export function openNodeCache(options: DownloadCacheOptions): DownloadCache {
  return new NodeFileCache(nodeCacheDir(options));
}

import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { EMBEDDING_SET_FILES, decodeEmbeddingSet, encodeEmbeddingSet, type EmbeddingSet } from '../../data/embedding-set.js';
import { EmbeddingSetFormatError } from '../../errors/index.js';

/**
 * Reads an embedding set folder (`manifest.json` and `embeddings.npy`, as `dvme embed` writes
 * it).
 *
 * @param dir - the folder.
 * @throws {@link EmbeddingSetFormatError} when a file is missing, the manifest is invalid or the
 * array does not match it.
 * @remarks Since 0.1.0.
 * @example
 * ```ts
 * import { readEmbeddingSet } from 'dvme/node';
 * const set = await readEmbeddingSet('out/mobilenet');
 * set.embeddings.shape; // [rows, dim]
 * set.manifest.rows[0]; // { id: 'grade0/img_0001.png', split: 'train', label: 0 }
 * ```
 */
export async function readEmbeddingSet(dir: string): Promise<EmbeddingSet> {
  const read = async (name: string) => {
    try {
      return await readFile(join(dir, name));
    } catch (e) {
      throw new EmbeddingSetFormatError(
        `${JSON.stringify(dir)} is not an embedding set: ${name} cannot be read (${(e as { code?: string }).code ?? (e as Error).message}). ` +
          `An embedding set is a folder with ${EMBEDDING_SET_FILES.manifest} and ${EMBEDDING_SET_FILES.embeddings}, as dvme embed --out writes it.`,
        { cause: e, field: name },
      );
    }
  };
  const manifest = (await read(EMBEDDING_SET_FILES.manifest)).toString('utf8');
  const npy = await read(EMBEDDING_SET_FILES.embeddings);
  return decodeEmbeddingSet({ manifest, embeddings: new Uint8Array(npy.buffer, npy.byteOffset, npy.byteLength) });
}

/**
 * Writes an embedding set to a folder (created if needed): `embeddings.npy`, then
 * `manifest.json`, each written beside and renamed, so a folder with a manifest is complete.
 *
 * @throws {@link EmbeddingSetFormatError} when the manifest is invalid or does not match the
 * embeddings.
 * @remarks Since 0.1.0. The same set always gives the same bytes.
 * @example
 * ```ts
 * import { readEmbeddingSet, writeEmbeddingSet } from 'dvme/node';
 * const set = await readEmbeddingSet('out/mobilenet');
 * await writeEmbeddingSet('backup/mobilenet', set);
 * ```
 */
export async function writeEmbeddingSet(dir: string, set: EmbeddingSet): Promise<void> {
  const files = encodeEmbeddingSet(set);
  await mkdir(dir, { recursive: true });
  for (const [name, body] of [[EMBEDDING_SET_FILES.embeddings, files.embeddings], [EMBEDDING_SET_FILES.manifest, files.manifest]] as const) {
    const part = join(dir, `${name}.${process.pid}.part`);
    await writeFile(part, body);
    await rename(part, join(dir, name));
  }
}

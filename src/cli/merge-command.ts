import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { mergeEmbeddingSets } from '../data/embedding-set-merge.js';
import type { EmbeddingSet } from '../data/embedding-set.js';
import { InvalidArgumentError } from '../errors/index.js';
import { readEmbeddingSet, writeEmbeddingSet } from '../platform/node/embedding-set-files.js';
import type { MergeConfig } from './embed-args.js';
import type { CliIo } from './linear-eval-command.js';

/** @internal What `dvme merge` did, as `--json` prints it. */
export interface MergeSummary {
  readonly out: string;
  readonly shards: number;
  readonly rows: number;
  readonly dim: number;
  readonly skipped: number;
}

const exists = (p: string) => stat(p).then(() => true, () => false);

/** The embedding-set folders an input names: itself, or the shard-* folders it holds. */
async function setFolders(input: string): Promise<string[]> {
  if (await exists(join(input, 'manifest.json'))) return [input];
  let names: string[];
  try {
    names = await readdir(input);
  } catch (e) {
    throw new InvalidArgumentError(`dvme merge: ${JSON.stringify(input)} cannot be read (${(e as { code?: string }).code ?? (e as Error).message}); pass shard folders or the folder holding them.`, { cause: e });
  }
  const shards = names.filter((n) => /^shard-\d+-of-\d+$/.test(n)).sort();
  if (shards.length === 0) {
    throw new InvalidArgumentError(`dvme merge: ${JSON.stringify(input)} is neither an embedding set (no manifest.json) nor a folder of shard-<i>-of-<n> sets.`);
  }
  return shards.map((n) => join(input, n));
}

/** @internal Runs `dvme merge`: read every shard, check they belong together, write the whole set. */
export async function mergeCommand(config: MergeConfig, io: CliIo): Promise<MergeSummary> {
  const folders = (await Promise.all(config.inputs.map(setFolders))).flat();
  const sets: EmbeddingSet[] = [];
  for (const f of folders) sets.push(await readEmbeddingSet(f));
  const merged = mergeEmbeddingSets(sets);
  await writeEmbeddingSet(config.out, merged);
  const [rows, dim] = merged.embeddings.shape;
  io.stderr.write(`Merged ${sets.length} shard${sets.length === 1 ? '' : 's'} into ${config.out}: ${rows} x ${dim} embeddings.\n`);
  return { out: config.out, shards: sets.length, rows, dim, skipped: merged.manifest.skipped?.length ?? 0 };
}

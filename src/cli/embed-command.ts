import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { Backbone } from '../backbone/backbone.js';
import { loadBackbone } from '../backbone/registry/load-backbone.js';
import type { EmbeddingSet, EmbeddingSetManifest, EmbeddingSetRow } from '../data/embedding-set.js';
import { parseEmbeddingSetManifest } from '../data/embedding-set.js';
import { ImageDataset } from '../dataset/image-dataset.js';
import { EmbeddingCache } from '../embedding-cache/embedding-cache.js';
import { InvalidArgumentError } from '../errors/index.js';
import { writeEmbeddingSet } from '../platform/node/embedding-set-files.js';
import { DVME_VERSION } from '../version.js';
import type { EmbedConfig } from './embed-args.js';
import type { CliIo } from './linear-eval-command.js';
import { createProgress } from './progress.js';
import { shardFolder } from './shard-spec.js';

/** @internal What `dvme embed` did, as `--json` prints it. */
export interface EmbedSummary {
  readonly out: string;
  readonly status: 'written' | 'up-to-date';
  readonly rows: number;
  readonly dim: number;
  readonly skipped: readonly { id: string; reason: string }[];
  readonly shard: { index: number; count: number; start: number; end: number; from: string } | null;
  readonly backbone: { id: string; fingerprint: string };
  readonly cache: { hits: number; misses: number } | null;
  readonly seconds: number;
}

/** @internal Opens `--data` (folder, .csv / .json manifest or .npz) with `--val` / `--test` splits; shared by `dvme finetune`. */
export async function openDataset(config: Pick<EmbedConfig, 'data' | 'onError' | 'window' | 'classes' | 'val' | 'test' | 'seed'>): Promise<ImageDataset> {
  let isDir: boolean;
  try {
    isDir = (await stat(config.data)).isDirectory();
  } catch (e) {
    throw new InvalidArgumentError(`--data ${JSON.stringify(config.data)} cannot be read (${(e as { code?: string }).code ?? (e as Error).message}); pass an image folder, a .csv or .json manifest, or a .npz.`, { cause: e });
  }
  const options = { onError: config.onError, window: config.window, ...(config.classes ? { classes: config.classes } : {}) };
  const lower = config.data.toLowerCase();
  let data: ImageDataset;
  if (isDir) data = await ImageDataset.fromFolder(config.data, options);
  else if (lower.endsWith('.npz')) data = await ImageDataset.fromMedMnist(config.data, { onError: config.onError });
  else if (lower.endsWith('.csv') || lower.endsWith('.json')) data = await ImageDataset.fromManifest(config.data, options);
  else throw new InvalidArgumentError(`--data ${JSON.stringify(config.data)} is neither a folder nor a .csv, .json or .npz file.`);
  return config.val > 0 || config.test > 0 ? data.withSplits({ val: config.val, test: config.test, seed: config.seed }) : data;
}

/**
 * @internal Opens `--model` (a tfjs model.json) or `--backbone` (a registry name); shared by
 * `dvme finetune`, which passes `trainable` (registry checkpoints then load on tfjs, unfolded).
 */
export async function openBackbone(
  config: Pick<EmbedConfig, 'model' | 'backbone' | 'offline' | 'embeddingLayer' | 'mean' | 'std'>,
  use: { readonly trainable?: boolean } = {},
): Promise<Backbone> {
  // To train, a registry checkpoint runs on tfjs-layers with its batch norms as built.
  const train = use.trainable ? ({ engine: 'tfjs', foldBatchNorm: false } as const) : {};
  if (config.backbone !== undefined) return loadBackbone(config.backbone, { offline: config.offline, ...train });
  return Backbone.fromTfjs(config.model as string, {
    ...(config.embeddingLayer ? { embeddingLayer: config.embeddingLayer } : {}),
    mean: config.mean ?? [0, 0, 0],
    std: config.std ?? [1, 1, 1],
  });
}

/** ISO time of the run: `SOURCE_DATE_EPOCH` (seconds) when set, so reruns can give the same bytes. */
function createdAt(env: Readonly<Record<string, string | undefined>>): string {
  const epoch = env.SOURCE_DATE_EPOCH;
  if (epoch !== undefined && /^\d+$/.test(epoch)) return new Date(Number(epoch) * 1000).toISOString();
  return new Date().toISOString();
}

async function existing(dir: string): Promise<EmbeddingSetManifest | undefined> {
  try {
    return parseEmbeddingSetManifest(JSON.parse(await readFile(join(dir, 'manifest.json'), 'utf8')));
  } catch {
    return undefined;
  }
}

/**
 * @internal Runs `dvme embed`: list the dataset, take this process's shard, embed it a chunk
 * at a time through the embedding cache (so a stopped run resumes), and write the embedding set.
 * A folder that already holds this very set (same backbone fingerprint, dataset and shard) is
 * left as it is unless `--force`.
 */
export async function embedCommand(config: EmbedConfig, io: CliIo, env: Readonly<Record<string, string | undefined>> = process.env): Promise<EmbedSummary> {
  const started = performance.now();
  const log = (line: string) => io.stderr.write(`${line}\n`);
  const backend = await io.initBackend();
  log(`tfjs backend: ${backend.backend}${backend.package ? ` (${backend.package})` : ''}`);
  const dataset = await openDataset(config);
  const shard = config.shard;
  const { start, end } = shard ? dataset.shard(shard.index, shard.count) : { start: 0, end: dataset.size };
  const outDir = shard ? join(config.out, shardFolder(shard.index, shard.count)) : config.out;
  log(
    `dataset: ${dataset.size} images, ${dataset.classes.length} classes (${dataset.task})${dataset.skipped.length ? `, ${dataset.skipped.length} skipped` : ''}` +
      (shard ? `; shard ${shard.index}/${shard.count} (from ${shard.from}): images ${start}..${end - 1}` : ''),
  );
  const backbone = await openBackbone(config);
  try {
    const fingerprint = await backbone.fingerprint();
    const c = backbone.config;
    const datasetInfo = { source: config.data, sha256: dataset.listingSha256(), task: dataset.task, classes: [...dataset.classes] };
    const summary = (status: EmbedSummary['status'], rows: number, skipped: EmbedSummary['skipped'], cache: EmbedSummary['cache']): EmbedSummary => ({
      out: outDir,
      status,
      rows,
      dim: backbone.embeddingDim,
      skipped,
      shard: shard ? { ...shard, start, end } : null,
      backbone: { id: c.id, fingerprint },
      cache,
      seconds: (performance.now() - started) / 1000,
    });
    const before = config.force ? undefined : await existing(outDir);
    if (
      before &&
      before.backbone.fingerprint === fingerprint &&
      before.dataset.sha256 === datasetInfo.sha256 &&
      JSON.stringify(before.shard ?? null) === JSON.stringify(shard ? { index: shard.index, count: shard.count, start, total: dataset.size } : null)
    ) {
      log(`${outDir} already holds this embedding set (same backbone, dataset and shard); nothing to do. Pass --force to embed again.`);
      return summary('up-to-date', before.rows.length, before.skipped ?? [], null);
    }
    const cache = config.cache ? EmbeddingCache.open(config.cacheDir !== undefined ? { dir: config.cacheDir } : {}) : undefined;
    const progress = createProgress(io.stderr);
    const label = `embed ${c.id}`;
    const dim = backbone.embeddingDim;
    const total = end - start;
    const data = new Float32Array(total * dim);
    const rows: EmbeddingSetRow[] = [];
    // Images left out when the dataset was listed belong to no shard: shard 0 reports them.
    const skipped = [...(!shard || shard.index === 0 ? dataset.skipped : [])];
    let hits = 0;
    let misses = 0;
    progress.update(label, 0, total);
    for (let at = start; at < end; at += config.chunk) {
      const indices = Array.from({ length: Math.min(config.chunk, end - at) }, (_, k) => at + k);
      const loaded = await dataset.load(indices);
      skipped.push(...loaded.skipped);
      if (loaded.images.length > 0) {
        const m = (await backbone.embed(loaded.images, {
          as: 'array',
          batchSize: config.batchSize,
          ...(cache ? { cache, onCacheLookup: (l: { hits: number; misses: number }) => ((hits += l.hits), (misses += l.misses)) } : {}),
          onProgress: (done: number) => progress.update(label, at - start + Math.round((done / loaded.images.length) * indices.length), total),
        })) as { data: Float32Array };
        data.set(m.data, rows.length * dim);
        for (const i of loaded.indices) {
          const item = dataset.items[i]!;
          rows.push({ id: item.id, ...(item.split ? { split: item.split } : {}), ...(item.label !== undefined ? { label: typeof item.label === 'number' ? item.label : [...item.label] } : {}) });
        }
      }
      progress.update(label, at - start + indices.length, total);
    }
    progress.finish();
    const set: EmbeddingSet = {
      manifest: {
        kind: 'dvme-embedding-set',
        version: 1,
        dvme: DVME_VERSION,
        backbone: {
          id: c.id,
          fingerprint,
          dim,
          preprocessing: { inputSize: c.inputSize, mean: c.mean, std: c.std, resize: c.resize, cropFraction: c.cropFraction, interpolation: c.interpolation, window: config.window },
        },
        dataset: datasetInfo,
        rows,
        ...(shard ? { shard: { index: shard.index, count: shard.count, start, total: dataset.size } } : {}),
        ...(skipped.length > 0 ? { skipped } : {}),
        created: createdAt(env),
      },
      embeddings: { data: data.subarray(0, rows.length * dim), shape: [rows.length, dim] },
    };
    await writeEmbeddingSet(outDir, set);
    if (cache && hits > 0) log(`embedding cache: ${hits} of ${hits + misses} images were already embedded (resumed).`);
    for (const s of skipped) log(`skipped ${s.id}: ${s.reason}`);
    log(`Wrote ${outDir}: ${rows.length} x ${dim} embeddings${skipped.length ? `, ${skipped.length} images skipped` : ''}.`);
    return summary('written', rows.length, skipped, cache ? { hits, misses } : null);
  } finally {
    backbone.dispose();
  }
}

import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { basename, dirname, extname, join } from 'node:path';
import type { MedMnistName } from '../data/medmnist.js';
import type { ImageArray } from '../image/images.js';
import type { ResultsRun, ResultsSource } from '../report/results-document.js';
import type { ProbeTask } from '../training/labels.js';
import type { LinearEvalConfig } from './args.js';
import { embedSources, type SourceSpec } from './embed-sources.js';
import { loadEmbeddingSetInputs, type SplitInputs } from './embedding-set-inputs.js';
import { loadDataset } from './load-dataset.js';
import type { Progress } from './progress.js';
import { drawTrainingPool } from './training-pool.js';

/** @internal Everything an evaluation command evaluates, whichever way the inputs came. */
export interface PreparedInputs {
  readonly task: ProbeTask;
  readonly train: SplitInputs;
  readonly val: SplitInputs | undefined;
  readonly test: SplitInputs;
  readonly classNames: readonly string[] | undefined;
  readonly data: ResultsRun['data'];
  readonly sources: ResultsSource[];
  readonly notes: string[];
  readonly embedMs: number;
}

/**
 * @internal SHA-256 of a local tfjs model: model.json, then its weight files in manifest order.
 * `undefined` for URLs or unreadable files (the report then shows no hash).
 */
async function tfjsModelSha256(model: string): Promise<string | undefined> {
  if (/^[a-z]+:\/\//i.test(model)) return undefined;
  try {
    const json = await readFile(model);
    const hash = createHash('sha256').update(json);
    const manifest = (JSON.parse(json.toString('utf8')) as { weightsManifest?: { paths: string[] }[] }).weightsManifest ?? [];
    for (const group of manifest) for (const p of group.paths) hash.update(await readFile(join(dirname(model), p)));
    return hash.digest('hex');
  } catch {
    return undefined;
  }
}

async function describeSource(spec: SourceSpec, dim: number, config: LinearEvalConfig): Promise<ResultsSource> {
  if (spec.kind === 'pixels') return { name: spec.name, kind: 'pixels', model: 'raw pixels / 255', dim };
  const sha = await tfjsModelSha256(spec.model);
  return {
    name: spec.name,
    kind: 'tfjs',
    model: spec.model,
    dim,
    ...(sha ? { weightsSha256: sha } : {}),
    ...(config.embeddingLayer ? { embeddingLayer: config.embeddingLayer } : {}),
    mean: config.mean,
    std: config.std,
  };
}

/** @internal Loads saved embedding sets (`--embeddings`) or a MedMNIST dataset embedded with `--sources`. */
export async function prepareInputs(config: LinearEvalConfig, progress: Progress, log: (line: string) => void): Promise<PreparedInputs> {
  const started = performance.now();
  if (config.embeddings) {
    const e = await loadEmbeddingSetInputs(config.embeddings);
    const { train, val, test } = e.splits as Required<typeof e.splits>;
    const rows = Object.fromEntries(Object.entries(e.splits).map(([k, v]) => [k, v.labels.length]));
    return {
      task: e.task,
      train,
      val,
      test,
      classNames: e.classes,
      data: { name: config.dataset ?? basename(e.datasetSource, extname(e.datasetSource)), path: e.datasetSource, rows },
      sources: e.sources,
      notes: [],
      embedMs: performance.now() - started,
    };
  }
  const dataset = config.dataset as MedMnistName;
  const data = await loadDataset({ ...config, dataset }, (loaded, total) => progress.update(`download ${dataset}`, loaded, total ?? loaded));
  progress.finish();
  const { info } = data;
  const pool = drawTrainingPool(data.train, info.task, config.pool, config.seed);
  const notes: string[] = [];
  if (pool.indices) {
    notes.push(
      `Training pool: a seeded (seed ${config.seed}), class-stratified subset of ${pool.indices.length} of the ` +
        `${data.train.images.shape[0]} training images (--pool), so F is ${pool.indices.length} images, not the full set.`,
    );
    log(notes[0]);
  }
  const splits: Record<string, ImageArray> = { train: pool.split.images, test: data.test.images };
  if (config.validation === 'val') splits.val = data.val.images;
  const embedded = await embedSources(config.sources, splits, {
    ...(config.embeddingLayer !== undefined ? { embeddingLayer: config.embeddingLayer } : {}),
    mean: config.mean,
    std: config.std,
    batchSize: config.batchSize,
    ...(config.cacheDir !== undefined ? { cacheDir: config.cacheDir } : {}),
    prefix: `${dataset}_${config.imageSize}`,
    onProgress: (label, done, total) => progress.update(`embed ${label}`, done, total),
  });
  progress.finish();
  const labels = (l: unknown) => (Array.isArray(l) ? l.map((r) => Array.from(r as Int32Array)) : Array.from(l as Int32Array));
  const split = (name: string, l: unknown): SplitInputs => ({
    sources: embedded[name] as SplitInputs['sources'],
    labels: labels(l) as SplitInputs['labels'],
  });
  const sources = await Promise.all(config.sources.map((s) => describeSource(s, embedded.train[s.name].shape[1], config)));
  return {
    task: info.task,
    train: split('train', pool.split.labels),
    val: config.validation === 'val' ? split('val', data.val.labels) : undefined,
    test: split('test', data.test.labels),
    classNames: info.classes,
    data: {
      name: dataset,
      title: `${info.title} (${config.imageSize} px)`,
      ...(config.data ? { path: config.data } : {}),
      license: info.license,
      citation: info.citation,
      rows: {
        train: pool.split.images.shape[0] as number,
        ...(config.validation === 'val' ? { val: data.val.images.shape[0] as number } : {}),
        test: data.test.images.shape[0] as number,
      },
    },
    sources,
    notes,
    embedMs: performance.now() - started,
  };
}

/**
 * What the examples share, written against dvme's public API only (as an app would): a
 * progress line, embedding every split with an embedding cache, seeded training pools, and
 * the fusion demo that `demo.ts`, `retina-dvme.ts` and `pneumonia-dvme.ts` configure.
 */
import { existsSync } from 'node:fs';
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { cpus, loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import {
  Backbone,
  EmbeddingCache,
  bestSingleSource,
  currentPlatform,
  download,
  encodeNpy,
  formatFusionMarkdown,
  initBackend,
  loadBackbone,
  loadMedMnist,
  parseMedMnist,
  pixelFeatures,
  readNpz,
  runFusionEvaluation,
  sampleSubset,
  type EmbeddingMatrix,
  type FusionModelName,
  type FusionTrainingOptions,
  type ImageArray,
  type MedMnist,
  type MedMnistSplit,
} from 'dvme/node';

const here = import.meta.dirname;
/** Local copies of the data and models, used when present (the repo's ../shared). */
// The repo's ../shared, or the one above a git worktree (worktrees/<name>/examples).
const sharedRoot = [join(here, '../../shared'), join(here, '../../../shared')].find((d) => existsSync(d)) ?? join(here, '../../shared');
export const sharedData = join(sharedRoot, 'data');
export const sharedModels = join(sharedRoot, 'models');

/** A progress display: one line redrawn in place on a terminal, every tenth elsewhere (logs). */
export function createProgress(stream: NodeJS.WriteStream = process.stderr) {
  let label = '';
  let decile = -1;
  let open = false;
  return {
    update(next: string, done: number, total: number): void {
      if (next !== label) this.finish();
      label = next;
      const line = `${label} ${done}/${total}`;
      if (stream.isTTY) {
        stream.write(`\r${line.padEnd(Math.min(79, stream.columns ?? 80))}`);
        open = done < total;
        if (!open) stream.write('\n');
        return;
      }
      const d = total > 0 ? Math.floor((10 * done) / total) : 10;
      if (d !== decile) stream.write(`${line}\n`);
      decile = d;
    },
    finish(): void {
      if (open) stream.write('\n');
      open = false;
      decile = -1;
    },
  };
}

/** One embedding source of the linear-evaluation examples: raw pixels or a tfjs model. */
export type SourceSpec = { readonly name: string; readonly kind: 'pixels' } | { readonly name: string; readonly kind: 'tfjs'; readonly model: string };

/**
 * Embeds every split with every source, one backbone in memory at a time. Each batch is kept
 * in an EmbeddingCache under `cacheDir/records` (keyed by the images, the weights and the
 * preprocessing), so a rerun embeds nothing and an interrupted run resumes.
 */
export async function embedSplits(
  specs: readonly SourceSpec[],
  splits: Readonly<Record<string, ImageArray>>,
  options: {
    readonly embeddingLayer: string;
    readonly mean: readonly [number, number, number];
    readonly std: readonly [number, number, number];
    readonly batchSize: number;
    readonly cacheDir: string;
    readonly onProgress: (label: string, done: number, total: number) => void;
  },
): Promise<Record<string, Record<string, EmbeddingMatrix>>> {
  const out: Record<string, Record<string, EmbeddingMatrix>> = Object.fromEntries(Object.keys(splits).map((s) => [s, {}]));
  const cache = EmbeddingCache.open({ dir: join(options.cacheDir, 'records') });
  for (const spec of specs) {
    if (spec.kind === 'pixels') {
      for (const [split, images] of Object.entries(splits)) out[split][spec.name] = pixelFeatures(images);
      continue;
    }
    const { embeddingLayer, mean, std, batchSize } = options;
    const backbone = await Backbone.fromTfjs(spec.model, { embeddingLayer, mean, std });
    try {
      for (const [split, images] of Object.entries(splits)) {
        const label = `${spec.name} ${split}`;
        out[split][spec.name] = await backbone.embed(images, { as: 'array', batchSize, cache, onProgress: (d, t) => options.onProgress(label, d, t) });
      }
    } finally {
      backbone.dispose();
    }
  }
  return out;
}

/** Rows `idx` of a MedMNIST split (single-label): images and labels copied. */
export function takeRows(split: MedMnistSplit<Int32Array>, idx: Int32Array): MedMnistSplit<Int32Array> {
  const [, ...rest] = split.images.shape;
  const per = rest.reduce((a, b) => a * b, 1);
  const data = new Uint8Array(idx.length * per);
  idx.forEach((r, i) => data.set(split.images.data.subarray(r * per, (r + 1) * per), i * per));
  return { images: { data, shape: [idx.length, ...rest] } as MedMnistSplit['images'], labels: Int32Array.from(idx, (r) => split.labels[r]) };
}

/**
 * A seeded, class-stratified pool of `size` rows (the class mix kept, rows in order), for
 * backbones too slow to embed every image; the split itself when `size` covers it. Its seed is
 * apart from the protocol's, so the pool stays fixed when the protocol varies.
 */
export function drawPool(split: MedMnistSplit<Int32Array>, size: number | 'all', seed: number): MedMnistSplit<Int32Array> {
  if (size === 'all' || size >= split.labels.length) return split;
  return takeRows(split, sampleSubset(split.labels, { size, seed, balanced: false }).train);
}

/** One pretrained tfjs backbone of the demo, with the input size it runs at. */
export interface DemoBackbone {
  readonly name: string;
  /** Folder under ../shared/models, used when present. */
  readonly folder: string;
  /** Registry entry, downloaded (and verified) otherwise. */
  readonly registry: string;
  readonly inputSize: number;
  readonly nativeSize: number;
}

/** What one run of the demo (or of the full examples) does. */
export interface DemoConfig {
  readonly dataset: 'retinamnist' | 'pneumoniamnist';
  readonly task: 'multiclass' | 'binary';
  readonly metric: 'quadraticKappa' | 'auc';
  readonly backbones: readonly DemoBackbone[];
  readonly sizes: Readonly<Record<string, number | 'all'>>;
  readonly repeats: number;
  readonly models: readonly FusionModelName[];
  readonly training: FusionTrainingOptions;
  /** Embed (and train on) only this many training images, a seeded stratified draw (`--pool`). */
  readonly trainPool?: number;
  /** Lines saying what differs from the paper, and why. */
  readonly reductions: readonly string[];
  readonly title: string;
  readonly defaultOut: string;
}

/** MobileNetV2 at 96 px and InceptionV3 at 75 px (its smallest): see the demo's reductions. */
export const FAST_BACKBONES: readonly DemoBackbone[] = [
  { name: 'MobileNetV2', folder: 'mobilenet_v2_nsfwjs', registry: 'mobilenet_v2.nsfwjs', inputSize: 96, nativeSize: 224 },
  { name: 'InceptionV3', folder: 'inception_v3_nsfwjs', registry: 'inception_v3.nsfwjs', inputSize: 75, nativeSize: 299 },
];

const FUSION_MODELS: readonly FusionModelName[] = ['concat', 'dme', 'dvme', 'dvme-source', 'dvme-noattn', 'robust'];

/** Parses `[data] [--out f] [--repeats n] [--cache dir] [--models concat,dme,...] [--pool n] [--fuse-pixels]`. */
export function demoArgs(argv: readonly string[]) {
  const { values, positionals } = parseArgs({
    args: [...argv],
    allowPositionals: true,
    options: {
      out: { type: 'string' },
      repeats: { type: 'string' },
      cache: { type: 'string', default: join(here, 'out/cache') },
      models: { type: 'string' },
      pool: { type: 'string' },
      'fuse-pixels': { type: 'boolean', default: false },
    },
  });
  const count = (flag: string, text: string | undefined) => {
    if (text === undefined) return undefined;
    const n = Number(text);
    if (!Number.isInteger(n) || n < 1) throw new Error(`--${flag}: expected a positive integer; received ${JSON.stringify(text)}.`);
    return n;
  };
  const models = values.models?.split(',').filter(Boolean) as FusionModelName[] | undefined;
  const unknown = models?.filter((m) => !FUSION_MODELS.includes(m));
  if (unknown?.length) throw new Error(`--models: unknown ${unknown.join(', ')}; choose from ${FUSION_MODELS.join(', ')}.`);
  return {
    data: positionals[0],
    out: values.out || undefined,
    repeats: count('repeats', values.repeats),
    pool: count('pool', values.pool),
    cache: values.cache,
    models,
    fusePixels: values['fuse-pixels'],
  };
}

/** The dataset: a given path or URL, ../shared/data, else the official Zenodo file (cached). */
export async function loadData(name: DemoConfig['dataset'], source: string | undefined, report: (text: string) => void) {
  const onProgress = (loaded: number, total: number | undefined) =>
    report(`download ${name}: ${(loaded / 1e6).toFixed(1)}${total ? ` / ${(total / 1e6).toFixed(1)}` : ''} MB`);
  if (source && /^https?:\/\//i.test(source)) {
    return parseMedMnist(name, await readNpz(await download(source, { onProgress })), source) as MedMnist<typeof name>;
  }
  const local = join(sharedData, `${name}.npz`);
  const path = source ?? (existsSync(local) ? local : undefined);
  return loadMedMnist(name, path ? { path } : { onProgress });
}

/** A backbone at the demo's input size: the local copy if present, else the registry's (downloaded once, verified). */
export async function openBackbone(b: DemoBackbone, report: (text: string) => void): Promise<Backbone> {
  let modelJson = join(sharedModels, b.folder, 'model.json');
  if (!existsSync(modelJson)) {
    // loadBackbone downloads into the cache and checks every shard's SHA-256; the verified
    // copy is then opened at the demo's input size, which loadBackbone cannot adapt to.
    const fetched = await loadBackbone(b.registry, { onProgress: (done, total) => report(`download ${b.registry}: ${(done / 1e6).toFixed(1)} / ${((total ?? 0) / 1e6).toFixed(1)} MB`) });
    fetched.dispose();
    modelJson = join(currentPlatform()?.openCache?.({}).location ?? '', 'backbones', b.registry, 'model.json');
  }
  return Backbone.fromTfjs(modelJson, {
    embeddingLayer: 'flatten_1', // the pooled features before nsfwjs' 5-class head
    mean: [0, 0, 0],
    std: [1, 1, 1], // pixel / 255, as these Keras applications were trained
    inputSize: b.inputSize,
    adaptInputSize: b.inputSize !== b.nativeSize,
  });
}

/** Writes embeddings as .npy (for numpy and other tools), beside and renamed: never a torn file. */
async function exportNpy(file: string, m: EmbeddingMatrix): Promise<void> {
  const part = `${file}.${process.pid}.part`;
  await writeFile(part, encodeNpy({ data: m.data, shape: m.shape, dtype: 'float32' }));
  await rename(part, file);
}

/** Runs one demo configuration end to end and returns the report it wrote. */
export async function runDemo(config: DemoConfig, argv: readonly string[]): Promise<string> {
  const t0 = performance.now();
  const args = demoArgs(argv);
  const repeats = args.repeats ?? config.repeats;
  if (args.models) config = { ...config, models: args.models };
  if (args.pool) config = { ...config, trainPool: args.pool };
  const progress = createProgress();
  const backend = await initBackend();
  console.log(`tfjs backend: ${backend.backend}`);
  const data = await loadData(config.dataset, args.data, (t) => progress.update(t, 0, 1));
  progress.finish();
  let train = data.train as MedMnistSplit<Int32Array>;
  const { val, test, info } = data;
  console.log(`${info.title}: ${train.labels.length} train / ${val.labels.length} val / ${test.labels.length} test (${info.license})`);
  let poolNote = '';
  if (config.trainPool && config.trainPool < train.labels.length) {
    // Seeded, stratified (class proportions kept), sorted: the same images on every run.
    const all = train.labels.length;
    train = drawPool(train, config.trainPool, 2021);
    poolNote = `Training pool: a seeded stratified draw of ${train.labels.length} of the ${all} training images (seed 2021, class mix kept).`;
    console.log(poolNote);
  }
  const splits = { train: train.images, val: val.images, test: test.images } as const;
  await mkdir(args.cache, { recursive: true });
  const embedStart = performance.now();
  const sources: Record<'train' | 'val' | 'test', Record<string, EmbeddingMatrix>> = { train: {}, val: {}, test: {} };
  const speed: string[] = [];
  // Every batch is kept as it is embedded, keyed by the images and the backbone's weights and
  // preprocessing: a rerun embeds nothing, an interrupted run resumes, a changed model misses.
  const records = EmbeddingCache.open({ dir: join(args.cache, 'records') });
  for (const b of config.backbones) {
    const backbone = await openBackbone(b, (t) => progress.update(t, 0, 1));
    try {
      for (const split of ['train', 'val', 'test'] as const) {
        const pool = split === 'train' && config.trainPool ? `-pool${config.trainPool}` : '';
        const started = performance.now();
        let computed = 0;
        const m = await backbone.embed(splits[split], {
          as: 'array',
          batchSize: 16,
          cache: records,
          onCacheLookup: (l) => (computed = l.toCompute),
          onProgress: (d, t) => progress.update(`embed ${b.name} ${split}`, d, t),
        });
        progress.finish();
        if (computed > 0) speed.push(`${b.name} ${split}: ${(computed / ((performance.now() - started) / 1000)).toFixed(1)} img/s`);
        await exportNpy(join(args.cache, `${config.dataset}_${split}${pool}_${b.folder}_${b.inputSize}px.npy`), m);
        sources[split][b.name] = m;
      }
    } finally {
      backbone.dispose();
    }
  }
  for (const split of ['train', 'val', 'test'] as const) sources[split].pixels = pixelFeatures(splits[split]);
  const embedMs = performance.now() - embedStart;
  console.log(`Embeddings ready in ${(embedMs / 1000).toFixed(0)} s${speed.length ? ` (${speed.join(', ')})` : ' (all cached)'}.`);

  const evalStart = performance.now();
  const result = await runFusionEvaluation({
    task: config.task,
    metric: config.metric,
    sources: sources.train,
    labels: train.labels,
    validation: { sources: sources.val, labels: val.labels as Int32Array },
    test: { sources: sources.test, labels: test.labels as Int32Array },
    sizes: config.sizes,
    repeats,
    seed: 0,
    models: config.models,
    fusionSources: [...config.backbones.map((b) => b.name), ...(args.fusePixels ? ['pixels'] : [])],
    singleSolver: 'paper',
    probeOptions: { standardize: true },
    standardize: true,
    training: config.training,
    onProgress: (done, total, label) => progress.update(`train ${label}`, done, total),
  });
  progress.finish();
  const evalMs = performance.now() - evalStart;
  const s = (ms: number) => `${(ms / 1000).toFixed(0)} s`;
  const report = [
    formatFusionMarkdown(result, { title: config.title }),
    `Best single source of all (including raw pixels): ${result.sizes.map((z) => `${z.name} ${bestSingleSource(result, z.name, result.single.sources)}`).join(', ')}.`,
    '',
    'Sources: ' +
      config.backbones.map((b) => `${b.name} (nsfwjs, ImageNet-initialised, pooled features, ${b.inputSize} px input)`).join(', ') +
      ', and pixels (the raw pixel values / 255). Validation for early stopping and the learning-rate schedule: the official val split.',
    '',
    'What differs from the paper, and why:',
    ...config.reductions.filter((r) => !(args.fusePixels && r.startsWith('Fusion of the two backbones'))).map((r) => `- ${r}`),
    ...(args.fusePixels ? ['- Fusion of the two backbones and the raw pixels (--fuse-pixels; the paper fuses backbones only).'] : []),
    `- ${repeats} repeat${repeats > 1 ? 's' : ''} per size${repeats < 5 ? ' (the paper: 5)' : ''}.`,
    '- Features standardised with each training draw\'s mean and std, for the probes and the fusion models (the paper trains on raw features; on these small-valued embeddings that recipe collapses to the majority grade, see examples/retina-linear-eval.ts).',
    ...(poolNote ? [`- ${poolNote}`] : []),
    '',
    `Wall time (tfjs ${backend.backend}, ${cpus().length} CPUs, load average ${loadavg().map((v) => v.toFixed(2)).join(' / ')} at the end): ` +
      `embedding ${s(embedMs)}, ${Object.keys(sources.train).length} probes + ${config.models.length} fusion models x ${result.sizes.length} sizes x ${repeats} repeats ${s(evalMs)}, total ${s(performance.now() - t0)}.`,
    '',
  ].join('\n');
  console.log(`\n${report}`);
  const out = resolve(args.out ?? config.defaultOut);
  await writeFile(out, report);
  await writeFile(out.replace(/\.md$/, '') + '.json', JSON.stringify(result, null, 1));
  console.log(`Wrote ${out} (and .json with every run).`);
  return report;
}

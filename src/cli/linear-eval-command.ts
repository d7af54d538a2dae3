import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, extname } from 'node:path';
import type { ImageArray } from '../image/images.js';
import { InvalidArgumentError } from '../errors/index.js';
import type { LabelsFor, ProbeTask } from '../training/labels.js';
import { formatMarkdown, toCsv } from '../protocol/report.js';
import { runLinearEvaluation, type LinearEvaluationResult } from '../protocol/linear-evaluation.js';
import type { LinearEvalConfig } from './args.js';
import { embedSources } from './embed-sources.js';
import { loadDataset } from './load-dataset.js';
import { createProgress, type ProgressStream } from './progress.js';
import { drawTrainingPool } from './training-pool.js';

/** @internal Where the CLI writes and how it gets a tfjs backend (tests pass fakes). */
export interface CliIo {
  readonly stdout: { write(text: string): unknown };
  readonly stderr: ProgressStream;
  readonly initBackend: () => Promise<{ readonly backend: string; readonly package: string | undefined }>;
}

const seconds = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;

/** @internal Runs `dvme linear-eval`: load, embed (cached), evaluate, print and write. */
export async function linearEvalCommand(config: LinearEvalConfig, io: CliIo): Promise<LinearEvaluationResult> {
  const started = performance.now();
  const log = (line: string) => io.stderr.write(`${line}\n`);
  const outFormat = config.out === undefined ? undefined : extname(config.out).toLowerCase();
  if (outFormat !== undefined && !['.md', '.csv', '.json'].includes(outFormat)) {
    throw new InvalidArgumentError(`--out must end in .md, .csv or .json; received ${JSON.stringify(config.out)}.`);
  }
  const backend = await io.initBackend();
  log(`tfjs backend: ${backend.backend}${backend.package ? ` (${backend.package})` : ''}`);
  const progress = createProgress(io.stderr);
  const data = await loadDataset(config, (loaded, total) => progress.update(`download ${config.dataset}`, loaded, total ?? loaded));
  progress.finish();
  const { info } = data;
  const task: ProbeTask = info.task;
  const pool = drawTrainingPool(data.train, task, config.pool, config.seed);
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

  const embedStart = performance.now();
  const embedded = await embedSources(config.sources, splits, {
    ...(config.embeddingLayer !== undefined ? { embeddingLayer: config.embeddingLayer } : {}),
    mean: config.mean,
    std: config.std,
    batchSize: config.batchSize,
    ...(config.cacheDir !== undefined ? { cacheDir: config.cacheDir } : {}),
    prefix: `${config.dataset}_${config.imageSize}`,
    onProgress: (label, done, total) => progress.update(`embed ${label}`, done, total),
  });
  progress.finish();
  const embedMs = performance.now() - embedStart;

  const evalStart = performance.now();
  const labels = (s: { labels: unknown }) => s.labels as LabelsFor<ProbeTask>;
  const result = await runLinearEvaluation({
    task,
    metric: config.metric,
    solver: config.solver,
    sources: embedded.train,
    labels: labels(pool.split),
    test: { sources: embedded.test, labels: labels(data.test) },
    ...(config.validation === 'val' ? { validation: { sources: embedded.val, labels: labels(data.val) } } : {}),
    ...(typeof config.validation === 'number' ? { validationFraction: config.validation } : {}),
    sizes: config.sizes,
    repeats: config.repeats,
    seed: config.seed,
    ...(config.standardize ? { probeOptions: { standardize: true } } : {}),
    onProgress: (done, total) => progress.update('probe runs', done, total),
  });
  progress.finish();
  const evalMs = performance.now() - evalStart;

  const table = formatMarkdown(result);
  io.stdout.write(table);
  const timing =
    `Wall time (tfjs ${backend.backend}): embedding ${seconds(embedMs)}, ${result.sources.length * result.sizes.length * result.repeats} ` +
    `probe runs ${seconds(evalMs)}, total ${seconds(performance.now() - started)}.`;
  log(timing);
  if (config.out !== undefined) {
    let text: string;
    if (outFormat === '.csv') text = toCsv(result, { runs: true });
    else if (outFormat === '.json') text = `${JSON.stringify(result, null, 1)}\n`;
    else {
      const sources = config.sources.map((s) => (s.kind === 'pixels' ? `${s.name}: raw pixels / 255` : `${s.name}: ${s.model}`));
      text = [
        `# Linear evaluation: ${info.title} (${config.imageSize} px)`,
        '',
        table,
        `Sources: ${sources.join('; ')}.`,
        ...notes.map((n) => `\n${n}`),
        '',
        timing,
        '',
        `Data: ${info.title}, ${info.license}. ${info.citation}`,
        '',
      ].join('\n');
    }
    await mkdir(dirname(config.out), { recursive: true });
    await writeFile(config.out, text);
    log(`Wrote ${config.out}`);
  }
  return result;
}

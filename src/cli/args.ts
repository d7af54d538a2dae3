import { parseArgs } from 'node:util';
import { MEDMNIST_INFO, type MedMnistName, type MedMnistSize } from '../data/medmnist.js';
import { InvalidArgumentError } from '../errors/index.js';
import type { ProbeSolver } from '../probe/options.js';
import type { EvaluationMetric } from '../protocol/evaluation-options.js';
import type { SubsetSize } from '../protocol/subsets.js';
import { parseEmbedArgs, parseMergeArgs, type EmbedConfig, type MergeConfig } from './embed-args.js';
import { parseSources, type SourceSpec } from './embed-sources.js';
import { parseFinetuneArgs, type FinetuneConfig } from './finetune-args.js';
import { parseEmbeddingSetSpecs, type EmbeddingSetSpec } from './embedding-set-inputs.js';
import { FUSE_FLAGS, parseFuseOptions, parseReportArgs, type FuseConfig, type ReportConfig } from './fuse-args.js';

/** @internal Everything `dvme linear-eval` was asked to do, checked, defaults filled in. */
export interface LinearEvalConfig {
  readonly data: string | undefined;
  /** The MedMNIST dataset; absent when the inputs are saved embedding sets (`--embeddings`). */
  readonly dataset: MedMnistName | undefined;
  /** Saved embedding sets (`dvme embed` output), instead of `--dataset` and `--sources`. */
  readonly embeddings: readonly EmbeddingSetSpec[] | undefined;
  readonly imageSize: MedMnistSize;
  readonly sources: readonly SourceSpec[];
  readonly embeddingLayer: string | undefined;
  readonly mean: readonly [number, number, number];
  readonly std: readonly [number, number, number];
  readonly sizes: Readonly<Record<string, SubsetSize>>;
  readonly repeats: number;
  readonly metric: EvaluationMetric;
  readonly solver: ProbeSolver;
  /** `'val'`: the dataset's validation split; `'none'`; or a fraction held out of each draw. */
  readonly validation: 'val' | 'none' | number;
  /** Standardise features per training draw; `undefined` keeps the solver's default. */
  readonly standardize: boolean | undefined;
  readonly pool: SubsetSize;
  readonly seed: number;
  readonly batchSize: number;
  readonly cacheDir: string | undefined;
  readonly out: string | undefined;
  /** Also write the Markdown tables here (`--markdown`). */
  readonly markdown: string | undefined;
  readonly offline: boolean;
  /** Print the results document as JSON on stdout instead of the table. */
  readonly json: boolean;
}

/** @internal What the command line asks for. */
export type Command =
  | { readonly kind: 'help'; readonly topic?: string }
  | { readonly kind: 'version' }
  | { readonly kind: 'linear-eval'; readonly config: LinearEvalConfig }
  | { readonly kind: 'fuse'; readonly config: FuseConfig }
  | { readonly kind: 'report'; readonly config: ReportConfig }
  | { readonly kind: 'embed'; readonly config: EmbedConfig }
  | { readonly kind: 'merge'; readonly config: MergeConfig }
  | { readonly kind: 'finetune'; readonly config: FinetuneConfig };

/** @internal The commands, for messages. */
export const COMMANDS = ['embed', 'merge', 'linear-eval', 'fuse', 'finetune', 'report'] as const;

export const LINEAR_EVAL_OPTIONS = {
  data: { type: 'string' },
  dataset: { type: 'string' },
  'image-size': { type: 'string' },
  sources: { type: 'string' },
  'embedding-layer': { type: 'string' },
  mean: { type: 'string' },
  std: { type: 'string' },
  sizes: { type: 'string' },
  repeats: { type: 'string' },
  metric: { type: 'string' },
  solver: { type: 'string' },
  validation: { type: 'string' },
  pool: { type: 'string' },
  seed: { type: 'string' },
  'batch-size': { type: 'string' },
  'cache-dir': { type: 'string' },
  embeddings: { type: 'string' },
  out: { type: 'string' },
  markdown: { type: 'string' },
  json: { type: 'boolean' },
  offline: { type: 'boolean' },
  standardize: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

export function integer(flag: string, text: string, min: number): number {
  const v = Number(text);
  if (!/^-?\d+$/.test(text.trim()) || !Number.isSafeInteger(v) || v < min) {
    throw new InvalidArgumentError(`--${flag} must be an integer >= ${min}; received ${JSON.stringify(text)}.`);
  }
  return v;
}

function size(flag: string, text: string): SubsetSize {
  return text.trim() === 'all' ? 'all' : integer(flag, text, 1);
}

function triple(flag: string, text: string): [number, number, number] {
  const parts = text.split(',').map((s) => Number(s.trim()));
  if (parts.length !== 3 || !parts.every(Number.isFinite)) {
    throw new InvalidArgumentError(`--${flag} must be three numbers r,g,b (e.g. 0.485,0.456,0.406); received ${JSON.stringify(text)}.`);
  }
  return parts as [number, number, number];
}

export function choice<T extends string>(flag: string, text: string, allowed: readonly T[]): T {
  if (!allowed.includes(text as T)) {
    throw new InvalidArgumentError(`--${flag} must be one of ${allowed.join(', ')}; received ${JSON.stringify(text)}.`);
  }
  return text as T;
}

/** Sizes in the order given, named by their value (`50`, `500`, `all`): the table rows. */
function sizes(text: string): Record<string, SubsetSize> {
  const out: Record<string, SubsetSize> = {};
  for (const token of text.split(',').map((s) => s.trim()).filter(Boolean)) {
    const s = size('sizes', token);
    out[String(s)] = s;
  }
  if (Object.keys(out).length === 0) throw new InvalidArgumentError('--sizes lists no size; e.g. --sizes 50,500,all');
  return out;
}

function validation(text: string): LinearEvalConfig['validation'] {
  if (text === 'val' || text === 'none') return text;
  const v = Number(text);
  if (!(v > 0 && v < 1)) {
    throw new InvalidArgumentError(`--validation must be 'val', 'none' or a fraction in (0, 1); received ${JSON.stringify(text)}.`);
  }
  return v;
}

/** The dataset's usual score: quadratic kappa for graded (ordinal) labels, else ROC AUC. */
function defaultMetric(name: MedMnistName): EvaluationMetric {
  return MEDMNIST_INFO[name].ordinal ? 'quadraticKappa' : 'auc';
}

/**
 * @internal Parses `dvme <command> [options]`. Unknown options, missing required ones and bad
 * values are InvalidArgumentErrors whose message says what to type instead.
 */
export function parseCommand(argv: readonly string[], env: Readonly<Record<string, string | undefined>> = {}): Command {
  const [command, ...rest] = argv;
  if (command === undefined || command === '-h' || command === '--help' || command === 'help') {
    return { kind: 'help', ...(rest[0] ? { topic: rest[0] } : {}) };
  }
  if (command === '--version' || command === '-v') return { kind: 'version' };
  if (command === 'embed') {
    const config = parseEmbedArgs(rest, env);
    return config ? { kind: 'embed', config } : { kind: 'help', topic: 'embed' };
  }
  if (command === 'merge') {
    const config = parseMergeArgs(rest);
    return config ? { kind: 'merge', config } : { kind: 'help', topic: 'merge' };
  }
  if (command === 'finetune') {
    const config = parseFinetuneArgs(rest);
    return config ? { kind: 'finetune', config } : { kind: 'help', topic: 'finetune' };
  }
  if (command === 'report') return parseReportArgs(rest);
  if (command !== 'linear-eval' && command !== 'fuse') {
    throw new InvalidArgumentError(`Unknown command ${JSON.stringify(command)}. Commands: ${COMMANDS.join(', ')}. Run dvme --help.`);
  }
  const options = command === 'fuse' ? { ...LINEAR_EVAL_OPTIONS, ...FUSE_FLAGS } : LINEAR_EVAL_OPTIONS;
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({ args: [...rest], options, allowPositionals: false, strict: true }));
  } catch (e) {
    throw new InvalidArgumentError(`${e instanceof Error ? e.message : String(e)}. Run dvme ${command} --help for the options.`, { cause: e });
  }
  if (values.help) return { kind: 'help', topic: command };
  const str = (k: keyof typeof LINEAR_EVAL_OPTIONS) => values[k] as string | undefined;
  const embeddingsText = str('embeddings');
  const datasetText = str('dataset');
  const sourcesText = str('sources');
  if (embeddingsText !== undefined && sourcesText !== undefined) {
    throw new InvalidArgumentError('Pass either --embeddings (saved embedding sets) or --sources (models to run on --dataset), not both.');
  }
  if (embeddingsText === undefined && datasetText === undefined) {
    throw new InvalidArgumentError(
      `--dataset is required (one of ${Object.keys(MEDMNIST_INFO).join(', ')}), or --embeddings name=<embedding-set folder>,... for saved embeddings.`,
    );
  }
  const dataset = datasetText === undefined ? undefined : choice('dataset', datasetText, Object.keys(MEDMNIST_INFO) as MedMnistName[]);
  if (embeddingsText === undefined && sourcesText === undefined) {
    throw new InvalidArgumentError(
      '--sources is required, e.g. --sources mobilenet=models/mobilenet/model.json,pixels (or --embeddings name=<embedding-set folder>,...)',
    );
  }
  const solver = choice('solver', str('solver') ?? 'paper', ['paper', 'lbfgs'] as const);
  const config: LinearEvalConfig = {
      data: str('data'),
      dataset,
      embeddings: embeddingsText === undefined ? undefined : parseEmbeddingSetSpecs(embeddingsText),
      imageSize: Number(choice('image-size', str('image-size') ?? '28', ['28', '64', '128', '224'])) as MedMnistSize,
      sources: sourcesText === undefined ? [] : parseSources(sourcesText),
      embeddingLayer: str('embedding-layer'),
      mean: triple('mean', str('mean') ?? '0,0,0'),
      std: triple('std', str('std') ?? '1,1,1'),
      sizes: sizes(str('sizes') ?? '50,500,all'),
      repeats: integer('repeats', str('repeats') ?? '5', 1),
      metric: choice('metric', str('metric') ?? (dataset ? defaultMetric(dataset) : 'auc'), ['quadraticKappa', 'kappa', 'auc', 'accuracy'] as const),
      solver,
      validation: validation(str('validation') ?? (solver === 'paper' ? 'val' : 'none')),
      pool: size('pool', str('pool') ?? 'all'),
      seed: integer('seed', str('seed') ?? '0', 0),
      batchSize: integer('batch-size', str('batch-size') ?? '16', 1),
      cacheDir: str('cache-dir'),
      out: str('out'),
      markdown: str('markdown'),
      offline: values.offline === true,
      json: values.json === true,
      standardize: values.standardize === true ? true : undefined,
  };
  if (command === 'fuse') return { kind: 'fuse', config: parseFuseOptions(config, values) };
  return { kind: 'linear-eval', config };
}

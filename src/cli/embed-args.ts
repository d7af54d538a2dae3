import { parseArgs } from 'node:util';
import { InvalidArgumentError } from '../errors/index.js';
import { checkWindow, type IntensityWindow } from '../medical-image/window.js';
import { resolveShard, type ShardSpec } from './shard-spec.js';

/** @internal Everything `dvme embed` was asked to do, checked, defaults filled in. */
export interface EmbedConfig {
  readonly data: string;
  readonly model: string | undefined;
  readonly backbone: string | undefined;
  readonly embeddingLayer: string | undefined;
  readonly mean: readonly [number, number, number] | undefined;
  readonly std: readonly [number, number, number] | undefined;
  readonly batchSize: number;
  readonly chunk: number;
  readonly out: string;
  readonly shard: ShardSpec | undefined;
  readonly cacheDir: string | undefined;
  readonly cache: boolean;
  readonly onError: 'skip' | 'fail';
  readonly window: IntensityWindow;
  readonly classes: readonly string[] | undefined;
  readonly val: number;
  readonly test: number;
  readonly seed: number;
  readonly json: boolean;
  readonly force: boolean;
  readonly offline: boolean;
}

/** @internal What `dvme merge` was asked to join, and where to. */
export interface MergeConfig {
  readonly inputs: readonly string[];
  readonly out: string;
  readonly json: boolean;
}

const EMBED_OPTIONS = {
  data: { type: 'string' },
  model: { type: 'string' },
  backbone: { type: 'string' },
  'embedding-layer': { type: 'string' },
  mean: { type: 'string' },
  std: { type: 'string' },
  'batch-size': { type: 'string' },
  chunk: { type: 'string' },
  out: { type: 'string' },
  shard: { type: 'string' },
  shards: { type: 'string' },
  'shard-from-env': { type: 'string' },
  'cache-dir': { type: 'string' },
  'no-cache': { type: 'boolean' },
  'on-error': { type: 'string' },
  window: { type: 'string' },
  classes: { type: 'string' },
  val: { type: 'string' },
  test: { type: 'string' },
  seed: { type: 'string' },
  json: { type: 'boolean' },
  force: { type: 'boolean' },
  offline: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

function parse<O extends Record<string, { type: 'string' | 'boolean'; short?: string }>>(command: string, argv: readonly string[], options: O, positionals: boolean) {
  try {
    return parseArgs({ args: [...argv], options, allowPositionals: positionals, strict: true });
  } catch (e) {
    throw new InvalidArgumentError(`${e instanceof Error ? e.message : String(e)}. Run dvme ${command} --help for the options.`, { cause: e });
  }
}

function integer(flag: string, text: string, min: number): number {
  const v = Number(text);
  if (!/^\d+$/.test(text.trim()) || !Number.isSafeInteger(v) || v < min) throw new InvalidArgumentError(`--${flag} must be an integer >= ${min}; received ${JSON.stringify(text)}.`);
  return v;
}

function fraction(flag: string, text: string): number {
  const v = Number(text);
  if (text.trim() === '' || !(v >= 0 && v < 1)) throw new InvalidArgumentError(`--${flag} must be a fraction in [0, 1); received ${JSON.stringify(text)}.`);
  return v;
}

function triple(flag: string, text: string): [number, number, number] {
  const parts = text.split(',').map((s) => Number(s.trim()));
  if (parts.length !== 3 || !parts.every(Number.isFinite)) throw new InvalidArgumentError(`--${flag} must be three numbers r,g,b (e.g. 0.485,0.456,0.406); received ${JSON.stringify(text)}.`);
  return parts as [number, number, number];
}

function windowOption(text: string): IntensityWindow {
  if (text === 'file' || text === 'minmax' || text === 'full') return text;
  const m = /^\s*(-?[\d.]+)\s*,\s*([\d.]+)\s*$/.exec(text);
  if (!m) throw new InvalidArgumentError(`--window must be file, minmax, full or <center>,<width> (e.g. 40,400); received ${JSON.stringify(text)}.`);
  return checkWindow('--window', { center: Number(m[1]), width: Number(m[2]) });
}

/** @internal Parses `dvme embed [options]`; `undefined` for `--help`. */
export function parseEmbedArgs(argv: readonly string[], env: Readonly<Record<string, string | undefined>>): EmbedConfig | undefined {
  const { values } = parse('embed', argv, EMBED_OPTIONS, false);
  if (values.help) return undefined;
  const str = (k: keyof typeof EMBED_OPTIONS) => values[k] as string | undefined;
  const data = str('data');
  if (data === undefined) throw new InvalidArgumentError('--data is required: an image folder (one subfolder per class), a .csv or .json manifest, or a MedMNIST .npz.');
  const out = str('out');
  if (out === undefined) throw new InvalidArgumentError('--out is required: the folder to write embeddings.npy and manifest.json to.');
  const model = str('model');
  const backbone = str('backbone');
  if ((model === undefined) === (backbone === undefined)) {
    throw new InvalidArgumentError('Give exactly one of --model <model.json path or URL> (a tfjs model) and --backbone <registry name> (see listBackbones).');
  }
  const onError = str('on-error') ?? 'fail';
  if (onError !== 'skip' && onError !== 'fail') throw new InvalidArgumentError(`--on-error must be skip or fail; received ${JSON.stringify(onError)}.`);
  const val = fraction('val', str('val') ?? '0');
  const test = fraction('test', str('test') ?? '0');
  if (val + test >= 1) throw new InvalidArgumentError(`--val ${val} and --test ${test} leave no training images; keep their sum below 1.`);
  const classes = str('classes')?.split(',').map((s) => s.trim()).filter(Boolean);
  return {
    data,
    model,
    backbone,
    embeddingLayer: str('embedding-layer'),
    mean: str('mean') === undefined ? undefined : triple('mean', str('mean') as string),
    std: str('std') === undefined ? undefined : triple('std', str('std') as string),
    batchSize: integer('batch-size', str('batch-size') ?? '16', 1),
    chunk: integer('chunk', str('chunk') ?? '256', 1),
    out,
    shard: resolveShard(str('shard'), str('shards'), str('shard-from-env'), env),
    cacheDir: str('cache-dir'),
    cache: values['no-cache'] !== true,
    onError,
    window: windowOption(str('window') ?? 'file'),
    classes: classes && classes.length > 0 ? classes : undefined,
    val,
    test,
    seed: integer('seed', str('seed') ?? '0', 0),
    json: values.json === true,
    force: values.force === true,
    offline: values.offline === true,
  };
}

/** @internal Parses `dvme merge <set or folder>... --out <dir>`; `undefined` for `--help`. */
export function parseMergeArgs(argv: readonly string[]): MergeConfig | undefined {
  const { values, positionals } = parse('merge', argv, { out: { type: 'string' }, json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } } as const, true);
  if (values.help) return undefined;
  if (positionals.length === 0) throw new InvalidArgumentError('dvme merge needs the shard folders (or the --out folder of the sharded runs, which holds them).');
  if (values.out === undefined) throw new InvalidArgumentError('--out is required: the folder to write the merged embedding set to.');
  return { inputs: positionals, out: values.out, json: values.json === true };
}

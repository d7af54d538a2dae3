import { parseArgs } from 'node:util';
import { InvalidArgumentError } from '../errors/index.js';
import type { FineTunerTrainable } from '../finetune/options.js';
import type { IntensityWindow } from '../medical-image/window.js';
import type { EvaluationMetric } from '../protocol/evaluation-options.js';
import type { ProbeTask } from '../training/labels.js';
import { parseEmbedArgs, type EmbedConfig } from './embed-args.js';

/** @internal Everything `dvme finetune` was asked to do, checked, defaults filled in. */
export interface FinetuneConfig {
  readonly data: string;
  readonly model: string | undefined;
  readonly backbone: string | undefined;
  readonly embeddingLayer: string | undefined;
  readonly mean: readonly [number, number, number] | undefined;
  readonly std: readonly [number, number, number] | undefined;
  readonly onError: 'skip' | 'fail';
  readonly window: IntensityWindow;
  readonly classes: readonly string[] | undefined;
  /** Seeded split fractions for images without a split. */
  readonly val: number;
  readonly test: number;
  /** The dataset's task when absent. */
  readonly task: ProbeTask | undefined;
  readonly metric: EvaluationMetric | undefined;
  readonly minEpochs: number | undefined;
  readonly maxEpochs: number | undefined;
  readonly learningRate: number | undefined;
  readonly batchSize: number | undefined;
  readonly trainable: FineTunerTrainable;
  readonly weightDecay: number;
  readonly labelSmoothing: number;
  /** Fraction of the training images held out for validation when the data has no val split. */
  readonly validationSplit: number;
  readonly seed: number;
  /** `'auto'`: whatever `initBackend` picked (tfjs-node, else wasm). */
  readonly backend: 'auto' | 'cpu' | 'wasm';
  readonly out: string | undefined;
  readonly json: boolean;
  readonly offline: boolean;
}

/** Flags of `dvme finetune` besides the data and backbone flags it shares with `dvme embed`. */
const FINETUNE_FLAGS = {
  task: { type: 'string' },
  metric: { type: 'string' },
  epochs: { type: 'string' },
  lr: { type: 'string' },
  'batch-size': { type: 'string' },
  trainable: { type: 'string' },
  'weight-decay': { type: 'string' },
  'label-smoothing': { type: 'string' },
  'validation-split': { type: 'string' },
  backend: { type: 'string' },
  out: { type: 'string' },
} as const;

/** The `dvme embed` flags `dvme finetune` takes as they are (data, splits, backbone). */
const SHARED = ['data', 'model', 'backbone', 'embedding-layer', 'mean', 'std', 'on-error', 'window', 'classes', 'val', 'test', 'seed', 'json', 'offline', 'help'];

function oneOf<T extends string>(flag: string, text: string, allowed: readonly T[]): T {
  if (!allowed.includes(text as T)) throw new InvalidArgumentError(`--${flag} must be one of ${allowed.join(', ')}; received ${JSON.stringify(text)}.`);
  return text as T;
}

function positive(flag: string, text: string, integer: boolean): number {
  const v = Number(text);
  if (text.trim() === '' || !(v > 0) || !Number.isFinite(v) || (integer && !Number.isInteger(v))) {
    throw new InvalidArgumentError(`--${flag} must be a positive ${integer ? 'integer' : 'number'}; received ${JSON.stringify(text)}.`);
  }
  return v;
}

function inUnit(flag: string, text: string): number {
  const v = Number(text);
  if (text.trim() === '' || !(v >= 0 && v < 1)) throw new InvalidArgumentError(`--${flag} must be a number in [0, 1); received ${JSON.stringify(text)}.`);
  return v;
}

function nonNegative(flag: string, text: string): number {
  const v = Number(text);
  if (text.trim() === '' || !(v >= 0) || !Number.isFinite(v)) throw new InvalidArgumentError(`--${flag} must be a number >= 0; received ${JSON.stringify(text)}.`);
  return v;
}

/** `--epochs 5` (exactly 5) or `--epochs 30/50` (min 30, early stopping, max 50). */
function epochs(text: string): { min: number; max: number } {
  const m = /^\s*(\d+)\s*(?:\/\s*(\d+)\s*)?$/.exec(text);
  const min = Number(m?.[1]);
  const max = Number(m?.[2] ?? m?.[1]);
  if (!m || min < 1 || max < min) {
    throw new InvalidArgumentError(`--epochs must be <n> or <min>/<max> with 1 <= min <= max (e.g. 30/50, the paper's); received ${JSON.stringify(text)}.`);
  }
  return { min, max };
}

function trainable(text: string): FineTunerTrainable {
  if (text === 'all' || text === 'head') return text;
  if (/^\d+$/.test(text.trim())) return { fromStage: Number(text) };
  throw new InvalidArgumentError(`--trainable must be all, head or a stage number (train that stage on, e.g. 3); received ${JSON.stringify(text)}.`);
}

/** @internal Parses `dvme finetune [options]`; `undefined` for `--help`. */
export function parseFinetuneArgs(argv: readonly string[]): FinetuneConfig | undefined {
  // Split the argument list: the shared flags go through dvme embed's parser (one definition
  // of --data / --model / --val ...), the rest through this command's own.
  const shared: string[] = [];
  const own: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] as string;
    const name = /^--([^=]+)/.exec(a)?.[1] ?? (a === '-h' ? 'help' : undefined);
    const target = name !== undefined && SHARED.includes(name) ? shared : own;
    target.push(a);
    const takesValue = name !== undefined && !a.includes('=') && !['json', 'offline', 'help'].includes(name);
    if (takesValue && i + 1 < argv.length) target.push(argv[++i] as string);
  }
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({ args: own, options: FINETUNE_FLAGS, allowPositionals: false, strict: true }));
  } catch (e) {
    throw new InvalidArgumentError(`${e instanceof Error ? e.message : String(e)}. Run dvme finetune --help for the options.`, { cause: e });
  }
  let base: EmbedConfig | undefined;
  try {
    // dvme embed requires --out (its folder); the fine-tune's --out is its own, so pass a placeholder.
    base = parseEmbedArgs([...shared, '--out', '.'], {});
  } catch (e) {
    if (!InvalidArgumentError.is(e)) throw e;
    throw new InvalidArgumentError(e.message.replace('dvme embed --help', 'dvme finetune --help'), { cause: e });
  }
  if (base === undefined) return undefined;
  const str = (k: keyof typeof FINETUNE_FLAGS) => values[k] as string | undefined;
  const out = str('out');
  if (out !== undefined && !out.toLowerCase().endsWith('.json')) {
    throw new InvalidArgumentError(`--out must end in .json (a results file dvme report draws); received ${JSON.stringify(out)}.`);
  }
  const e = str('epochs') === undefined ? undefined : epochs(str('epochs') as string);
  return {
    data: base.data,
    model: base.model,
    backbone: base.backbone,
    embeddingLayer: base.embeddingLayer,
    mean: base.mean,
    std: base.std,
    onError: base.onError,
    window: base.window,
    classes: base.classes,
    val: base.val,
    test: base.test,
    seed: base.seed,
    task: str('task') === undefined ? undefined : oneOf('task', str('task') as string, ['binary', 'multiclass', 'multilabel'] as const),
    metric: str('metric') === undefined ? undefined : oneOf('metric', str('metric') as string, ['quadraticKappa', 'kappa', 'auc', 'accuracy'] as const),
    minEpochs: e?.min,
    maxEpochs: e?.max,
    learningRate: str('lr') === undefined ? undefined : positive('lr', str('lr') as string, false),
    batchSize: str('batch-size') === undefined ? undefined : positive('batch-size', str('batch-size') as string, true),
    trainable: trainable(str('trainable') ?? 'all'),
    weightDecay: str('weight-decay') === undefined ? 0 : nonNegative('weight-decay', str('weight-decay') as string),
    labelSmoothing: str('label-smoothing') === undefined ? 0 : inUnit('label-smoothing', str('label-smoothing') as string),
    validationSplit: str('validation-split') === undefined ? 0.1 : inUnit('validation-split', str('validation-split') as string),
    backend: oneOf('backend', str('backend') ?? 'auto', ['auto', 'cpu', 'wasm'] as const),
    out,
    json: base.json,
    offline: base.offline,
  };
}

import { parseArgs } from 'node:util';
import { InvalidArgumentError } from '../errors/index.js';
import type { FusionModelName, FusionTrainingOptions } from '../protocol/fusion-evaluation.js';
import type { LinearEvalConfig } from './args.js';
import { integer } from './args.js';

/** @internal `dvme fuse`: the linear-eval settings (single sources) plus the fusion models'. */
export interface FuseConfig extends LinearEvalConfig {
  readonly models: readonly FusionModelName[];
  readonly fusionSources: readonly string[] | undefined;
  readonly training: FusionTrainingOptions;
}

/** @internal `dvme report`. */
export interface ReportConfig {
  readonly input: string;
  readonly out: string;
  readonly title: string | undefined;
  readonly nBoot: number;
  readonly json: boolean;
}

/** @internal The flags `dvme fuse` adds to linear-eval's. */
export const FUSE_FLAGS = {
  models: { type: 'string' },
  'fusion-sources': { type: 'string' },
  'projection-dim': { type: 'string' },
  'min-epochs': { type: 'string' },
  'max-epochs': { type: 'string' },
  'source-heads': { type: 'string' },
} as const;

const MODELS: readonly FusionModelName[] = ['concat', 'dme', 'dvme', 'dvme-source', 'dvme-noattn'];

function list(text: string): string[] {
  return text.split(',').map((s) => s.trim()).filter(Boolean);
}

/** @internal Adds the fusion flags to a parsed linear-eval config. */
export function parseFuseOptions(base: LinearEvalConfig, values: Record<string, string | boolean | undefined>): FuseConfig {
  const str = (k: keyof typeof FUSE_FLAGS) => values[k] as string | undefined;
  const models = list(str('models') ?? MODELS.join(','));
  for (const m of models) {
    if (!MODELS.includes(m as FusionModelName)) {
      throw new InvalidArgumentError(`--models: unknown model ${JSON.stringify(m)}; allowed: ${MODELS.join(', ')}.`);
    }
  }
  const opt = (flag: keyof typeof FUSE_FLAGS, key: keyof FusionTrainingOptions, min: number) => {
    const t = str(flag);
    return t === undefined ? {} : { [key]: integer(flag, t, min) };
  };
  const training = {
    ...opt('projection-dim', 'projectionDim', 1),
    ...opt('min-epochs', 'minEpochs', 1),
    ...opt('max-epochs', 'maxEpochs', 1),
    ...opt('source-heads', 'sourceHeads', 1),
  } as FusionTrainingOptions;
  const fusionSources = str('fusion-sources');
  return { ...base, models: models as FusionModelName[], fusionSources: fusionSources === undefined ? undefined : list(fusionSources), training };
}

/** @internal Parses `dvme report <results.json> -o <report.html>`. */
export function parseReportArgs(argv: readonly string[]): { kind: 'help'; topic: string } | { kind: 'report'; config: ReportConfig } {
  let parsed: ReturnType<typeof parseArgs<{ args: string[]; allowPositionals: true; strict: true; options: typeof REPORT_FLAGS }>>;
  try {
    parsed = parseArgs({ args: [...argv], options: REPORT_FLAGS, allowPositionals: true, strict: true });
  } catch (e) {
    throw new InvalidArgumentError(`${e instanceof Error ? e.message : String(e)}. Run dvme report --help for the options.`, { cause: e });
  }
  const { values, positionals } = parsed;
  if (values.help) return { kind: 'help', topic: 'report' };
  if (positionals.length !== 1) {
    throw new InvalidArgumentError(
      `dvme report takes one results file; received ${positionals.length} (${positionals.map((p) => JSON.stringify(p)).join(' ') || 'none'}). ` +
        'Usage: dvme report results.json -o report.html',
    );
  }
  const input = positionals[0] as string;
  const out = values.out ?? input.replace(/\.json$/i, '') + '.html';
  if (!/\.html?$/i.test(out)) throw new InvalidArgumentError(`--out must end in .html; received ${JSON.stringify(out)}.`);
  return {
    kind: 'report',
    config: { input, out, title: values.title, nBoot: integer('bootstrap', values.bootstrap ?? '500', 0), json: values.json === true },
  };
}

const REPORT_FLAGS = {
  out: { type: 'string', short: 'o' },
  title: { type: 'string' },
  bootstrap: { type: 'string' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

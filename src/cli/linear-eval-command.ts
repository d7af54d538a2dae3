import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, extname } from 'node:path';
import { InvalidArgumentError } from '../errors/index.js';
import { formatFusionMarkdown } from '../protocol/fusion-report.js';
import { runFusionEvaluation, type FusionEvaluationResult } from '../protocol/fusion-evaluation.js';
import { formatMarkdown, toCsv } from '../protocol/report.js';
import { runLinearEvaluation, type LinearEvaluationResult } from '../protocol/linear-evaluation.js';
import type { LinearEvaluationOptions } from '../protocol/evaluation-options.js';
import { createResultsDocument, type ResultsDocument } from '../report/results-document.js';
import type { LabelsFor, ProbeTask } from '../training/labels.js';
import { DVME_VERSION } from '../version.js';
import type { LinearEvalConfig } from './args.js';
import type { FuseConfig } from './fuse-args.js';
import { prepareInputs } from './prepare-inputs.js';
import { createProgress, type ProgressStream } from './progress.js';

/** @internal Where the CLI writes and how it gets a tfjs backend (tests pass fakes). */
export interface CliIo {
  readonly stdout: { write(text: string): unknown };
  readonly stderr: ProgressStream;
  readonly initBackend: () => Promise<{ readonly backend: string; readonly package: string | undefined }>;
  /** The command line as typed, kept in the results' metadata. */
  readonly argv?: readonly string[];
  /** Aborts the runs (Ctrl-C). */
  readonly signal?: AbortSignal;
}

const seconds = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;

async function write(path: string, text: string): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, text);
}

function checkOut(flag: string, path: string | undefined, allowed: readonly string[]): string | undefined {
  if (path === undefined) return undefined;
  const ext = extname(path).toLowerCase();
  if (!allowed.includes(ext)) throw new InvalidArgumentError(`--${flag} must end in ${allowed.slice(0, -1).join(', ')}${allowed.length > 1 ? ' or ' : ''}${allowed.at(-1)}; received ${JSON.stringify(path)}.`);
  return ext;
}

/**
 * @internal Runs `dvme linear-eval` or `dvme fuse`: load or embed, evaluate (keeping every run's
 * predictions for the report), print the table (or the results JSON with --json) and write the
 * results file and Markdown.
 */
export async function evaluationCommand(
  command: 'linear-eval' | 'fuse',
  config: LinearEvalConfig | FuseConfig,
  io: CliIo,
): Promise<ResultsDocument> {
  const started = performance.now();
  const log = (line: string) => io.stderr.write(`${line}\n`);
  const outFormat = checkOut('out', config.out, command === 'fuse' ? ['.json', '.md'] : ['.md', '.csv', '.json']);
  checkOut('markdown', config.markdown, ['.md']);
  const backend = await io.initBackend();
  const backendName = `${backend.backend}${backend.package ? ` (${backend.package})` : ''}`;
  log(`tfjs backend: ${backendName}`);
  const progress = createProgress(io.stderr);
  const inputs = await prepareInputs(config, progress, log);
  const { task } = inputs;
  const labels = (l: unknown) => l as LabelsFor<ProbeTask>;
  const evalStart = performance.now();
  const base: LinearEvaluationOptions<ProbeTask> = {
    task,
    metric: config.metric,
    sources: inputs.train.sources,
    labels: labels(inputs.train.labels),
    test: { sources: inputs.test.sources, labels: labels(inputs.test.labels) },
    ...(config.validation === 'val' && inputs.val ? { validation: { sources: inputs.val.sources, labels: labels(inputs.val.labels) } } : {}),
    ...(typeof config.validation === 'number' ? { validationFraction: config.validation } : {}),
    sizes: config.sizes,
    repeats: config.repeats,
    seed: config.seed,
    ...(config.standardize ? { probeOptions: { standardize: true } } : {}),
    details: true,
    onProgress: (done, total) => progress.update(command === 'fuse' ? 'runs' : 'probe runs', done, total),
    ...(io.signal ? { signal: io.signal } : {}),
  };
  if (config.validation === 'val' && !inputs.val) log("No validation rows in the inputs: --validation val falls back to none (pass a fraction, e.g. --validation 0.2).");
  let result: LinearEvaluationResult | FusionEvaluationResult;
  if (command === 'fuse') {
    const f = config as FuseConfig;
    result = await runFusionEvaluation({
      ...base,
      singleSolver: config.solver,
      models: f.models,
      ...(f.fusionSources ? { fusionSources: f.fusionSources } : {}),
      training: f.training,
      standardize: config.standardize === true,
    });
  } else {
    result = await runLinearEvaluation({ ...base, solver: config.solver });
  }
  progress.finish();
  const evalMs = performance.now() - evalStart;
  const table = result.kind === 'dvme.fusion-evaluation' ? formatFusionMarkdown(result) : formatMarkdown(result);
  const runs =
    result.kind === 'dvme.fusion-evaluation'
      ? (result.single.sources.length + result.models.length) * result.sizes.length * result.repeats
      : result.sources.length * result.sizes.length * result.repeats;
  const totalMs = performance.now() - started;
  const timing = `Wall time (tfjs ${backend.backend}): inputs ${seconds(inputs.embedMs)}, ${runs} runs ${seconds(evalMs)}, total ${seconds(totalMs)}.`;
  log(timing);
  const doc = createResultsDocument(result, { labels: inputs.test.labels, ...(inputs.classNames ? { classNames: inputs.classNames } : {}) }, {
    createdAt: new Date().toISOString(),
    dvmeVersion: DVME_VERSION,
    command: ['dvme', ...(io.argv ?? [command])].join(' '),
    backend: backendName,
    runtime: `node ${process.version} (${process.platform} ${process.arch})`,
    data: inputs.data,
    sources: inputs.sources,
    wallMs: { inputs: inputs.embedMs, evaluate: evalMs, total: totalMs },
    ...(inputs.notes.length > 0 ? { notes: inputs.notes } : {}),
  });
  if (config.json) io.stdout.write(`${JSON.stringify(doc)}\n`);
  else io.stdout.write(table);
  const markdown = () => {
    const title = command === 'fuse' ? 'Fusion evaluation' : 'Linear evaluation';
    const sources = inputs.sources.map((s) => `${s.name}: ${s.model ?? s.kind}`);
    const data = inputs.data.citation ? `Data: ${inputs.data.title}, ${inputs.data.license}. ${inputs.data.citation}` : `Data: ${inputs.data.name}.`;
    return [`# ${title}: ${inputs.data.title ?? inputs.data.name}`, '', table, `Sources: ${sources.join('; ')}.`, ...inputs.notes.map((n) => `\n${n}`), '', timing, '', data, ''].join('\n');
  };
  if (config.out !== undefined) {
    const text =
      outFormat === '.csv' && result.kind === 'dvme.linear-evaluation'
        ? toCsv(result, { runs: true })
        : outFormat === '.json'
          ? `${JSON.stringify(doc)}\n`
          : markdown();
    await write(config.out, text);
    log(`Wrote ${config.out}${outFormat === '.json' ? ` (dvme report ${config.out} -o report.html draws it)` : ''}`);
  }
  if (config.markdown !== undefined) {
    await write(config.markdown, markdown());
    log(`Wrote ${config.markdown}`);
  }
  return doc;
}

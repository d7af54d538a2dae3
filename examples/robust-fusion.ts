/**
 * Robust fusion vs the best single source, measured as the paper's Table 4 (paired repeats,
 * S / M / F): RetinaMNIST (two backbones; and with the raw pixels fused in), PneumoniaMNIST,
 * and referable diabetic retinopathy (RetinaMNIST grade >= 2 vs < 2, binary).
 *
 *   npx tsx examples/robust-fusion.ts [--repeats 5] [--folds 5] [--max-iter 100] [--cache dir] [--out file.md] [--tasks retina,retina-pixels,referable,pneumonia] [--embed-only]
 *
 * Embeddings (MobileNetV2 at 96 px, InceptionV3 at 75 px, as the demo) are kept in an
 * EmbeddingCache, so they are computed once. Single sources are L-BFGS probes; every run gets
 * its own validation draw from the official val split; writes examples/out/robust-fusion.md
 * (and one .json per task with every run).
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { cpus, loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import {
  EmbeddingCache,
  bestSingleSource,
  initBackend,
  pairedDifference,
  pixelFeatures,
  runFusionEvaluation,
  validatedDifference,
  type EmbeddingMatrix,
  type FusionEvaluationRun,
  type MedMnistSplit,
} from 'dvme/node';
import { FAST_BACKBONES, createProgress, drawPool, loadData, openBackbone } from './shared.js';

const { values } = parseArgs({
  options: {
    repeats: { type: 'string', default: '5' },
    cache: { type: 'string', default: join(import.meta.dirname, 'out/cache') },
    out: { type: 'string', default: join(import.meta.dirname, 'out/robust-fusion.md') },
    tasks: { type: 'string', default: 'retina,retina-pixels,referable,pneumonia' },
    'embed-only': { type: 'boolean', default: false },
    folds: { type: 'string', default: '5' },
    'max-iter': { type: 'string', default: '100' },
  },
});

const progress = createProgress();
type Splits = Record<'train' | 'val' | 'test', { sources: Record<string, EmbeddingMatrix>; labels: Int32Array }>;

/** Every split of a dataset embedded by both backbones (through the cache) plus raw pixels. */
async function embedDataset(dataset: 'retinamnist' | 'pneumoniamnist', pool?: number): Promise<Splits> {
  const data = await loadData(dataset, undefined, (t) => progress.update(t, 0, 1));
  const train = pool ? drawPool(data.train as MedMnistSplit<Int32Array>, pool, 2021) : (data.train as MedMnistSplit<Int32Array>);
  const splits = { train, val: data.val as MedMnistSplit<Int32Array>, test: data.test as MedMnistSplit<Int32Array> };
  const records = EmbeddingCache.open({ dir: join(values.cache, 'records') });
  const out = Object.fromEntries(
    Object.entries(splits).map(([k, s]) => [k, { sources: { pixels: pixelFeatures(s.images) } as Record<string, EmbeddingMatrix>, labels: s.labels }]),
  ) as Splits;
  for (const b of FAST_BACKBONES) {
    const backbone = await openBackbone(b, (t) => progress.update(t, 0, 1));
    try {
      for (const split of ['train', 'val', 'test'] as const) {
        out[split].sources[b.name] = await backbone.embed(splits[split].images, {
          as: 'array',
          batchSize: 16,
          cache: records,
          onProgress: (d, t) => progress.update(`embed ${dataset} ${b.name} ${split}`, d, t),
        });
        progress.finish();
      }
    } finally {
      backbone.dispose();
    }
  }
  return out;
}

const t0 = performance.now();
const backend = await initBackend();
console.log(`tfjs backend: ${backend.backend}, ${cpus().length} CPUs`);
await mkdir(values.cache, { recursive: true });
const tasks = values.tasks.split(',');
const retina = tasks.some((t) => t.startsWith('retina') || t === 'referable') ? await embedDataset('retinamnist') : undefined;
const pneumonia = tasks.includes('pneumonia') ? await embedDataset('pneumoniamnist', 1500) : undefined;
console.log(`Embeddings ready in ${((performance.now() - t0) / 1000).toFixed(0)} s (load ${loadavg()[0].toFixed(2)}).`);
if (values['embed-only']) process.exit(0);

/** One table of the report: a task, its sources and which of them are fused. */
interface TaskSpec {
  readonly name: string;
  readonly title: string;
  readonly data: Splits;
  readonly task: 'binary' | 'multiclass';
  readonly metric: 'quadraticKappa' | 'auc';
  readonly fused: readonly string[];
}
const BACKBONES = FAST_BACKBONES.map((b) => b.name);
/** RetinaMNIST grades as referable diabetic retinopathy: grade >= 2 (moderate or worse) is 1. */
const referable = (d: Splits): Splits =>
  Object.fromEntries(Object.entries(d).map(([k, s]) => [k, { sources: s.sources, labels: Int32Array.from(s.labels, (g) => (g >= 2 ? 1 : 0)) }])) as Splits;
const specs: TaskSpec[] = [];
if (retina && tasks.includes('retina')) specs.push({ name: 'retina', title: 'RetinaMNIST (grades 0-4, quadratic kappa), two backbones fused', data: retina, task: 'multiclass', metric: 'quadraticKappa', fused: BACKBONES });
if (retina && tasks.includes('retina-pixels')) specs.push({ name: 'retina-pixels', title: 'RetinaMNIST (quadratic kappa), two backbones and the raw pixels fused', data: retina, task: 'multiclass', metric: 'quadraticKappa', fused: [...BACKBONES, 'pixels'] });
if (retina && tasks.includes('referable')) specs.push({ name: 'referable', title: 'Referable DR from RetinaMNIST (grade >= 2 vs < 2, ROC AUC), two backbones fused', data: referable(retina), task: 'binary', metric: 'auc', fused: BACKBONES });
if (pneumonia && tasks.includes('pneumonia')) specs.push({ name: 'pneumonia', title: 'PneumoniaMNIST (ROC AUC; training pool: a seeded stratified 1,500 of 4,708), two backbones fused', data: pneumonia, task: 'binary', metric: 'auc', fused: BACKBONES });

const repeats = Number(values.repeats);
const f4 = (v: number) => (Number.isFinite(v) ? v.toFixed(4) : 'n/a');
const signed = (v: number) => (Number.isFinite(v) ? (v >= 0 ? '+' : '') + v.toFixed(4) : 'n/a');
const report: string[] = [
  '# Robust fusion vs the best single source',
  '',
  `Paired repeats: ${repeats} per size (same class-balanced draw and seed for every source and model). Single sources: L-BFGS logistic-regression probes (standardised, C = 1, at most ${values['max-iter']} iterations). ` +
    "Validation: per run, a class-balanced draw of max(10, 20% of the training rows) from the official val split, seeded like the training draw (`validationDraw: true`). " +
    `Robust: \`RobustFusion\` (${values.folds}-fold cross-validation on training + validation rows over {each source, concat, average}, criterion = the metric, margin 0, the same probes), refitted on the training rows. ` +
    'Δ oracle: robust − the single source with the best test mean (chosen on test). Δ honest: robust − the source with the best validation score in that repeat. Pass: Δ honest ≥ −(its paired std).',
  '',
];
for (const spec of specs) {
  const started = performance.now();
  const { data } = spec;
  const result = await runFusionEvaluation({
    task: spec.task,
    metric: spec.metric,
    sources: data.train.sources,
    labels: data.train.labels,
    validation: { sources: data.val.sources, labels: data.val.labels },
    validationDraw: true,
    test: { sources: data.test.sources, labels: data.test.labels },
    sizes: { S: 50, M: 500, F: 'all' },
    repeats,
    seed: 0,
    models: ['robust'],
    fusionSources: spec.fused,
    singleSolver: 'lbfgs',
    // scikit-learn's default iteration cap: the protocol fits hundreds of probes.
    probeOptions: { maxIter: Number(values['max-iter']) },
    training: { robust: { folds: Number(values.folds) } },
    onProgress: (done, total, label) => progress.update(`${spec.name} ${label}`, done, total),
  });
  progress.finish();
  const rows = result.sizes.map(({ name }) => {
    const oracle = bestSingleSource(result, name);
    const dO = pairedDifference(result, 'robust', oracle, name);
    const dH = validatedDifference(result, 'robust', name);
    const cell = result.fusion.robust[name];
    const chosen = new Map<string, number>();
    const runs: readonly FusionEvaluationRun[] = cell.runs;
    for (const r of runs) chosen.set(r.chosen ?? '?', (chosen.get(r.chosen ?? '?') ?? 0) + 1);
    const pass = dH.mean >= -dH.std || dH.values.every((v) => v >= 0);
    const trainSize = cell.runs[0]?.trainSize;
    return `| ${name} (${trainSize}) | ${oracle}: ${f4(result.single.results[oracle][name].mean)} | ${f4(cell.mean)} ± ${f4(cell.std)} | ${signed(dO.mean)} ± ${f4(dO.std)} | ${signed(dH.mean)} ± ${f4(dH.std)} | ${[...chosen].map(([k, v]) => `${k.replace('source:', '')} ×${v}`).join(', ')} | ${pass ? 'yes' : 'NO'} |`;
  });
  const singles = result.sizes.map(({ name }) => `| ${name} | ${result.single.sources.map((s) => `${f4(result.single.results[s][name].mean)} ± ${f4(result.single.results[s][name].std)}`).join(' | ')} |`);
  report.push(
    `## ${spec.title}`,
    '',
    '| size (train rows) | best single on test | robust | Δ oracle | Δ honest | chosen | pass |',
    '| --- | --- | --- | --- | --- | --- | --- |',
    ...rows,
    '',
    `| size | ${result.single.sources.join(' | ')} |`,
    `| --- | ${result.single.sources.map(() => '---').join(' | ')} |`,
    ...singles,
    '',
    `Wall time: ${((performance.now() - started) / 1000).toFixed(0)} s (load average ${loadavg()[0].toFixed(2)}).`,
    '',
  );
  console.log(report.slice(-singles.length - rows.length - 10).join('\n'));
  await writeFile(resolve(values.out), report.join('\n'));
  await writeFile(resolve(values.out).replace(/\.md$/, '') + `-${spec.name}.json`, JSON.stringify(result, null, 1));
}
report.push(`Total wall time ${((performance.now() - t0) / 1000).toFixed(0)} s, tfjs ${backend.backend}, ${cpus().length} CPUs shared with other jobs (load average ${loadavg().map((v) => v.toFixed(2)).join(' / ')} at the end).`, '');
await writeFile(resolve(values.out), report.join('\n'));
console.log(`Wrote ${resolve(values.out)}`);

import * as tf from '@tensorflow/tfjs-core';
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { ImageDataset } from '../dataset/image-dataset.js';
import { BackendUnavailableError, InvalidArgumentError } from '../errors/index.js';
import { FineTuner } from '../finetune/finetuner.js';
import type { DecodedImage } from '../image/images.js';
import type { EvaluationMetric } from '../protocol/evaluation-options.js';
import { labelAucs, testScore, type LinearEvaluationResult, type LinearEvaluationRun } from '../protocol/linear-evaluation.js';
import { runDetails } from '../protocol/run-details.js';
import { createResultsDocument, type ResultsDocument } from '../report/results-document.js';
import type { LabelsFor, ProbeTask } from '../training/labels.js';
import { DVME_VERSION } from '../version.js';
import { openBackbone, openDataset } from './embed-command.js';
import type { FinetuneConfig } from './finetune-args.js';
import type { CliIo } from './linear-eval-command.js';
import { createProgress, type Progress } from './progress.js';

type Split = { readonly images: DecodedImage[]; readonly labels: (number | number[])[] };

/** Switches to the asked backend (`auto` keeps what initBackend chose); returns its name. */
async function useBackend(asked: FinetuneConfig['backend'], chosen: string): Promise<string> {
  if (asked === 'auto' || asked === chosen) return chosen;
  try {
    await (asked === 'cpu' ? import('@tensorflow/tfjs-backend-cpu') : import('@tensorflow/tfjs-backend-wasm'));
  } catch (e) {
    throw new BackendUnavailableError(
      `--backend ${asked}: the package @tensorflow/tfjs-backend-${asked} cannot be loaded (${e instanceof Error ? e.message : String(e)}). ` +
        `Install it (npm install @tensorflow/tfjs-backend-${asked}) or leave --backend out.`,
      { cause: e },
    );
  }
  if (!(await tf.setBackend(asked))) throw new BackendUnavailableError(`--backend ${asked}: tfjs could not start the ${asked} backend; leave --backend out.`);
  return asked;
}

/** Loads the images of one split (decoded, unreadable ones skipped or failed as --on-error says). */
async function loadSplit(dataset: ImageDataset, indices: number[], name: string, progress: Progress, log: (l: string) => void): Promise<Split> {
  const out: Split = { images: [], labels: [] };
  const chunk = 256;
  for (let at = 0; at < indices.length; at += chunk) {
    const loaded = await dataset.load(indices.slice(at, at + chunk));
    for (const s of loaded.skipped) log(`skipped ${s.id}: ${s.reason}`);
    loaded.images.forEach((image, k) => {
      const item = dataset.items[loaded.indices[k] as number];
      const label = item?.label;
      if (label === undefined) {
        log(`left out ${item?.id ?? '?'}: it has no label`);
        return;
      }
      out.images.push(image);
      out.labels.push(typeof label === 'number' ? label : [...label]);
    });
    progress.update(`load ${name} images`, Math.min(at + chunk, indices.length), indices.length);
  }
  return out;
}

/** The dataset's train / val / test rows (images without a split train). */
function splitIndices(dataset: ImageDataset): Record<'train' | 'val' | 'test', number[]> {
  const out: Record<'train' | 'val' | 'test', number[]> = { train: [], val: [], test: [] };
  dataset.items.forEach((item, i) => out[item.split ?? 'train'].push(i));
  return out;
}

function defaultMetric(task: ProbeTask): EvaluationMetric {
  return task === 'multiclass' ? 'accuracy' : 'auc';
}

/**
 * @internal Runs `dvme finetune`: open the dataset and the backbone as `dvme embed` does, fit a
 * FineTuner on the training images (validation: the val split, else a seeded fraction of the
 * training images), score it on the test split and write a results document that `dvme
 * report` draws (learning curve, ROC, confusion matrix): one source, one size `all`, one run.
 */
export async function finetuneCommand(config: FinetuneConfig, io: CliIo): Promise<ResultsDocument> {
  const started = performance.now();
  const log = (line: string) => io.stderr.write(`${line}\n`);
  const init = await io.initBackend();
  const backend = await useBackend(config.backend, init.backend);
  const backendName = backend === init.backend && init.package ? `${backend} (${init.package})` : backend;
  log(`tfjs backend: ${backendName}`);
  const dataset = await openDataset(config);
  const task = config.task ?? dataset.task;
  const metric = config.metric ?? defaultMetric(task);
  const rows = splitIndices(dataset);
  if (rows.test.length === 0) {
    throw new InvalidArgumentError(
      `--data ${JSON.stringify(config.data)} has no test images: give a split column / folder, or pass --test <fraction> (e.g. --test 0.2) for a seeded test split.`,
    );
  }
  log(`dataset: ${dataset.size} images, ${dataset.classes.length} classes (${task}); train ${rows.train.length}, val ${rows.val.length}, test ${rows.test.length}`);
  const progress = createProgress(io.stderr);
  const train = await loadSplit(dataset, rows.train, 'train', progress, log);
  const val = rows.val.length > 0 ? await loadSplit(dataset, rows.val, 'val', progress, log) : undefined;
  const test = await loadSplit(dataset, rows.test, 'test', progress, log);
  progress.finish();
  const loadMs = performance.now() - started;
  const backbone = await openBackbone(config, { trainable: true });
  const labels = (l: Split['labels']) => l as unknown as LabelsFor<ProbeTask>;
  let ft: FineTuner<ProbeTask> | undefined;
  try {
    const fitStart = performance.now();
    ft = new FineTuner<ProbeTask>({
      backbone,
      task,
      ...(task === 'multilabel' ? {} : { classes: dataset.classes.map((_, i) => i) }),
      trainable: config.trainable,
      weightDecay: config.weightDecay,
      labelSmoothing: config.labelSmoothing,
      seed: config.seed,
      ...(val ? {} : { validationSplit: config.validationSplit }),
      ...(config.minEpochs !== undefined ? { minEpochs: config.minEpochs, maxEpochs: config.maxEpochs } : {}),
      ...(config.learningRate !== undefined ? { learningRate: config.learningRate } : {}),
      ...(config.batchSize !== undefined ? { batchSize: config.batchSize } : {}),
    });
    const maxEpochs = ft.hyperparameters.paper.maxEpochs + ft.hyperparameters.linearProbeEpochs;
    const label = `finetune ${backbone.config.id}`;
    progress.update(label, 0, maxEpochs);
    try {
      await ft.fit(train.images, labels(train.labels), {
        ...(val ? { validation: { images: val.images, labels: labels(val.labels) } } : {}),
        onEpoch: (e) => {
          progress.update(label, e.epoch, maxEpochs);
          if (!io.stderr.isTTY) log(`epoch ${e.epoch}: train loss ${e.loss.toFixed(4)}, validation ${e.monitor} ${Number(e.value).toFixed(4)}${e.improved ? ' (best)' : ''}`);
        },
        ...(io.signal ? { signal: io.signal } : {}),
      });
    } catch (e) {
      if (BackendUnavailableError.is(e)) throw new BackendUnavailableError(`${e.message} From the command line: --backend cpu.`, { cause: e });
      throw e;
    }
    progress.finish();
    const fitMs = performance.now() - fitStart;
    const p = ft.provenance;
    if (p === undefined) throw new Error('dvme finetune: the fitted FineTuner has no provenance (a bug).');
    log(`trained ${p.epochs} epochs (kept epoch ${p.bestEpoch}) in ${(fitMs / 1000).toFixed(1)} s on ${backend}`);
    for (const w of p.warnings) log(`warning: ${w.message}`);
    const testLabels = labels(test.labels);
    const run: LinearEvaluationRun = {
      seed: config.seed,
      value: testScore(ft, metric, test.images, testLabels),
      trainSize: p.nTrain,
      validationSize: p.nValidation,
      wallMs: performance.now() - fitStart,
      ...(val ? { validationValue: testScore(ft, metric, val.images, labels(val.labels)) } : {}),
      ...labelAucs(ft, test.images, testLabels),
      details: runDetails(task, ft, test.images, false),
    };
    const name = `${backbone.config.id} (fine-tuned)`;
    const { paper, ...rest } = ft.hyperparameters;
    const evaluation: LinearEvaluationResult = {
      kind: 'dvme.linear-evaluation',
      version: 1,
      task,
      metric,
      solver: 'paper',
      repeats: 1,
      seed: config.seed,
      balanced: false,
      validation: p.validation,
      probeOptions: { ...rest, ...paper },
      sources: [name],
      sizes: [{ name: 'all', size: 'all' }],
      results: { [name]: { all: { mean: run.value, std: Number.NaN, runs: [run] } } },
      wallMs: run.wallMs,
    };
    const totalMs = performance.now() - started;
    const doc = createResultsDocument(
      evaluation,
      { labels: test.labels as number[] | number[][], classNames: [...dataset.classes] },
      {
        createdAt: new Date().toISOString(),
        dvmeVersion: DVME_VERSION,
        command: ['dvme', ...(io.argv ?? ['finetune'])].join(' '),
        backend: backendName,
        runtime: `node ${process.version} (${process.platform} ${process.arch})`,
        data: { name: config.data, path: config.data, rows: { train: train.images.length, ...(val ? { val: val.images.length } : {}), test: test.images.length } },
        sources: [{ name, kind: config.backbone !== undefined ? 'registry' : 'tfjs', model: config.backbone ?? config.model, dim: backbone.embeddingDim, fingerprint: await backbone.fingerprint() }],
        wallMs: { load: loadMs, finetune: fitMs, total: totalMs },
        notes: [`Fine-tuned end to end with FineTuner (trainable ${JSON.stringify(config.trainable)}); one run, no repeats.`],
      },
      { training: 'finetune' },
    );
    if (config.json) io.stdout.write(`${JSON.stringify(doc)}\n`);
    else io.stdout.write(`${name}: test ${metric} ${run.value.toFixed(4)} (${test.images.length} images)\n`);
    if (config.out !== undefined) {
      await mkdir(dirname(config.out), { recursive: true });
      await writeFile(config.out, `${JSON.stringify(doc)}\n`);
      log(`Wrote ${config.out} (dvme report ${config.out} -o report.html draws it)`);
    }
    return doc;
  } finally {
    ft?.dispose();
    backbone.dispose();
  }
}

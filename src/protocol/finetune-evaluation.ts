import * as tf from '@tensorflow/tfjs-core';
import type { EmbeddingMatrix } from '../data/embedding-matrix.js';
import { AbortError } from '../errors/index.js';
// Named in TSDoc links only.
import type { BackendUnavailableError, InvalidArgumentError, ShapeError } from '../errors/index.js';
import { throwIfAborted } from '../errors/throw-if-aborted.js';
import { FineTuner } from '../finetune/finetuner.js';
import type { FineTunerOptions } from '../finetune/options.js';
import type { ImageInput } from '../image/images.js';
import type { LabelsFor, ProbeTask } from '../training/labels.js';
import { takeLabels } from '../training/rows.js';
import { evaluationDraws, summariseRuns } from './draws.js';
import { resolveEvaluation, type LinearEvaluationOptions } from './evaluation-options.js';
import {
  resolveFinetuneEvaluation,
  type FinetuneEvaluationOptions,
  type LabelledImages,
  type ResolvedFinetuneEvaluation,
} from './finetune-evaluation-options.js';
import { takeImages } from './image-subset.js';
import {
  labelAucs,
  probeRun,
  stratumOfRows,
  testScore,
  type LinearEvaluationCell,
  type LinearEvaluationResult,
  type LinearEvaluationRun,
} from './linear-evaluation.js';
import { runDetails } from './run-details.js';
import { mean, sampleStd } from './summary.js';

/**
 * The per-repeat difference of two models trained on the same draws (same rows, same seed),
 * summarised: `values[i]` is repeat `i`'s difference, `mean` and `std` (sample, n - 1) are over
 * the repeats. Paired, so `std` is the spread of the difference itself, usually far below
 * either model's own.
 *
 * @remarks Since 0.1.0.
 * @example
 * ```ts
 * import type { PairedDifference } from 'dvme';
 * const d: PairedDifference = { mean: 0.04, std: 0.01, values: [0.03, 0.05, 0.04] };
 * ```
 */
export interface PairedDifference {
  readonly mean: number;
  readonly std: number;
  readonly values: readonly number[];
}

/**
 * One run of {@link runFinetuneEvaluation}: a {@link LinearEvaluationRun} (for the finetuned
 * model, `wallMs` is its fit plus test scoring) and the epochs it trained.
 *
 * @remarks Since 0.1.0.
 * @example
 * ```ts
 * import type { FinetuneEvaluationRun } from 'dvme';
 * const run: FinetuneEvaluationRun = { seed: 1234, value: 0.52, trainSize: 50, validationSize: 120, wallMs: 95_000, epochs: 30 };
 * ```
 */
export interface FinetuneEvaluationRun extends LinearEvaluationRun {
  /** Epochs the fine-tuner ran (its `history.length`); absent for probe runs. */
  readonly epochs?: number;
}

/**
 * What {@link runFinetuneEvaluation} returns: a {@link LinearEvaluationResult} whose sources
 * are the models, `'probe'` (the linear probe on the frozen backbone's embeddings) and
 * `'finetune'`, so {@link formatMarkdown}, {@link toCsv} and `createResultsDocument` read it as
 * they read a linear evaluation; plus the paired difference per size and what ran.
 *
 * @remarks Since 0.1.0. Plain data: `JSON.stringify` writes it (NaN becomes `null`).
 * @example
 * ```ts
 * import type { FinetuneEvaluationResult } from 'dvme';
 * declare const result: FinetuneEvaluationResult;
 * result.results['finetune']['S'].mean; // e.g. 0.41
 * result.differences['S'].mean; // finetune - probe, per repeat, averaged
 * ```
 */
export interface FinetuneEvaluationResult extends LinearEvaluationResult {
  /** Marks a finetuning evaluation (as a results document's `training`). */
  readonly training: 'finetune';
  /** The models, as table columns: `['probe', 'finetune']`, or `['finetune']` with `probe: false`. */
  readonly sources: readonly ('probe' | 'finetune')[];
  /** `results[model][sizeName]`; the runs of `'finetune'` carry `epochs`. */
  readonly results: Readonly<Record<string, Readonly<Record<string, Omit<LinearEvaluationCell, 'runs'> & { readonly runs: readonly FinetuneEvaluationRun[] }>>>>;
  /** The backbone's id. */
  readonly backbone: string;
  /** The tfjs backend the runs ran on. */
  readonly backend: string;
  /** The fine-tuner's settings (its `hyperparameters`, the paper's protocol flattened in), less the per-run seed. */
  readonly finetuneOptions: Readonly<Record<string, unknown>>;
  /** Per size: finetune − probe, paired by repeat; empty without the probe. */
  readonly differences: Readonly<Record<string, PairedDifference>>;
  /** Wall-clock time of the one embedding pass for the probe, in milliseconds (0 without it). */
  readonly embedMs: number;
}

const OWNER = 'runFinetuneEvaluation';

/** The fine-tuner's hyperparameters as plain data, for the result (not the per-run seed). */
function finetuneSettings(ft: FineTuner): Record<string, unknown> {
  // Not the task (the result's own), the per-run seed, or validationSplit (always 0: the protocol's validation rows serve).
  const { paper, seed: _seed, task: _task, validationSplit: _split, ...rest } = ft.hyperparameters;
  return Object.fromEntries(Object.entries({ ...rest, ...paper }).filter(([, v]) => v !== undefined));
}

/**
 * Runs the paper's two protocols side by side on the same draws: for every size, `repeats`
 * class-balanced draws from the training images (exactly the draws, seeds and validation rows
 * {@link runLinearEvaluation} takes with the same options); on each draw a {@link FineTuner}
 * finetunes a copy of the backbone, and (unless `probe: false`) a linear probe is fitted on the
 * frozen backbone's embeddings of the same rows; both are scored on the whole test set.
 *
 * @remarks
 * Since 0.1.0. The images are embedded once, before the first run (the probe's runs are then
 * those of `runLinearEvaluation` on these embeddings, one source named `'probe'`). Per draw the
 * probe runs first, then the fine-tuner, each seeded with the run's seed. The backbone is never
 * modified (each fine-tuner trains its own copy) and every run's tensors are disposed, even
 * when a run throws or is aborted. Finetuning is slow on CPU backends (minutes per epoch for a
 * MobileNetV2 at 64 px); shorten it with `finetune: { minEpochs, maxEpochs }`.
 *
 * @returns every run, mean ± sample std per model and size, the paired difference
 *   finetune − probe per size and the wall times; {@link formatMarkdown} prints it.
 * @throws {@link InvalidArgumentError} / {@link ShapeError} for options that do not fit together,
 *   a backbone that cannot train, and {@link BackendUnavailableError} for a backend without its
 *   gradient kernels (all checked before any work); {@link AbortError} when `signal` fires; and
 *   what {@link FineTuner.fit} or {@link Probe.fit} throws, such as a draw too small to hold
 *   every class.
 * @example
 * ```ts
 * import * as tfl from '@tensorflow/tfjs-layers';
 * import { Backbone, formatMarkdown, runFinetuneEvaluation } from 'dvme';
 * const net = tfl.sequential({ layers: [
 *   tfl.layers.conv2d({ inputShape: [8, 8, 3], filters: 4, kernelSize: 3 }),
 *   tfl.layers.globalAveragePooling2d({}),
 * ] });
 * const backbone = Backbone.fromModel(net, { inputSize: 8, mean: [0.5, 0.5, 0.5], std: [0.25, 0.25, 0.25] });
 * const set = (n: number) => ({
 *   images: { data: Uint8Array.from({ length: n * 192 }, (_, i) => (Math.floor(i / 192) % 2 ? 200 : 40) + (i % 17)), shape: [n, 8, 8, 3] },
 *   labels: Array.from({ length: n }, (_, i) => i % 2),
 * });
 * const result = await runFinetuneEvaluation({
 *   backbone, task: 'binary', metric: 'auc', train: set(24), test: set(10),
 *   sizes: { S: 8, F: 'all' }, repeats: 2, finetune: { minEpochs: 1, maxEpochs: 1 },
 * });
 * console.log(formatMarkdown(result)); // probe | finetune | finetune − probe, per size
 * backbone.dispose();
 * ```
 */
export async function runFinetuneEvaluation<T extends ProbeTask>(options: FinetuneEvaluationOptions<T>): Promise<FinetuneEvaluationResult> {
  const resolved = resolveFinetuneEvaluation(options);
  const { draws: r, probe } = resolved;
  const started = performance.now();
  const { backbone, signal } = options;
  const models: ('probe' | 'finetune')[] = probe ? ['probe', 'finetune'] : ['finetune'];
  const sizeNames = r.sizes.map((z) => z.name);
  const runs = new Map(models.map((m) => [m, new Map(sizeNames.map((z) => [z, [] as FinetuneEvaluationRun[]]))]));
  const total = models.length * sizeNames.length * r.repeats;
  let done = 0;
  const aborted = () => `${OWNER} was aborted after ${done} of ${total} runs.`;
  const embedStart = performance.now();
  const probeEvaluation = probe ? await embedForProbe(options, aborted) : undefined;
  const embedMs = probe ? performance.now() - embedStart : 0;
  const strata = stratumOfRows(options.task, options.train.labels);
  const validationStrata = options.validation && stratumOfRows(options.task, options.validation.labels);
  let settings: Record<string, unknown> = {};
  for (const { sizeName, repeat, seed, subset, validationRows } of evaluationDraws(r, strata, options.groups, validationStrata)) {
    const label = (m: string) => `${m} ${sizeName} ${repeat + 1}/${r.repeats}`;
    for (const model of models) {
      throwIfAborted(signal, aborted);
      let run: FinetuneEvaluationRun;
      try {
        run = model === 'probe'
          ? await probeRun(probeEvaluation as NonNullable<typeof probeEvaluation>, 'probe', seed, subset.train, subset.validation, validationRows)
          : await finetuneRun(options, resolved, { seed, train: subset.train, held: subset.validation, validationRows, label: label(model) }, (s) => (settings = s));
      } catch (e) {
        // A fit stopped by the signal rejects with the signal's reason; the protocol says AbortError.
        if (signal?.aborted && !AbortError.is(e)) throw new AbortError(aborted(), { cause: signal.reason });
        throw e;
      }
      runs.get(model)?.get(sizeName)?.push(run);
      done++;
      options.onProgress?.(done, total, label(model));
    }
  }
  const results = summariseRuns(models, sizeNames, runs);
  const differences: Record<string, PairedDifference> = {};
  if (probe) {
    for (const z of sizeNames) {
      const f = results.finetune[z].runs;
      const p = results.probe[z].runs;
      const values = f.map((run, i) => run.value - (p[i] as FinetuneEvaluationRun).value);
      differences[z] = { mean: mean(values), std: sampleStd(values), values };
    }
  }
  return {
    kind: 'dvme.linear-evaluation',
    version: 1,
    training: 'finetune',
    task: options.task,
    metric: options.metric,
    solver: r.solver,
    repeats: r.repeats,
    seed: r.seed,
    balanced: r.balanced,
    validation: options.validation ? (r.validationDraw ? 'drawn' : 'given') : r.validationFraction > 0 ? 'split' : 'none',
    probeOptions: { ...r.probeOptions },
    sources: models,
    sizes: r.sizes,
    results,
    backbone: backbone.config.id,
    backend: tf.getBackend(),
    finetuneOptions: settings,
    differences,
    embedMs,
    wallMs: performance.now() - started,
  };
}

/** Embeds every set once with the frozen backbone: the probe's side of the protocol, resolved as runLinearEvaluation resolves it. */
async function embedForProbe<T extends ProbeTask>(options: FinetuneEvaluationOptions<T>, aborted: () => string) {
  const embed = async (set: LabelledImages<T>): Promise<EmbeddingMatrix> => {
    try {
      return await options.backbone.embed(set.images, { ...options.embedOptions, as: 'array', ...(options.signal ? { signal: options.signal } : {}) });
    } catch (e) {
      if (options.signal?.aborted && !AbortError.is(e)) throw new AbortError(aborted(), { cause: options.signal.reason });
      throw e;
    }
  };
  const train = await embed(options.train);
  const test = await embed(options.test);
  const validation = options.validation && { sources: { probe: await embed(options.validation) }, labels: options.validation.labels };
  const { train: _t, test: _e, validation: _v, ...linear } = options;
  const probeOptions: LinearEvaluationOptions<T> = {
    ...linear,
    sources: { probe: train },
    labels: options.train.labels,
    test: { sources: { probe: test }, labels: options.test.labels },
    ...(validation ? { validation } : {}),
  };
  return resolveEvaluation(probeOptions);
}

/** Finetunes and scores one fine-tuner on one draw; every tensor it made is disposed whatever happens. */
async function finetuneRun<T extends ProbeTask>(
  options: FinetuneEvaluationOptions<T>,
  resolved: ResolvedFinetuneEvaluation<T>,
  draw: { seed: number; train: Int32Array; held: Int32Array; validationRows: Int32Array | undefined; label: string },
  onSettings: (s: Record<string, unknown>) => void,
): Promise<FinetuneEvaluationRun> {
  const { seed, train, held, validationRows, label } = draw;
  const t0 = performance.now();
  const owned: ImageInput[] = [];
  const take = (images: ImageInput, count: number, rows: Int32Array): ImageInput => {
    const t = takeImages(images, count, rows);
    if (t.owned) owned.push(t.images);
    return t.images;
  };
  const ft = new FineTuner<T>({ ...resolved.finetune, backbone: options.backbone, task: options.task, seed } as FineTunerOptions<T>);
  try {
    onSettings(finetuneSettings(ft));
    const x = take(options.train.images, resolved.counts.train, train);
    const y = takeLabels(options.train.labels, train);
    let validation: LabelledImages<T> | undefined;
    const v = options.validation;
    if (v) {
      validation = validationRows
        ? { images: take(v.images, resolved.counts.validation as number, validationRows), labels: takeLabels(v.labels, validationRows) }
        : v;
    } else if (held.length > 0) {
      validation = { images: take(options.train.images, resolved.counts.train, held), labels: takeLabels(options.train.labels, held) };
    }
    const onEpoch = options.onEpoch;
    await ft.fit(x, y, {
      ...(validation ? { validation } : {}),
      ...(onEpoch ? { onEpoch: (log) => onEpoch(log, label) } : {}),
      ...(options.signal ? { signal: options.signal } : {}),
    });
    const { metric, test } = options;
    const value = testScore(ft, metric, test.images, test.labels);
    const validationValue = validation ? { validationValue: testScore(ft, metric, validation.images, validation.labels as LabelsFor<T>) } : {};
    const perLabel = labelAucs(ft, test.images, test.labels);
    const wallMs = performance.now() - t0;
    const details = options.details ? { details: runDetails(options.task, ft, test.images, false) } : {};
    const validationSize = validation ? (validation.labels as ArrayLike<unknown>).length : 0;
    return { seed, value, trainSize: train.length, validationSize, wallMs, epochs: ft.history.length, ...validationValue, ...perLabel, ...details };
  } finally {
    ft.dispose();
    tf.dispose(owned as tf.Tensor[]);
  }
}

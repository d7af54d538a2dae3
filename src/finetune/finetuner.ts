import * as tf from '@tensorflow/tfjs-core';
import { BackendUnavailableError, InvalidArgumentError, ShapeError } from '../errors/index.js';
// Named in TSDoc links only.
import type { CheckpointFormatError, DisposedError, NonFiniteError, NotFittedError } from '../errors/index.js';
import { Backbone } from '../backbone/backbone.js';
import { readCheckpointSource } from '../backbone/checkpoint-source.js';
import type { CheckpointSource } from '../backbone/from-checkpoint.js';
import type { ImageInput } from '../image/images.js';
import { uniform } from '../random/shuffle.js';
import { Xoshiro128 } from '../random/xoshiro.js';
import { checkClassWeight, targetWeights } from '../training/class-weight.js';
import { Estimator, fitOrigin, type FitCallbacks } from '../training/estimator.js';
import { aucDefined } from '../training/evaluation.js';
import type { TrainingWarning } from '../training/fit-warnings.js';
import { checkAllPresent, checkLength, encodeTargets, learnClasses, type LabelsFor, type ProbeTask, type Targets } from '../training/labels.js';
import { outputCount } from '../training/logits.js';
import { splitTargets, takeTargets } from '../training/rows.js';
import { fitFinetune, initialHead, probabilitiesOf, type FinetunedModel } from './fit-finetune.js';
import { imageRows } from './image-rows.js';
import { resolveFineTunerOptions, type FineTunerHyperparameters, type FineTunerOptions } from './options.js';
import { readTorchFinetuned, torchSafetensorsOf } from './torch-save.js';
import { checkTrainingKernels, copyLayersModel, layersModelOf } from './trainable-copy.js';

/**
 * Where a fitted {@link FineTuner} came from.
 *
 * @remarks Since 0.1.0.
 * @example
 * ```ts
 * import type { FineTunerProvenance } from 'dvme';
 * const epochs = (p: FineTunerProvenance) => p.epochs;
 * ```
 */
export interface FineTunerProvenance {
  /** The backbone's id. */
  readonly backbone: string;
  /** Training images (after a validation split). */
  readonly nTrain: number;
  /** Validation images. */
  readonly nValidation: number;
  /** Where the validation images came from. */
  readonly validation: 'given' | 'split' | 'none';
  readonly seed: number;
  /** Epochs run, the linear-probe phase included. */
  readonly epochs: number;
  /** The epoch whose weights were kept (counted as in `history`). */
  readonly bestEpoch: number;
  /** The tfjs backend it trained on. */
  readonly backend: string;
  readonly dvmeVersion: string;
  /** What the fit noticed; see {@link TrainingWarning}. */
  readonly warnings: readonly TrainingWarning[];
  /**
   * For a fine-tuner read by {@link FineTuner.fromSafetensors}: the file's producer
   * (`__metadata__.producer`, such as `'dvme 0.1.0'`; `'unknown'` for a file PyTorch wrote).
   * The training counts are then 0 and `validation` is `'none'`.
   * @defaultValue absent after `fit`
   */
  readonly loadedFrom?: string;
}

/**
 * Options of {@link FineTuner.fit}: validation images and labels, callbacks and the abort signal.
 *
 * @remarks Since 0.1.0.
 * @example
 * ```ts
 * import type { FineTunerFitOptions } from 'dvme';
 * const o: FineTunerFitOptions<'binary'> = { signal: AbortSignal.timeout(600_000) };
 * ```
 */
export interface FineTunerFitOptions<T extends ProbeTask> extends FitCallbacks {
  /**
   * Images and labels monitored for the schedule, early stopping and the best weights.
   * @defaultValue none: see the `validationSplit` option (without either the training loss is monitored)
   */
  readonly validation?: { readonly images: ImageInput; readonly labels: LabelsFor<T> };
}

/**
 * A tfjs error about a kernel the backend lacks, as a typed error with the fix.
 */
function missingGradientKernel(owner: string, e: unknown): BackendUnavailableError | undefined {
  const m = /Kernel '(\w+)' not registered for backend '(\w+)'/.exec(e instanceof Error ? e.message : '');
  if (!m) return undefined;
  return new BackendUnavailableError(
    `${owner}: the tfjs backend '${m[2]}' has no '${m[1]}' kernel, which training this backbone needs ` +
      "Train on the cpu backend (package tfjs-backend-cpu, then " +
      "await tf.setBackend('cpu')), on webgl in a browser, or with tfjs-node; see docs/finetuning.md.",
    { cause: e },
  );
}

interface FineTunerState extends FinetunedModel {
  readonly classes: readonly number[] | undefined;
  readonly numLabels: number | undefined;
  readonly outputs: number;
  readonly provenance: FineTunerProvenance;
}

/**
 * End-to-end transfer learning: a backbone's layers and a linear head trained together on
 * images, with the paper's protocol by default (Adam, ReduceLROnPlateau, 30-50 epochs, early
 * stopping, best validation weights restored; DINO backbones at lr 1e-4, batch 16).
 *
 * @remarks Since 0.1.0. The estimator contract of {@link Probe} on images instead of
 * embeddings. The fine-tuner trains its own copy of the backbone's weights; the backbone is
 * never modified, and {@link FineTuner.toBackbone} gives the trained one. Training needs
 * gradient kernels: the tfjs cpu and webgl backends have them all; on tfjs-backend-wasm 4.22
 * dvme registers its own `Conv2DBackpropFilter` and depthwise gradient kernels when fit
 * starts, so ResNets, ViTs, MobileNets and EfficientNets train there (see docs/finetuning.md).
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs-core';
 * import * as tfl from '@tensorflow/tfjs-layers';
 * import { Backbone, FineTuner } from 'dvme';
 * const net = tfl.sequential({ layers: [
 *   tfl.layers.conv2d({ inputShape: [8, 8, 3], filters: 4, kernelSize: 3 }),
 *   tfl.layers.globalAveragePooling2d({}),
 * ] });
 * const backbone = Backbone.fromModel(net, { inputSize: 8, mean: [0.5, 0.5, 0.5], std: [0.25, 0.25, 0.25] });
 * const images = { data: new Uint8Array(4 * 8 * 8 * 3).map((_, i) => (i * 7) % 256), shape: [4, 8, 8, 3] };
 * const ft = await new FineTuner({ backbone, task: 'binary', minEpochs: 2, maxEpochs: 2 }).fit(images, [0, 1, 0, 1]);
 * ft.predictProba(images); // Float32Array(4)
 * const trained = await ft.toBackbone(); // embeds like any backbone
 * ft.dispose(); trained.dispose(); backbone.dispose();
 * ```
 */
export class FineTuner<T extends ProbeTask = ProbeTask> extends Estimator<T, ImageInput, FineTunerHyperparameters<T>, FineTunerProvenance, FineTunerState> {
  /** The pretrained backbone (never modified). */
  readonly backbone: Backbone;
  readonly #augment: FineTunerOptions<T>['augment'];
  /** The head the next fit starts from (tfjs layout), set by fromSafetensors; a fresh one otherwise. */
  #startHead: { readonly kernel: Float32Array; readonly bias: Float32Array } | undefined;

  /**
   * @param options - backbone, task and training options; see {@link FineTunerOptions}.
   * @throws {@link InvalidArgumentError} for an unknown or invalid option.
   */
  constructor(options: FineTunerOptions<T>) {
    super(resolveFineTunerOptions(options));
    this.backbone = options.backbone;
    this.#augment = options.augment;
  }

  /** @internal */
  protected get estimatorName(): string {
    return 'FineTuner';
  }

  /**
   * Trains a copy of the backbone and a linear head on images and labels.
   *
   * @param images - see {@link ImageInput}; mixed sizes are fine (each is preprocessed as the backbone embeds it).
   * @param labels - one label per image (rows of 0/1 indicators for multilabel).
   * @returns This fine-tuner, fitted.
   * @throws {@link ShapeError} when images and labels disagree in count; {@link NonFiniteError}
   *   for NaN / Infinity pixels or labels; {@link InvalidArgumentError} for labels outside the
   *   task, a backbone that cannot train (naming how to load one that can); {@link DisposedError}
   *   after `dispose`, or when the backbone is disposed during fit; the signal's reason when
   *   aborted. Nothing leaks, and the backbone is untouched, whenever it throws.
   */
  async fit(images: ImageInput, labels: LabelsFor<T>, options: FineTunerFitOptions<T> = {}): Promise<this> {
    this.assertNotDisposed();
    const owner = 'FineTuner.fit';
    const hp = this.hyperparameters;
    const source = layersModelOf(owner, this.backbone);
    checkTrainingKernels(owner, source);
    const spec = this.backbone.config;
    const rows = imageRows(owner, images, spec);
    const n = rows.count;
    const y = checkLength('labels', labels, undefined);
    if (y.length !== n) {
      throw new ShapeError(`${owner}: images and labels disagree: ${n} images, ${y.length} labels. Pass one label per image.`);
    }
    const classes = hp.task === 'multilabel' ? undefined : learnClasses(hp.task, labels, n, hp.classes);
    let targets = encodeTargets(hp.task, 'labels', labels, n, { classes });
    const numLabels = targets.kind === 'indicator' ? targets.numLabels : undefined;
    checkAllPresent(targets, classes);
    const rng = new Xoshiro128(hp.seed);
    let trainRows: Int32Array = Int32Array.from({ length: n }, (_, i) => i);
    let validation: { rows: Int32Array; targets: Targets; images: typeof rows } | undefined;
    let kind: FineTunerProvenance['validation'] = 'none';
    if (options.validation) {
      const v = imageRows(`${owner} (validation)`, options.validation.images, spec);
      const vt = encodeTargets(hp.task, 'validation.labels', options.validation.labels, v.count, { classes, numLabels });
      validation = { rows: Int32Array.from({ length: v.count }, (_, i) => i), targets: vt, images: v };
      kind = 'given';
    } else if (hp.validationSplit > 0) {
      const split = splitTargets(targets, n, hp.validationSplit, rng);
      validation = { rows: split.heldOut, targets: takeTargets(targets, split.heldOut), images: rows };
      trainRows = split.train;
      targets = takeTargets(targets, split.train);
      checkAllPresent(targets, classes);
      kind = 'split';
    }
    if (validation && hp.paper.monitor === 'auc' && !aucDefined(validation.targets)) {
      throw new InvalidArgumentError(`${owner}: the validation labels hold a single class, so the monitored AUC is undefined. Pass validation images of both classes, or monitor: 'loss'.`);
    }
    const labelSet = classes ?? [0, 1];
    const weights = targetWeights(checkClassWeight(hp.classWeight, labelSet), targets, labelSet);
    const outputs = outputCount(hp.task, { classes, numLabels });
    options.signal?.throwIfAborted();

    const model = await copyLayersModel(source, { batchNormMomentum: hp.batchNormMomentum });
    let head: FinetunedModel['head'] | undefined;
    try {
      const start = this.#startHead;
      const dim = this.backbone.embeddingDim;
      head =
        start?.bias.length === outputs
          ? tf.tidy(() => ({ kernel: tf.variable(tf.tensor2d(start.kernel, [dim, outputs]), true), bias: tf.variable(tf.tensor1d(start.bias), true) }))
          : initialHead(dim, outputs, rng);
      const trained: FinetunedModel = { model, head };
      // Augmentations draw from their own stream, so they leave the batch order as it is without them.
      const augmentRng = new Xoshiro128(rng.nextUint32());
      const augment = this.#augment;
      const { reports, history } = await fitFinetune({
        ...trained,
        hp,
        backbone: this.backbone,
        images: rows,
        train: { rows: trainRows, targets, weights },
        validation,
        outputs,
        rng,
        augment: augment && { transform: augment, random: () => uniform(augmentRng) },
        onEpoch: options.onEpoch,
        signal: options.signal,
      });
      const last = reports[reports.length - 1];
      this.assertNotDisposed();
      const sets = last?.validationProba ? [{ set: 'validation', proba: last.validationProba }] : [];
      const warnings = this.warningsOf({ classes, numLabels, outputs, model, head }, sets, last, 'Use more images, trainable: \'head\', or a lower learningRate.', options.onWarning);
      const offset = history.length - (last?.history.length ?? 0);
      const provenance: FineTunerProvenance = {
        backbone: this.backbone.config.id,
        nTrain: trainRows.length,
        nValidation: validation?.rows.length ?? 0,
        validation: kind,
        seed: hp.seed,
        epochs: history.length,
        bestEpoch: offset + (last?.bestEpoch ?? 0),
        ...fitOrigin(),
        warnings,
      };
      this.commit({ classes, numLabels, outputs, model, head, provenance }, history);
      return this;
    } catch (e) {
      model.dispose();
      if (head) tf.dispose([head.kernel, head.bias]);
      throw missingGradientKernel(owner, e) ?? e;
    }
  }

  /**
   * The trained backbone as a frozen {@link Backbone} (its own copy of the weights, the same
   * preprocessing, id `<id>+finetuned`): it embeds, probes and fuses like any other, and its
   * embedding-cache fingerprint differs from the pretrained one's.
   *
   * @throws {@link NotFittedError} before fit; {@link DisposedError} after dispose.
   */
  async toBackbone(): Promise<Backbone> {
    const f = this.state();
    const copy = await copyLayersModel(f.model);
    try {
      const { id, embeddingDim, ...spec } = this.backbone.config;
      return Backbone.fromModel(copy, { ...spec, id: `${id}+finetuned`, embeddingDim });
    } catch (e) {
      copy.dispose();
      throw e;
    }
  }

  /**
   * The fine-tuned backbone and its head as the bytes of a `.safetensors` file with
   * torchvision (ResNet: head as `fc.*`) or timm (ViT: `head.*`) key names and PyTorch layouts,
   * BatchNorm running statistics and `num_batches_tracked` included: PyTorch loads it strictly
   * into `torchvision.models.resnet50(num_classes=k)` or `timm.create_model(name, num_classes=k)`,
   * {@link Backbone.fromCheckpoint} reads it back (the head skipped), and
   * {@link FineTuner.fromSafetensors} the whole fine-tuner.
   *
   * @returns The file's bytes; its `__metadata__` holds `format: 'pt'`, `producer`, `task`,
   *   `backbone` and `classes` (JSON) or `numLabels`. The head has one output per class in
   *   `classes` order (softmax), one logit for binary (sigmoid: the positive class's), one per
   *   label for multilabel (sigmoid each).
   * @throws {@link NotFittedError} before fit; {@link DisposedError} after dispose;
   *   {@link InvalidArgumentError} for a backbone not built by `Backbone.fromCheckpoint` (a
   *   `fromTfjs` / `fromModel` one has no PyTorch names; naming what can be saved), or a ViT
   *   whose embedding is not the CLS token PyTorch's head takes (finetune with `embedding: 'cls'`).
   * @remarks Since 0.1.0. Leaves no tensor behind.
   * @example
   * ```ts
   * import { Backbone, FineTuner } from 'dvme/node';
   * import { writeFileSync } from 'node:fs';
   * const backbone = await Backbone.fromCheckpoint('resnet50', 'resnet50.pth', { engine: 'tfjs', foldBatchNorm: false });
   * const images = { data: new Uint8Array(4 * 224 * 224 * 3).map((_, i) => i % 251), shape: [4, 224, 224, 3] };
   * const ft = await new FineTuner({ backbone, task: 'binary', minEpochs: 1, maxEpochs: 1 }).fit(images, [0, 1, 0, 1]);
   * writeFileSync('finetuned.safetensors', ft.toSafetensors());
   * // Python: torchvision.models.resnet50(num_classes=1).load_state_dict(safetensors.torch.load_file('finetuned.safetensors'))
   * const again = await Backbone.fromCheckpoint('resnet50', 'finetuned.safetensors'); // the trained backbone
   * ```
   */
  toSafetensors(): Uint8Array {
    const f = this.state();
    return torchSafetensorsOf('FineTuner.toSafetensors', { ...f, backbone: this.backbone, task: this.task });
  }

  /**
   * A fitted fine-tuner from a `.safetensors` file of a fine-tuned ResNet or ViT: one that
   * {@link FineTuner.toSafetensors} wrote, or PyTorch's `safetensors.torch.save_file` of a
   * torchvision ResNet / timm ViT state dict with its classifier (`fc.*` / `head.*`). It
   * predicts, evaluates, saves and gives {@link FineTuner.toBackbone} as the fine-tuner that
   * wrote it did, and its `fit` resumes training from the file's backbone and head, on every
   * call (a fresh head when the labels need another number of outputs; Adam's moments start
   * afresh).
   *
   * @param source - the file: its bytes, a path (needs `dvme/node`) or a URL.
   * @param options - the {@link FineTunerOptions}; `backbone` must be read from this same
   *   file (`Backbone.fromCheckpoint(arch, file, { engine: 'tfjs', foldBatchNorm: false })`,
   *   with `embedding: 'cls'` for a ViT). `classes` default to the file's (dvme writes them),
   *   else `[0, 1]` (binary) or `0..k-1` (multiclass); multilabel reads one label per output.
   * @returns A fitted fine-tuner; its `provenance.loadedFrom` names the file's producer and
   *   its `history` is empty.
   * @throws {@link InvalidArgumentError} when the backbone holds other weights than the file,
   *   was not built by `Backbone.fromCheckpoint`, or embeds to another size than the head
   *   takes, or when the task or classes disagree with the head (the message says what to
   *   pass); {@link CheckpointFormatError} for a file that is not such a state dict or has no
   *   classifier. Nothing leaks when it throws.
   * @remarks Since 0.1.0.
   * @example
   * ```ts
   * import { Backbone, FineTuner } from 'dvme/node';
   * const file = 'finetuned.safetensors'; // written by ft.toSafetensors()
   * const backbone = await Backbone.fromCheckpoint('resnet50', file, { engine: 'tfjs', foldBatchNorm: false });
   * const ft = await FineTuner.fromSafetensors(file, { backbone, task: 'multiclass' });
   * const images = { data: new Uint8Array(2 * 224 * 224 * 3), shape: [2, 224, 224, 3] };
   * ft.predict(images); // the saved model's classes
   * ft.dispose(); backbone.dispose();
   * ```
   */
  static async fromSafetensors<T extends ProbeTask = ProbeTask>(source: CheckpointSource, options: FineTunerOptions<T>): Promise<FineTuner<T>> {
    const owner = 'FineTuner.fromSafetensors';
    const ft = new FineTuner<T>(options);
    const hp = ft.hyperparameters;
    const original = layersModelOf(owner, ft.backbone);
    const { bytes } = await readCheckpointSource(owner, source, {});
    const model = await copyLayersModel(original, { batchNormMomentum: hp.batchNormMomentum });
    try {
      const file = readTorchFinetuned(owner, bytes, { backbone: ft.backbone, model, source: original, task: hp.task, classes: hp.classes });
      const { kernel, bias, outputs, classes, numLabels } = file;
      ft.#startHead = { kernel, bias };
      const head = tf.tidy(() => ({ kernel: tf.variable(tf.tensor2d(kernel, [kernel.length / outputs, outputs]), true), bias: tf.variable(tf.tensor1d(bias), true) }));
      const provenance: FineTunerProvenance = {
        backbone: ft.backbone.config.id,
        nTrain: 0,
        nValidation: 0,
        validation: 'none',
        seed: hp.seed,
        epochs: 0,
        bestEpoch: 0,
        ...fitOrigin(),
        warnings: [],
        loadedFrom: file.producer,
      };
      ft.commit({ classes, numLabels, outputs, model, head, provenance }, []);
      return ft;
    } catch (e) {
      model.dispose();
      throw e;
    }
  }

  /** @internal */
  protected probabilities(state: FineTunerState, x: ImageInput): Float32Array {
    const rows = imageRows(`FineTuner(${this.backbone.config.id}).predictProba`, x, this.backbone.config);
    const idx = Int32Array.from({ length: rows.count }, (_, i) => i);
    const p = probabilitiesOf(state, this.task, rows, idx, this.hyperparameters.paper.batchSize);
    try {
      return p.dataSync() as Float32Array;
    } finally {
      p.dispose();
    }
  }

  /** @internal */
  protected release(state: FineTunerState): void {
    state.model.dispose();
    tf.dispose([state.head.kernel, state.head.bias]);
  }
}

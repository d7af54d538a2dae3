import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { CheckpointFormatError, InvalidArgumentError } from '../errors/index.js';
import type { Backbone } from '../backbone/backbone.js';
import { torchKeyedWeights } from '../backbone/arch/load-weights.js';
import { loadTorchSafetensors, saveTorchStateDict, torchExportState, torchHeadPrefix } from '../backbone/arch/torch-export.js';

/** @internal What {@link torchSafetensorsOf} needs of a fitted fine-tuner. */
export interface TorchSaveInput {
  readonly backbone: Backbone;
  readonly model: tfl.LayersModel;
  readonly head: { readonly kernel: tf.Tensor; readonly bias: tf.Tensor };
  readonly task: string;
  readonly classes: readonly number[] | undefined;
  readonly numLabels: number | undefined;
}

/**
 * @internal The fine-tuned backbone and head as a `.safetensors` state dict with torchvision
 * (ResNet: `fc.*`) or timm (ViT: `head.*`) key names, or a typed error naming what can be saved:
 * only ResNets / ViTs built by `Backbone.fromCheckpoint` have PyTorch names, and the head must
 * take the features PyTorch's classifier takes (a ViT's `embedding: 'cls'`, a ResNet's pooled
 * features).
 */
export function torchSafetensorsOf(owner: string, f: TorchSaveInput): Uint8Array {
  const id = f.backbone.config.id;
  if (f.backbone.loadReport === undefined) {
    throw new InvalidArgumentError(
      `${owner}: the backbone '${id}' was not built by Backbone.fromCheckpoint, so its layers have no torchvision / timm names to save under. ` +
        "Only ResNets and ViTs loaded with Backbone.fromCheckpoint(arch, source, { engine: 'tfjs', foldBatchNorm: false }) can be saved for PyTorch; " +
        'for any other backbone keep the trained one in tfjs with toBackbone().',
    );
  }
  const prefix = torchHeadPrefix(f.model);
  const state = torchExportState(f.model);
  const dim = f.head.kernel.shape[0];
  const features = prefix === 'head' ? state.get('cls_token')?.shape[2] : [...state].filter(([k]) => k.endsWith('.running_var')).pop()?.[1].shape[0];
  if (features !== dim) {
    throw new InvalidArgumentError(
      `${owner}: the head takes the ${dim}-d embedding of '${id}', but PyTorch's ${prefix === 'head' ? 'timm ViT head' : 'torchvision fc'} takes ` +
        `${String(features)} features, so the file would not load into the PyTorch model. ` +
        (prefix === 'head' ? "Finetune a ViT loaded with { embedding: 'cls' } to save it for PyTorch." : 'Finetune a ResNet with its pooled (avgpool) embedding.'),
    );
  }
  const metadata: Record<string, string> = { task: f.task, backbone: id };
  if (f.classes !== undefined) metadata.classes = JSON.stringify(f.classes);
  if (f.numLabels !== undefined) metadata.numLabels = String(f.numLabels);
  return saveTorchStateDict(f.model, { head: f.head, metadata });
}

/** @internal What {@link readTorchFinetuned} found in a file, checked against the options. */
export interface TorchFinetunedFile {
  /** `[dim, outputs]` (tfjs layout) and `[outputs]`. */
  readonly kernel: Float32Array;
  readonly bias: Float32Array;
  readonly outputs: number;
  readonly classes: readonly number[] | undefined;
  readonly numLabels: number | undefined;
  /** The file's `__metadata__.producer`, `'unknown'` when absent. */
  readonly producer: string;
}

function parseClasses(owner: string, text: string | undefined): number[] | undefined {
  if (text === undefined) return undefined;
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    v = undefined;
  }
  if (!Array.isArray(v) || !v.every((c) => typeof c === 'number')) {
    throw new CheckpointFormatError(`${owner}: the file's __metadata__.classes must be a JSON array of numbers; received ${text}. Save the file with FineTuner.toSafetensors.`);
  }
  return v as number[];
}

/**
 * @internal Loads a `.safetensors` file of a fine-tuned ResNet / ViT (FineTuner.toSafetensors', or
 * PyTorch's `save_file` of a torchvision / timm model) into `model`, a copy of `backbone`'s
 * LayersModel, strictly; checks that the backbone holds the file's weights (so that `fit`
 * resumes from them) and that the head fits the task and the embedding. Typed errors say what
 * to pass instead.
 */
export function readTorchFinetuned(
  owner: string,
  bytes: Uint8Array,
  f: { readonly backbone: Backbone; readonly model: tfl.LayersModel; readonly source: tfl.LayersModel; readonly task: string; readonly classes: readonly number[] | undefined },
): TorchFinetunedFile {
  const id = f.backbone.config.id;
  if (f.backbone.loadReport === undefined) {
    throw new InvalidArgumentError(
      `${owner}: the backbone '${id}' was not built by Backbone.fromCheckpoint, so its layers have no torchvision / timm names to read the file into. ` +
        "Pass the backbone read from this same file: Backbone.fromCheckpoint(arch, file, { engine: 'tfjs', foldBatchNorm: false }).",
    );
  }
  const loaded = loadTorchSafetensors(f.model, bytes);
  const prefix = torchHeadPrefix(f.model);
  const sourceWeights = torchKeyedWeights(f.source);
  const differs = torchKeyedWeights(f.model).find((w, i) => tf.tidy(() => tf.any(tf.notEqual(w.variable.read(), sourceWeights[i].variable.read())).dataSync()[0] === 1));
  if (differs !== undefined) {
    throw new InvalidArgumentError(
      `${owner}: the backbone '${id}' holds other weights than the file (first: '${differs.key}'), so fit would not resume from the file. ` +
        "Pass the backbone read from this same file: Backbone.fromCheckpoint(arch, file, { engine: 'tfjs', foldBatchNorm: false })" +
        (prefix === 'head' ? ", with embedding: 'cls' for a ViT." : '.'),
    );
  }
  const { head, metadata } = loaded;
  if (head === undefined) {
    throw new CheckpointFormatError(
      `${owner}: the file has no '${prefix}.weight' and '${prefix}.bias' classifier: it is a backbone alone. ` +
        'Load it with Backbone.fromCheckpoint and fit a new FineTuner on it.',
    );
  }
  const [dim, outputs] = head.kernel.shape;
  if (dim !== f.backbone.embeddingDim) {
    throw new InvalidArgumentError(
      `${owner}: the file's head takes ${dim} features, but the backbone '${id}' embeds to ${f.backbone.embeddingDim}. ` +
        (prefix === 'head' ? "Load the ViT with { embedding: 'cls' } (timm's head takes the final CLS token)." : "Load the ResNet with its pooled (avgpool) embedding."),
    );
  }
  if (metadata.task !== undefined && metadata.task !== f.task) {
    throw new InvalidArgumentError(`${owner}: the file was saved by a '${metadata.task}' FineTuner, but task is '${f.task}'. Pass task: '${metadata.task}'.`);
  }
  let classes: readonly number[] | undefined;
  let numLabels: number | undefined;
  const expect = (wanted: number, what: string, fix: string) => {
    if (outputs !== wanted) throw new InvalidArgumentError(`${owner}: the file's head has ${outputs} outputs; a ${f.task} head over ${what} has ${wanted}. ${fix}`);
  };
  if (f.task === 'multilabel') {
    numLabels = outputs;
    if (metadata.numLabels !== undefined) expect(Number(metadata.numLabels), `${metadata.numLabels} labels (the file's numLabels)`, 'Save the file again with FineTuner.toSafetensors.');
  } else {
    const fallback = f.task === 'binary' ? [0, 1] : Array.from({ length: outputs }, (_, i) => i);
    classes = f.classes ?? parseClasses(owner, metadata.classes) ?? fallback;
    const want = f.task === 'binary' ? 1 : classes.length;
    expect(want, `classes [${classes.join(', ')}]`, f.task === 'binary' && outputs === 2 ? "A two-output softmax head is task 'multiclass' with classes [0, 1]." : 'Pass the classes the head was trained on (the classes option), in its output order.');
  }
  return { kernel: head.kernel.data, bias: head.bias.data, outputs, classes, numLabels, producer: metadata.producer ?? 'unknown' };
}

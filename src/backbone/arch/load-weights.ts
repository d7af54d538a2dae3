import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { CheckpointFormatError, InvalidArgumentError } from '../../errors/index.js';
import { hwioToOihw, oihwToHwio, transpose2d } from './torch-weights.js';

/**
 * One tensor of a PyTorch state dict, as a checkpoint reader hands it over: row-major float32
 * data in PyTorch's own layout (OIHW convolutions, `(out, in)` linears).
 *
 * @remarks Since 0.1.0.
 * @internal
 */
export interface TorchTensor {
  /** PyTorch shape. */
  readonly shape: readonly number[];
  /** Row-major values; `data.length` must be the product of `shape`. */
  readonly data: Float32Array;
}

/**
 * Options of {@link loadTorchStateDict}.
 *
 * @remarks Since 0.1.0.
 * @internal
 */
export interface LoadTorchStateDictOptions {
  /**
   * Throw a {@link CheckpointFormatError} naming every missing and unexpected key, as
   * PyTorch's `load_state_dict(strict=True)`; when false, load what matches and report the rest.
   *
   * @defaultValue `true`
   */
  readonly strict?: boolean;
  /**
   * Keys that are neither loaded nor reported as unexpected.
   *
   * @defaultValue {@link DEFAULT_IGNORED_TORCH_KEYS}
   */
  readonly ignore?: readonly RegExp[];
}

/**
 * What {@link loadTorchStateDict} could not match: model weights the state dict lacks, and
 * state-dict keys the model has no weight for (ignored keys excluded).
 *
 * @remarks Since 0.1.0.
 * @internal
 */
export interface LoadTorchStateDictResult {
  /** Keys of model weights that the state dict lacks; those weights keep their values. */
  readonly missing: string[];
  /** State-dict keys that match no model weight and no `ignore` pattern. */
  readonly unexpected: string[];
}

/**
 * Keys skipped by default: BatchNorm's `num_batches_tracked` counter (a buffer with no tfjs
 * counterpart) and the classifier heads `fc.*` (torchvision) and `head.*` (timm / DINO), which
 * the embedding models do not build.
 *
 * @remarks Since 0.1.0.
 * @internal
 */
export const DEFAULT_IGNORED_TORCH_KEYS: readonly RegExp[] = Object.freeze([
  /(^|\.)num_batches_tracked$/,
  /^fc\./,
  /^head\./,
]);

/** How a PyTorch tensor is laid out relative to the tfjs weight it fills. */
type Layout = 'same' | 'conv' | 'linear';

interface Slot {
  readonly key: string;
  readonly variable: tfl.LayerVariable;
  readonly layout: Layout;
}

// tfjs weight name (last path segment) -> PyTorch parameter or buffer name.
const TORCH_SUFFIX: Readonly<Record<string, string>> = {
  kernel: 'weight',
  bias: 'bias',
  gamma: 'weight',
  beta: 'bias',
  moving_mean: 'running_mean',
  moving_variance: 'running_var',
};

function slotsOf(layer: tfl.layers.Layer): Slot[] {
  const custom = (layer as { torchStateKeys?: () => string[] }).torchStateKeys;
  if (typeof custom === 'function') {
    const keys = custom.call(layer);
    return layer.weights.map((variable, i) => ({ key: keys[i], variable, layout: 'same' }));
  }
  return layer.weights.map((variable) => {
    const base = variable.originalName.slice(variable.originalName.lastIndexOf('/') + 1);
    const suffix = TORCH_SUFFIX[base];
    const rank = variable.shape.length;
    if (suffix === undefined || (base === 'kernel' && rank !== 4 && rank !== 2)) {
      throw new InvalidArgumentError(
        `loadTorchStateDict: no PyTorch counterpart for weight '${variable.originalName}' ` +
          `(shape [${variable.shape.join(', ')}]) of ${layer.getClassName()} layer ` +
          `'${layer.name}'.`,
      );
    }
    const layout: Layout = base !== 'kernel' ? 'same' : rank === 4 ? 'conv' : 'linear';
    return { key: `${layer.name}.${suffix}`, variable, layout };
  });
}

function modelSlots(model: tfl.LayersModel): Slot[] {
  const slots = model.layers.flatMap(slotsOf);
  const seen = new Set<string>();
  for (const s of slots) {
    if (seen.has(s.key)) {
      throw new InvalidArgumentError(
        `loadTorchStateDict: two weights of model '${model.name}' map to the PyTorch key ` +
          `'${s.key}'.`,
      );
    }
    seen.add(s.key);
  }
  return slots;
}

/** PyTorch shape of a tfjs weight: HWIO -> OIHW, (in, out) -> (out, in). */
function torchShape(slot: Slot): number[] {
  const s = slot.variable.shape as number[];
  if (slot.layout === 'conv') return [s[3], s[2], s[0], s[1]];
  if (slot.layout === 'linear') return [s[1], s[0]];
  return [...s];
}

function toTfLayout(data: Float32Array, slot: Slot): Float32Array {
  // A copy even when no transpose is needed: tfjs' CPU backend would otherwise keep the
  // caller's array (often a view into a whole checkpoint file) as the weight's storage.
  if (slot.layout === 'same') return data.slice();
  const s = slot.variable.shape as number[];
  if (slot.layout === 'linear') return transpose2d(data, s[1], s[0]);
  const [kh, kw, inC, outC] = s;
  return oihwToHwio(data, [outC, inC, kh, kw]);
}

/** The inverse of {@link toTfLayout}: a tfjs weight's values in PyTorch's layout. */
function toTorchLayout(data: Float32Array, slot: Slot): Float32Array {
  const s = slot.variable.shape as number[];
  if (slot.layout === 'same') return data.slice();
  if (slot.layout === 'linear') return transpose2d(data, s[0], s[1]);
  const [kh, kw, inC, outC] = s;
  return hwioToOihw(data, [kh, kw, inC, outC]);
}

/**
 * @internal Every weight of the model with its PyTorch key, and a function that puts values of
 * the weight's shape (the weight itself, or its gradient) in PyTorch's layout.
 */
export function torchKeyedWeights(model: tfl.LayersModel): Array<{ key: string; variable: tfl.LayerVariable; toTorch(data: Float32Array): Float32Array }> {
  return modelSlots(model).map((slot) => ({ key: slot.key, variable: slot.variable, toTorch: (data: Float32Array) => toTorchLayout(data, slot) }));
}

/**
 * @internal The model's weights as a PyTorch state dict (keys and layouts as
 * {@link loadTorchStateDict} reads them): what a model holds after a partial load, initial
 * values included.
 */
export function torchStateDictOf(model: tfl.LayersModel): Map<string, TorchTensor> {
  return new Map(
    modelSlots(model).map((slot) => {
      const data = slot.variable.read().dataSync() as Float32Array;
      return [slot.key, { shape: torchShape(slot), data: toTorchLayout(data, slot) }] as const;
    }),
  );
}

function listKeys(keys: readonly string[]): string {
  const shown = keys.slice(0, 20).map((k) => `'${k}'`).join(', ');
  return keys.length > 20 ? `${shown} and ${keys.length - 20} more` : shown;
}

/**
 * One entry of the state dict a model expects: a PyTorch key and its PyTorch shape.
 *
 * @remarks Since 0.1.0.
 * @internal
 */
export interface TorchStateDictEntry {
  /** PyTorch state-dict key, e.g. `layer1.0.conv2.weight`. */
  readonly key: string;
  /** PyTorch shape (OIHW for convolutions, `(out, in)` for linears). */
  readonly shape: number[];
}

/**
 * The PyTorch state dict a model built by {@link buildResNet} or {@link buildVisionTransformer}
 * loads: keys and PyTorch shapes, in model order (buffers such as `num_batches_tracked` and the
 * classifier head excluded). Useful to check a checkpoint before loading it.
 *
 * @remarks Since 0.1.0.
 * @internal
 */
export function torchStateDictSpec(model: tfl.LayersModel): TorchStateDictEntry[] {
  return modelSlots(model).map((s) => ({ key: s.key, shape: torchShape(s) }));
}

/**
 * @internal What of `stateDict` does not fit the weights of `spec` (keys it lacks are not
 * misfits): one line per tensor of the wrong shape or length.
 */
export function stateDictMisfits(spec: readonly TorchStateDictEntry[], stateDict: ReadonlyMap<string, TorchTensor>): string[] {
  const misfits: string[] = [];
  for (const { key, shape: want } of spec) {
    const t = stateDict.get(key);
    if (t === undefined) continue;
    const size = t.shape.reduce((a, b) => a * b, 1);
    if (t.shape.length !== want.length || t.shape.some((d, i) => d !== want[i])) {
      misfits.push(`'${key}': expected [${want.join(', ')}], received [${t.shape.join(', ')}]`);
    } else if (!(t.data instanceof Float32Array) || t.data.length !== size) {
      const got = t.data instanceof Float32Array ? `${t.data.length}` : 'no Float32Array of';
      misfits.push(`'${key}': shape [${t.shape.join(', ')}] needs ${size} float32 values, received ${got} values`);
    }
  }
  return misfits;
}

/** @internal The error for {@link stateDictMisfits}' findings against model `name`. */
export function misfitError(name: string, misfits: readonly string[]): CheckpointFormatError {
  return new CheckpointFormatError(
    `State dict does not fit model '${name}': ${misfits.join('; ')}. Check that the ` +
      `checkpoint is for this architecture and config (width, patch size, image size).`,
  );
}

/**
 * Copy a PyTorch-named state dict (torchvision ResNet or timm / DINO ViT names) into a model
 * built by {@link buildResNet} or {@link buildVisionTransformer}, transposing convolutions
 * (OIHW -> HWIO) and linears (`(out, in)` -> `(in, out)`).
 *
 * All keys and shapes are checked before any weight is written, so a throw leaves the model as
 * it was; no tensor outlives the call.
 *
 * @param model - the model to fill; its layer names are the PyTorch module names.
 * @param stateDict - key -> tensor, with any wrapper prefix (`module.`, VISSL's trunk path)
 *   already removed.
 * @param options - see {@link LoadTorchStateDictOptions}.
 * @returns the missing and unexpected keys (both empty after a strict load).
 * @throws {@link CheckpointFormatError} when a tensor's shape or length does not fit its weight
 *   (always), or when keys are missing or unexpected (under `strict`).
 *
 * @remarks Since 0.1.0.
 * @internal
 */
export function loadTorchStateDict(
  model: tfl.LayersModel,
  stateDict: ReadonlyMap<string, TorchTensor>,
  options: LoadTorchStateDictOptions = {},
): LoadTorchStateDictResult {
  const { strict = true, ignore = DEFAULT_IGNORED_TORCH_KEYS } = options;
  const slots = modelSlots(model);
  const expected = new Set(slots.map((s) => s.key));
  const missing = slots.filter((s) => !stateDict.has(s.key)).map((s) => s.key);
  const unexpected = [...stateDict.keys()].filter(
    (k) => !expected.has(k) && !ignore.some((re) => re.test(k)),
  );

  const misfits = stateDictMisfits(slots.map((slot) => ({ key: slot.key, shape: torchShape(slot) })), stateDict);
  if (misfits.length > 0) throw misfitError(model.name, misfits);
  if (strict && (missing.length > 0 || unexpected.length > 0)) {
    const parts = [];
    if (missing.length > 0) parts.push(`missing keys ${listKeys(missing)}`);
    if (unexpected.length > 0) parts.push(`unexpected keys ${listKeys(unexpected)}`);
    throw new CheckpointFormatError(
      `State dict does not match model '${model.name}': ${parts.join('; ')}. Strip wrapper ` +
        `prefixes such as 'module.', or pass { strict: false } to load the keys that match.`,
    );
  }

  for (const slot of slots) {
    const t = stateDict.get(slot.key);
    if (t === undefined) continue;
    const value = tf.tensor(toTfLayout(t.data, slot), slot.variable.shape as number[], 'float32');
    try {
      slot.variable.write(value);
    } finally {
      value.dispose();
    }
  }
  return { missing, unexpected };
}

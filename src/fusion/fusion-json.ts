import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { CheckpointFormatError } from '../errors/index.js';
import { failJSON } from '../training/estimator-json.js';

/** @internal The format version `toJSON` writes; `fromJSON` reads this one. */
export const FUSION_JSON_VERSION = 1;

/**
 * The weights of a fusion model as JSON: names (tfjs-layers weight names such as
 * `proj_0/kernel`, kernels in tfjs' `[in, out]` layout), shapes, and all values as one
 * little-endian float32 buffer in base64 (a third of the size of decimal numbers, and exact).
 *
 * @remarks Since 0.1.0.
 * @example
 * ```ts
 * import type { FusionWeightsJSON } from 'dvme';
 * const count = (w: FusionWeightsJSON): number => w.specs.length;
 * ```
 */
export interface FusionWeightsJSON {
  /** One entry per weight, in the model's weight order. */
  readonly specs: readonly { readonly name: string; readonly shape: readonly number[] }[];
  /** `'float32-le-base64'`: the only encoding. */
  readonly encoding: 'float32-le-base64';
  /** The concatenated values. */
  readonly data: string;
}

/**
 * A fitted fusion estimator as plain JSON data, under a kind and version tag.
 *
 * @remarks Since 0.1.0.
 * @example
 * ```ts
 * import { DynamicVisualMetaEmbedding, type FusionJSON } from 'dvme';
 * const restore = (text: string) => DynamicVisualMetaEmbedding.fromJSON(JSON.parse(text) as FusionJSON);
 * ```
 */
export interface FusionJSON {
  /** `'dvme.DynamicVisualMetaEmbedding'`, `'dvme.DynamicMetaEmbedding'` or `'dvme.ConcatProbe'`. */
  readonly kind: string;
  readonly version: typeof FUSION_JSON_VERSION;
  /** The constructor options, every default filled in. */
  readonly hyperparameters: Readonly<Record<string, unknown>>;
  /** Class index -> label (binary: `[negative, positive]`); `null` for multilabel. */
  readonly classes: number[] | null;
  /** Number of labels of a multilabel estimator; `null` otherwise. */
  readonly numLabels: number | null;
  readonly weights: FusionWeightsJSON;
  /** Ordinal cut points of an `ordinal` estimator, else `null` (absent in JSON written before they existed). */
  readonly thresholds?: number[] | null;
  /** How the estimator was fitted (epochs, best epoch, rows, backend, ...). */
  readonly provenance: Readonly<Record<string, unknown>>;
}

function toBase64(bytes: Uint8Array): string {
  let s = '';
  // Blocks keep String.fromCharCode's argument list short of the engine's limit.
  for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(s);
}

function fromBase64(kind: string, text: string): Uint8Array {
  let s: string;
  try {
    s = atob(text);
  } catch (e) {
    throw new CheckpointFormatError(`Not a valid ${kind} JSON: weights.data is not base64.`, { cause: e });
  }
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
}

/** True on little-endian hosts (all current ones); the format is little-endian. */
const LITTLE_ENDIAN = new Uint8Array(Uint16Array.of(1).buffer)[0] === 1;

/** The bytes of float32 values in little-endian order, whatever the host's order. */
function littleEndianBytes(values: Float32Array): Uint8Array {
  if (LITTLE_ENDIAN) return new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
  const view = new DataView(new ArrayBuffer(values.byteLength));
  values.forEach((v, i) => view.setFloat32(4 * i, v, true));
  return new Uint8Array(view.buffer);
}

/** float32 values of little-endian bytes, whatever the host's order. */
function fromLittleEndian(bytes: Uint8Array): Float32Array {
  if (LITTLE_ENDIAN) return new Float32Array(bytes.buffer, bytes.byteOffset, bytes.length / 4);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
  return Float32Array.from({ length: bytes.length / 4 }, (_, i) => view.getFloat32(4 * i, true));
}

/** @internal The model's weights as {@link FusionWeightsJSON}. */
export function weightsToJSON(model: tfl.LayersModel): FusionWeightsJSON {
  const values = model.weights.map((w) => w.read().dataSync() as Float32Array);
  const total = values.reduce((a, v) => a + v.length, 0);
  const all = new Float32Array(total);
  let offset = 0;
  for (const v of values) {
    all.set(v, offset);
    offset += v.length;
  }
  return {
    specs: model.weights.map((w) => ({ name: w.originalName, shape: [...w.shape] as number[] })),
    encoding: 'float32-le-base64',
    data: toBase64(littleEndianBytes(all)),
  };
}

/** @internal Writes {@link FusionWeightsJSON} into a model built with the same architecture. */
export function weightsFromJSON(kind: string, model: tfl.LayersModel, w: unknown): void {
  const j = w as Partial<FusionWeightsJSON> | null;
  if (typeof j !== 'object' || j === null || !Array.isArray(j.specs) || typeof j.data !== 'string') {
    failJSON(kind, 'weights must be { specs, encoding, data }');
  }
  if (j.encoding !== 'float32-le-base64') failJSON(kind, `weights.encoding ${JSON.stringify(j.encoding)} is not 'float32-le-base64'`);
  const bytes = fromBase64(kind, j.data);
  if (bytes.length % 4 !== 0) failJSON(kind, 'weights.data is not a whole number of float32 values');
  const all = fromLittleEndian(bytes);
  const byName = new Map(model.weights.map((v) => [v.originalName, v]));
  if (j.specs.length !== byName.size) {
    failJSON(kind, `weights lists ${j.specs.length} tensors; the architecture has ${byName.size}`);
  }
  let offset = 0;
  const values: { v: tfl.LayerVariable; t: Float32Array }[] = [];
  for (const spec of j.specs) {
    const v = byName.get(spec?.name);
    const size = v ? v.shape.reduce((a, b) => (a as number) * (b as number), 1) as number : 0;
    if (!v || !Array.isArray(spec.shape) || spec.shape.join(',') !== v.shape.join(',')) {
      failJSON(kind, `weight ${JSON.stringify(spec?.name)} with shape [${String(spec?.shape)}] does not fit the architecture`);
    }
    if (offset + size > all.length) failJSON(kind, 'weights.data is shorter than the shapes need');
    values.push({ v, t: all.subarray(offset, offset + size) });
    offset += size;
  }
  if (offset !== all.length) failJSON(kind, 'weights.data is longer than the shapes need');
  for (const { v, t } of values) {
    if (!t.every(Number.isFinite)) failJSON(kind, `weight ${v.originalName} holds non-finite values`);
  }
  for (const { v, t } of values) {
    tf.tidy(() => {
      v.write(tf.tensor(t, v.shape as number[], 'float32'));
    });
  }
}

import * as tf from '@tensorflow/tfjs-core';
import { NonFiniteError, ShapeError } from '../errors/index.js';
import type { Augmentation, AugmentImage } from '../augment/augmentation.js';
import { isTensor, type ImageInput } from '../image/images.js';
import { runSpans, toImageRuns } from '../image/image-runs.js';
import { planResize, preprocessBatch, type ResizePlan } from '../image/preprocess.js';
import type { PreprocessSpec } from '../image/preprocess-spec.js';

/** @internal Images addressed by row, preprocessed on demand (and augmented for training). */
export interface ImageRows {
  readonly count: number;
  /**
   * Rows `idx` as the normalised model input `[idx.length, h, w, 3]`; with `augment`, each
   * image's raw pixels go through it first. Creates intermediates: call inside `tf.tidy`.
   */
  batch(idx: ArrayLike<number>, augment?: { readonly transform: Augmentation; readonly random: () => number }): tf.Tensor4D;
}

/** Which value of a float array is not finite, or -1. */
function firstNonFinite(data: ArrayLike<number>): number {
  for (let i = 0; i < data.length; i++) if (!Number.isFinite(data[i] as number)) return i;
  return -1;
}

/**
 * @internal Throws a {@link NonFiniteError} naming the image when pixels hold NaN or
 * Infinity (the range check would call them out of range, which hides the real problem).
 */
export function checkFinitePixels(owner: string, images: ImageInput): void {
  const fail = (where: string, v: number) => {
    throw new NonFiniteError(
      `${owner}: ${where} holds ${v}; pixels must be finite. Replace or drop the broken images (a failed decode or division by zero upstream).`,
    );
  };
  if (isTensor(images)) {
    if (images.isDisposed || images.dtype !== 'float32') return;
    const bad = tf.tidy(() => tf.any(tf.logicalNot(tf.isFinite(images))).dataSync()[0]);
    if (bad) {
      const flat = images.dataSync();
      const i = firstNonFinite(flat);
      const per = images.size / (images.rank === 4 ? (images.shape[0] as number) : 1);
      fail(`image ${Math.floor(i / per)}`, flat[i] as number);
    }
    return;
  }
  const arrays: { data: ArrayLike<number>; per: number; offset: number }[] = [];
  const one = images as { data?: unknown; shape?: readonly number[] };
  if (Array.isArray(images)) {
    images.forEach((im: { data?: unknown }, i: number) => {
      if (im?.data instanceof Float32Array || im?.data instanceof Float64Array) arrays.push({ data: im.data, per: im.data.length, offset: i });
    });
  } else if (one?.data instanceof Float32Array || one?.data instanceof Float64Array) {
    const n = Array.isArray(one.shape) && one.shape.length >= 3 ? (one.shape[0] as number) : 1;
    arrays.push({ data: one.data, per: one.data.length / Math.max(n, 1), offset: 0 });
  }
  for (const a of arrays) {
    const i = firstNonFinite(a.data);
    if (i >= 0) fail(`image ${a.offset + Math.floor(i / a.per)}`, a.data[i] as number);
  }
}

/** @internal Validates images (before any work) for a model's preprocessing; see {@link ImageRows}. */
export function imageRows(owner: string, images: ImageInput, spec: PreprocessSpec): ImageRows {
  checkFinitePixels(owner, images);
  const runs = toImageRuns(owner, images);
  const plans = runs.runs.map((run) => planResize(owner, run.source.height, run.source.width, spec, spec.resize));
  const one = (i: number): { raw: tf.Tensor4D; range: '0-255' | '0-1'; plan: ResizePlan } => {
    const [span] = runSpans(runs.runs, i, i + 1);
    if (!span || i < 0 || i >= runs.count) throw new ShapeError(`${owner}: row ${i} is outside the ${runs.count} images.`);
    return { raw: span.run.source.batch(span.from, span.to), range: span.run.source.range, plan: plans[span.index] as ResizePlan };
  };
  return {
    count: runs.count,
    batch(idx, augment) {
      const parts: tf.Tensor4D[] = [];
      for (let r = 0; r < idx.length; r++) {
        const { raw, range, plan } = one(idx[r] as number);
        if (!augment) {
          parts.push(preprocessBatch(raw, range, spec, plan));
          continue;
        }
        const [, height, width, channels] = raw.shape;
        const image: AugmentImage = { data: raw.dataSync() as Float32Array, height, width, channels };
        const out = augment.transform(image, augment.random);
        const x = tf.tensor4d(out.data, [1, out.height, out.width, out.channels]);
        parts.push(preprocessBatch(x, range, spec, planResize(owner, out.height, out.width, spec, spec.resize)));
      }
      return (parts.length === 1 ? parts[0] : tf.concat(parts, 0)) as tf.Tensor4D;
    },
  };
}

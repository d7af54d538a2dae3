import type * as tfl from '@tensorflow/tfjs-layers';
import type { EmbeddingModel } from './embedding-model.js';

/**
 * @internal What a tfjs embedding model offers for training: the LayersModel whose output is
 * the embedding (the backbone owns it; a trainer copies it), or why there is none, with the fix.
 */
export type TrainableSource = { readonly model: tfl.LayersModel } | { readonly unavailable: string };

const SOURCES = new WeakMap<object, TrainableSource>();

/** @internal Records what `model` offers for training; returns `model`. */
export function withTrainableSource<M extends EmbeddingModel>(model: M, source: TrainableSource): M {
  SOURCES.set(model, source);
  return model;
}

/** @internal What `model` offers for training; `undefined` for a function or `{ forward }` dvme cannot see into. */
export function trainableSourceOf(model: EmbeddingModel): TrainableSource | undefined {
  return SOURCES.get(model);
}

/** @internal True for a tfjs-layers LayersModel (also from another copy of tfjs-layers). */
export function isLayersModel(x: unknown): x is tfl.LayersModel {
  const m = x as { layers?: unknown; getWeights?: unknown; toJSON?: unknown; apply?: unknown } | null;
  return typeof m === 'object' && m !== null && Array.isArray(m.layers) && typeof m.getWeights === 'function' && typeof m.apply === 'function';
}

/**
 * Backbones: frozen image models that turn images into embeddings, with the preprocessing
 * each expects.
 *
 * @packageDocumentation
 */
export { Backbone } from './backbone.js';
export type { BackboneModel, EmbedOptions, EmbeddingModel, PredictingModel } from './backbone.js';
export { IMAGENET_MEAN, IMAGENET_STD } from '../image/preprocess-spec.js';
export type { BackboneConfig, BackboneConfigInit } from './config.js';
export type { Interpolation, PreprocessSpec, PreprocessSpecInit, ResizeMode } from '../image/preprocess-spec.js';
export type { FromTfjsOptions, TfjsModelSource } from './from-tfjs.js';
export { BACKBONE_ARCHITECTURES, listArchitectures } from './architectures.js';
export type {
  BackboneArchitecture,
  BackboneArchitectureId,
  CheckpointEmbedding,
  CustomArchitecture,
  ResNetArchitecture,
  ViTArchitecture,
} from './architectures.js';
export type { CheckpointLoadReport, CheckpointSource, FromCheckpointOptions } from './from-checkpoint.js';
export { CHECKPOINT_HEAD_KEYS, detectKeyLayout } from './key-layouts.js';
export type { KeyLayout, KeyLayoutId, KeyLayoutMatch } from './key-layouts.js';
export type { BrowserImage, DecodedImage, ImageArray, ImageInput, ImagePixels, PixelRange, SingleImage } from '../image/images.js';
export { EmbeddingCache } from '../embedding-cache/embedding-cache.js';
export type { EmbedCacheOptions, EmbeddingCacheLookup, EmbeddingCacheOptions, EmbeddingCacheStats } from '../embedding-cache/embedding-cache.js';
export type { EmbeddingStore } from '../embedding-cache/embedding-store.js';
export { preprocessImages } from '../image/preprocess.js';
export type { PreprocessOptions } from '../image/preprocess.js';
export {
  getBackboneEntry,
  listBackbones,
  loadBackbone,
  type BackboneEntry,
  type BackboneFilter,
  type BackbonePaper,
  type BackbonePretrainedConfig,
  type LoadBackboneOptions,
  type TfjsBackboneEntry,
  type TfjsShard,
  type TorchBackboneEntry,
} from './registry/index.js';

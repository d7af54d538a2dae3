/**
 * Backbones: frozen image models that turn images into embeddings, with the preprocessing
 * each expects.
 *
 * @packageDocumentation
 */
export { Backbone } from './backbone.js';
export type { BackboneModel, EmbedOptions, EmbeddingModel, PredictingModel } from './backbone.js';
export { IMAGENET_MEAN, IMAGENET_STD } from './config.js';
export type {
  BackboneConfig,
  BackboneConfigInit,
  Interpolation,
  PreprocessSpec,
  PreprocessSpecInit,
  ResizeMode,
} from './config.js';
export type { FromTfjsOptions, TfjsModelSource } from './from-tfjs.js';
export type { ImageArray, ImageInput, ImagePixels, PixelRange } from './images.js';
export { preprocessImages } from './preprocess.js';
export type { PreprocessOptions } from './preprocess.js';

/**
 * Backbone architectures as trainable tfjs-layers models, numerically equal to their PyTorch
 * originals, and the loader that fills them from PyTorch state dicts.
 *
 * @packageDocumentation
 */
export { MultiHeadSelfAttention, type MultiHeadSelfAttentionArgs } from './attention.js';
export { bicubicWeightMatrix, dinoPositionScale, resizeBicubic } from '../../image/bicubic.js';
export {
  DEFAULT_IGNORED_TORCH_KEYS,
  loadTorchStateDict,
  torchStateDictSpec,
  type LoadTorchStateDictOptions,
  type LoadTorchStateDictResult,
  type TorchStateDictEntry,
  type TorchTensor,
} from './load-weights.js';
export {
  ClassTokenPositionEmbedding,
  type ClassTokenPositionEmbeddingArgs,
} from './position-embedding.js';
export { RESNET50_CONFIG, buildResNet, resnetEmbeddingDim, type ResNetConfig } from './resnet.js';
export { TokenPooling, type TokenPoolingArgs, type TokenPoolingMode } from './token-pooling.js';
export {
  VIT_BASE_CONFIG,
  VIT_SMALL_CONFIG,
  buildVisionTransformer,
  vitEmbeddingDim,
  type ViTConfig,
  type ViTEmbedding,
} from './vit.js';

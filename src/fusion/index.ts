/**
 * Fusion of several backbones' embeddings: Dynamic Visual Meta-Embedding (the paper's DVME),
 * Kiela et al.'s Dynamic Meta-Embeddings and the concatenation baseline, as estimators and as
 * plain tfjs-layers model builders with their custom layers.
 *
 * @packageDocumentation
 */
export { DynamicVisualMetaEmbedding } from './dynamic-visual-meta-embedding.js';
export type { DvmeHyperparameters, DynamicVisualMetaEmbeddingOptions } from './dynamic-visual-meta-embedding.js';
export { DynamicMetaEmbedding } from './dynamic-meta-embedding.js';
export type { DmeHyperparameters, DynamicMetaEmbeddingOptions } from './dynamic-meta-embedding.js';
export { ConcatProbe } from './concat-probe.js';
export { FusionEstimator } from './fusion-estimator.js';
export type { FusionProvenance } from './fusion-estimator.js';
export type { FusionFitOptions, FusionHyperparameters, FusionOptions } from './fusion-options.js';
export type { SourceEmbeddings } from './fusion-data.js';
export type { FusionJSON, FusionWeightsJSON } from './fusion-json.js';
export { buildDvmeModel } from './dvme-model.js';
export type { DvmeModelConfig, DvmeTokens } from './dvme-model.js';
export { buildDmeModel } from './dme-model.js';
export type { DmeModelConfig } from './dme-model.js';
export { buildConcatModel } from './concat-model.js';
export type { ConcatModelConfig } from './concat-model.js';
export { TokenSelfAttention } from './token-self-attention.js';
export type { TokenSelfAttentionArgs } from './token-self-attention.js';
export { MetaEmbeddingGate } from './meta-embedding-gate.js';
export type { DmeGating, MetaEmbeddingGateArgs } from './meta-embedding-gate.js';
export { SeededDropout } from './seeded-dropout.js';
export type { SeededDropoutArgs } from './seeded-dropout.js';
export { Linear } from './linear.js';
export type { LinearArgs } from './linear.js';
export { LayerNorm } from '../layers/layer-norm.js';
export type { LayerNormArgs } from '../layers/layer-norm.js';

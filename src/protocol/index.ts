/**
 * The paper's evaluation protocol: class-balanced subsets of a training pool (small, medium,
 * full), repeated seeded runs of a linear probe per embedding source (and of a fine-tuner
 * beside it), and tables of mean ± std like the paper's.
 *
 * @packageDocumentation
 */
export { sampleSubset } from './subsets.js';
export type { SampleSubsetOptions, Subset, SubsetSize } from './subsets.js';
export { runLinearEvaluation } from './linear-evaluation.js';
export { runFinetuneEvaluation } from './finetune-evaluation.js';
export type { FinetuneEvaluationResult, FinetuneEvaluationRun, PairedDifference } from './finetune-evaluation.js';
export type { FinetuneEvaluationOptions, LabelledImages } from './finetune-evaluation-options.js';
export type { LinearEvaluationCell, LinearEvaluationResult, LinearEvaluationRun } from './linear-evaluation.js';
export type {
  EmbeddingSources,
  EvaluationMetric,
  LabelledEmbeddings,
  LinearEvaluationOptions,
} from './evaluation-options.js';
export type { RunDetails } from './run-details.js';
export { formatMarkdown, toCsv } from './report.js';
export type { FormatMarkdownOptions, ToCsvOptions } from './report.js';
export { pixelFeatures } from './pixel-features.js';
export { runFusionEvaluation } from './fusion-evaluation.js';
export type {
  FusionEvaluationOptions,
  FusionEvaluationResult,
  FusionEvaluationRun,
  FusionModelName,
  FusionTrainingOptions,
} from './fusion-evaluation.js';
export { bestSingleSource, formatFusionMarkdown, pairedDifference, validatedDifference } from './fusion-report.js';
export type { FormatFusionMarkdownOptions } from './fusion-report.js';

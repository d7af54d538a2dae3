/**
 * Linear probes on frozen embeddings: the {@link Probe} estimator with the paper's
 * linear-evaluation protocol and an exact L-BFGS solver, and the pieces it is built from
 * (ReduceLROnPlateau, early stopping, ordinal thresholds).
 *
 * @packageDocumentation
 */
export { Probe } from './probe.js';
export type { ProbeFitOptions } from './probe.js';
export { Estimator } from '../training/estimator.js';
export type { EvaluationFor, FitCallbacks, PredictionFor, ProbaFor } from '../training/estimator.js';
export type { TrainingWarning } from '../training/fit-warnings.js';
export type { PaperTrainingOptions, ProbeHyperparameters, ProbeOptions, ProbeSolver } from './options.js';
export type { LabelsFor, ProbeTask } from '../training/labels.js';
export type { ClassWeight } from '../training/class-weight.js';
export type { EmbeddingInput } from '../training/embedding-input.js';
export type { Standardization } from '../training/standardize.js';
export type { EpochLog } from '../training/train-loop.js';
export type {
  BinaryEvaluation,
  ClassAgreement,
  MulticlassEvaluation,
  MultilabelEvaluation,
  ProbeMonitor,
} from '../training/evaluation.js';
export type { ProbeJSON, ProbeProvenance } from './probe-json.js';
export { ReduceLROnPlateau } from '../training/reduce-lr-on-plateau.js';
export type { MonitorMode, ReduceLROnPlateauOptions } from '../training/reduce-lr-on-plateau.js';
export { EarlyStopping } from '../training/early-stopping.js';
export type { EarlyStoppingOptions, EarlyStoppingStep } from '../training/early-stopping.js';
export { applyOrdinalThresholds, expectedGrade, fitOrdinalThresholds } from './ordinal-thresholds.js';
export type { FitOrdinalThresholdsOptions, OrdinalThresholds } from './ordinal-thresholds.js';

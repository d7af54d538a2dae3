/**
 * dvme/metrics: classification metrics in pure TypeScript (no tfjs, no platform imports),
 * numerically equal to scikit-learn's.
 *
 * @packageDocumentation
 */

// Every dvme error class, so `import { UndefinedMetricError } from 'dvme/metrics'` works.
export {
  AbortError,
  BackendUnavailableError,
  CheckpointFormatError,
  DatasetError,
  DisposedError,
  DownloadError,
  EmbeddingSetFormatError,
  ImageDecodeError,
  DvmeError,
  IntegrityError,
  InvalidArgumentError,
  NonFiniteError,
  NotFittedError,
  OfflineError,
  OutOfMemoryError,
  ProvenanceMismatchError,
  ShapeError,
  UndefinedMetricError,
  UnknownBackboneError,
} from '../errors/index.js';

export type { OnUndefined, Rows } from './validate.js';

export { accuracyScore, type AccuracyOptions } from './accuracy.js';
export { confusionMatrix, type ConfusionMatrixOptions } from './confusion-matrix.js';
export { cohenKappaScore, type CohenKappaOptions } from './kappa.js';
export { rocCurve, type RocCurve, type RocCurveOptions } from './roc-curve.js';
export {
  rocAucScore,
  type RocAucAverage,
  type RocAucMultiClass,
  type RocAucOptions,
} from './roc-auc.js';
export {
  delongCi,
  delongTest,
  type DelongCiOptions,
  type DelongCiResult,
  type DelongTestOptions,
  type DelongTestResult,
} from './delong.js';
export {
  bootstrapCi,
  type BootstrapCiOptions,
  type BootstrapCiResult,
  type BootstrapMetric,
} from './bootstrap.js';
export { bootstrapCiAsync, type BootstrapCiAsyncOptions } from './bootstrap-async.js';

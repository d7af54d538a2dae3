export { DvmeError } from './dvme-error.js';
export {
  AbortError,
  BackendUnavailableError,
  CheckpointFormatError,
  DisposedError,
  DownloadError,
  EmbeddingSetFormatError,
  ImageDecodeError,
  IntegrityError,
  InvalidArgumentError,
  NonFiniteError,
  NotFittedError,
  OfflineError,
  ProvenanceMismatchError,
  ShapeError,
  UndefinedMetricError,
  UnknownBackboneError,
} from './errors.js';

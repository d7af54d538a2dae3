export { DvmeError } from './dvme-error.js';
export {
  AbortError,
  BackendUnavailableError,
  CheckpointFormatError,
  DisposedError,
  DownloadError,
  ImageDecodeError,
  IntegrityError,
  InvalidArgumentError,
  NonFiniteError,
  NotFittedError,
  OfflineError,
  ShapeError,
  UndefinedMetricError,
  UnknownBackboneError,
} from './errors.js';

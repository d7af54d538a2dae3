export { DvmeError } from './dvme-error.js';
export {
  AbortError,
  BackendUnavailableError,
  CheckpointFormatError,
  DisposedError,
  InvalidArgumentError,
  NonFiniteError,
  NotFittedError,
  ShapeError,
  UndefinedMetricError,
  UnknownBackboneError,
} from './errors.js';

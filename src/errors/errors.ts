import { DvmeError } from './dvme-error.js';

/**
 * An argument has a value outside what the function accepts (an unknown option, a negative
 * size, a label not in `labels`).
 *
 * @remarks Since 0.1.0.
 * @example
 * ```ts
 * import { InvalidArgumentError, rocAucScore } from 'dvme/metrics';
 * try { rocAucScore([0, 1], [0.2, 0.8], { maxFpr: 2 }); }
 * catch (e) { InvalidArgumentError.is(e); } // true
 * ```
 */
export class InvalidArgumentError extends DvmeError {
  static override readonly code: string = 'INVALID_ARGUMENT';
}

/**
 * Arrays whose lengths or shapes do not fit together (10 labels and 9 scores; rows of
 * unequal width).
 *
 * @remarks Since 0.1.0.
 * @example
 * ```ts
 * import { ShapeError, accuracyScore } from 'dvme/metrics';
 * try { accuracyScore([0, 1], [0]); } catch (e) { ShapeError.is(e); } // true
 * ```
 */
export class ShapeError extends InvalidArgumentError {
  static override readonly code: string = 'SHAPE';
}

/**
 * Numbers that are not finite (NaN, Infinity) where finite numbers are required.
 *
 * @remarks Since 0.1.0.
 * @example
 * ```ts
 * import { NonFiniteError, rocAucScore } from 'dvme/metrics';
 * try { rocAucScore([0, 1], [0.1, NaN]); } catch (e) { NonFiniteError.is(e); } // true
 * ```
 */
export class NonFiniteError extends InvalidArgumentError {
  static override readonly code: string = 'NON_FINITE';
}

/**
 * A metric is mathematically undefined for the input (ROC AUC with one class present, kappa
 * whose expected agreement is 1, empty input). Pass `onUndefined: 'nan'` or a number to get
 * that value instead.
 *
 * @remarks Since 0.1.0.
 * @example
 * ```ts
 * import { UndefinedMetricError, rocAucScore } from 'dvme/metrics';
 * try { rocAucScore([1, 1], [0.2, 0.8]); } catch (e) { UndefinedMetricError.is(e); } // true
 * rocAucScore([1, 1], [0.2, 0.8], { onUndefined: 'nan' }); // NaN
 * ```
 */
export class UndefinedMetricError extends DvmeError {
  static override readonly code: string = 'UNDEFINED_METRIC';
}

/**
 * An estimator was used before `fit`.
 *
 * @remarks Since 0.1.0.
 * @example
 * ```ts
 * import { NotFittedError } from 'dvme';
 * const e = new NotFittedError('Probe is not fitted: call fit(x, y) first.');
 * NotFittedError.is(e); // true
 * ```
 */
export class NotFittedError extends DvmeError {
  static override readonly code: string = 'NOT_FITTED';
}

/**
 * An object was used after its `dispose()`.
 *
 * @remarks Since 0.1.0.
 * @example
 * ```ts
 * import { DisposedError } from 'dvme';
 * DisposedError.is(new DisposedError('Backbone was disposed.')); // true
 * ```
 */
export class DisposedError extends DvmeError {
  static override readonly code: string = 'DISPOSED';
}

/**
 * A tfjs backend (or another runtime such as onnxruntime) the call needs is not installed or
 * failed to initialise. The message names the package to install.
 *
 * @remarks Since 0.1.0.
 * @example
 * ```ts
 * import { BackendUnavailableError } from 'dvme';
 * const e = new BackendUnavailableError('npm install @tensorflow/tfjs-node-gpu');
 * BackendUnavailableError.is(e); // true
 * ```
 */
export class BackendUnavailableError extends DvmeError {
  static override readonly code: string = 'BACKEND_UNAVAILABLE';
}

/**
 * A backbone name that the registry does not hold.
 *
 * @remarks Since 0.1.0.
 * @example
 * ```ts
 * import { UnknownBackboneError } from 'dvme';
 * UnknownBackboneError.is(new UnknownBackboneError('no such backbone')); // true
 * ```
 */
export class UnknownBackboneError extends InvalidArgumentError {
  static override readonly code: string = 'UNKNOWN_BACKBONE';
}

/**
 * A checkpoint or data file whose bytes are not in the format they claim (truncated, hostile
 * header, unsupported pickle opcode or global, missing keys under `strict`).
 *
 * @remarks Since 0.1.0.
 * @example
 * ```ts
 * import { CheckpointFormatError } from 'dvme';
 * CheckpointFormatError.is(new CheckpointFormatError('truncated header')); // true
 * ```
 */
export class CheckpointFormatError extends DvmeError {
  static override readonly code: string = 'CHECKPOINT_FORMAT';
}

/**
 * A long-running call stopped because its `AbortSignal` fired. Its `name` is `'AbortError'`,
 * as the DOM's and Node's own abort errors are, so `e.name === 'AbortError'` checks keep
 * working; `cause` holds the signal's `reason`.
 *
 * @remarks Since 0.1.0.
 * @example
 * ```ts
 * import { AbortError } from 'dvme';
 * const e = new AbortError('embed aborted after 32 of 100 images.');
 * AbortError.is(e); // true
 * e.name; // 'AbortError'
 * ```
 */
export class AbortError extends DvmeError {
  static override readonly code: string = 'ABORTED';
}

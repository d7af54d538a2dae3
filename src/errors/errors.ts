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
 * An image file could not be decoded: not a PNG or JPEG (the message names the format it
 * found), truncated, corrupt, or using a feature dvme does not decode. `file` is the path, or
 * the `name` given for bytes.
 *
 * @remarks Since 0.1.0.
 * @example
 * ```ts
 * import { ImageDecodeError, decodeImage } from 'dvme/node';
 * try {
 *   await decodeImage('scans/broken.png');
 * } catch (e) {
 *   if (ImageDecodeError.is(e)) console.error(e.file, e.message); // 'scans/broken.png' 'Cannot decode ...'
 * }
 * ```
 */
export class ImageDecodeError extends DvmeError {
  static override readonly code: string = 'IMAGE_DECODE';
  /** The path of the file, or the name given for bytes; `undefined` for unnamed bytes. */
  readonly file: string | undefined;

  /**
   * @param message - what happened, the value received, what is allowed, how to fix it.
   * @param options - standard `cause`, plus the `file` it is about.
   */
  constructor(message: string, options?: { cause?: unknown; file?: string }) {
    super(message, options);
    this.file = options?.file;
  }
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

/**
 * A backend ran out of memory: tfjs-backend-wasm's heap (at most 4 GiB, WebAssembly's 32-bit
 * limit, whatever the machine has) could not hold a new tensor. tfjs-backend-wasm itself does
 * not check, and would write the tensor over the start of its heap; dvme checks every
 * allocation and throws this instead, before the kernel writes anything. The message gives the
 * request and the heap in use, and the fix: a smaller batch (with `accumulate` to keep the
 * effective batch when finetuning), a smaller input size, or the tfjs-node backend.
 *
 * @remarks Since 0.1.0.
 * @example
 * ```ts
 * import { OutOfMemoryError } from 'dvme';
 * OutOfMemoryError.is(new OutOfMemoryError('the wasm heap is full')); // true
 * ```
 */
export class OutOfMemoryError extends DvmeError {
  static override readonly code: string = 'OUT_OF_MEMORY';
}

/**
 * A download failed: an HTTP error status, a network failure, or a server that does not send
 * the file it should. `url` and `status` (when the server answered) say where and how.
 *
 * @remarks Since 0.1.0. {@link IntegrityError} and {@link OfflineError} are kinds of it, so
 * `DownloadError.is(e)` catches every download problem.
 * @example
 * ```ts
 * import { DownloadError, download } from 'dvme';
 * try {
 *   await download('https://example.org/missing.pth');
 * } catch (e) {
 *   if (DownloadError.is(e)) console.error(e.status, e.url); // 404 'https://example.org/missing.pth'
 * }
 * ```
 */
export class DownloadError extends DvmeError {
  static override readonly code: string = 'DOWNLOAD';
  /** The URL that was requested. */
  readonly url: string | undefined;
  /** The HTTP status, when the server answered; `undefined` for network errors. */
  readonly status: number | undefined;

  /**
   * @param message - what happened, the value received, what is allowed, how to fix it.
   * @param options - standard `cause`, plus the `url` and HTTP `status`.
   */
  constructor(message: string, options?: { cause?: unknown; url?: string; status?: number }) {
    super(message, options);
    this.url = options?.url;
    this.status = options?.status;
  }
}

/**
 * Downloaded (or cached) bytes are not the expected file: their size or SHA-256 differs from the
 * one recorded. The bad file is deleted before this is thrown; both values are on the error.
 *
 * @remarks Since 0.1.0.
 * @example
 * ```ts
 * import { IntegrityError } from 'dvme';
 * const e = new IntegrityError('sha256 mismatch', { check: 'sha256', expected: 'ab12', actual: 'cd34' });
 * IntegrityError.is(e); // true
 * e.expected; // 'ab12'
 * ```
 */
export class IntegrityError extends DownloadError {
  static override readonly code: string = 'INTEGRITY';
  /** Which check failed. */
  readonly check: 'size' | 'sha256' | undefined;
  /** The recorded value: a byte count, or a SHA-256 hex digest (or prefix of one). */
  readonly expected: string | number | undefined;
  /** What the bytes have: their count, or their full SHA-256 hex digest. */
  readonly actual: string | number | undefined;

  /**
   * @param message - what happened, the value received, what is allowed, how to fix it.
   * @param options - standard `cause`, the `url`, and the failed `check` with both values.
   */
  constructor(
    message: string,
    options?: { cause?: unknown; url?: string; check?: 'size' | 'sha256'; expected?: string | number; actual?: string | number },
  ) {
    super(message, options);
    this.check = options?.check;
    this.expected = options?.expected;
    this.actual = options?.actual;
  }
}

/**
 * A file was needed from the network while `offline: true` was set, and the cache holds no
 * valid copy of it. Run once online (or put the file in the cache folder) first.
 *
 * @remarks Since 0.1.0.
 * @example
 * ```ts
 * import { OfflineError, download } from 'dvme/node';
 * try {
 *   await download('https://example.org/w.pth', { offline: true });
 * } catch (e) {
 *   OfflineError.is(e); // true when the file was never downloaded
 * }
 * ```
 */
export class OfflineError extends DownloadError {
  static override readonly code: string = 'OFFLINE';
}

/**
 * An embedding set (a folder with `embeddings.npy` and `manifest.json`, as `dvme embed` writes
 * it) is not valid: a manifest field is missing or of the wrong type, or the array does not
 * match the manifest's rows and dimension. `field` names the manifest path at fault.
 *
 * @remarks Since 0.1.0.
 * @example
 * ```ts
 * import { EmbeddingSetFormatError, parseEmbeddingSetManifest } from 'dvme';
 * try {
 *   parseEmbeddingSetManifest({ kind: 'something-else' });
 * } catch (e) {
 *   if (EmbeddingSetFormatError.is(e)) console.error(e.field, e.message); // 'kind' ...
 * }
 * ```
 */
export class EmbeddingSetFormatError extends DvmeError {
  static override readonly code: string = 'EMBEDDING_SET_FORMAT';
  /** The manifest path at fault (`'rows[3].split'`), when one is. */
  readonly field: string | undefined;

  /**
   * @param message - what happened, the value received, what is allowed, how to fix it.
   * @param options - standard `cause`, plus the manifest `field` it is about.
   */
  constructor(message: string, options?: { cause?: unknown; field?: string }) {
    super(message, options);
    this.field = options?.field;
  }
}

/**
 * Embedding sets that were to be joined do not belong together: shards of different backbones,
 * fingerprints or datasets, a shard missing or given twice, or shards of different counts.
 * `field` names what differs (`'backbone.fingerprint'`, `'shard.index'`).
 *
 * @remarks Since 0.1.0.
 * @example
 * ```ts
 * import { ProvenanceMismatchError } from 'dvme';
 * const e = new ProvenanceMismatchError('shard 2 of 4 is missing', { field: 'shard.index' });
 * ProvenanceMismatchError.is(e); // true
 * ```
 */
export class ProvenanceMismatchError extends DvmeError {
  static override readonly code: string = 'PROVENANCE_MISMATCH';
  /** The manifest field that differs, when one does. */
  readonly field: string | undefined;

  /**
   * @param message - what happened, the value received, what is allowed, how to fix it.
   * @param options - standard `cause`, plus the manifest `field` that differs.
   */
  constructor(message: string, options?: { cause?: unknown; field?: string }) {
    super(message, options);
    this.field = options?.field;
  }
}

/**
 * A dataset of images cannot be read as asked: a listed image is missing or unreadable, a label
 * is not one of the classes, a manifest lacks a column, a folder holds no images. `item` is the
 * image's id (its path relative to the dataset) when the problem is one image's.
 *
 * @remarks Since 0.1.0. With `onError: 'skip'` an `ImageDataset` skips such images and lists
 * them instead of throwing.
 * @example
 * ```ts
 * import { DatasetError } from 'dvme';
 * const e = new DatasetError('grade7 is not a class', { item: 'grade7/a.png' });
 * DatasetError.is(e); // true
 * e.item; // 'grade7/a.png'
 * ```
 */
export class DatasetError extends DvmeError {
  static override readonly code: string = 'DATASET';
  /** The id of the image at fault, when the problem is one image's. */
  readonly item: string | undefined;

  /**
   * @param message - what happened, the value received, what is allowed, how to fix it.
   * @param options - standard `cause`, plus the `item` it is about.
   */
  constructor(message: string, options?: { cause?: unknown; item?: string }) {
    super(message, options);
    this.item = options?.item;
  }
}

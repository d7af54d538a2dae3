import { AbortError, InvalidArgumentError } from '../errors/index.js';
import { describe } from '../validation/describe.js';
import { startBootstrap, type BootstrapCiOptions, type BootstrapCiResult, type BootstrapMetric } from './bootstrap.js';
import type { Rows } from './validate.js';

/**
 * Options of {@link bootstrapCiAsync}: those of `bootstrapCi`, plus a signal and a progress callback.
 *
 * @remarks Since 0.1.0.
 * @example
 * ```ts
 * import type { BootstrapCiAsyncOptions } from 'dvme/metrics';
 * const options: BootstrapCiAsyncOptions = { nResamples: 5000, signal: AbortSignal.timeout(60_000) };
 * ```
 */
export interface BootstrapCiAsyncOptions extends BootstrapCiOptions {
  /** Stops the resampling (between two resamples) with an `AbortError` whose `cause` is the signal's reason. */
  readonly signal?: AbortSignal;
  /** Called with the resamples done and `nResamples`, each time the loop lets the event loop run, and at the end. */
  readonly onProgress?: (done: number, total: number) => void;
}

/** How long the loop computes before it lets timers, I/O and an abort run: a frame at 60 Hz. */
const SLICE_MS = 16;

// dvme/metrics imports nothing outside its pure helpers, so it keeps this one-liner rather than
// host/macrotask.ts (which the training loop and embedding use).
const nextTask = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 0));

function checkAsyncOptions(options: BootstrapCiAsyncOptions): void {
  const { signal, onProgress } = options;
  if (signal !== undefined && (typeof signal !== 'object' || signal === null || typeof signal.aborted !== 'boolean')) {
    throw new InvalidArgumentError(`signal must be an AbortSignal (e.g. new AbortController().signal); received ${describe(signal)}.`);
  }
  if (onProgress !== undefined && typeof onProgress !== 'function') {
    throw new InvalidArgumentError(`onProgress must be a function (done, total) => void; received ${describe(onProgress)}.`);
  }
}

/**
 * `bootstrapCi` that does not hold the thread: it gives the event loop a turn every ~16 ms of
 * resampling, so a server keeps answering, a page keeps drawing, and an `AbortSignal` stops it
 * between two resamples; `onProgress` reports how far it is. Same seed, data and options give
 * exactly `bootstrapCi`'s result; the synchronous function stays the faster choice where
 * nothing else must run.
 *
 * @param metric - `(yTrue, yPred) => number`, as for `bootstrapCi`.
 * @param yTrue - Labels (or targets), one per sample.
 * @param yPred - Per-sample predictions: 1-D, or rows of per-class probabilities.
 * @returns What `bootstrapCi` returns.
 * @throws {@link AbortError} when `signal` fires (the promise rejects); what `bootstrapCi`
 *   throws, and {@link InvalidArgumentError} for a `signal` or `onProgress` of the wrong type.
 * @remarks Since 0.1.0. A metric call is never interrupted: an abort lands when the resample
 * under way ends, so within ~100 ms while one resample takes less than that (the full-data
 * estimate, computed first, runs to its end too).
 * @example
 * ```ts
 * import { bootstrapCiAsync, rocAucScore } from 'dvme/metrics';
 * const yTrue = [0, 0, 1, 1, 0, 1, 0, 1, 1, 0];
 * const yScore = [0.1, 0.4, 0.35, 0.8, 0.2, 0.7, 0.5, 0.9, 0.6, 0.3];
 * const ci = await bootstrapCiAsync(rocAucScore, yTrue, yScore, {
 *   seed: 7,
 *   stratified: true,
 *   signal: AbortSignal.timeout(10_000),
 *   onProgress: (done, total) => console.log(`${done}/${total}`),
 * });
 * [ci.lower, ci.estimate, ci.upper]; // [0.68, 0.92, 1], as bootstrapCi gives
 * ```
 */
export function bootstrapCiAsync(
  metric: BootstrapMetric<Float64Array>,
  yTrue: ArrayLike<number>,
  yPred: ArrayLike<number>,
  options?: BootstrapCiAsyncOptions,
): Promise<BootstrapCiResult>;
export function bootstrapCiAsync(
  metric: BootstrapMetric<ArrayLike<number>[]>,
  yTrue: ArrayLike<number>,
  yPred: Rows,
  options?: BootstrapCiAsyncOptions,
): Promise<BootstrapCiResult>;
export async function bootstrapCiAsync(
  metric: BootstrapMetric<never>,
  yTrue: ArrayLike<number>,
  yPred: ArrayLike<number> | Rows,
  options: BootstrapCiAsyncOptions = {},
): Promise<BootstrapCiResult> {
  checkAsyncOptions(options);
  const { signal, onProgress } = options;
  const run = startBootstrap(metric, yTrue, yPred, options);
  const total = run.nResamples;
  let sliceStart = performance.now();
  for (let done = 0; done < total; done++) {
    if (signal?.aborted) throw new AbortError(`bootstrapCiAsync was aborted after ${done} of ${total} resamples.`, { cause: signal.reason });
    run.step();
    if (performance.now() - sliceStart >= SLICE_MS && done + 1 < total) {
      onProgress?.(done + 1, total);
      await nextTask();
      sliceStart = performance.now();
    }
  }
  onProgress?.(total, total);
  return run.result();
}

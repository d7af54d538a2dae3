import { AbortError } from './errors.js';

/** @internal Throws an {@link AbortError} carrying the signal's reason when it has fired. */
export function throwIfAborted(signal: AbortSignal | undefined, what: () => string): void {
  if (signal?.aborted) throw new AbortError(what(), { cause: signal.reason });
}

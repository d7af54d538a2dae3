import type { CacheWriter } from '../host/platform.js';

/**
 * @internal A {@link CacheWriter} that also keeps the validator (ETag or Last-Modified) of the
 * response its partial bytes came from. Only such bytes are resumed, with `If-Range`: bytes
 * without one cannot be proved to belong to the file at the URL now, and splicing them onto a
 * changed file would publish a file that never existed.
 */
export interface ResumableCacheWriter extends CacheWriter {
  /** The validator recorded with `partial`, or `undefined`. */
  readonly validator: string | undefined;
  /** Records the validator of the response whose bytes follow (`undefined`: none). */
  recordValidator(validator: string | undefined): Promise<void>;
}

function isResumable(writer: CacheWriter): writer is ResumableCacheWriter {
  return typeof (writer as Partial<ResumableCacheWriter>).recordValidator === 'function';
}

/** @internal The validator recorded with the writer's partial bytes, if it keeps one. */
export function validatorOf(writer: CacheWriter): string | undefined {
  return isResumable(writer) ? writer.validator : undefined;
}

/** @internal Records `validator` where the writer keeps one; returns whether it did. */
export async function recordValidator(writer: CacheWriter, validator: string | undefined): Promise<boolean> {
  if (!isResumable(writer)) return false;
  await writer.recordValidator(validator);
  return validator !== undefined;
}

/**
 * @internal A response's validator as `If-Range` may carry it: a strong ETag, else
 * Last-Modified (RFC 9110 13.1.5 forbids weak ETags there).
 */
export function responseValidator(response: Response): string | undefined {
  const etag = response.headers.get('etag');
  if (etag !== null && /^"[^"]*"$/.test(etag)) return etag;
  return response.headers.get('last-modified') ?? undefined;
}

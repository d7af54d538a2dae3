import { InvalidArgumentError } from '../errors/index.js';

/**
 * @internal The Node error code (`ENOENT`, `EISDIR`, `ENOTDIR`, `EACCES`) behind the
 * {@link InvalidArgumentError} that `dvme/node`'s file reading throws for a wrong path (the
 * `cause`), or behind a loader's error wrapping that one, so that a loader can try a file inside
 * a folder and a caller can say it its own way; `undefined` for any other error.
 */
export function localPathErrorCode(e: unknown): string | undefined {
  if (!InvalidArgumentError.is(e)) return undefined;
  const cause = e.cause as { code?: unknown } | undefined;
  return typeof cause?.code === 'string' ? cause.code : localPathErrorCode(cause);
}

import { DownloadError } from '../errors/index.js';
import type { CacheWriter } from '../host/platform.js';
import { announcedSize, bodyReader, discard, IdleWatch, Sink } from './download-body.js';
import type { DownloadOptions } from './download-options.js';
import { aborted, integrityError, mismatch, nextCall, OWNER, type Plan } from './download-plan.js';
import { recordValidator, responseValidator, validatorOf } from './resumable-writer.js';

/** The error for a watch that fired: the caller's abort, or the server's silence. */
function stopped(p: Plan, watch: IdleWatch, signal: AbortSignal | undefined, loaded: number, resumable: boolean, answered: boolean): Error | undefined {
  if (watch.idle) {
    const what = answered ? `no data from ${p.url} for ${p.idleTimeoutMs} ms after ${loaded} bytes` : `no answer from ${p.url} for ${p.idleTimeoutMs} ms`;
    return new DownloadError(
      `${OWNER}: ${what} (idleTimeoutMs). The server stalled; ${nextCall(resumable)} Pass a larger idleTimeoutMs for a slow server.`,
      { url: p.url },
    );
  }
  return signal?.aborted ? aborted(p, signal, loaded, resumable) : undefined;
}

async function request(
  p: Plan,
  fetchFn: typeof fetch,
  from: number,
  validator: string | undefined,
  watch: IdleWatch,
  signal: AbortSignal | undefined,
): Promise<Response> {
  // If-Range: the server sends the rest only if the file is still the one the bytes came from.
  const headers: Record<string, string> = from > 0 && validator !== undefined ? { Range: `bytes=${from}-`, 'If-Range': validator } : {};
  try {
    return await watch.guard(fetchFn(p.url, { headers, signal: watch.signal, redirect: 'follow' }));
  } catch (e) {
    const stop = stopped(p, watch, signal, from, from > 0 && validator !== undefined, false);
    if (stop) throw stop;
    throw new DownloadError(
      `${OWNER}: could not reach ${p.url} (${e instanceof Error ? e.message : String(e)}). Check the network, or pass ` +
        'offline: true to use cached files only.',
      { cause: e, url: p.url },
    );
  }
}

function httpError(p: Plan, response: Response): DownloadError {
  const hint =
    response.status === 404 || response.status === 410
      ? 'The file is not there: the URL is wrong or the file moved.'
      : response.status >= 500
        ? 'The server failed; try again later.'
        : 'Check the URL and whether it needs authentication.';
  return new DownloadError(`${OWNER}: GET ${p.url} answered HTTP ${response.status} ${response.statusText}. ${hint}`, {
    url: p.url,
    status: response.status,
  });
}

function tooLarge(p: Plan, what: string): DownloadError {
  return new DownloadError(
    `${OWNER}: ${p.url} ${what}, more than maxBytes (${p.maxBytes}); nothing was kept. A server that does not ` +
      'end, or the wrong URL; if the file really is that large, pass a larger maxBytes (or its size).',
    { url: p.url },
  );
}

/**
 * @internal Fetches `p.url` through `writer` (resuming its partial bytes when their validator
 * still holds), verifies, then commits. On failure the partial bytes are kept only when a later
 * call can resume them.
 */
export async function fetchVerified(p: Plan, writer: CacheWriter, options: DownloadOptions, fetchFn: typeof fetch): Promise<Uint8Array> {
  const { signal, onProgress } = options;
  let partial = writer.partial;
  let validator = validatorOf(writer);
  let keep = partial.length > 0 && validator !== undefined;
  let committed = false;
  const watch = new IdleWatch(p.idleTimeoutMs, signal);
  const restart = async (): Promise<void> => {
    await writer.restart();
    partial = writer.partial;
    validator = undefined;
    keep = false;
  };
  try {
    // A crash between the last write and the rename leaves a complete partial file.
    if (partial.length > 0 && p.size !== undefined && partial.length >= p.size) {
      if (!(await mismatch(p, partial))) {
        await writer.commit(partial);
        committed = true;
        onProgress?.(partial.length, partial.length);
        return partial;
      }
      await restart();
    }
    if (partial.length > 0 && validator === undefined) await restart();
    let response = await request(p, fetchFn, partial.length, validator, watch, signal);
    const continues = /^bytes (\d+)-/.exec(response.headers.get('content-range') ?? '')?.[1] === String(partial.length);
    // 416: the partial bytes do not fit the file (it changed); 206 from elsewhere: not ours.
    if (partial.length > 0 && (response.status === 416 || (response.status === 206 && !continues))) {
      await discard(response);
      await restart();
      response = await request(p, fetchFn, 0, undefined, watch, signal);
    }
    if (!response.ok) {
      await discard(response);
      throw httpError(p, response);
    }
    // Not a 206: the server sends the whole file (it changed, or ignores ranges), so start over.
    if (response.status !== 206) {
      if (partial.length > 0) await restart();
      keep = await recordValidator(writer, responseValidator(response));
    }
    const announced = announcedSize(response, partial.length);
    if (p.size !== undefined && announced !== undefined && announced !== p.size) {
      await discard(response);
      keep = false;
      throw integrityError(p, { check: 'size', expected: p.size, actual: announced }, 'the server says');
    }
    if (announced !== undefined && announced > p.maxBytes) {
      await discard(response);
      keep = false;
      throw tooLarge(p, `announces ${announced} bytes`);
    }
    const total = p.size ?? announced;
    const sink = new Sink(total);
    sink.add(partial);
    let loaded = partial.length;
    onProgress?.(loaded, total);
    const reader = bodyReader(response);
    for (;;) {
      let chunk: ReadableStreamReadResult<Uint8Array>;
      try {
        chunk = await watch.guard(reader.read());
      } catch (e) {
        reader.cancel().catch(() => undefined);
        const stop = stopped(p, watch, signal, loaded, keep, true);
        if (stop) throw stop;
        throw new DownloadError(
          `${OWNER}: the connection to ${p.url} failed after ${loaded} bytes (${e instanceof Error ? e.message : String(e)}). ${nextCall(keep)}`,
          { cause: e, url: p.url },
        );
      }
      if (chunk.done) break;
      watch.progress();
      const next = loaded + chunk.value.length;
      if ((total !== undefined && next > total) || next > p.maxBytes) {
        await reader.cancel().catch(() => undefined);
        keep = false;
        if (total !== undefined && next > total) throw integrityError(p, { check: 'size', expected: total, actual: next }, 'the body of');
        throw tooLarge(p, `sent ${next} bytes`);
      }
      sink.add(chunk.value);
      await writer.append(chunk.value);
      loaded = next;
      onProgress?.(loaded, total);
      if (signal?.aborted) {
        await reader.cancel().catch(() => undefined);
        throw aborted(p, signal, loaded, keep);
      }
    }
    if (announced !== undefined && loaded < announced) {
      throw new DownloadError(`${OWNER}: ${p.url} ended after ${loaded} of ${announced} bytes. ${nextCall(keep)}`, {
        url: p.url,
        status: response.status,
      });
    }
    const bytes = sink.bytes();
    const bad = await mismatch(p, bytes);
    if (bad) {
      keep = false;
      throw integrityError(p, bad, 'the download of');
    }
    await writer.commit(bytes);
    committed = true;
    return bytes;
  } finally {
    watch.stop();
    if (!committed) await writer.close(keep).catch(() => undefined);
  }
}
